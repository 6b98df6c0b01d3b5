"""Socket Mode against a local websocket, and notices posted to a vessel's channel."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from assistant import Notice
from channels.app.runtime import Bosun
from channels.chat.slack import SlackBot, SlackDeliveryError, SlackNotifier, SlackSettings
from channels.services.chat import open_gateway
from records import Fault, Role
from tests.slack.conftest import PUBLIC_URL, Crew, button_value, click, dm, unique
from tests.slack.fake_slack import APP_TOKEN, BOT_TOKEN, TEAM, FakeSlack


def _settings(fake: FakeSlack, *, app_token: bool = False) -> SlackSettings:
    return SlackSettings(
        bot_token=SecretStr(BOT_TOKEN),
        app_token=SecretStr(APP_TOKEN) if app_token else None,
        api_url=fake.api_url,
    )


def test_socket_mode_serves_events_without_a_public_url(
    bosun: Bosun, fake_slack: FakeSlack, crew: Crew
) -> None:
    bot = SlackBot(lambda: open_gateway(bosun), _settings(fake_slack, app_token=True))
    assert not bot.http_enabled  # no signing secret: the HTTP endpoint stays shut
    assert bot.start_socket_mode()
    try:
        channel = unique("D")
        event_id = unique("Ev")
        payload = {
            "team_id": TEAM,
            "api_app_id": "A0BOSUN",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": {"team": TEAM, **dm(crew.slack_user, channel, "ME1 is leaking fuel")},
        }
        envelope = {
            "envelope_id": unique("env"),
            "type": "events_api",
            "accepts_response_payload": False,
            "retry_attempt": 0,
            "retry_reason": "",
            "payload": payload,
        }
        fake_slack.push(envelope)
        ack = fake_slack.socket_acks.get(timeout=10)
        assert ack["envelope_id"] == envelope["envelope_id"]
        posted = fake_slack.wait_for("chat.postMessage", lambda c: c.params["channel"] == channel)
        assert button_value(posted[0].params["blocks"], "bosun_confirm").isdigit()
        # Slack redelivers the same event: acknowledged, no second turn.
        again = {**envelope, "envelope_id": unique("env"), "retry_attempt": 1}
        again["retry_reason"] = "timeout"
        fake_slack.push(again)
        assert fake_slack.socket_acks.get(timeout=10)["envelope_id"] == again["envelope_id"]
        # A later message as a marker: a second turn, had one started, has posted by its answer.
        marker = unique("D")
        later = {**payload, "event_id": unique("Ev")}
        later["event"] = {"team": TEAM, **dm(crew.slack_user, marker, "help")}
        fake_slack.push({**envelope, "envelope_id": unique("env"), "payload": later})
        fake_slack.wait_for("chat.postMessage", lambda c: c.params["channel"] == marker)
        assert (
            len(fake_slack.matching("chat.postMessage", lambda c: c.params["channel"] == channel))
            == 1
        )
        assert fake_slack.matching(
            "apps.connections.open", lambda c: c.headers["authorization"] == f"Bearer {APP_TOKEN}"
        )
    finally:
        bot.stop()


def test_socket_mode_needs_both_tokens(bosun: Bosun, fake_slack: FakeSlack) -> None:
    assert not SlackBot(lambda: open_gateway(bosun), _settings(fake_slack)).start_socket_mode()
    assert not SlackBot(lambda: open_gateway(bosun), SlackSettings()).start_socket_mode()


async def test_notifier_posts_a_notice_with_buttons(fake_slack: FakeSlack) -> None:
    notifier = SlackNotifier.from_settings(_settings(fake_slack), public_url=PUBLIC_URL)
    assert notifier is not None
    channel = unique("C")
    notice = Notice(
        kind="alarm",
        vessel_id=1,
        text="ME1 exhaust <!channel> 512 °C & rising",
        action_id=42,
        link="/v1/faults/3",
    )
    await notifier.notify(channel, notice)
    (posted,) = fake_slack.matching("chat.postMessage", lambda c: c.params["channel"] == channel)
    blocks = posted.params["blocks"]
    assert button_value(blocks, "bosun_confirm") == "42"
    assert button_value(blocks, "bosun_cancel") == "42"
    dumped = json.dumps(blocks)
    assert "&lt;!channel&gt; 512 °C &amp; rising" in json.loads(dumped)[0]["text"]["text"]
    assert f"<{PUBLIC_URL}/v1/faults/3|Open in Bosun>" in dumped
    # Without an action there are no buttons.
    plain = unique("C")
    await notifier.notify(plain, Notice(kind="overdue", vessel_id=1, text="WO 7 is overdue"))
    (posted,) = fake_slack.matching("chat.postMessage", lambda c: c.params["channel"] == plain)
    assert "bosun_confirm" not in json.dumps(posted.params["blocks"])


async def test_notifier_says_whether_a_failure_is_worth_retrying(fake_slack: FakeSlack) -> None:
    notifier = SlackNotifier.from_settings(_settings(fake_slack))
    assert notifier is not None
    fake_slack.missing_channels.add("CGONE")
    with pytest.raises(SlackDeliveryError) as refused:
        await notifier.notify("CGONE", Notice(kind="fault", vessel_id=1, text="new fault"))
    assert not refused.value.transient and "channel_not_found" in str(refused.value)
    assert SlackNotifier.from_settings(SlackSettings()) is None


async def test_a_notice_confirmed_in_slack_files_the_fault_once(
    client: TestClient, bosun: Bosun, fake_slack: FakeSlack, crew: Crew
) -> None:
    gateway = open_gateway(bosun)
    chief = gateway.speaker_for_key(crew.org.keys[Role.chief_engineer])
    proposed = gateway.turn(chief, "ME1 is leaking fuel", conversation=unique("alarm"))
    assert proposed.proposed_action is not None
    notifier = SlackNotifier.from_settings(_settings(fake_slack))
    assert notifier is not None
    channel = unique("C")
    await notifier.notify(
        channel,
        Notice(
            kind="alarm",
            vessel_id=crew.org.vessel_id,
            text="ME1 fuel leak detected",
            action_id=proposed.proposed_action.id,
        ),
    )
    (posted,) = fake_slack.matching("chat.postMessage", lambda c: c.params["channel"] == channel)
    value = button_value(posted.params["blocks"], "bosun_confirm")
    for _ in range(2):
        response = click(
            client,
            fake_slack,
            user=crew.slack_user,
            posted=posted,
            action_id="bosun_confirm",
            value=value,
        )
        assert response.status_code == 200
    fake_slack.wait_for("chat.update", lambda c: c.params["channel"] == channel, count=2)
    with bosun.db.transaction(crew.org.org_id) as s:
        filed = list(s.scalars(select(Fault).where(Fault.org_id == crew.org.org_id)))
    assert len(filed) == 1
