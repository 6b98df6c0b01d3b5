"""Real source files made once per session: PDFs, DOCX, HTML, Markdown, text and CSV."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

# (outline level, heading, page it is on, body paragraphs); each top-level chapter starts a page.
MANUAL = [
    (0, "Fuel System", 1, ["The fuel system supplies filtered fuel to the main engine."]),
    (
        1,
        "Injection Pump",
        1,
        [
            "The injection pump delivers fuel to each cylinder at high pressure. "
            "Tighten the injection pump mounting bolts to 85 Nm in a cross pattern.",
            "Check the plunger for scoring whenever the pump is opened. " * 6,
        ],
    ),
    (
        1,
        "Fuel Filters",
        1,
        ["Change the duplex fuel filter cartridges every 1000 running hours. " * 8],
    ),
    (0, "Lubrication", 2, ["The lubricating oil system keeps bearings supplied with oil."]),
    (
        1,
        "Oil Cooler",
        2,
        [
            "Clean the lube oil cooler plates when the outlet temperature exceeds 55 degrees. "
            "Use a mild descaling agent and flush with fresh water.",
        ]
        + ["Inspect the gaskets of the plate pack for hardening and replace them. " * 5] * 4,
    ),
    (0, "Cooling Water", 3, ["The jacket water pump circulates fresh water through the block."]),
    (
        1,
        "Jacket Water Pump",
        3,
        [
            "Replace the mechanical seal of the jacket water pump when it weeps more than "
            "ten drops per minute."
        ],
    ),
]


def _make_manual_pdf(path: Path, *, outline: bool, numbered: bool = False) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table

    styles = getSampleStyleSheet()

    class OutlinedDoc(SimpleDocTemplate):
        def afterFlowable(self, flowable: object) -> None:
            if outline and isinstance(flowable, Paragraph):
                level = {"Heading1": 0, "Heading2": 1}.get(flowable.style.name)
                if level is not None:
                    key = f"h{id(flowable)}"
                    self.canv.bookmarkPage(key)
                    self.canv.addOutlineEntry(flowable.getPlainText(), key, level=level)

    story: list[object] = [Paragraph("Main Engine Manual", styles["Title"])]
    chapter = 0
    sub = 0
    for level, heading, _page, paragraphs in MANUAL:
        if level == 0:
            if chapter:
                story.append(PageBreak())
            chapter += 1
            sub = 0
            text = f"{chapter} {heading}" if numbered else heading
            story.append(Paragraph(text, styles["Heading1"]))
        else:
            sub += 1
            text = f"{chapter}.{sub} {heading}" if numbered else heading
            story.append(Paragraph(text, styles["Heading2"]))
        story.extend(Paragraph(p, styles["BodyText"]) for p in paragraphs)
        if heading == "Fuel Filters":
            story.append(Table([["Filter", "Interval"], ["Duplex cartridge", "1000 h"]]))
    OutlinedDoc(str(path), pagesize=A4, title="Main Engine Manual").build(story)


def _make_scanned_pdf(path: Path) -> None:
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    # A picture without words: no text layer, and OCR (when installed) finds none either.
    image = Image.new("RGB", (1200, 400), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((100, 100, 500, 300), outline="black", width=6)
    draw.ellipse((700, 80, 1000, 330), outline="black", width=6)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.drawImage(ImageReader(buffer), 50, 400, width=500, height=170)
    pdf.showPage()
    pdf.save()


def _make_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = "Separator Guide"
    document.add_heading("Separator Guide", 0)
    document.add_heading("Installation", 1)
    document.add_paragraph("Mount the fuel oil separator on its resilient base.")
    document.add_heading("Bowl Assembly", 2)
    document.add_paragraph("Torque the bowl hood lock ring to 350 Nm with the special spanner.")
    table = document.add_table(rows=2, cols=2)
    for (row, col), text in {
        (0, 0): "Part",
        (0, 1): "Torque",
        (1, 0): "Lock ring",
        (1, 1): "350 Nm",
    }.items():
        table.cell(row, col).text = text
    document.add_heading("Operation", 1)
    document.add_paragraph("Start the separator and wait until it reaches full speed.")
    document.save(str(path))


HTML = """<!DOCTYPE html>
<html><head><title>Steering Gear</title></head><body>
<h1>Steering Gear</h1>
<h2>Hydraulic Oil</h2><p>Top up the steering gear hydraulic tank with ISO VG 68 oil.</p>
<h3>Oil Sampling</h3><p>Take an oil sample every three months for analysis.</p>
<table><tr><th>Item</th><th>Value</th></tr><tr><td>Tank volume</td><td>120 l</td></tr></table>
<h2>Testing</h2><p>Test the steering gear from bridge and local stations before departure.</p>
</body></html>
"""

MARKDOWN = """# Boiler Manual

