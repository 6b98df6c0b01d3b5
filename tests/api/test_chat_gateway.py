"""The chat gateway through the API: chat tokens, link codes, attachments, tenant walls."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from channels.app.runtime import Bosun
from channels.services.chat import open_gateway
from records import Role, faults, system_caller, users
from tests.api.conftest import Tenant, assert_problem, make_tenant, module_home

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5f6a4400000000049454e44ae426082"
)


home_bosun, client, org = module_home("gateway_home")


@pytest.fixture(scope="module")
def other(home_bosun: Bosun) -> Tenant:
    return make_tenant(home_bosun)


def _token(client: TestClient, org: Tenant, role: Role, **body: object) -> str:
    response = client.post("/v1/chat/tokens", headers=org.auth(role), json=body)
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def test_token_chats_but_opens_no_other_door(
    client: TestClient, org: Tenant, home_bosun: Bosun
) -> None:
    crew = _email(home_bosun, org, Role.crew)
    token = _token(client, org, Role.admin, user=crew, ttl_s=600)
    assert token.startswith("bct.") and not token.startswith("bsn_")
    bearer = {"Authorization": f"Bearer {token}"}
    turn = client.post("/v1/chat/turns", headers=bearer, json={"text": "list open faults"})
    assert turn.status_code == 200, turn.text
    assert turn.json()["outcome"] in ("answer", "nothing_found")
    # A chat token is not an API key: the records API refuses it.
    assert_problem(client.get("/v1/faults", headers=bearer), 401, "unauthorized")
    with client.websocket_connect(f"/v1/chat/ws?token={token}") as ws:
        ws.send_json({"text": "list open faults"})
        while (message := ws.receive_json())["type"] == "delta":
            pass
        assert message["type"] == "final" and message["reply"]


def test_bad_and_forged_tokens_are_refused(
    client: TestClient, org: Tenant, home_bosun: Bosun
) -> None:
    token = _token(client, org, Role.crew)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in (forged, "bct.garbage", "bct."):
        response = client.post(
            "/v1/chat/turns", headers={"Authorization": f"Bearer {bad}"}, json={"text": "hi"}
        )
        assert_problem(response, 401, "unauthorized")
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(f"/v1/chat/ws?token={forged}") as ws,
    ):
        ws.receive_json()
    assert closed.value.code == 4401
    gateway = open_gateway(home_bosun)
    expired = gateway.issue_chat_token(
        org.org_id, org.user_ids[Role.crew], ttl=timedelta(seconds=-1)
    )
    response = client.post(
        "/v1/chat/turns",
        headers={"Authorization": f"Bearer {expired.token}"},
        json={"text": "hi"},
    )
    assert "expired" in assert_problem(response, 401, "unauthorized")["detail"]


def test_only_admins_issue_tokens_for_others(
    client: TestClient, org: Tenant, home_bosun: Bosun
) -> None:
    admin = _email(home_bosun, org, Role.admin)
    response = client.post("/v1/chat/tokens", headers=org.auth(Role.crew), json={"user": admin})
    assert_problem(response, 403, "forbidden")
    response = client.post(
        "/v1/chat/tokens", headers=org.auth(Role.admin), json={"user": "nobody@nowhere.test"}
    )
    assert_problem(response, 404, "not_found")


def test_link_code_links_once(
    client: TestClient, org: Tenant, other: Tenant, home_bosun: Bosun
) -> None:
    gateway = open_gateway(home_bosun)
    assert gateway.identify("telegram", "4242") is None
    issued = client.post(
        f"/v1/users/{org.user_ids[Role.officer]}/link-codes", headers=org.auth(Role.admin)
    )
    assert issued.status_code == 201, issued.text
    code = issued.json()["code"]
    speaker = gateway.link("telegram", "4242", code.lower().replace("-", ""))
    assert speaker.user_id == org.user_ids[Role.officer] and speaker.org_id == org.org_id
    assert gateway.identify("telegram", "4242") == speaker
    with pytest.raises(Exception, match="used already"):
        gateway.link("telegram", "9999", code)
    with pytest.raises(Exception, match="unknown link code"):
        gateway.link("telegram", "9999", "ABCD-EFGH")
    # A crew member gets a code for themself only, through a chat token too.
    token = _token(client, other, Role.crew)
    own = client.post("/v1/chat/link-codes", headers={"Authorization": f"Bearer {token}"})
    assert own.status_code == 200 and own.json()["code"]
    assert_problem(
        client.post(
            f"/v1/users/{other.user_ids[Role.admin]}/link-codes", headers=other.auth(Role.crew)
        ),
        403,
        "forbidden",
    )
    # Another organization's user cannot be named.
    assert_problem(
        client.post(
            f"/v1/users/{org.user_ids[Role.crew]}/link-codes", headers=other.auth(Role.admin)
        ),
        404,
        "not_found",
    )


def test_verified_email_links_on_first_contact(org: Tenant, home_bosun: Bosun) -> None:
    gateway = open_gateway(home_bosun)
    email = _email(home_bosun, org, Role.chief_engineer)
    assert gateway.identify("slack", "T1/U1", verified_email="nobody@else.test") is None
    speaker = gateway.identify("slack", "T1/U1", verified_email=email.upper())
    assert speaker is not None and speaker.user_id == org.user_ids[Role.chief_engineer]
    assert gateway.identify("slack", "T1/U1") == speaker


def test_photo_waits_for_the_fault_and_is_attached_once(
    client: TestClient, org: Tenant, other: Tenant, home_bosun: Bosun
) -> None:
    token = _token(client, org, Role.crew)
    bearer = {"Authorization": f"Bearer {token}"}
    kept = client.post(
        "/v1/chat/attachments",
        headers=bearer,
        files={"file": ("leak.png", PNG, "image/png")},
        data={"conversation": "photo-1"},
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["fault_id"] is None and kept.json()["size"] == len(PNG)
    turn = client.post(
        "/v1/chat/turns",
        headers=bearer,
        json={"text": "ME1 is leaking fuel", "conversation": "photo-1"},
    ).json()
    action = turn["proposed_action"]
    assert action and action["kind"] == "report_fault", turn
    done = client.post(f"/v1/chat/actions/{action['id']}/confirm", headers=bearer).json()
    fault_id = done["executed"]["fault_id"]
    client.post(f"/v1/chat/actions/{action['id']}/confirm", headers=bearer)
    with home_bosun.db.transaction(org.org_id) as s:
        fault = faults.get_fault(s, system_caller(org.org_id), fault_id)
        assert [a["sha256"] for a in fault.attachments] == [kept.json()["sha256"]]
        stored = home_bosun.settings.home / "uploads" / fault.attachments[0]["path"]
    assert stored.read_bytes() == PNG
    # Straight onto a known fault; the other organization cannot reach it.
    again = client.post(
        "/v1/chat/attachments",
        headers=bearer,
        files={"file": ("log.txt", b"pressure 3.1 bar", "text/plain")},
        data={"fault_id": str(fault_id)},
    )
    assert again.status_code == 200 and again.json()["fault_id"] == fault_id
    stranger = {"Authorization": f"Bearer {_token(client, other, Role.crew)}"}
    refused = client.post(
        "/v1/chat/attachments",
        headers=stranger,
        files={"file": ("x.png", PNG, "image/png")},
        data={"fault_id": str(fault_id)},
    )
    assert_problem(refused, 404, "not_found")
    wrong = client.post(
        "/v1/chat/attachments",
        headers=bearer,
        files={"file": ("run.exe", b"MZ...", "application/x-msdownload")},
        data={"conversation": "photo-1"},
    )
    assert_problem(wrong, 415, "unsupported_media_type")


def _email(bosun: Bosun, org: Tenant, role: Role) -> str:
    with bosun.db.transaction(org.org_id) as s:
        return users.get_user(s, system_caller(org.org_id), org.user_ids[role]).email


def test_uploads_get_their_own_size_limits(client: TestClient, org: Tenant) -> None:
    bearer = {"Authorization": f"Bearer {_token(client, org, Role.crew)}"}
    photo = PNG + b"\0" * 1_500_000  # over the 1 MB JSON limit, under the 20 MB file limit
    kept = client.post(
        "/v1/chat/attachments",
        headers=bearer,
        files={"file": ("big.png", photo, "image/png")},
        data={"conversation": "big-1"},
    )
    assert kept.status_code == 200, kept.text
    huge = client.post(
        "/v1/chat/attachments",
        headers=bearer,
        files={"file": ("huge.png", b"\0" * 21_000_000, "image/png")},
        data={"conversation": "big-1"},
    )
    assert_problem(huge, 413, "too_large")
