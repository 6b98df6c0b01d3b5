from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingestion import (
    DocumentScope,
    EncryptedDocumentError,
    FileKind,
    FileTooLargeError,
    IngestionErrorCode,
    IngestionSettings,
    MalformedDocumentError,
    NoTextLayerError,
    ParsedDocument,
    UnsupportedFileTypeError,
    chunk_document,
    detect_file_kind,
    parse_document,
)

SCOPE = DocumentScope(org_id=1, document_id=10, version=1)


def _passage_with(doc: ParsedDocument, needle: str) -> Any:
    passages = chunk_document(doc, SCOPE)
    found = [p for p in passages if needle in p.text]
    assert found, f"{needle!r} not in any passage of {doc.title}"
    return found[0]


def test_pdf_keeps_pages_and_outline_sections(parsed: dict[str, ParsedDocument]) -> None:
    doc = parsed["manual.pdf"]
    assert doc.kind is FileKind.PDF
    assert doc.title == "Main Engine Manual"
    assert doc.page_count == 3
    paths = [s.path for s in doc.sections]
    assert ("Fuel System", "Injection Pump") in paths
    assert ("Lubrication", "Oil Cooler") in paths
    assert ("Cooling Water", "Jacket Water Pump") in paths

    torque = _passage_with(doc, "85 Nm")
    assert torque.section == "Fuel System > Injection Pump"
    assert torque.page == 1
    cooler = _passage_with(doc, "55 degrees")
    assert cooler.section == "Lubrication > Oil Cooler"
    assert cooler.page == 2
    seal = _passage_with(doc, "mechanical seal")
    assert seal.section == "Cooling Water > Jacket Water Pump"
    assert seal.page == 3
    assert seal.text.startswith("Cooling Water > Jacket Water Pump\n")
    assert seal.title == "Main Engine Manual"


def test_pdf_without_outline_uses_numbered_headings(parsed: dict[str, ParsedDocument]) -> None:
    # Without an outline, a chapter heading that pdfminer glues to its first paragraph is
    # not recoverable; numbered headings on their own line are, with their depth.
    doc = parsed["numbered.pdf"]
    torque = _passage_with(doc, "85 Nm")
    assert torque.section is not None
    assert torque.section.endswith("1.1 Injection Pump")
    assert torque.page == 1
    seal = _passage_with(doc, "mechanical seal")
    assert seal.section is not None
    assert seal.section.endswith("3.1 Jacket Water Pump")
    assert seal.page == 3
    # The table's cells are body text of their section, not headings.
    filters = _passage_with(doc, "Duplex cartridge")
    assert filters.section is not None
    assert filters.section.endswith("1.2 Fuel Filters")
    assert "Filter" in filters.text
    assert not any(s.title in {"Filter", "Interval", "Duplex cartridge"} for s in doc.sections)


def test_docx_heading_hierarchy_and_table(parsed: dict[str, ParsedDocument]) -> None:
    doc = parsed["guide.docx"]
    assert doc.kind is FileKind.DOCX
    assert doc.title == "Separator Guide"
    ring = _passage_with(doc, "lock ring to 350 Nm")
    assert ring.section == "Installation > Bowl Assembly"
    # The table is one chunk per row, with its headers and section title; not prose.
    row = _passage_with(doc, "Lock ring")
    assert row.table_row
    assert row.text == "Installation > Bowl Assembly: Part: Lock ring | Torque: 350 Nm"
    assert row.section == "Installation > Bowl Assembly"
    assert "Lock ring" not in ring.text
    start = _passage_with(doc, "full speed")
    assert start.section == "Operation"


def test_html_heading_hierarchy_and_table(parsed: dict[str, ParsedDocument]) -> None:
    doc = parsed["steering.html"]
    assert doc.kind is FileKind.HTML
    assert doc.title == "Steering Gear"
    sample = _passage_with(doc, "oil sample")
    assert sample.section == "Hydraulic Oil > Oil Sampling"
    row = _passage_with(doc, "Tank volume")
    assert row.table_row
    assert row.text.endswith("Tank volume | Value: 120 l")
    assert "Tank volume" not in sample.text
    assert _passage_with(doc, "bridge and local").section == "Testing"


def test_markdown_and_text(parsed: dict[str, ParsedDocument]) -> None:
    md = parsed["boiler.md"]
    assert md.kind is FileKind.MARKDOWN
    assert md.title == "Boiler Manual"
    assert _passage_with(md, "Purge the furnace").section == "Start-up > Burner Ignition"
    assert _passage_with(md, "feed pump").section == "Shutdown"
    assert _passage_with(md, "Read this manual").section is None

    text = parsed["notes.txt"]
    assert text.kind is FileKind.TEXT
    assert _passage_with(text, "dipstick").section == "Generator Log Notes"


def test_type_is_detected_by_content(corpus: dict[str, Path]) -> None:
    assert detect_file_kind(corpus["pdf_named.txt"]) is FileKind.PDF
    doc = parse_document(corpus["pdf_named.txt"])
    assert doc.page_count == 3
    with pytest.raises(MalformedDocumentError, match="content is not"):
        detect_file_kind(corpus["corrupt.pdf"])


def test_binary_of_unknown_format_is_unsupported(tmp_path: Path) -> None:
    blob = tmp_path / "firmware.bin"
    blob.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(UnsupportedFileTypeError) as info:
        parse_document(blob)
    assert info.value.code is IngestionErrorCode.UNSUPPORTED_TYPE


def test_password_protected_pdf_fails_clearly(corpus: dict[str, Path]) -> None:
    with pytest.raises(EncryptedDocumentError, match="password-protected") as info:
        parse_document(corpus["encrypted.pdf"])
    assert info.value.code is IngestionErrorCode.ENCRYPTED


def test_pdf_with_only_an_owner_password_is_read(corpus: dict[str, Path]) -> None:
    doc = parse_document(corpus["owner_only.pdf"])
    assert ("Fuel System", "Injection Pump") in [s.path for s in doc.sections]


def test_scanned_pdf_without_ocr_says_so(
    corpus: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ingestion.ocr.shutil.which", lambda _name: None)  # no tesseract
    with pytest.raises(NoTextLayerError, match=r"no text layer.*install tesseract") as info:
        parse_document(corpus["scanned.pdf"])
    assert "1 of 1 pages are images" in str(info.value)


def test_scanned_pdf_with_ocr_disabled_fails(corpus: dict[str, Path]) -> None:
    with pytest.raises(NoTextLayerError):
        parse_document(corpus["scanned.pdf"], settings=IngestionSettings(ocr="never"))


def test_damaged_pdf_fails_as_malformed(corpus: dict[str, Path]) -> None:
    with pytest.raises(MalformedDocumentError) as info:
        parse_document(corpus["truncated.pdf"])
    assert info.value.code is IngestionErrorCode.MALFORMED


def test_size_limit(corpus: dict[str, Path]) -> None:
    tiny = IngestionSettings(max_file_mb=0.001)
    with pytest.raises(FileTooLargeError, match="BOSUN_INGEST_MAX_FILE_MB"):
        parse_document(corpus["manual.pdf"], settings=tiny)
