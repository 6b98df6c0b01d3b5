"""Knowledge curation and chat through the API, on one embedded home."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from channels.app.runtime import Bosun
from channels.services.chat import open_gateway
from records import Role
from tests.api.conftest import Tenant, make_tenant, module_home

pytestmark = pytest.mark.slow

MANUAL = """# Fuel system of the main engines

## Bleeding the fuel system

1. Open the vent screw on the fuel filter housing.
2. Run the priming pump until fuel without air bubbles comes out.
3. Close the vent screw and check the fuel pressure reads 7 bar.

## Fuel injection pump

Replace the barrel O-rings of the injection pump every 8000 running hours.
"""


home_bosun, client, org = module_home("knowledge_home")


def _search(client: TestClient, tenant: Tenant, role: Role, params: dict) -> list:
    """Search the knowledge base as one of a tenant's users; return the hits."""
    return client.get("/v1/knowledge/search", headers=tenant.auth(role), params=params).json()[
        "items"
    ]


def _upload(client: TestClient, org: Tenant, name: str, text: str, **form: str) -> dict:
    response = client.post(
        "/v1/documents",
        headers=org.auth(Role.admin),
        files={"file": (name, text.encode(), "text/markdown")},
        data=form,
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_upload_search_cite_disable_and_isolate(
    client: TestClient, org: Tenant, home_bosun: Bosun
) -> None:
    first = _upload(client, org, "fuel.md", MANUAL, kind="procedure")
    doc = first["document"]
    assert first["indexed"] == 1 and doc["status"] == "indexed" and doc["chunks"] >= 2
    again = _upload(client, org, "fuel.md", MANUAL, kind="procedure")
    assert again["unchanged"] == 1 and again["document"]["version"] == doc["version"]

    hits = _search(client, org, Role.crew, {"q": "how do I bleed the fuel system"})
    assert hits and "vent screw" in hits[0]["text"]
    assert hits[0]["citation"]["section"].endswith("Bleeding the fuel system")
    assert hits[0]["citation"]["url"] == f"/v1/documents/{doc['id']}/file"
    assert client.get(hits[0]["citation"]["url"], headers=org.auth(Role.crew)).status_code == 200

    turn = client.post(
        "/v1/chat/turns",
        headers=org.auth(Role.chief_engineer),
        json={"text": "how do I bleed the fuel system?", "vessel_id": org.vessel_id},
    ).json()
    assert turn["outcome"] == "answer", turn
    assert any(c["document_id"] == doc["id"] for c in turn["citations"])
    fb = client.post(
        f"/v1/chat/messages/{turn['message_id']}/feedback",
        headers=org.auth(Role.chief_engineer),
        json={"helpful": False},
    )
    assert fb.json()["feedback"] == "unhelpful"
    review = client.get("/v1/chat/review", headers=org.auth(Role.admin)).json()["items"]
    assert any(r["message_id"] == turn["message_id"] for r in review)

    other = make_tenant(home_bosun)
    assert _search(client, other, Role.admin, {"q": "bleed the fuel system vent screw"}) == []

    # The widget opens citations with its chat token; Slack and Telegram with signed links.
    path = f"/v1/chat/documents/{doc['id']}"
    token = client.post("/v1/chat/tokens", headers=org.auth(Role.crew), json={}).json()["token"]
    opened = client.get(path, params={"token": token})
    assert opened.status_code == 200 and b"vent screw" in opened.content
    stranger = client.post("/v1/chat/tokens", headers=other.auth(Role.crew), json={}).json()
    assert client.get(path, params={"token": stranger["token"]}).status_code == 404
    gateway = open_gateway(home_bosun)
    speaker = gateway.speaker_for_key(org.keys[Role.crew])
    link = gateway.document_link(speaker, doc["id"], page=2)
    assert link.endswith("#page=2")
    assert client.get(link.split("#")[0]).content == opened.content
    assert client.get(link.split("#")[0] + "x").status_code == 401
    assert client.get(path).status_code == 401
    assert (
        client.get(f"/v1/documents/{doc['id']}", headers=other.auth(Role.admin)).status_code == 404
    )

    assert (
        client.post(f"/v1/documents/{doc['id']}/disable", headers=org.auth(Role.admin)).json()[
            "status"
        ]
        == "disabled"
    )
    assert _search(client, org, Role.crew, {"q": "bleed the fuel system vent screw"}) == []
    assert (
        client.post(f"/v1/documents/{doc['id']}/disable", headers=org.auth(Role.crew)).status_code
        == 403
    )
    client.post(f"/v1/documents/{doc['id']}/enable", headers=org.auth(Role.admin))
    assert _search(client, org, Role.crew, {"q": "bleed the fuel system vent screw"})
    assert (
        client.delete(f"/v1/documents/{doc['id']}", headers=org.auth(Role.admin)).status_code == 204
    )
    assert _search(client, org, Role.crew, {"q": "bleed the fuel system vent screw"}) == []


def test_bad_uploads_are_refused_clearly(client: TestClient, org: Tenant) -> None:
    bad = client.post(
        "/v1/documents",
        headers=org.auth(Role.admin),
        files={"file": ("tool.exe", b"MZ\x90\x00", "application/octet-stream")},
    )
    assert bad.status_code == 422 and "upload a file ending in" in bad.json()["detail"]
    broken = client.post(
        "/v1/documents",
        headers=org.auth(Role.admin),
        files={"file": ("broken.pdf", b"%PDF-1.4 not really", "application/pdf")},
    )
    assert broken.status_code in (201, 422), broken.text
    if broken.status_code == 201:
        body = broken.json()
        assert body["failed"] and body["document"]["status"] == "failed"
        assert body["document"]["error"]


def test_chat_proposes_and_confirms_once_over_http(client: TestClient, org: Tenant) -> None:
    turn = client.post(
        "/v1/chat/turns",
        headers=org.auth(Role.crew),
        json={"text": "ME1 is smoking badly", "conversation": "t-1"},
    ).json()
    action = turn["proposed_action"]
    assert action and action["kind"] == "report_fault", turn
    first = client.post(f"/v1/chat/actions/{action['id']}/confirm", headers=org.auth(Role.crew))
    second = client.post(f"/v1/chat/actions/{action['id']}/confirm", headers=org.auth(Role.crew))
    assert first.status_code == second.status_code == 200
    faults = client.get("/v1/faults", headers=org.auth(Role.crew)).json()["items"]
    assert len([f for f in faults if f["equipment_id"] == org.equipment_ids["601.1"]]) == 1


def test_websocket_streams_the_reply(client: TestClient, org: Tenant) -> None:
    with client.websocket_connect(f"/v1/chat/ws?api_key={org.keys[Role.crew]}") as ws:
        ws.send_json({"text": "list open faults", "conversation": "ws-1"})
        kinds = []
        while True:
            message = ws.receive_json()
            kinds.append(message["type"])
            if message["type"] in ("final", "error"):
                break
    assert kinds[-1] == "final" and "delta" in kinds
    from starlette.websockets import WebSocketDisconnect

    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/v1/chat/ws?api_key=bsn_x_y") as ws,
    ):
        ws.receive_json()
    assert closed.value.code == 4401


