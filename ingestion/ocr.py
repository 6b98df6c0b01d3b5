"""OCR of scanned PDF pages, one page at a time: render with poppler, read with Tesseract.

A page is rendered only when its pixels fit a budget (``BOSUN_INGEST_OCR_MAX_PAGE_MPIX``):
the page size at the OCR resolution and every image it carries are judged from the PDF's
structure before anything is decoded, so an image bomb is refused alone, with its reason.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

OCR_DPI = 300
INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-eng poppler-utils"
_PAGE_TIMEOUT_S = 300


@dataclass(frozen=True, slots=True)
class OcrPage:
    """Text Tesseract read from one page: paragraphs in reading order, mean word confidence."""

    page: int
    paragraphs: tuple[str, ...]
    confidence: float
    """Mean confidence (0-100) of the words read on the page."""


@dataclass(frozen=True, slots=True)
class PageRefused:
    """A page that was not OCR'd, and why."""

    page: int
    reason: str


def ocr_tools_missing() -> str | None:
    """Return what to install when tesseract or pdftoppm is missing, else None."""
    missing = [tool for tool in ("tesseract", "pdftoppm") if shutil.which(tool) is None]
    if not missing:
        return None
    return f"{' and '.join(missing)} not installed ({INSTALL_HINT})"


def page_pixels(path: Path, page: int, dpi: int = OCR_DPI) -> tuple[int, int]:
    """Return (pixels of the page rendered at `dpi`, pixels of its largest image)."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        sheet = pdf.pages[page - 1]
        box = [float(v) for v in sheet.mediabox]
        width = abs(box[2] - box[0]) / 72 * dpi
        height = abs(box[3] - box[1]) / 72 * dpi
        largest = 0
        for image in sheet.get_images().values():
            try:
                largest = max(largest, int(image.get("/Width", 0)) * int(image.get("/Height", 0)))
            except (TypeError, ValueError):
                continue
    return int(width * height), largest


def check_page_pixels(path: Path, page: int, max_pixels: int) -> str | None:
    """Return why a page may not be rendered (too many pixels), or None when it may."""
    rendered, largest = page_pixels(path, page)
    limit = f"BOSUN_INGEST_OCR_MAX_PAGE_MPIX={max_pixels / 1e6:g}"
    if rendered > max_pixels:
        return (
            f"page {page} would render to {rendered / 1e6:,.0f} megapixels at {OCR_DPI} dpi, "
            f"over {limit}; not OCR'd"
        )
    if largest > max_pixels:
        return (
            f"page {page} carries an image of {largest / 1e6:,.0f} megapixels, over {limit}; "
            "not OCR'd"
        )
    return None


def render_page(path: Path, page: int, folder: Path) -> Path:
    """Render one page to a grey PNG at OCR_DPI with pdftoppm; return the image's path."""
    prefix = folder / f"page-{page}"
    pages = ["-f", str(page), "-l", str(page)]
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(OCR_DPI),
            *pages,
            "-gray",
            "-png",
            "-singlefile",
            str(path),
            str(prefix),
        ],
        check=True,
        capture_output=True,
        timeout=_PAGE_TIMEOUT_S,
    )
    return prefix.with_suffix(".png")


def tesseract_command(image: Path, languages: str) -> list[str]:
    """Return the tesseract command line that reads `image` as TSV on stdout."""
    return ["tesseract", str(image), "stdout", "-l", languages, "tsv"]


def read_image(image: Path, page: int, languages: str) -> OcrPage:
    """OCR one page image with tesseract; group words into lines and paragraphs."""
    done = subprocess.run(
        tesseract_command(image, languages),
        check=True,
        capture_output=True,
        timeout=_PAGE_TIMEOUT_S,
    )
    return parse_tsv(done.stdout.decode("utf-8", errors="replace"), page)


def parse_tsv(tsv: str, page: int) -> OcrPage:
    """Build an OcrPage from tesseract's TSV output (level 5 rows are words)."""
    lines: dict[tuple[int, int, int], list[str]] = {}
    confidences: list[float] = []
    reader = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in reader:
        word = (row.get("text") or "").strip()
        try:
            conf = float(row.get("conf") or -1)
        except ValueError:
            conf = -1.0
        if row.get("level") != "5" or not word or conf < 0:
            continue
        key = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        lines.setdefault(key, []).append(word)
        confidences.append(conf)
    paragraphs: dict[tuple[int, int], list[str]] = {}
    for (block, par, _line), words in lines.items():
        paragraphs.setdefault((block, par), []).append(" ".join(words))
    texts = tuple(" ".join(ls) for ls in paragraphs.values() if " ".join(ls).strip())
    confidence = sum(confidences) / len(confidences) if confidences else 0.0
    return OcrPage(page=page, paragraphs=texts, confidence=round(confidence, 1))


def ocr_pages(
    path: Path, pages: list[int], *, languages: str, max_pixels: int
) -> tuple[list[OcrPage], list[PageRefused]]:
    """OCR the given 1-based pages; each page that cannot be read is refused alone."""
    missing = ocr_tools_missing()
    if missing:
        return [], [PageRefused(p, f"page {p} is a scan and {missing}") for p in pages]
    read: list[OcrPage] = []
    refused: list[PageRefused] = []
    with tempfile.TemporaryDirectory(prefix="bosun-ocr-") as tmp:
        for page in pages:
            reason = check_page_pixels(path, page, max_pixels)
            if reason is not None:
                refused.append(PageRefused(page, reason))
                continue
            try:
                image = render_page(path, page, Path(tmp))
                read.append(read_image(image, page, languages))
                image.unlink(missing_ok=True)
            except (subprocess.SubprocessError, OSError) as err:
                refused.append(PageRefused(page, f"page {page} could not be OCR'd ({err})"))
    return read, refused
