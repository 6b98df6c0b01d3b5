"""VectorIndex on Qdrant's embedded engine (qdrant-edge-py), stored in a directory."""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import qdrant_edge as qe

from knowledge.errors import VectorIndexError, dimension_mismatch
from knowledge.index import (
    DENSE,
    INTEGER_FIELDS,
    KEYWORD_FIELDS,
    SPARSE,
    IndexPoint,
    MatchAny,
    PayloadFilter,
    ScoredPoint,
    SparseVector,
    StoredPoint,
    VectorQuery,
)

_SCROLL_PAGE = 1000


def _condition(m: MatchAny) -> qe.FieldCondition:
    values = m.values
    if any(isinstance(v, bool) for v in values):
        raise VectorIndexError(f"match on {m.key}: store booleans as keywords to filter on them")
    if len(values) == 1:
        return qe.FieldCondition(key=m.key, match=qe.MatchValue(values[0]))
    return qe.FieldCondition(key=m.key, match=qe.MatchAny(list(values)))  # type: ignore[arg-type]


def to_edge_filter(flt: PayloadFilter) -> qe.Filter | None:
    """Translate a neutral filter into a qdrant-edge filter (None when empty)."""
    if not flt.must and not flt.must_not:
        return None
    return qe.Filter(
        must=[_condition(m) for m in flt.must] or None,
        must_not=[_condition(m) for m in flt.must_not] or None,
    )


def _stored_dimension(path: Path) -> int | None:
    """Return the dense vector size an existing store was created with (None: unknown)."""
    try:
        config = json.loads((path / "edge_config.json").read_text())
        return int(config["vectors"][DENSE]["size"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _point_id(raw: Any) -> str:
    return str(raw)


class EdgeVectorIndex:
    """Qdrant's embedded engine in this process: fast filtered and sparse search, no server."""

    def __init__(self, path: Path, *, dimension: int | None = 384, hnsw_ef: int = 256) -> None:
        """Open the store at `path`, or create it with vectors of `dimension`.

        An existing store must hold vectors of `dimension`; None opens it as it is (backups).
        """
        self._path = path
        self._hnsw_ef = hnsw_ef
        self._lock = threading.Lock()
        size = dimension or 384
        config = qe.EdgeConfig(
            vectors={DENSE: qe.EdgeVectorParams(size=size, distance=qe.Distance.Cosine)},
            sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
            hnsw_config=qe.HnswIndexConfig(m=16, ef_construct=128, full_scan_threshold=10_000),
        )
        try:
            if path.exists() and any(path.iterdir()):
                stored = _stored_dimension(path)
                if stored is not None and dimension is not None and stored != dimension:
                    raise dimension_mismatch(f"at {path}", stored, dimension)
                self._shard = qe.EdgeShard.load(str(path))
            else:
                path.mkdir(parents=True, exist_ok=True)
                self._shard = qe.EdgeShard.create(str(path), config)
                self._create_payload_indexes()
        except (OSError, RuntimeError, ValueError) as err:
            raise VectorIndexError(
                f"Cannot open the embedded vector store at {path}: {err}. "
                "Check the directory is writable and not used by another process."
            ) from err

    def _create_payload_indexes(self) -> None:
        for name in KEYWORD_FIELDS:
            self._shard.update(
                qe.UpdateOperation.create_field_index(name, qe.PayloadSchemaType.Keyword)
            )
        for name in INTEGER_FIELDS:
            self._shard.update(
                qe.UpdateOperation.create_field_index(name, qe.PayloadSchemaType.Integer)
            )

    def upsert(self, points: Sequence[IndexPoint]) -> None:
        """Insert or replace points; return when they are searchable."""
        if not points:
            return
        edge_points = [
            qe.Point(
                uuid.UUID(p.id),
                {
                    DENSE: [float(x) for x in p.dense],
                    SPARSE: qe.SparseVector(list(p.sparse.indices), list(p.sparse.values)),
                },
                p.payload,
            )
            for p in points
        ]
        for start in range(0, len(edge_points), 512):
            self._shard.update(qe.UpdateOperation.upsert_points(edge_points[start : start + 512]))

    def delete(self, flt: PayloadFilter) -> None:
        """Delete every point matching the filter."""
        edge = to_edge_filter(flt)
        if edge is None:
            raise VectorIndexError("refusing to delete with an empty filter")
        self._shard.update(qe.UpdateOperation.delete_points_by_filter(edge))

    def set_payload(self, flt: PayloadFilter, payload: dict[str, Any]) -> None:
        """Set payload fields on every point matching the filter."""
        edge = to_edge_filter(flt)
        if edge is None:
            raise VectorIndexError("refusing to update payload with an empty filter")
        self._shard.update(qe.UpdateOperation.set_payload_by_filter(edge, payload))

    def _request(self, q: VectorQuery) -> qe.QueryRequest:
        if isinstance(q.vector, SparseVector):
            vector: Any = qe.SparseVector(list(q.vector.indices), list(q.vector.values))
            params = None
        else:
            vector = [float(x) for x in q.vector]
            params = qe.SearchParams(hnsw_ef=self._hnsw_ef, exact=q.exact)
        return qe.QueryRequest(
            limit=q.limit,
            query=qe.Query.Nearest(vector, using=q.using),
            filter=to_edge_filter(q.filter),
            with_payload=True,
            params=params,
        )

    def search(self, queries: Sequence[VectorQuery]) -> list[list[ScoredPoint]]:
        """Run several queries as one planned batch."""
        if not queries:
            return []
        batch = qe.QueryBatchRequest([self._request(q) for q in queries])
        results = self._shard.query_batch(batch)
        return [
            [ScoredPoint(_point_id(p.id), float(p.score), dict(p.payload or {})) for p in res]
            for res in results
        ]

    def scroll(self, flt: PayloadFilter, *, with_dense: bool = False) -> list[StoredPoint]:
        """Return every point matching the filter."""
        out: list[StoredPoint] = []
        offset: Any = None
        while True:
            records, offset = self._shard.scroll(
                qe.ScrollRequest(
                    offset=offset,
                    limit=_SCROLL_PAGE,
                    filter=to_edge_filter(flt),
                    with_payload=True,
                    with_vector=[DENSE] if with_dense else False,
                )
            )
            for r in records:
                dense = None
                if with_dense and isinstance(r.vector, dict) and DENSE in r.vector:
                    raw: Any = r.vector[DENSE]
                    dense = tuple(float(x) for x in raw)
                out.append(StoredPoint(_point_id(r.id), dict(r.payload or {}), dense))
            if offset is None:
                return out

    def count(self, flt: PayloadFilter) -> int:
        """Count the points matching the filter."""
        return int(self._shard.count(qe.CountRequest(exact=True, filter=to_edge_filter(flt))))

    def optimize(self) -> None:
        """Build the HNSW graph and merge segments (blocking)."""
        with self._lock:
            self._shard.optimize()

    def copy_files_to(self, target: Path) -> int:
        """Flush and copy the shard's directory into ``target``; return how many points."""
        with self._lock:
            self._shard.flush()
            points = self.point_count()
            shutil.copytree(self._path, target)
        return points

    def point_count(self) -> int:
        """Return how many points the shard holds (passages and pins)."""
        return int(self._shard.count(qe.CountRequest(exact=True)))

    def close(self) -> None:
        """Flush and close the shard."""
        with self._lock:
            self._shard.flush()
            self._shard.close()
