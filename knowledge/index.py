"""The vector index contract: points with a dense and a sparse vector, payload filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

DENSE = "dense"
SPARSE = "bm25"

PayloadValue = str | int
"""Filterable payload values (Qdrant edge cannot match booleans: store them as keywords)."""


@dataclass(frozen=True, slots=True)
class SparseVector:
    """A sparse vector: term ids and their weights."""

    indices: tuple[int, ...]
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class MatchAny:
    """Payload condition: the field (or any element of a list field) equals one of values."""

    key: str
    values: tuple[PayloadValue, ...]


@dataclass(frozen=True, slots=True)
class PayloadFilter:
    """All of ``must`` and none of ``must_not``."""

    must: tuple[MatchAny, ...] = ()
    must_not: tuple[MatchAny, ...] = ()


@dataclass(frozen=True, slots=True)
class IndexPoint:
    """A point to store: id (a UUID string), dense vector, sparse vector, payload."""

    id: str
    dense: Sequence[float]
    sparse: SparseVector
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredPoint:
    """A stored point read back, optionally with its dense vector."""

    id: str
    payload: dict[str, Any]
    dense: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class ScoredPoint:
    """A search result from one vector."""

    id: str
    score: float
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VectorQuery:
    """One nearest-neighbour query on the dense or the sparse vector."""

    using: str
    """DENSE or SPARSE."""
    vector: Sequence[float] | SparseVector
    filter: PayloadFilter
    limit: int
    exact: bool = False


@runtime_checkable
class VectorIndex(Protocol):
    """Store and search points with a dense and a sparse (BM25, IDF-weighted) vector."""

    def upsert(self, points: Sequence[IndexPoint]) -> None:
        """Insert or replace points; return when they are searchable."""
        ...

    def delete(self, flt: PayloadFilter) -> None:
        """Delete every point matching the filter."""
        ...

    def set_payload(self, flt: PayloadFilter, payload: dict[str, Any]) -> None:
        """Set payload fields on every point matching the filter."""
        ...

    def search(self, queries: Sequence[VectorQuery]) -> list[list[ScoredPoint]]:
        """Run several queries in one call; return one ranked list per query, with payloads."""
        ...

    def scroll(self, flt: PayloadFilter, *, with_dense: bool = False) -> list[StoredPoint]:
        """Return every point matching the filter."""
        ...

    def count(self, flt: PayloadFilter) -> int:
        """Count the points matching the filter."""
        ...

    def optimize(self) -> None:
        """Build search structures (HNSW) after bulk writes; may take a while."""
        ...

    def close(self) -> None:
        """Release files and connections."""
        ...


@runtime_checkable
class FileBackedIndex(Protocol):
    """An index kept in a local directory, which can copy its files for a backup."""

    def copy_files_to(self, target: Path) -> int:
        """Flush, copy the index's files into ``target`` (created) and return its points.

        No write may run meanwhile (the knowledge base pauses its writers around this).
        """
        ...

    def point_count(self) -> int:
        """Return how many points the index holds (passages and pins)."""
        ...


KEYWORD_FIELDS = (
    "rtype",
    "status",
    "doc_key",
    "kind",
    "tags",
    "equipment_codes",
    "content_hash",
    "pin_id",
)
INTEGER_FIELDS = ("org_id", "vessel_key", "document_id")
"""Payload fields the knowledge base filters on; indexes create payload indexes for them."""
