"""What the pipeline needs from the rest of Bosun: where passages go, where documents are kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ingestion.chunk import DocumentScope
from ingestion.errors import IngestionError
from knowledge import DocumentKind, Passage

if TYPE_CHECKING:
    from ingestion.faults import FaultMapping


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file to ingest and the scope its passages get (document ids come from the registry)."""

    path: Path
    org_id: int
    kind: DocumentKind = "manual"
    vessel_id: int | None = None
    equipment_codes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    title: str | None = None
    mapping: FaultMapping | None = None
    """Column mapping: the file is a fault-history CSV export, not a document."""


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """A file parsed and chunked, ready to be embedded and indexed."""

    scope: DocumentScope
    title: str
    passages: tuple[Passage, ...]
    page_count: int | None
    warnings: tuple[str, ...] = ()
    parse_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class IndexedFile:
    """A file whose passages are now searchable."""

    path: Path
    document_id: int
    version: int
    title: str
    pages: int | None
    chunks: int
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FailedFile:
    """A file that could not be ingested, with the reason (an IngestionErrorCode value)."""

    path: Path
    code: str
    reason: str
    document_id: int | None = None


@dataclass(slots=True)
class IngestSummary:
    """What happened to each file of one ingestion run."""

    indexed: list[IndexedFile] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    failed: list[FailedFile] = field(default_factory=list)
    seconds: float = 0.0
    parse_seconds: float = 0.0
    """Time spent parsing and chunking, summed over workers."""
    index_seconds: float = 0.0
    """Time spent in the sink (embedding and indexing)."""

    @property
    def pages(self) -> int:
        """Return the pages of all indexed files that have pages."""
        return sum(f.pages or 0 for f in self.indexed)

    @property
    def chunks(self) -> int:
        """Return the passages indexed in this run."""
        return sum(f.chunks for f in self.indexed)

    def render(self) -> str:
        """Return a short human-readable report."""
        lines = [
            f"indexed {len(self.indexed)} file(s) ({self.chunks} chunks, {self.pages} pages), "
            f"unchanged {len(self.unchanged)}, failed {len(self.failed)} in {self.seconds:.1f} s"
        ]
        lines += [f"  failed {f.path}: [{f.code}] {f.reason}" for f in self.failed]
        lines += [f"  warning {f.path}: {w}" for f in self.indexed for w in f.warnings]
        return "\n".join(lines)


class PassageSink(Protocol):
    """Embeds and indexes one document version's passages, replacing older versions atomically."""

    def index_document(
        self, org_id: int, document_id: int, version: int, passages: Sequence[Passage]
    ) -> None:
        """Make `passages` the searchable content of the document."""
        ...


class DocumentRegistry(Protocol):
    """Keeps the record of each source (records' Document rows) and decides what is unchanged."""

    def begin(self, source: SourceFile, sha256: str) -> DocumentScope | None:
        """Return the scope (document id, new version) to index under, or None if unchanged."""
        ...

    def mark_indexed(self, scope: DocumentScope, result: IndexedFile) -> None:
        """Record that the document version is indexed."""
        ...

    def mark_failed(
        self, source: SourceFile, scope: DocumentScope | None, error: IngestionError
    ) -> None:
        """Record why the file could not be ingested (scope is None if it failed before begin)."""
        ...
