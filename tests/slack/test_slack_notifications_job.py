"""The notification job: alarms, new faults and overdue work reach the vessel's Slack channel."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from channels.app.runtime import Bosun
from channels.chat.slack import SlackNotifier, SlackSettings
from channels.services.notifications import (
    STATE_KEY,
    Route,
    collect,
    deliver,
    environment_routes,
    wire_notifications,
)
from records import (
    ALL_TENANTS,
    BosunError,
    SystemState,
    Vessel,
    faults,
    notify_routes,
    pending,
    system_caller,
    work_orders,
)
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
    with bosun.db.transaction(org.org_id) as s:
        notify_routes.set_routes(s, system_caller(org.org_id), {"slack": {imo: channel}})
    slack = _notifier(fake_slack.api_url)
    wire_notifications(bosun, {"slack": slack}, every_s=3600)
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
    down = Route("slack", _notifier(_dead_url()), {org.org_id: {imo: channel}})
    outbox = deliver(news, [down], lambda _vid: (org.org_id, imo), [])
    assert len(outbox) == 1
    route = Route("slack", slack, {org.org_id: {imo: channel}})
    assert deliver([], [route], lambda _vid: (org.org_id, imo), outbox) == []
    fake_slack.wait_for(
        "chat.postMessage", lambda c: "ME1 turbo noise" in c.params["text"], count=1
    )


def test_a_tenant_with_the_same_imo_never_reaches_another_tenants_channel(
    bosun: Bosun, fake_slack: FakeSlack
) -> None:
    """Issue 15, finding 1: notices follow the routes of the fault's own organization."""
    first, second = make_tenant(bosun), make_tenant(bosun)
    with bosun.db.transaction(ALL_TENANTS) as s:
        imos = {s.get(Vessel, t.vessel_id).imo for t in (first, second)}
    assert len(imos) == 1, "both tenants run a vessel with the same IMO"
    imo = imos.pop()
    mine, theirs = unique("CFIRST"), unique("CSECOND")
    with bosun.db.transaction(first.org_id) as s:
        notify_routes.set_routes(s, system_caller(first.org_id), {"slack": {imo: mine}})
    with bosun.db.transaction(second.org_id) as s:
        notify_routes.set_routes(s, system_caller(second.org_id), {"slack": {"*": theirs}})
    wire_notifications(bosun, {"slack": _notifier(fake_slack.api_url)}, every_s=3600)
    bosun.runner.run_pending()
    bosun.runner.submit("notifications", {})
    bosun.runner.run_pending()  # past any earlier test's news

    with bosun.db.transaction(second.org_id) as s:
        faults.report_fault(
            s,
            system_caller(second.org_id),
            equipment_id=second.equipment_ids["602"],
            title="Second tenant's fire pump fault",
        )
    bosun.runner.submit("notifications", {})
    bosun.runner.run_pending()
    fake_slack.wait_for(
        "chat.postMessage",
        lambda c: c.params["channel"] == theirs and "Second tenant" in c.params["text"],
        count=1,
    )
    assert not fake_slack.matching("chat.postMessage", lambda c: c.params["channel"] == mine)


def test_environment_routes_only_for_a_home_with_one_organization(
    bosun: Bosun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BOSUN_SLACK_NOTIFY cannot say whose vessels it means once there are several tenants."""
    make_tenant(bosun)
    make_tenant(bosun)
    monkeypatch.setenv("BOSUN_SLACK_NOTIFY", '{"*": "C0123ABC"}')
    with pytest.raises(BosunError) as refused:
        environment_routes(bosun)
    assert "BOSUN_SLACK_NOTIFY" in refused.value.message
    assert "one organization" in refused.value.message
    monkeypatch.delenv("BOSUN_SLACK_NOTIFY")
    assert environment_routes(bosun) == {}
