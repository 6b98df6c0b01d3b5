"""Tables kept as rows with their headers (PDF, DOCX, XLSX, CSV) and scanned pages OCR'd."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest

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
from ingestion.ocr import ocr_tools_missing
from knowledge.types import Passage
from tests.conftest import skip_or_fail
from tests.ingestion.tables import LIMITS, SCOPE, row_lines, table_rows


def _prose(doc: ParsedDocument) -> list[Passage]:
    return [p for p in chunk_document(doc, SCOPE) if not p.table_row]


def _need_tesseract() -> None:
    missing = ocr_tools_missing()
    if missing:
        skip_or_fail("tesseract", f"OCR test: {missing}")


def _scan_image(lines: list[str]) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=40)
    image = Image.new("L", (1700, 120 + 90 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        draw.text((60, 60 + 90 * n), line, fill="black", font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _pdf(path: Path, pages: list[str | bytes]) -> Path:
    """A PDF whose pages are text (str) or a scanned image of text (PNG bytes)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    for page in pages:
        if isinstance(page, str):
            pdf.setFont("Helvetica", 11)
            for n, line in enumerate(page.splitlines()):
                pdf.drawString(72, 760 - 16 * n, line)
        else:
            pdf.drawImage(ImageReader(io.BytesIO(page)), 40, 450, width=510, height=200)
        pdf.showPage()
    pdf.save()
    return path


def test_ruled_pdf_table_is_answered_row_by_row(tmp_path: Path) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    styles = getSampleStyleSheet()
    table = Table(LIMITS)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    path = tmp_path / "limits.pdf"
    SimpleDocTemplate(str(path), pagesize=A4).build(
        [
            Paragraph("Engine protection", styles["Heading1"]),
            Paragraph(
                "The alarms and shutdowns of the main engine are listed below.", styles["Normal"]
            ),
            Paragraph("Table 3: Alarm and shutdown values", styles["Normal"]),
            table,
            Paragraph("Find the cause of a shutdown before restarting.", styles["Normal"]),
        ]
    )
    doc = parse_document(path)
    rows = table_rows(doc)
    assert row_lines(doc) == [
        "Table 3: Alarm and shutdown values: LO pressure, engine inlet | Normal: 4.5-5.5 bar"
        " | Alarm: 3.5 bar | Shutdown: 3.0 bar",
        "Table 3: Alarm and shutdown values: Cooling water outlet temperature"
        " | Normal: 80-85 C | Alarm: 95 C | Shutdown: 100 C",
        "Table 3: Alarm and shutdown values: Injector hold-down nuts torque | Normal: 250 Nm",
    ]
    assert all(r.page == 1 for r in rows)
    prose = " ".join(p.text for p in _prose(doc))
    # The table's cells are not also indexed as prose (no "250 Nm" glued to the next label).
    assert "250 Nm" not in prose and "3.5 bar" not in prose
    assert "restarting" in prose and "alarms and shutdowns" in prose