Read this manual before operating the boiler.

## Start-up

Open the air vent valve and fill the boiler with feed water.

### Burner Ignition

Purge the furnace for 60 seconds before the burner ignites.

## Shutdown

Close the fuel oil supply valve first, then stop the feed pump.
"""

TEXT = """Generator Log Notes

The auxiliary generator must be checked every watch.

The oil level must be between the dipstick marks.
"""

FAULT_CSV = """work_order,date,machine,problem,cause,action
WO-1,2015-03-02,17,comp2 vibration high,bearing wear,replaced comp2 bearing
WO-2,2015-03-09,17,comp1 overheating,,cleaned cooler
WO-3,2015-04-01,4,"oil leak, seal",worn seal
WO-4,not-a-date,4,noise,,greased
WO-5,2015-05-05,12,,,inspected
WO-6,2015-06-06,12,starter fails,relay,replaced relay
"""

MACHINES_CSV = """machine,model
17,model3
4,model1
"""


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Write every test source file once; keys name the files."""
    import pikepdf

    root = tmp_path_factory.mktemp("sources")
    files = {
        "manual.pdf": root / "manual.pdf",
        "numbered.pdf": root / "numbered.pdf",
        "guide.docx": root / "guide.docx",
        "steering.html": root / "steering.html",
        "boiler.md": root / "boiler.md",
        "notes.txt": root / "notes.txt",
    }
    _make_manual_pdf(files["manual.pdf"], outline=True)
    _make_manual_pdf(files["numbered.pdf"], outline=False, numbered=True)
    _make_docx(files["guide.docx"])
    files["steering.html"].write_text(HTML, encoding="utf-8")
    files["boiler.md"].write_text(MARKDOWN, encoding="utf-8")
    files["notes.txt"].write_text(TEXT, encoding="utf-8")

    bad = tmp_path_factory.mktemp("bad")
    files["scanned.pdf"] = bad / "scanned.pdf"
    _make_scanned_pdf(files["scanned.pdf"])
    files["encrypted.pdf"] = bad / "encrypted.pdf"
    with pikepdf.open(files["manual.pdf"]) as pdf:
        pdf.save(files["encrypted.pdf"], encryption=pikepdf.Encryption(user="secret", owner="o"))
    files["owner_only.pdf"] = bad / "owner_only.pdf"
    with pikepdf.open(files["manual.pdf"]) as pdf:
        pdf.save(files["owner_only.pdf"], encryption=pikepdf.Encryption(user="", owner="o"))
    files["corrupt.pdf"] = bad / "corrupt.pdf"
    files["corrupt.pdf"].write_bytes(os.urandom(4096))
    files["truncated.pdf"] = bad / "truncated.pdf"
    files["truncated.pdf"].write_bytes(files["manual.pdf"].read_bytes()[:2500])
    files["pdf_named.txt"] = bad / "pdf_named.txt"
    files["pdf_named.txt"].write_bytes(files["manual.pdf"].read_bytes())

    csv_dir = tmp_path_factory.mktemp("csv")
    files["faults.csv"] = csv_dir / "faults.csv"
    files["faults.csv"].write_text(FAULT_CSV, encoding="utf-8")
    files["machines.csv"] = csv_dir / "machines.csv"
    files["machines.csv"].write_text(MACHINES_CSV, encoding="utf-8")
    return files


@pytest.fixture(scope="session")
def parsed(corpus: dict[str, Path]) -> dict[str, object]:
    """Parse the good documents once for all tests that only read the result."""
    from ingestion import parse_document

    names = ["manual.pdf", "numbered.pdf", "guide.docx", "steering.html", "boiler.md", "notes.txt"]
    return {name: parse_document(corpus[name]) for name in names}


@pytest.fixture(scope="session")
def embedder(embedder: Any) -> Any:
    """The session's packaged MiniLM as the SentenceTransformer the ingestion tests encode with."""
    return embedder.model
