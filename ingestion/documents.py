"""What a parsed source looks like before it is chunked."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class FileKind(StrEnum):
    """Source formats the parser reads."""

    PDF = "pdf"
    DOCX = "docx"
    HTML = "html"
    MARKDOWN = "markdown"
    TEXT = "text"
    XLSX = "xlsx"
    CSV = "csv"


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph, list item or table (as readable text) with the page it is on."""

    text: str
    page: int | None = None
    is_table: bool = False
    table_row: bool = False
    """One table row rendered with its headers and caption: chunked alone, never as prose."""
    ocr_confidence: float | None = None
    """Tesseract's mean word confidence (0-100) of the page, when the text came from OCR."""


@dataclass(frozen=True, slots=True)
class Section:
    """Body text under one heading; `path` lists the headings above it, outermost first."""

    path: tuple[str, ...]
    blocks: tuple[Block, ...]

    @property
    def title(self) -> str | None:
        """Return the innermost heading, or None for text before the first heading."""
        return self.path[-1] if self.path else None

    @property
    def page(self) -> int | None:
        """Return the page where the section's text starts."""
        return next((b.page for b in self.blocks if b.page is not None), None)

    @property
    def text(self) -> str:
        """Return the section's body as paragraphs separated by blank lines."""
        return "\n\n".join(b.text for b in self.blocks)


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """A source file read into ordered sections, ready for chunking."""

    title: str
    kind: FileKind
    page_count: int | None
    sections: tuple[Section, ...]
    ocr_used: bool = False
    warnings: tuple[str, ...] = field(default=())

    @property
    def word_count(self) -> int:
        """Return the number of words of body text."""
        return sum(len(b.text.split()) for s in self.sections for b in s.blocks)
