"""The notification job: alarms, new faults and overdue work reach the vessel's Slack channel."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from channels.notifications import STATE_KEY, Route, collect, deliver, wire_notifications
from channels.runtime import Bosun
from channels.slack import SlackNotifier, SlackSettings
from records import ALL_TENANTS, SystemState, Vessel, faults, pending, system_caller, work_orders
from tests.api.conftest import make_tenant
from tests.slack.conftest import button_value, unique
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack


def _notifier(api_url: str) -> SlackNotifier:
    notifier = SlackNotifier.from_settings(
        SlackSettings(bot_token=SecretStr(BOT_TOKEN), api_url=api_url)
    )
    assert notifier is not None
    return notifier


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/api/"


def test_news_is_posted_once_with_buttons_and_survives_an_outage(
    bosun: Bosun, fake_slack: FakeSlack
) -> None:
    org = make_tenant(bosun)
    channel = unique("C")
    with bosun.db.transaction(ALL_TENANTS) as s:
        imo = s.get(Vessel, org.vessel_id).imo
    route = Route("slack", _notifier(fake_slack.api_url), {imo: channel})
    wire_notifications(bosun, [route], every_s=3600)
    bosun.runner.run_pending()  # the first run only sets the watermarks
    assert not fake_slack.matching("chat.postMessage", lambda c: c.params["channel"] == channel)

    system = system_caller(org.org_id, "connectors")
    with bosun.db.transaction(org.org_id) as s:
        faults.report_fault(
            s, system, equipment_id=org.equipment_ids["602"], title="Fire pump seal weeping"
        )
        action = pending.propose(
            s,
            system,
            kind="report_fault",
            arguments={"equipment_id": org.equipment_ids["601.1"], "title": "Exhaust high"},
            summary="Alarm: ME1 exhaust 495 degC above its high limit 480. File a fault?",
            idempotency_key=f"alarm:ME1_EXH_T:high:{datetime.now(UTC).isoformat()}",
        )
        work_orders.create_work_order(
            s,
            system,
            equipment_id=org.equipment_ids["602"],
            title="Overhaul fire pump",
            kind="preventive",
            due=datetime.now(UTC) - timedelta(days=2),
        )
        s.flush()
        action_id = action.id
    bosun.runner.submit("notifications", {})
    bosun.runner.run_pending()
    posted = fake_slack.wait_for(
        "chat.postMessage", lambda c: c.params["channel"] == channel, count=3
    )
    texts = " | ".join(c.params["text"] for c in posted)
    assert "Fire pump seal weeping" in texts and "overdue" in texts and "exhaust" in texts
    alarm = next(c for c in posted if "exhaust" in c.params["text"])
    assert button_value(alarm.params["blocks"], "bosun_confirm") == str(action_id)

    bosun.runner.submit("notifications", {})
    bosun.runner.run_pending()  # nothing new: nothing posted again
    assert (
        len(fake_slack.matching("chat.postMessage", lambda c: c.params["channel"] == channel)) == 3
    )

    # Slack unreachable: the notice waits in the outbox and goes out once Slack is back.
    with bosun.db.transaction(org.org_id) as s:
        faults.report_fault(
            s, system, equipment_id=org.equipment_ids["601.1"], title="ME1 turbo noise"
        )
    with bosun.db.transaction(ALL_TENANTS) as s:
        state = dict(s.get(SystemState, STATE_KEY).value)
        news = collect(s, state, datetime.now(UTC))
    assert [n.kind for n in news] == ["fault"]
    down = Route("slack", _notifier(_dead_url()), {imo: channel})
    outbox = deliver(news, [down], lambda _vid: imo, [])
    assert len(outbox) == 1
    assert deliver([], [route], lambda _vid: imo, outbox) == []
    fake_slack.wait_for(
        "chat.postMessage", lambda c: "ME1 turbo noise" in c.params["text"], count=1
    )