def test_fault_history_export_and_records_are_searchable(
    home_bosun: Bosun, org: Tenant, client: TestClient, tmp_path: Path
) -> None:
    from channels.services.knowledge import open_knowledge
    from ingestion import mapping_from_cli
    from records import faults, system_caller

    export = tmp_path / "amos_export.csv"
    export.write_text(
        "date,unit,problem,action\n"
        "2024-03-02,ME1,turbocharger surging at full load,cleaned compressor wheel\n"
        "not-a-date,ME1,,\n"
    )
    service = open_knowledge(home_bosun)
    caller = system_caller(org.org_id, "test")
    count, summary = service.import_fault_csv(
        caller,
        export,
        mapping_from_cli(["date=date", "equipment=unit", "symptom=problem", "action=action"]),
        vessel_id=org.vessel_id,
    )
    assert count == 1 and "malformed" in summary
    with home_bosun.db.transaction(caller) as s:
        faults.report_fault(
            s,
            caller,
            equipment_id=org.equipment_ids["602"],
            title="Fire pump gland leaking sea water",
        )
    assert service.index_fault_history(org.org_id, org.vessel_id) >= 1
    hits = _search(client, org, Role.crew, {"q": "turbocharger surging", "kind": "fault_history"})
    assert "compressor wheel" in hits[0]["text"]
    hits = _search(client, org, Role.crew, {"q": "fire pump gland leak"})
    assert any("gland" in h["text"] for h in hits)
