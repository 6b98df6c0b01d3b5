"""Scanned pages and tables through the API: a scan that failed without OCR is retried by
`bosun documents reindex`, chunks show ocr_confidence and table_row, spreadsheets upload."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from channels.cli import knowledge as knowledge_cli
from ingestion.ocr import ocr_tools_missing
from records import Role
from tests.api.conftest import Tenant, module_home
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.slow


home_bosun, client, org = module_home("scans_home")


def _scanned_pdf() -> bytes:
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    font = ImageFont.load_default(size=40)
    image = Image.new("L", (1700, 300), "white")
    ImageDraw.Draw(image).text(
        (60, 120), "Renew the steering gear oil filter every 3000 hours.", fill="black", font=font
    )
    png = io.BytesIO()
    image.save(png, format="PNG")
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.drawImage(ImageReader(io.BytesIO(png.getvalue())), 40, 500, width=510, height=90)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _upload(client: TestClient, org: Tenant, name: str, data: bytes) -> dict[str, Any]:
    response = client.post(
        "/v1/documents",
        headers=org.auth(Role.admin),
        files={"file": (name, data, "application/octet-stream")},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_scan_failed_without_ocr_is_retried_by_documents_reindex(
    client: TestClient, org: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = ocr_tools_missing()
    if missing:
        skip_or_fail("tesseract", f"OCR test: {missing}")
    monkeypatch.setenv("BOSUN_INGEST_OCR", "never")  # as on a ship without tesseract
    body = _upload(client, org, "steering-scan.pdf", _scanned_pdf())
    assert body["indexed"] == 0 and body["failed"][0]["code"] == "no_text_layer"
    doc_id = body["document"]["id"]
    monkeypatch.delenv("BOSUN_INGEST_OCR")

    def call(method: str, path: str, **kwargs: Any) -> Any:
        response = client.request(method, path, headers=org.auth(Role.admin), **kwargs)
        assert response.status_code < 400, response.text
        return response.json()

    def documents_call(organization: str | None, method: str, path: str, **kwargs: Any) -> Any:
        assert organization is None  # one organization: no --organization needed
        return call(method, path, **kwargs)

    monkeypatch.setattr(knowledge_cli, "_documents_call", documents_call)
    knowledge_cli.documents_reindex(None)
    got = call("GET", f"/v1/documents/{doc_id}")
    assert got["status"] == "indexed", got
    [chunk] = call("GET", f"/v1/documents/{doc_id}/chunks")["items"]
    assert chunk["page"] == 1 and "3000 hours" in chunk["text"]
    assert 50 <= chunk["ocr_confidence"] <= 100 and chunk["table_row"] is False


def test_spreadsheets_upload_and_their_chunks_are_table_rows(
    client: TestClient, org: Tenant
) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Clearances"
    for row in [["Item", "Nominal", "Max"], ["Main bearing", "0.20 mm", "0.35 mm"]]:
        sheet.append(row)
    data = io.BytesIO()
    workbook.save(data)
    body = _upload(client, org, "clearances.xlsx", data.getvalue())
    assert body["document"]["status"] == "indexed", body
    chunks = client.get(
        f"/v1/documents/{body['document']['id']}/chunks", headers=org.auth(Role.admin)
    ).json()["items"]
    assert [(c["text"], c["table_row"]) for c in chunks] == [
        ("Clearances: Main bearing | Nominal: 0.20 mm | Max: 0.35 mm", True)
    ]
    csv = _upload(client, org, "pumps.csv", b"Pump,Flow\nFW pump,50 m3/h\n")
    assert csv["document"]["status"] == "indexed", csv
