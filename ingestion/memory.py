"""In-memory registry and sink: for dry runs, benchmarks and tests without records/knowledge."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingestion.chunk import DocumentScope
from ingestion.errors import IngestionError
from ingestion.ports import IndexedFile, SourceFile
from knowledge import Passage

EmbedFunction = Callable[[list[str]], Any]
"""Turns texts into vectors (e.g. SentenceTransformer.encode)."""


@dataclass(slots=True)
class _Entry:
    document_id: int
    version: int
    sha256: str
    status: str = "indexing"
    error: str | None = None
    chunks: int = 0


@dataclass(slots=True)
class MemoryDocumentRegistry:
    """Documents keyed by (org, path): a new version when the content hash changes."""

    entries: dict[tuple[int, Path], _Entry] = field(default_factory=dict)
    _next_id: int = 1

    def begin(self, source: SourceFile, sha256: str) -> DocumentScope | None:
        """Return a scope for a new or changed file, None when this content is already indexed."""
        key = (source.org_id, source.path.resolve())
        entry = self.entries.get(key)
        if entry is not None and entry.sha256 == sha256 and entry.status == "indexed":
            return None
        if entry is None:
            entry = _Entry(document_id=self._next_id, version=1, sha256=sha256)
            self._next_id += 1
        else:
            entry = _Entry(document_id=entry.document_id, version=entry.version + 1, sha256=sha256)
        self.entries[key] = entry
        return DocumentScope(
            org_id=source.org_id,
            document_id=entry.document_id,
            version=entry.version,
            kind=source.kind,
            vessel_id=source.vessel_id,
            equipment_codes=source.equipment_codes,
            tags=source.tags,
            title=source.title,
        )

    def mark_indexed(self, scope: DocumentScope, result: IndexedFile) -> None:
        """Record the document as indexed."""
        entry = self._entry(scope)
        entry.status, entry.error, entry.chunks = "indexed", None, result.chunks

    def mark_failed(
        self, source: SourceFile, scope: DocumentScope | None, error: IngestionError
    ) -> None:
        """Record the failure and its reason."""
        key = (source.org_id, source.path.resolve())
        entry = self.entries.get(key)
        if entry is None:
            entry = self.entries[key] = _Entry(document_id=self._next_id, version=0, sha256="")
            self._next_id += 1
        entry.status, entry.error = "failed", f"{error.code.value}: {error.message}"

    def status(self, org_id: int, path: Path) -> tuple[str, str | None]:
        """Return (status, error) of the document for `path`."""
        entry = self.entries[(org_id, path.resolve())]
        return entry.status, entry.error

    def _entry(self, scope: DocumentScope) -> _Entry:
        for entry in self.entries.values():
            if entry.document_id == scope.document_id:
                return entry
        raise KeyError(scope.document_id)


@dataclass(slots=True)
class MemoryPassageSink:
    """Keeps each document's current passages (and their vectors when given an embedder)."""

    embed: EmbedFunction | None = None
    documents: dict[tuple[int, int], tuple[int, list[Passage]]] = field(default_factory=dict)
    vectors: dict[str, Any] = field(default_factory=dict)
    calls: list[tuple[int, int, int, int]] = field(default_factory=list)
    """(org_id, document_id, version, passage count) of every index_document call."""

    def index_document(
        self, org_id: int, document_id: int, version: int, passages: Sequence[Passage]
    ) -> None:
        """Embed the passages (if an embedder is set) and replace the document's old version."""
        self.calls.append((org_id, document_id, version, len(passages)))
        new_vectors: dict[str, Any] = {}
        if self.embed is not None and passages:
            embedded = self.embed([p.text for p in passages])
            new_vectors = {p.id: embedded[i] for i, p in enumerate(passages)}
        old = self.documents.get((org_id, document_id))
        self.documents[(org_id, document_id)] = (version, list(passages))
        if old is not None:
            for passage in old[1]:
                self.vectors.pop(passage.id, None)
        self.vectors.update(new_vectors)

    def passages(self, org_id: int | None = None) -> list[Passage]:
        """Return every stored passage (of one organization when given)."""
        return [
            p
            for (org, _doc), (_version, stored) in self.documents.items()
            if org_id is None or org == org_id
            for p in stored
        ]
