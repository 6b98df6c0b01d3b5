"""Hostile documents through the API: a zip bomb fails alone with its reason, uploaded HTML
comes back as a sandboxed download, and an ingest a crash cut short is re-queued once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bench.zip_bomb import build_docx_bomb
from channels.app.runtime import Bosun
from channels.services.knowledge import (
    RecordsDocumentRegistry,
    open_knowledge,
    resume_interrupted_ingests,
)
from ingestion import SourceFile
from records import Role, documents, system_caller
from tests.api.conftest import Tenant, module_home
from tests.ingestion.conftest import _make_manual_pdf

pytestmark = pytest.mark.slow

MANUAL = b"# Purifier\n\n## Sludge discharge\n\nOpen the operating water valve to discharge.\n"
HOSTILE_HTML = b"""<!doctype html><html><head><title>Steering gear</title></head><body>
<h1>Steering gear</h1><p>Check the hydraulic oil level every watch.</p>
<script>fetch('/v1/keys', {credentials: 'include'})</script></body></html>"""


home_bosun, client, org = module_home("hostile_home")


def _upload(client: TestClient, org: Tenant, name: str, data: bytes) -> dict:
    response = client.post(
        "/v1/documents",
        headers=org.auth(Role.admin),
        files={"file": (name, data, "application/octet-stream")},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_2_gib_docx_bomb_fails_alone_with_its_reason(
    client: TestClient, org: Tenant, tmp_path: Path
) -> None:
    bomb = build_docx_bomb(tmp_path / "pump-manual.docx", 2048).read_bytes()
    assert len(bomb) < 4 * 1024 * 1024
    assert _upload(client, org, "purifier.md", MANUAL)["document"]["status"] == "indexed"
    body = _upload(client, org, "pump-manual.docx", bomb)
    assert body["indexed"] == 0
    [failed] = body["failed"]
    assert failed["code"] == "over_limit"
    assert (
        "BOSUN_INGEST_MAX_UNPACKED_MB=500" in failed["reason"] and "2,048 MiB" in failed["reason"]
    )
    doc = body["document"]
    assert doc["status"] == "failed" and doc["error"].startswith("[over_limit]")
    listed = client.get(f"/v1/documents/{doc['id']}", headers=org.auth(Role.admin)).json()
    assert listed["status"] == "failed"
    # The next upload is not affected.
    assert _upload(client, org, "separator.md", MANUAL)["document"]["status"] == "indexed"


def test_uploaded_html_comes_back_as_a_sandboxed_attachment(
    client: TestClient, org: Tenant
) -> None:
    doc = _upload(client, org, "steering.html", HOSTILE_HTML)["document"]
    assert doc["status"] == "indexed"
    token = client.post("/v1/chat/tokens", headers=org.auth(Role.crew), json={}).json()["token"]
    for response in (
        client.get(f"/v1/documents/{doc['id']}/file", headers=org.auth(Role.crew)),
        client.get(f"/v1/chat/documents/{doc['id']}", params={"token": token}),
    ):
        assert response.status_code == 200
        assert response.headers["content-disposition"].startswith("attachment;")
        assert response.headers["content-security-policy"] == "sandbox"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.content == HOSTILE_HTML


def test_pdfs_open_inline_without_a_sandbox(
    client: TestClient, org: Tenant, tmp_path: Path
) -> None:
    pdf = tmp_path / "manual.pdf"
    _make_manual_pdf(pdf, outline=True)
    doc = _upload(client, org, "manual.pdf", pdf.read_bytes())["document"]
    response = client.get(f"/v1/documents/{doc['id']}/file", headers=org.auth(Role.crew))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline;")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in response.headers


def test_an_interrupted_ingest_is_requeued_once_then_failed(
    home_bosun: Bosun, client: TestClient, org: Tenant, tmp_path: Path
) -> None:
    caller = system_caller(org.org_id)
    source = tmp_path / "separator.md"
    source.write_text("# Separator\n\nClean the bowl discs every 2000 hours.\n", encoding="utf-8")
    # What a server killed while parsing leaves behind: the document begun, never finished.
    scope = RecordsDocumentRegistry(home_bosun, caller).begin(
        SourceFile(source, org_id=org.org_id), "0" * 64
    )
    assert scope is not None
    with home_bosun.db.transaction(caller) as s:
        doc = documents.get_document(s, caller, scope.document_id)
        assert (doc.status.value, doc.ingest_attempts) == ("pending", 1)
    open_knowledge(home_bosun)  # registers the resume job, as the server's start does

    # Not counted: a document that became pending after this start.
    assert resume_interrupted_ingests(
        open_knowledge(home_bosun), before=datetime.now(UTC) - timedelta(hours=1)
    ) == (0, 0)
    # First start after the crash: re-queued (attempt 2), and the job ingests it.
    assert resume_interrupted_ingests(open_knowledge(home_bosun), before=datetime.now(UTC)) == (
        1,
        0,
    )
    with home_bosun.db.transaction(caller) as s:
        assert documents.get_document(s, caller, scope.document_id).ingest_attempts == 2
    # The server is killed again before that ingest finishes: it stays pending.
    assert resume_interrupted_ingests(open_knowledge(home_bosun), before=datetime.now(UTC)) == (
        0,
        1,
    )
    got = client.get(f"/v1/documents/{scope.document_id}", headers=org.auth(Role.admin)).json()
    assert got["status"] == "failed"
    assert "interrupted twice" in got["error"] and "re-index or upload it again" in got["error"]
    home_bosun.runner.run_pending()  # the queued job finds it failed and leaves it alone
    got = client.get(f"/v1/documents/{scope.document_id}", headers=org.auth(Role.admin)).json()
    assert got["status"] == "failed"

    # Re-indexing starts counting afresh, and a re-queued ingest finishes the document.
    fresh = client.post(f"/v1/documents/{scope.document_id}/reindex", headers=org.auth(Role.admin))
    assert fresh.json()["status"] == "indexed"
    with home_bosun.db.transaction(caller) as s:
        doc = documents.get_document(s, caller, scope.document_id)
        assert doc.ingest_attempts == 1
        documents.update_document(s, caller, doc, {"status": "pending"})  # crashed again
    assert resume_interrupted_ingests(open_knowledge(home_bosun), before=datetime.now(UTC)) == (
        1,
        0,
    )
    home_bosun.runner.run_pending()
    got = client.get(f"/v1/documents/{scope.document_id}", headers=org.auth(Role.admin)).json()
    assert got["status"] == "indexed" and got["chunks"] >= 1
