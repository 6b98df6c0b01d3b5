"""Tables without ruling lines: columns found from the word positions of a PDF page.

A block of consecutive lines is a table only when it looks like one: a header row of words,
at least two body rows, two or more columns separated by gutters no word crosses, short
cells, and numbers or units in most rows. Prose and two-column layouts fail these checks
(long cells, few numbers), so they stay text.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_DIGIT_RE = re.compile(r"\d")
_MIN_BODY_ROWS = 2
_MAX_MEDIAN_CELL_WORDS = 4
_MAX_CELL_WORDS = 12
_NUMERIC_ROW_SHARE = 0.5
_COLUMN_FILL_SHARE = 0.5
_LINE_SPACING = 2.2
"""Largest distance between two rows' tops, in line heights, inside one table."""
_GUTTER = 0.8
"""Smallest gap between two cells of a row, in line heights (a space is about 0.3)."""
_MIN_GUTTER_PT = 5.0

Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class _Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float


@dataclass(frozen=True, slots=True)
class _Segment:
    """Words of one line with no gutter between them: a cell candidate."""

    text: str
    x0: float
    x1: float


@dataclass(frozen=True, slots=True)
class _Line:
    top: float
    bottom: float
    height: float
    segments: tuple[_Segment, ...]


@dataclass(frozen=True, slots=True)
class AlignedTable:
    """Cells of an aligned table (first row the header) and the box it covers."""

    rows: tuple[tuple[str, ...], ...]
    bbox: Box


def find_aligned_tables(
    words: Sequence[dict[str, Any]], exclude: Sequence[Box] = ()
) -> list[AlignedTable]:
    """Find aligned tables among a page's words (pdfplumber's `extract_words`).

    Words inside the `exclude` boxes (ruled tables found already) are ignored.
    """
    kept = [
        _Word(str(w["text"]), float(w["x0"]), float(w["x1"]), float(w["top"]), float(w["bottom"]))
        for w in words
        if str(w["text"]).strip() and not any(_within(w, box) for box in exclude)
    ]
    found: list[AlignedTable] = []
    for block in _blocks(_lines(kept)):
        table = _table(block)
        if table is not None:
            found.append(table)
    return found


def _within(word: dict[str, Any], box: Box) -> bool:
    cx = (float(word["x0"]) + float(word["x1"])) / 2
    cy = (float(word["top"]) + float(word["bottom"])) / 2
    x0, top, x1, bottom = box
    return x0 - 1 <= cx <= x1 + 1 and top - 1 <= cy <= bottom + 1


def _lines(words: list[_Word]) -> list[_Line]:
    """Group words into lines by their tops, then split each line at wide gaps."""
    lines: list[list[_Word]] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        if lines and abs(word.top - lines[-1][0].top) <= 0.3 * (word.bottom - word.top):
            lines[-1].append(word)
        else:
            lines.append([word])
    result: list[_Line] = []
    for members in lines:
        members.sort(key=lambda w: w.x0)
        height = statistics.median(w.bottom - w.top for w in members) or 1.0
        gap = max(_MIN_GUTTER_PT, _GUTTER * height)
        segments: list[list[_Word]] = [[members[0]]]
        for word in members[1:]:
            if word.x0 - segments[-1][-1].x1 > gap:
                segments.append([word])
            else:
                segments[-1].append(word)
        result.append(
            _Line(
                top=min(w.top for w in members),
                bottom=max(w.bottom for w in members),
                height=height,
                segments=tuple(
                    _Segment(" ".join(w.text for w in s), s[0].x0, max(w.x1 for w in s))
                    for s in segments
                ),
            )
        )
    return result


def _blocks(lines: list[_Line]) -> list[list[_Line]]:
    """Return the runs of consecutive, closely spaced lines of two or more segments."""
    blocks: list[list[_Line]] = []
    current: list[_Line] = []
    for line in lines:
        close = bool(current) and line.top - current[-1].top <= _LINE_SPACING * line.height
        if len(line.segments) >= 2 and (close or not current):
            current.append(line)
            continue
        if len(current) > _MIN_BODY_ROWS:
            blocks.append(current)
        current = [line] if len(line.segments) >= 2 else []
    if len(current) > _MIN_BODY_ROWS:
        blocks.append(current)
    return blocks


def _columns(block: list[_Line]) -> list[tuple[float, float]]:
    """Column spans: the x-ranges covered by cells, merged where they overlap."""
    spans = sorted((s.x0, s.x1) for line in block for s in line.segments)
    merged: list[list[float]] = []
    for x0, x1 in spans:
        if merged and x0 <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], x1)
        else:
            merged.append([x0, x1])
    return [(a, b) for a, b in merged]


def _cells(line: _Line, columns: list[tuple[float, float]]) -> tuple[str, ...]:
    cells = [""] * len(columns)
    for segment in line.segments:
        index = next(i for i, (a, b) in enumerate(columns) if a - 1 <= segment.x0 <= b + 1)
        cells[index] = f"{cells[index]} {segment.text}".strip()
    return tuple(cells)


def _table(block: list[_Line]) -> AlignedTable | None:
    """Return the block's cells when it passes every table check, else None."""
    columns = _columns(block)
    if len(columns) < 2:
        return None
    rows = [_cells(line, columns) for line in block]
    header, body = rows[0], rows[1:]
    if not _is_header(header) or len(body) < _MIN_BODY_ROWS:
        return None
    cells = [c for row in body for c in row if c]
    counts = [len(c.split()) for c in cells]
    if statistics.median(counts) > _MAX_MEDIAN_CELL_WORDS or max(counts) > _MAX_CELL_WORDS:
        return None
    numeric = sum(1 for row in body if any(_DIGIT_RE.search(c) for c in row[1:]))
    if numeric < _NUMERIC_ROW_SHARE * len(body):
        return None
    for index in range(1, len(columns)):
        if sum(1 for row in body if row[index]) < _COLUMN_FILL_SHARE * len(body):
            return None
    box = (
        min(c[0] for c in columns),
        block[0].top,
        max(c[1] for c in columns),
        block[-1].bottom,
    )
    return AlignedTable(rows=tuple(rows), bbox=box)


def _is_header(row: tuple[str, ...]) -> bool:
    """Tell whether a row is a header: it names every value column in words, not numbers."""
    if not all(row[1:]):
        return False
    named = [c for c in row if c]
    with_digits = sum(1 for c in named if _DIGIT_RE.search(c))
    return with_digits * 2 < len(named) and all(len(c.split()) <= 5 for c in named)
