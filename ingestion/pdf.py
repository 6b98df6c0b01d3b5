"""PDF checks done before and after text extraction: encryption, damage, outline, OCR."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from ingestion.errors import EncryptedDocumentError, MalformedDocumentError


@dataclass(frozen=True, slots=True)
class OutlineEntry:
    """One bookmark of the PDF's outline (table of contents)."""

    level: int
    title: str
    page: int | None


@dataclass(frozen=True, slots=True)
class PdfInfo:
    """Facts about a PDF read from its structure, not its text."""

    page_count: int
    title: str | None
    outline: tuple[OutlineEntry, ...]
    damage: tuple[str, ...]
    """Warnings from the repair of a damaged file (empty when the file is sound)."""
    image_pages: int
    """Pages that carry at least one image (a scan has one per page)."""
    image_page_numbers: tuple[int, ...] = ()
    """1-based numbers of the pages that carry at least one image."""


def inspect_pdf(path: Path) -> PdfInfo:
    """Open the PDF's structure; raise for password protection or damage beyond repair."""
    import pikepdf

    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError as err:
        raise EncryptedDocumentError(
            "the PDF is password-protected; remove the password (print to PDF or "
            "qpdf --decrypt) and upload it again",
            path=str(path),
        ) from err
    except pikepdf.PdfError as err:
        raise MalformedDocumentError(f"not a readable PDF ({err})", path=str(path)) from err
    with pdf:
        damage = tuple(str(w) for w in pdf.get_warnings())
        try:
            pages = list(pdf.pages)
        except pikepdf.PdfError as err:
            raise MalformedDocumentError(
                f"the PDF's page tree is damaged ({err})", path=str(path)
            ) from err
        title = None
        try:
            raw_title = pdf.docinfo.get("/Title")
            title = str(raw_title).strip() or None if raw_title is not None else None
        except (pikepdf.PdfError, ValueError):
            title = None
        numbers: list[int] = []
        for number, page in enumerate(pages, start=1):
            try:
                if len(page.get_images()) > 0:
                    numbers.append(number)
            except (pikepdf.PdfError, ValueError, KeyError):
                continue
        page_count = len(pages)
    return PdfInfo(
        page_count=page_count,
        title=title,
        outline=_read_outline(path),
        damage=damage,
        image_pages=len(numbers),
        image_page_numbers=tuple(numbers),
    )


def _read_outline(path: Path) -> tuple[OutlineEntry, ...]:
    import pypdf
    from pypdf.errors import PyPdfError

    entries: list[OutlineEntry] = []

    def walk(items: list[object], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            title = str(getattr(item, "title", "") or "").strip()
            if not title:
                continue
            try:
                index = reader.get_destination_page_number(item)  # type: ignore[arg-type]
                page = index + 1 if index is not None and index >= 0 else None
            except (PyPdfError, KeyError, ValueError, TypeError, AttributeError):
                page = None
            entries.append(OutlineEntry(level=level, title=title, page=page))

    try:
        reader = pypdf.PdfReader(path)
        if reader.is_encrypted:
            reader.decrypt("")
        walk(list(reader.outline), 0)
    except (PyPdfError, KeyError, ValueError, TypeError, AttributeError, RecursionError):
        return tuple(entries)
    return tuple(entries)


def ocr_available() -> bool:
    """Return True when the tesseract binary is installed (needed for the ocr_only strategy)."""
    return shutil.which("tesseract") is not None