def test_docx_table_rows_carry_headers_and_section(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Torque values", 1)
    document.add_paragraph("Tighten the nuts in a cross pattern.")
    cells = [["Part", "Torque", "Thread"], ["Injector hold-down nuts", "250 Nm", "M16"]]
    table = document.add_table(rows=2, cols=3)
    for r, row in enumerate(cells):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    path = tmp_path / "torques.docx"
    document.save(str(path))
    doc = parse_document(path)
    rows = table_rows(doc)
    assert [r.text for r in rows] == [
        "Torque values: Part: Injector hold-down nuts | Torque: 250 Nm | Thread: M16"
    ]
    assert rows[0].section == "Torque values"
    assert not any("250 Nm" in p.text for p in _prose(doc))


def test_xlsx_and_csv_sheets_are_tables(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Clearances"
    for row in [["Item", "Nominal", "Max"], ["Main bearing", "0.20 mm", "0.35 mm"]]:
        sheet.append(row)
    second = workbook.create_sheet("Intervals")
    for row in [["Task", "Hours"], ["Clean purifier bowl", 2000]]:
        second.append(row)
    path = tmp_path / "engine.xlsx"
    workbook.save(str(path))
    rows = table_rows(parse_document(path))
    # One sheet, one table: rows of different sheets never share a chunk.
    assert [(r.section, r.text) for r in rows] == [
        ("Clearances", "Clearances: Main bearing | Nominal: 0.20 mm | Max: 0.35 mm"),
        ("Intervals", "Intervals: Task: Clean purifier bowl | Hours: 2000"),
    ]
    csv_path = tmp_path / "pumps.csv"
    csv_path.write_text("Pump,Flow,Head\nFW pump,50 m3/h,3 bar\n", encoding="utf-8")
    assert [r.text for r in table_rows(parse_document(csv_path))] == [
        "pumps: Pump: FW pump | Flow: 50 m3/h | Head: 3 bar"
    ]


def test_scanned_page_is_searchable_at_its_page_with_confidence(
    tmp_path: Path, embedder: Any
) -> None:
    _need_tesseract()
    scan = _scan_image(
        ["Purifier bowl cleaning", "Clean the separator bowl every 2000 running hours."]
    )
    path = _pdf(
        tmp_path / "mixed.pdf",
        [
            "Fuel system\nThe fuel pump delivers 12 bar at full load.",
            scan,
            "Cooling system\nThe jacket water pump runs at 1750 rpm.",
        ],
    )
    registry = MemoryDocumentRegistry()
    sink = MemoryPassageSink(embed=lambda texts: embedder.encode(texts, batch_size=16))
    summary = ingest_files(
        [SourceFile(path=path, org_id=1)],
        registry=registry,
        sink=sink,
        settings=IngestionSettings(parse_executor="thread"),  # parsing in a process: test_pipeline
        progress=False,
    )
    assert [f.path.name for f in summary.indexed] == ["mixed.pdf"]
    passages: list[Passage] = sink.passages(1)
    # The text pages stay as they are, the scanned page is read by OCR: all three kept.
    assert {p.page for p in passages} == {1, 2, 3}
    assert all(p.ocr_confidence is None for p in passages if p.page != 2)
    matrix = np.stack([sink.vectors[p.id] for p in passages])
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    query = embedder.encode(["How often is the separator bowl cleaned?"])[0]
    best = passages[int(np.argmax(matrix @ (query / np.linalg.norm(query))))]
    assert best.page == 2
    assert "2000 running hours" in best.text and "separator" in best.text.lower()
    assert best.ocr_confidence is not None and 50 <= best.ocr_confidence <= 100


def test_image_bomb_page_is_refused_alone(tmp_path: Path) -> None:
    import pikepdf

    _need_tesseract()
    path = _pdf(tmp_path / "bomb.pdf", ["Steering gear\nCheck the hydraulic oil level daily.", ""])
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        # Page 2: an image declaring 100,000 x 100,000 pixels (10 gigapixels) on a normal page.
        bomb = pikepdf.Stream(pdf, b"\x00" * 64)
        bomb.Type, bomb.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        bomb.Width, bomb.Height, bomb.BitsPerComponent = 100_000, 100_000, 8
        bomb.ColorSpace = pikepdf.Name.DeviceGray
        page = pdf.pages[1]
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=bomb))
        page.Contents = pikepdf.Stream(pdf, b"q 500 0 0 500 50 200 cm /Im0 Do Q")
        pdf.save(path)
    doc = parse_document(path)
    assert any("page 2 carries an image of 10,000 megapixels" in w for w in doc.warnings)
    passages = chunk_document(doc, SCOPE)
    assert [p.page for p in passages] == [1]
    assert "hydraulic oil level" in passages[0].text


def test_scanned_page_without_tesseract_names_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ingestion.ocr.shutil.which", lambda _name: None)
    path = _pdf(
        tmp_path / "half.pdf",
        ["Bilge pump\nTest the bilge alarm weekly.", _scan_image(["Scanned page"])],
    )
    doc = parse_document(path)
    assert any(
        w.startswith("page 2 is a scan and tesseract and pdftoppm not installed (apt-get install")
        for w in doc.warnings
    )
    assert {p.page for p in chunk_document(doc, SCOPE)} == {1}


def test_a_spreadsheet_zip_bomb_is_refused_by_the_archive_limits(tmp_path: Path) -> None:
    import zipfile

    from ingestion import IngestionSettings
    from ingestion.errors import ResourceLimitError

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (20 * 1024 * 1024) + b"/>")
    with pytest.raises(ResourceLimitError, match="unpack"):
        parse_document(path, settings=IngestionSettings(max_unpacked_mb=10))
