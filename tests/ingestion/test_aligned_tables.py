"""PDF tables without ruling lines: aligned columns become rows; prose and two columns do not."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ingestion import (
    IngestionSettings,
    MemoryDocumentRegistry,
    MemoryPassageSink,
    ParsedDocument,
    SourceFile,
    chunk_document,
    ingest_files,
    parse_document,
)
from ingestion.aligned import find_aligned_tables
from knowledge.types import Passage
from tests.ingestion.tables import LIMITS, SCOPE, row_lines

PROSE = (
    "The lubricating oil system supplies oil to the main bearings, the crosshead bearings and "
    "the camshaft. Before starting the engine, run the pre-lubrication pump for at least 5 "
    "minutes and check that the pressure at the engine inlet is within the normal range. "
    "During operation the oil temperature is kept between 40 and 50 C by the thermostatic "
    "valve, which mixes cooled and uncooled oil. If the pressure falls, the alarm sounds in "
    "the engine control room and the engineer on watch must find the cause at once: a "
    "clogged filter, a worn pump or a leaking pipe are the usual causes. The filter "
    "differential pressure is read on the local gauge; change the cartridge when it reaches "
    "the mark. Record every change in the maintenance log with the running hours."
)


def _passages(doc: ParsedDocument) -> list[Passage]:
    return list(chunk_document(doc, SCOPE))


def _aligned_pdf(path: Path) -> Path:
    """A page with a heading, a sentence, a caption, a table without rules and a sentence."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setFont("Helvetica", 11)
    pdf.drawString(72, 700, "The alarms and shutdowns of the main engine are listed below.")
    pdf.drawString(72, 680, "Table 3: Alarm and shutdown values")
    columns = [72, 280, 370, 440]
    for n, row in enumerate(LIMITS):
        for x, cell in zip(columns, row, strict=True):
            pdf.drawString(x, 655 - 16 * n, cell)
    pdf.drawString(72, 575, "Find the cause of a shutdown before restarting the engine.")
    pdf.showPage()
    pdf.save()
    return path


def _text_pdf(path: Path, columns: list[list[str]], *, x: list[float]) -> Path:
    """A page of text lines in one or more columns, side by side at the same heights."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setFont("Helvetica", 10)
    for left, lines in zip(x, columns, strict=True):
        for n, line in enumerate(lines):
            pdf.drawString(left, 700 - 13 * n, line)
    pdf.showPage()
    pdf.save()
    return path


def test_aligned_pdf_table_rows_carry_their_headers(tmp_path: Path) -> None:
    doc = parse_document(_aligned_pdf(tmp_path / "limits.pdf"))
    assert row_lines(doc) == [
        "Table 3: Alarm and shutdown values: LO pressure, engine inlet | Normal: 4.5-5.5 bar"
        " | Alarm: 3.5 bar | Shutdown: 3.0 bar",
        "Table 3: Alarm and shutdown values: Cooling water outlet temperature"
        " | Normal: 80-85 C | Alarm: 95 C | Shutdown: 100 C",
        "Table 3: Alarm and shutdown values: Injector hold-down nuts torque | Normal: 250 Nm",
    ]
    prose = " ".join(p.text for p in _passages(doc) if not p.table_row)
    # The text around the table stays text; the cells are not indexed a second time.
    assert "listed below" in prose and "restarting the engine" in prose
    assert "250 Nm" not in prose and "3.5 bar" not in prose and "100 C" not in prose


def test_aligned_table_row_answers_a_question(tmp_path: Path, embedder: Any) -> None:
    path = _aligned_pdf(tmp_path / "limits.pdf")
    sink = MemoryPassageSink(embed=lambda texts: embedder.encode(texts, batch_size=16))
    ingest_files(
        [SourceFile(path=path, org_id=1)],
        registry=MemoryDocumentRegistry(),
        sink=sink,
        settings=IngestionSettings(parse_executor="thread"),  # parsing in a process: test_pipeline
        progress=False,
    )
    passages: list[Passage] = sink.passages(1)
    matrix = np.stack([sink.vectors[p.id] for p in passages])
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    query = embedder.encode(["What is the alarm pressure of the LO at the engine inlet?"])
    best = passages[int(np.argmax(matrix @ (query[0] / np.linalg.norm(query[0]))))]
    assert best.table_row and best.page == 1
    assert "LO pressure, engine inlet | Normal: 4.5-5.5 bar | Alarm: 3.5 bar" in best.text


def test_a_prose_page_has_no_table_rows(tmp_path: Path) -> None:
    lines = textwrap.wrap(PROSE, 95)
    doc = parse_document(_text_pdf(tmp_path / "prose.pdf", [lines], x=[72]))
    assert row_lines(doc) == []
    assert "maintenance log" in " ".join(p.text for p in _passages(doc))


def test_a_two_column_page_has_no_table_rows(tmp_path: Path) -> None:
    left = textwrap.wrap(PROSE, 42)
    right = textwrap.wrap(PROSE.replace("lubricating oil", "cooling water"), 42)
    doc = parse_document(_text_pdf(tmp_path / "columns.pdf", [left, right], x=[60, 315]))
    assert row_lines(doc) == []
    text = " ".join(p.text for p in _passages(doc))
    assert "maintenance log" in text and "cooling water" in text


def _words(
    rows: Sequence[Sequence[tuple[float, str]]], *, top: float = 100.0
) -> list[dict[str, Any]]:
    """pdfplumber-like words: each cell (x, text) split on spaces, 10 pt high, 5.5 pt a char."""
    words: list[dict[str, Any]] = []
    for n, row in enumerate(rows):
        for x, text in row:
            for word in text.split():
                words.append(
                    {"text": word, "x0": x, "x1": x + 5.5 * len(word), "top": top + 14 * n}
                    | {"bottom": top + 14 * n + 10}
                )
                x += 5.5 * len(word) + 3.0
    return words


def test_right_aligned_numbers_and_excluded_boxes() -> None:
    rows = [
        [(50, "Cylinder"), (200, "Pmax bar"), (290, "Texh C")],
        [(50, "1"), (206, "142"), (290, "380")],
        [(50, "2"), (206, "139"), (290, "385")],
        [(50, "3"), (200, "1405"), (290, "377")],
    ]
    (table,) = find_aligned_tables(_words(rows))
    assert table.rows[0] == ("Cylinder", "Pmax bar", "Texh C")
    assert table.rows[3] == ("3", "1405", "377")
    assert table.bbox[0] == 50 and table.bbox[1] == 100
    # A ruled table found already covers these words: they are not found twice.
    assert find_aligned_tables(_words(rows), [(0, 0, 600, 800)]) == []


def test_a_number_row_is_no_header_and_short_runs_are_no_table() -> None:
    numbers_first = [
        [(50, "1 Introduction"), (300, "3")],
        [(50, "2 Safety"), (300, "7")],
        [(50, "3 Lubrication"), (300, "12")],
    ]
    assert find_aligned_tables(_words(numbers_first)) == []
    two_rows = [[(50, "Item"), (300, "Torque")], [(50, "Nut"), (300, "250 Nm")]]
    assert find_aligned_tables(_words(two_rows)) == []
