"""Tables as rows: read cells from HTML, PDF pages and spreadsheets; render a row with headers."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from ingestion.aligned import find_aligned_tables

_SPACE_RE = re.compile(r"\s+")
_MAX_ROW_CHARS = 2000
_RULED = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}


@dataclass(frozen=True, slots=True)
class Table:
    """Cells of one table: a header row (may be empty) and body rows, with its caption."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str | None = None
    page: int | None = None


def _cell(text: object) -> str:
    return _SPACE_RE.sub(" ", "" if text is None else str(text)).strip()


class _RowParser(HTMLParser):
    """Collect <tr> rows of <th>/<td> cells and whether a row is all <th> (a header)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[list[str], bool]] = []
        self._row: list[str] | None = None
        self._all_th = True
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self.caption = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._row, self._all_th = [], True
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._all_th = self._all_th and tag == "th"
        elif tag == "caption":
            self._caption = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(_cell("".join(self._cell)))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if any(self._row):
                self.rows.append((self._row, self._all_th))
            self._row = None
        elif tag == "caption" and self._caption is not None:
            self.caption = _cell("".join(self._caption))
            self._caption = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif self._caption is not None:
            self._caption.append(data)


def table_from_html(html: str, *, page: int | None = None) -> Table | None:
    """Read a table's HTML (unstructured's `text_as_html`); the first row is the header."""
    parser = _RowParser()
    parser.feed(html)
    parser.close()
    rows = [cells for cells, _ in parser.rows]
    return table_from_cells(rows, caption=parser.caption or None, page=page)


def table_from_cells(
    rows: Sequence[Sequence[object]], *, caption: str | None = None, page: int | None = None
) -> Table | None:
    """Build a Table from raw cell rows: blanks trimmed, the first non-empty row is the header."""
    cleaned = [tuple(_cell(c) for c in row) for row in rows]
    cleaned = [row for row in cleaned if any(row)]
    if not cleaned:
        return None
    width = max(len(row) for row in cleaned)
    padded = [row + ("",) * (width - len(row)) for row in cleaned]
    # Drop columns empty in every row (spreadsheets often carry them).
    keep = [i for i in range(width) if any(row[i] for row in padded)]
    padded = [tuple(row[i] for i in keep) for row in padded]
    if len(padded) == 1:
        return Table(header=(), rows=tuple(padded), caption=caption, page=page)
    return Table(header=padded[0], rows=tuple(padded[1:]), caption=caption, page=page)


def render_row(table: Table, row: Sequence[str], context: str | None) -> str:
    """Render one row: '<context>: <row label> | <header>: <value> | ...'.

    The row label is the first cell; the other cells carry their column header. Empty cells
    are left out. `context` is the table's caption or, failing that, its section title.
    """
    cells = list(row)
    parts: list[str] = []
    for index, value in enumerate(cells):
        if not value:
            continue
        header = table.header[index] if index < len(table.header) else ""
        if index == 0 or not header or header == value:
            parts.append(value)
        else:
            parts.append(f"{header}: {value}")
    if not parts:
        return ""
    if table.header and cells and cells[0] and table.header[0]:
        # The label keeps its column name when that says what the label is (e.g. "Item").
        parts[0] = f"{table.header[0]}: {cells[0]}" if _is_key_header(table.header[0]) else parts[0]
    body = " | ".join(parts)
    text = f"{context}: {body}" if context else body
    return text[:_MAX_ROW_CHARS]


def _is_key_header(header: str) -> bool:
    """Headers worth keeping before a row label ('Subsystem: Power Unit'), not 'Item'/'#'."""
    return header.lower() not in {"item", "no", "no.", "#", "description", "parameter", "name"}


def read_csv_table(path: Path, *, caption: str | None = None) -> Table | None:
    """Read a CSV file (header row, then rows) as one table."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = raw.decode("utf-8", errors="replace")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(text.splitlines(), dialect))
    return table_from_cells(rows, caption=caption)


def read_xlsx_tables(path: Path) -> list[Table]:
    """Read each sheet of a workbook as one table titled by the sheet's name."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        tables: list[Table] = []
        for sheet in workbook.worksheets:
            rows = [list(row) for row in sheet.iter_rows(values_only=True)]
            table = table_from_cells(rows, caption=sheet.title)
            if table is not None:
                tables.append(table)
        return tables
    finally:
        workbook.close()


@dataclass(frozen=True, slots=True)
class PdfTable:
    """A table found on a PDF page and the box it covers (points, origin top-left)."""

    table: Table
    bbox: tuple[float, float, float, float]


def pdf_tables(path: Path, pages: set[int] | None = None) -> dict[int, list[PdfTable]]:
    """Find ruled and aligned tables on the PDF's text-layer pages, by 1-based page.

    Ruled tables come from pdfplumber's line strategy; tables without rules from the word
    positions of the rest of the page (`ingestion.aligned`).
    """
    import pdfplumber

    found: dict[int, list[PdfTable]] = {}
    with pdfplumber.open(str(path)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            if pages is not None and number not in pages:
                continue
            try:
                tables = page.find_tables(_RULED)
            except Exception:  # a malformed page must not lose the document's other pages
                continue
            for candidate in tables:
                rows = candidate.extract()
                table = table_from_cells(rows or [], page=number)
                if table is None or not table.header or len(table.header) < 2:
                    continue
                x0, top, x1, bottom = (float(v) for v in candidate.bbox)
                found.setdefault(number, []).append(PdfTable(table, (x0, top, x1, bottom)))
            ruled = [t.bbox for t in found.get(number, [])]
            try:
                aligned = find_aligned_tables(page.extract_words(), ruled)
            except Exception:  # as above: the page's text still indexes without its tables
                aligned = []
            for candidate_aligned in aligned:
                table = table_from_cells(candidate_aligned.rows, page=number)
                if table is not None and len(table.header) >= 2:
                    found.setdefault(number, []).append(PdfTable(table, candidate_aligned.bbox))
            page.flush_cache()
    return found
