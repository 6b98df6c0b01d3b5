"""The real bolt app behind POST /slack/events, against a local server speaking Slack's API."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from channels.app.runtime import Bosun
from channels.http.app import create_app
from channels.services.chat import open_gateway
from records import Conversation, Fault, Message, Role, faults, system_caller
from tests.slack.conftest import (
    PNG,
    PUBLIC_URL,
    Crew,
    button_value,
    click,
    dm,
    email_of,
    identities,
    post_event,
    post_form,
    settle,
    slack_user,
    unique,
)
from tests.slack.fake_slack import BOT_USER, SIGNING_SECRET, TEAM, Call, FakeSlack, sign


def _conversations(bosun: Bosun, org_id: int, channel: str) -> int:
    with bosun.db.transaction(org_id) as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(Conversation)
                .where(
                    Conversation.channel == "slack", Conversation.external_id.like(f"%{channel}%")
                )
            )
            or 0
        )


def _to(channel: str) -> Callable[[Call], bool]:
    return lambda call: bool(call.params.get("channel") == channel)


def _faults(bosun: Bosun, org_id: int) -> list[Fault]:
    with bosun.db.transaction(org_id) as s:
        found = list(s.scalars(select(Fault).where(Fault.org_id == org_id)))
        for fault in found:
            s.expunge(fault)
        return found


def test_unconfigured_slack_refuses_everything(bosun: Bosun) -> None:
    with pytest.MonkeyPatch.context() as mp:
        for name in ("BOT_TOKEN", "APP_TOKEN", "SIGNING_SECRET"):
            mp.delenv(f"BOSUN_SLACK_{name}", raising=False)
        with TestClient(create_app(bosun)) as bare:
            body = json.dumps({"type": "url_verification", "challenge": "abc"})
            signed = {"Content-Type": "application/json", **sign(body)}
            refused = bare.post("/slack/events", content=body, headers=signed)
            assert refused.status_code == 401
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["code"] == "unauthorized"
            assert bare.get("/slack/events").status_code == 401
        # A signing secret without a bot token is still "not configured".
        mp.setenv("BOSUN_SLACK_SIGNING_SECRET", SIGNING_SECRET)
        with TestClient(create_app(bosun)) as half:
            assert half.post("/slack/events", content=body, headers=signed).status_code == 401


def test_url_verification_answers_the_challenge(client: TestClient) -> None:
    body = json.dumps({"token": "x", "type": "url_verification", "challenge": "c-123"})
    response = client.post(
        "/slack/events", content=body, headers={"Content-Type": "application/json", **sign(body)}
    )
    assert response.status_code == 200
    assert response.json() == {"challenge": "c-123"}


def test_bad_or_stale_signatures_get_401_and_no_turn(
    client: TestClient, bosun: Bosun, fake_slack: FakeSlack, crew: Crew
) -> None:
    channel = unique("D")
    event = dm(crew.slack_user, channel, "list open faults")
    wrong, _ = post_event(client, event, secret="not-the-secret")
    stale, _ = post_event(client, event, ts=int(time.time()) - 10 * 60)
    body = json.dumps({"type": "event_callback", "event": event, "event_id": unique("Ev")})
    unsigned = client.post(
        "/slack/events", content=body, headers={"Content-Type": "application/json"}
    )
    tampered_headers = {"Content-Type": "application/json", **sign(body)}
    tampered = client.post(
        "/slack/events", content=body.replace("list", "close"), headers=tampered_headers
    )
    for response in (wrong, stale, unsigned, tampered):
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "unauthorized"
    settle(client, fake_slack, crew)  # a turn, had one started, has posted by now
    assert not fake_slack.matching("chat.postMessage", lambda c: c.params["channel"] == channel)
    assert _conversations(bosun, crew.org.org_id, channel) == 0


def test_direct_message_answers_once_even_when_slack_retries(
    client: TestClient, bosun: Bosun, fake_slack: FakeSlack, crew: Crew
) -> None:
    channel = unique("D")
    event = dm(crew.slack_user, channel, "list open faults")
    # The reply is held at Slack: the event is acknowledged before the turn ends.
    fake_slack.held["chat.postMessage"] = threading.Event()
    try:
        first, event_id = post_event(client, event)
        assert first.status_code == 200
        assert not fake_slack.matching("chat.postMessage", lambda c: c.params["channel"] == channel)
    finally:
        fake_slack.held.pop("chat.postMessage").set()
    # Slack retries: after a timeout, and after an error once the first was received.
    timeout_retry, _ = post_event(
        client,
        event,
        event_id=event_id,
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    error_retry, _ = post_event(
        client,
        event,
        event_id=event_id,
        headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_error"},
    )
    assert timeout_retry.status_code == 200 and error_retry.status_code == 200
    fake_slack.wait_for("chat.postMessage", lambda c: c.params["channel"] == channel)
    settle(client, fake_slack, crew)  # a second turn, had one started, has posted by now
    replies = fake_slack.matching("chat.postMessage", lambda c: c.params["channel"] == channel)
    assert len(replies) == 1
    reply = replies[0].params
    assert reply.get("thread_ts") is None  # a DM's main timeline is one conversation
    assert reply["text"]
    assert button_value(reply["blocks"], "bosun_helpful").isdigit()
    # The Slack user was linked by the email Slack verified.
    assert identities(bosun, f"{TEAM}/{crew.slack_user}") == 1
    with bosun.db.transaction(crew.org.org_id) as s:
        messages = s.scalar(
            select(func.count())
            .select_from(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.external_id == f"{TEAM}:{channel}", Message.role == "user")
        )
    assert messages == 1


def test_mention_in_a_thread_proposes_a_fault_and_confirm_executes_once(
    client: TestClient, bosun: Bosun, fake_slack: FakeSlack, crew: Crew
) -> None:
    channel = unique("C")
    mention = {
        "type": "app_mention",
        "channel": channel,
        "user": crew.slack_user,
        "text": f"<@{BOT_USER}> ME1 is leaking fuel",
        "ts": "1700000000.000500",
    }
    assert post_event(client, mention)[0].status_code == 200
    posted = fake_slack.wait_for("chat.postMessage", lambda c: c.params["channel"] == channel)[0]
    assert posted.params["thread_ts"] == "1700000000.000500"  # replies in the thread
    assert "Main engine No. 1" in posted.params["text"]
    action = button_value(posted.params["blocks"], "bosun_confirm")
    assert button_value(posted.params["blocks"], "bosun_cancel") == action
    assert not _faults(bosun, crew.org.org_id)
    # Two clicks in quick succession (a double click, or two crew members).
    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                click(
                    client,
                    fake_slack,
                    user=crew.slack_user,
                    posted=posted,
                    action_id="bosun_confirm",
                    value=action,
                )
            )
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [200, 200]
    updates = fake_slack.wait_for("chat.update", lambda c: c.params["channel"] == channel, count=2)
    created = _faults(bosun, crew.org.org_id)
    assert len(created) == 1
    assert created[0].equipment_id == crew.org.equipment_ids["601.1"]
    assert created[0].reported_via == "slack"
    for update in updates:
        assert update.params["ts"] == posted.answer["ts"]
        blocks = update.params["blocks"]
        assert not any(
            e.get("action_id") == "bosun_confirm" for b in blocks for e in b.get("elements", [])
        )
        assert f"<@{crew.slack_user}> confirmed" in json.dumps(blocks)
    assert any(f"#{created[0].id}" in u.params["text"] for u in updates)
    # A follow-up in the same thread continues the same conversation.
    follow = {**mention, "text": f"<@{BOT_USER}> list open faults", "ts": "1700000000.000600"}
    follow["thread_ts"] = "1700000000.000500"
    post_event(client, follow)
    fake_slack.wait_for("chat.postMessage", lambda c: c.params["channel"] == channel, count=2)
    assert _conversations(bosun, crew.org.org_id, channel) == 1


def test_cancel_changes_nothing(
    client: TestClient, bosun: Bosun, fake_slack: FakeSlack, crew: Crew
) -> None:
    channel = unique("D")
    post_event(client, dm(crew.slack_user, channel, "ME1 is leaking fuel"))
    posted = fake_slack.wait_for("chat.postMessage", lambda c: c.params["channel"] == channel)[0]
    action = button_value(posted.params["blocks"], "bosun_cancel")
    click(
        client,
        fake_slack,
        user=crew.slack_user,
        posted=posted,
        action_id="bosun_cancel",
        value=action,
    )
    update = fake_slack.wait_for("chat.update", lambda c: c.params["channel"] == channel)[0]
    assert "cancelled" in json.dumps(update.params["blocks"])
    assert not _faults(bosun, crew.org.org_id)


def test_unlinked_users_get_instructions_not_data(
    client: TestClient, bosun: Bosun, fake_slack: FakeSlack, crew: Crew
) -> None:
    stranger = slack_user(fake_slack, "nobody@elsewhere.test")
    unconfirmed = slack_user(
        fake_slack, email_of(bosun, crew.org, Role.officer), is_email_confirmed=False
    )
    guest = slack_user(fake_slack, email_of(bosun, crew.org, Role.crew), team_id="T0OTHER")
    for user in (stranger, unconfirmed, guest):
        channel = unique("D")
        post_event(client, dm(user, channel, "list open faults"))
        reply = fake_slack.wait_for("chat.postMessage", _to(channel))
        assert "link" in reply[0].params["text"].lower()
        assert "blocks" not in reply[0].params
        assert identities(bosun, f"{TEAM}/{user}") == 0
    # A button click by an unlinked user decides nothing.
    channel = unique("D")
    post_event(client, dm(crew.slack_user, channel, "ME1 is leaking fuel"))
    posted = fake_slack.wait_for("chat.postMessage", lambda c: c.params["channel"] == channel)[0]
    action = button_value(posted.params["blocks"], "bosun_confirm")
    click(client, fake_slack, user=stranger, posted=posted, action_id="bosun_confirm", value=action)
    said = fake_slack.wait_for(
        "response_url", lambda c: "link" in str(c.params.get("text", "")).lower()
    )
    assert said[0].params["response_type"] == "ephemeral"
    assert not _faults(bosun, crew.org.org_id)


def test_link_by_code_in_a_dm_and_with_the_slash_command(
    client: TestClient, bosun: Bosun, fake_slack: FakeSlack, crew: Crew
) -> None:
    gateway = open_gateway(bosun)
    officer = crew.org.user_ids[Role.officer]
    no_email = slack_user(fake_slack, None)
    channel = unique("D")
    post_event(client, dm(no_email, channel, "list open faults"))
    assert (
        "link"
        in fake_slack.wait_for("chat.postMessage", lambda c: c.params["channel"] == channel)[
            0
        ].params["text"]
    )
    code = _code_for(bosun, crew, officer)
    post_event(client, dm(no_email, channel, f"link {code}"))
    linked = fake_slack.wait_for(
        "chat.postMessage", lambda c: c.params["channel"] == channel, count=2
    )
    assert "Linked" in linked[1].params["text"]
    speaker = gateway.identify("slack", f"{TEAM}/{no_email}")
    assert speaker is not None and speaker.user_id == officer
    # A used code does not work twice; the slash command links too.
    other = slack_user(fake_slack, None)
    reused = post_form(client, _command(fake_slack, other, f"link {code}"))
    assert reused.status_code == 200
    fake_slack.wait_for("response_url", lambda c: "did not work" in str(c.params.get("text")))
    fresh = _code_for(bosun, crew, crew.org.user_ids[Role.crew])
    post_form(client, _command(fake_slack, other, f"link {fresh}"))
    fake_slack.wait_for("response_url", lambda c: "Linked" in str(c.params.get("text")))
    assert gateway.identify("slack", f"{TEAM}/{other}") is not None


def _code_for(bosun: Bosun, crew: Crew, user_id: int) -> str:
    gateway = open_gateway(bosun)
    admin = gateway.speaker_for_key(crew.org.keys[Role.admin])
    return gateway.issue_link_code(admin, user_id)


def _command(fake: FakeSlack, user: str, text: str, channel: str | None = None) -> dict[str, str]:
    return {
        "token": "unused",
        "team_id": TEAM,
        "team_domain": "bosun-test",
        "channel_id": channel or unique("C"),
        "channel_name": "engine-room",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/bosun",
        "text": text,
        "api_app_id": "A0BOSUN",
        "response_url": f"{fake.url}/respond/{unique('R')}",
        "trigger_id": unique("trig"),
    }


def test_slash_command_answers_privately(
    client: TestClient, bosun: Bosun, fake_slack: FakeSlack, crew: Crew
) -> None:
    helped = _command(fake_slack, crew.slack_user, "")
    assert post_form(client, helped).status_code == 200
    url = helped["response_url"]
    (usage,) = fake_slack.wait_for("response_url", lambda c: c.headers["x-url"] == url)
    assert "/bosun link CODE" in usage.params["text"]
    asked = _command(fake_slack, crew.slack_user, "ME1 is leaking fuel")
    # The answer is held at Slack: the command is acknowledged before the turn ends.
    fake_slack.held["response_url"] = threading.Event()
    try:
        assert post_form(client, asked).status_code == 200
        assert not fake_slack.matching(
            "response_url", lambda c: c.headers["x-url"] == asked["response_url"]
        )
    finally:
        fake_slack.held.pop("response_url").set()
    (answer,) = fake_slack.wait_for(
        "response_url", lambda c: c.headers["x-url"] == asked["response_url"]
    )
    reply = answer.params
    assert button_value(reply["blocks"], "bosun_confirm").isdigit()
    assert reply["response_type"] == "ephemeral"
    assert "Main engine No. 1" in reply["text"]
    # Confirm on the private reply: Slack sends no message, the reply is replaced in place.
    payload = {
        "type": "block_actions",
        "user": {"id": crew.slack_user, "team_id": TEAM},
        "team": {"id": TEAM},
        "container": {"type": "message", "message_ts": "1700000200.000001", "is_ephemeral": True},
        "channel": {"id": asked["channel_id"]},
        "response_url": f"{fake_slack.url}/respond/{unique('R')}",
        "actions": [
            {
                "type": "button",
                "action_id": "bosun_confirm",
                "value": button_value(reply["blocks"], "bosun_confirm"),
            }
        ],
    }
    assert post_form(client, {"payload": json.dumps(payload)}).status_code == 200
    (replaced,) = fake_slack.wait_for(
        "response_url", lambda c: c.headers["x-url"] == payload["response_url"]
    )
    assert replaced.params["replace_original"] is True
    assert f"<@{crew.slack_user}> confirmed" in json.dumps(replaced.params["blocks"])
    assert len(_faults(bosun, crew.org.org_id)) == 1


def test_citations_are_links(
    client: TestClient, bosun: Bosun, fake_slack: FakeSlack, crew: Crew
) -> None:
    from channels.chat.slack.blocks import citation_line

    line = citation_line(
        "ME manual <v2>", 12, "Fuel system", "/v1/documents/7/file#page=12", PUBLIC_URL
    )
    assert line == (
        f"<{PUBLIC_URL}/v1/documents/7/file#page=12|ME manual &lt;v2&gt;, p. 12 (Fuel system)>"
    )
    assert citation_line("Plain", None, None, "/v1/documents/7/file", None) == "Plain"


def test_a_file_shared_with_a_fault_report_is_attached(
    client: TestClient, bosun: Bosun, fake_slack: FakeSlack, crew: Crew
) -> None:
    file_id = unique("F")
    fake_slack.files[file_id] = (
        {
            "id": file_id,
            "name": "leak.png",
            "title": "leak",
            "mimetype": "image/png",
            "filetype": "png",
            "size": len(PNG),
            "url_private": f"{fake_slack.url}/files/{file_id}",
            "url_private_download": f"{fake_slack.url}/files/{file_id}",
        },
        PNG,
    )
    channel = unique("D")
    event = dm(
        crew.slack_user,
        channel,
        "ME1 is leaking fuel",
        subtype="file_share",
        files=[{"id": file_id, "name": "leak.png"}],
    )
    post_event(client, event)
    posted = fake_slack.wait_for("chat.postMessage", lambda c: c.params["channel"] == channel)[0]
    download = fake_slack.matching("download", lambda c: c.params["file"] == file_id)
    assert download and download[0].headers["authorization"].startswith("Bearer xoxb-")
    assert "leak.png" in json.dumps(posted.params["blocks"])
    action = button_value(posted.params["blocks"], "bosun_confirm")
    click(
        client,
        fake_slack,
        user=crew.slack_user,
        posted=posted,
        action_id="bosun_confirm",
        value=action,
    )
    fake_slack.wait_for("chat.update", lambda c: c.params["channel"] == channel)
    (fault,) = _faults(bosun, crew.org.org_id)
    with bosun.db.transaction(crew.org.org_id) as s:
        kept = faults.get_fault(s, system_caller(crew.org.org_id), fault.id).attachments
    assert [a["name"] for a in kept] == ["leak.png"]
    assert (Path(bosun.settings.home) / "uploads" / kept[0]["path"]).read_bytes() == PNG


def test_a_file_on_a_foreign_host_is_not_fetched_with_the_token(
    client: TestClient, fake_slack: FakeSlack, crew: Crew
) -> None:
    file_id = unique("F")
    fake_slack.files[file_id] = (
        {
            "id": file_id,
            "name": "x.png",
            "mimetype": "image/png",
            "size": 10,
            "url_private_download": "http://198.51.100.7/steal",
        },
        PNG,
    )
    channel = unique("D")
    post_event(
        client,
        dm(crew.slack_user, channel, "", subtype="file_share", files=[{"id": file_id}]),
    )
    posted = fake_slack.wait_for("chat.postMessage", lambda c: c.params["channel"] == channel)[0]
    assert "not on Slack's file server" in posted.params["text"]


def test_feedback_buttons_record_feedback(
    client: TestClient, bosun: Bosun, fake_slack: FakeSlack, crew: Crew
) -> None:
    channel = unique("D")
    post_event(client, dm(crew.slack_user, channel, "list open faults"))
    posted = fake_slack.wait_for("chat.postMessage", lambda c: c.params["channel"] == channel)[0]
    message_id = button_value(posted.params["blocks"], "bosun_unhelpful")
    click(
        client,
        fake_slack,
        user=crew.slack_user,
        posted=posted,
        action_id="bosun_unhelpful",
        value=message_id,
    )
    fake_slack.wait_for("response_url", lambda c: "admin will review" in str(c.params.get("text")))
    with bosun.db.transaction(crew.org.org_id) as s:
        message = s.get(Message, int(message_id))
        assert message is not None and message.feedback == "unhelpful"
