"""BOSUN_CHAT_MODEL / BOSUN_CHAT_BASE_URL route the API's chat to an OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from channels.app.runtime import open_bosun
from channels.app.settings import Settings
from channels.http.app import create_app
from records import Role
from tests.api.conftest import Tenant, make_tenant
from tests.chat_completions_server import Script, chat_completions_server, text, tool_call

pytestmark = pytest.mark.slow

MANUAL = """# Fuel system of the main engines

## Bleeding the fuel system

1. Open the vent screw on the fuel filter housing.
2. Run the priming pump until fuel without air bubbles comes out.
3. Close the vent screw and check the fuel pressure reads 7 bar.
"""


@dataclass
class Served:
    """The API of a Bosun configured (through its environment) for a model server."""

    client: TestClient
    org: Tenant
    script: Script


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    mp = pytest.MonkeyPatch()
    with chat_completions_server() as (url, script):
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")
        mp.setenv("BOSUN_CHAT_MODEL", "openai:scripted-7b")
        mp.setenv("BOSUN_CHAT_BASE_URL", url)
        mp.setenv("BOSUN_CHAT_API_KEY", "fleet-model-key")
        mp.setenv("BOSUN_EMBEDDER", "torch")  # no ONNX export for one test home
        bosun = open_bosun(Settings(home=Path(tmp_path_factory.mktemp("model_server_home"))))
        bosun.startup.ready.set()
        try:
            with TestClient(create_app(bosun)) as client:
                yield Served(client, make_tenant(bosun), script)
        finally:
            bosun.close()
            mp.undo()


def test_the_assistant_answers_through_the_model_server(served: Served) -> None:
    client, org, script = served.client, served.org, served.script
    upload = client.post(
        "/v1/documents",
        headers=org.auth(Role.admin),
        files={"file": ("fuel.md", MANUAL.encode(), "text/markdown")},
        data={"kind": "procedure"},
    )
    assert upload.status_code == 201, upload.text
    document_id = upload.json()["document"]["id"]

    script.requests.clear()
    script.replies += [
        tool_call("search_manuals", query="bleed the fuel system"),
        text("Open the vent screw on the fuel filter housing and prime until clear [1]."),
    ]
    turn = client.post(
        "/v1/chat/turns",
        headers=org.auth(Role.chief_engineer),
        json={"text": "how do I bleed the fuel system?", "vessel_id": org.vessel_id},
    )
    assert turn.status_code == 200, turn.text
    body = turn.json()
    assert body["outcome"] == "answer", body
    assert body["reply"].startswith("Open the vent screw on the fuel filter housing")
    assert [c["document_id"] for c in body["citations"]] == [document_id]
    assert [t["name"] for t in body["tool_calls"]] == ["search_manuals"]

    assert len(script.requests) == 2 and not script.replies
    first, second = (r for r in script.requests)
    assert first["path"] == "/v1/chat/completions"
    assert first["authorization"] == "Bearer fleet-model-key"
    assert first["body"]["model"] == "scripted-7b"
    assert "search_manuals" in {t["function"]["name"] for t in first["body"]["tools"]}
    tool_results = [m for m in second["body"]["messages"] if m["role"] == "tool"]
    assert "vent screw" in tool_results[-1]["content"]


def test_a_fault_the_model_proposes_is_filed_once_on_confirmation(served: Served) -> None:
    client, org, script = served.client, served.org, served.script
    script.requests.clear()
    script.replies += [
        tool_call("report_fault", equipment="ME1", title="Heavy smoke from ME1", priority="high"),
        text("I have prepared the fault report for Main engine No. 1; please confirm."),
    ]
    crew = org.auth(Role.crew)
    turn = client.post(
        "/v1/chat/turns", headers=crew, json={"text": "ME1 is smoking badly", "conversation": "m"}
    ).json()
    action = turn["proposed_action"]
    assert turn["outcome"] == "proposed" and action["kind"] == "report_fault", turn
    assert action["arguments"]["equipment_code"] == "601.1"
    asked = len(script.requests)

    first = client.post(f"/v1/chat/actions/{action['id']}/confirm", headers=crew)
    second = client.post(f"/v1/chat/actions/{action['id']}/confirm", headers=crew)
    assert first.status_code == second.status_code == 200, (first.text, second.text)
    assert len(script.requests) == asked, "a confirmation never goes to the model"
    faults = client.get("/v1/faults", headers=crew).json()["items"]
    filed = [f for f in faults if f["title"] == "Heavy smoke from ME1"]
    assert len(filed) == 1 and filed[0]["equipment_id"] == org.equipment_ids["601.1"]
    assert filed[0]["id"] == first.json()["executed"]["fault_id"]


def test_a_model_server_that_fails_gets_a_clear_reply(served: Served) -> None:
    client, org, script = served.client, served.org, served.script
    script.requests.clear()
    script.replies.clear()  # the server answers 500 to everything
    headers = org.auth(Role.chief_engineer)
    turn = client.post(
        "/v1/chat/turns",
        headers=headers,
        json={"text": "how do I bleed the fuel system?", "conversation": "down"},
    )
    assert turn.status_code == 200, turn.text
    body = turn.json()
    assert body["outcome"] == "error" and "not answering" in body["reply"], body
    assert script.requests, "the turn went to the model server"

    # The server is back: the same conversation carries on, with the question kept.
    script.requests.clear()
    script.replies += [text("Which fuel system do you mean: ME1 or ME2?")]
    again = client.post(
        "/v1/chat/turns", headers=headers, json={"text": "the fuel system", "conversation": "down"}
    ).json()
    assert again["outcome"] == "clarify" and again["conversation_id"] == body["conversation_id"]
    said = [m["content"] for m in script.requests[0]["body"]["messages"] if m["role"] == "user"]
    assert said == ["how do I bleed the fuel system?", "the fuel system"]
