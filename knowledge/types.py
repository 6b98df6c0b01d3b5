"""Value types shared by the knowledge base and the code that feeds and queries it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from knowledge.glossary import Vocabulary

DocumentKind = Literal["manual", "procedure", "report", "fault_history", "curated"]


@dataclass(frozen=True, slots=True)
class Passage:
    """One indexable chunk of a document, with everything needed to cite and scope it."""

    id: str
    """Stable id of the chunk (e.g. a UUID derived from document id, version and ordinal)."""
    org_id: int
    document_id: int
    document_version: int
    text: str
    title: str
    """Title of the source document."""
    kind: DocumentKind = "manual"
    section: str | None = None
    """Section path, outermost first, joined with ' > '."""
    page: int | None = None
    """1-based page number where the chunk starts, when the source has pages."""
    vessel_id: int | None = None
    """None means the passage applies to every vessel of the organization."""
    equipment_codes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    ordinal: int = 0
    """Position of the chunk within its document."""
    table_row: bool = False
    """The chunk is one table row rendered with its headers and caption."""
    ocr_confidence: float | None = None
    """Tesseract's mean word confidence (0-100) of the chunk's page, when read by OCR."""


@dataclass(frozen=True, slots=True)
class SearchScope:
    """Who is asking and which part of the knowledge base they may see."""

    org_id: int
    vessel_id: int | None = None
    """Restrict to passages of this vessel plus organization-wide ones."""
    equipment_codes: tuple[str, ...] | None = None
    """Restrict to passages about any of these codes (callers expand children)."""
    kinds: tuple[DocumentKind, ...] | None = None
    tags: tuple[str, ...] | None = None
    vocabulary: Vocabulary | None = None
    """The organization's own glossary entries and register aliases that expand the query
    (on top of the shipped glossary); None expands with the shipped glossary alone."""


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a passage came from, for a person to open and check."""

    document_id: int
    title: str
    page: int | None
    section: str | None
    url: str
    """Link that opens the document (at its page, when it has pages)."""


@dataclass(frozen=True, slots=True)
class Hit:
    """A ranked search result."""

    passage: Passage
    score: float
    citation: Citation
    signals: dict[str, float] = field(default_factory=dict)
    """Per-signal scores (e.g. dense, sparse, rerank) for debugging and evaluation."""
