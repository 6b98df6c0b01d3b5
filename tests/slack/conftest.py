"""Fixtures: a real Bosun on a temp SQLite home, the FastAPI app with Slack on, a fake Slack."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from channels.app.runtime import Bosun, open_bosun
from channels.app.settings import Settings
from channels.http.app import create_app
from records import ALL_TENANTS, ChannelIdentity, Role, system_caller, users
from tests.api.conftest import Tenant, make_tenant
from tests.slack.fake_slack import (
    BOT_TOKEN,
    BOT_USER,
    SIGNING_SECRET,
    TEAM,
    FakeSlack,
    sign,
)

PUBLIC_URL = "https://bosun.vessel.test"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5f6a4400000000049454e44ae426082"
)
_ids = itertools.count(1)


def unique(prefix: str) -> str:
    """Return a fresh Slack-style id (channels, users, events, timestamps never repeat)."""
    return f"{prefix}{next(_ids):06d}"


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def slack_env(fake_slack: FakeSlack) -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BOSUN_SLACK_BOT_TOKEN", BOT_TOKEN)
        mp.setenv("BOSUN_SLACK_SIGNING_SECRET", SIGNING_SECRET)
        mp.setenv("BOSUN_SLACK_API_URL", fake_slack.api_url)
        mp.delenv("BOSUN_SLACK_APP_TOKEN", raising=False)
        yield mp


@pytest.fixture(scope="module")
def bosun(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bosun]:
    home = Path(tmp_path_factory.mktemp("slack_home"))
    running = open_bosun(Settings(home=home, public_url=PUBLIC_URL))
    running.startup.ready.set()
    yield running
    running.close()


@pytest.fixture(scope="module")
def client(bosun: Bosun, slack_env: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with TestClient(create_app(bosun)) as c:
        yield c


@dataclass
class Crew:
    """A tenant whose chief engineer is a Slack user verified by email."""

    org: Tenant
    slack_user: str
    email: str


def email_of(bosun: Bosun, org: Tenant, role: Role) -> str:
    with bosun.db.transaction(org.org_id) as s:
        return users.get_user(s, system_caller(org.org_id), org.user_ids[role]).email


def slack_user(fake: FakeSlack, email: str | None, **extra: Any) -> str:
    """Add a Slack user to the fake workspace; return its id."""
    uid = unique("U")
    profile = {"real_name": "Test", **({"email": email} if email else {})}
    fake.users[uid] = {
        "id": uid,
        "team_id": TEAM,
        "name": uid.lower(),
        "deleted": False,
        "is_bot": False,
        "is_email_confirmed": True,
        "profile": profile,
        **extra,
    }
    return uid


@pytest.fixture
def crew(bosun: Bosun, fake_slack: FakeSlack) -> Crew:
    org = make_tenant(bosun)
    email = email_of(bosun, org, Role.chief_engineer)
    return Crew(org=org, slack_user=slack_user(fake_slack, email), email=email)


def post_event(
    client: TestClient,
    event: dict[str, Any],
    *,
    event_id: str | None = None,
    headers: dict[str, str] | None = None,
    secret: str = SIGNING_SECRET,
    ts: int | None = None,
) -> tuple[Any, str]:
    """Send a signed Events API callback; return the response and the event id."""
    event_id = event_id or unique("Ev")
    body = json.dumps(
        {
            "token": "unused",
            "team_id": TEAM,
            "api_app_id": "A0BOSUN",
            "event": {"team": TEAM, **event},
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
        }
    )
    response = client.post(
        "/slack/events",
        content=body,
        headers={
            "Content-Type": "application/json",
            **sign(body, secret=secret, ts=ts),
            **(headers or {}),
        },
    )
    return response, event_id


def settle(client: TestClient, fake: FakeSlack, crew: Crew) -> str:
    """Send a direct message and wait for its answer; return its channel.

    A turn any earlier request had started was queued before this one, so it has posted by
    the time this answer arrives: what tests wait on before saying nothing else happened.
    """
    channel = unique("D")
    response, _ = post_event(client, dm(crew.slack_user, channel, "help"))
    assert response.status_code == 200, response.text
    # The first turn of a session loads the embedding model: slow on a busy machine.
    fake.wait_for("chat.postMessage", lambda c: c.params["channel"] == channel, timeout=120)
    return channel


def post_form(client: TestClient, form: dict[str, str]) -> Any:
    """Send a signed form post (slash commands and interactivity payloads)."""
    body = urlencode(form)
    return client.post(
        "/slack/events",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body)},
    )


def dm(user: str, channel: str, text: str, **extra: Any) -> dict[str, Any]:
    """Return a direct-message event."""
    return {
        "type": "message",
        "channel": channel,
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": f"1700000000.{next(_ids):06d}",
        **extra,
    }


def click(
    client: TestClient,
    fake: FakeSlack,
    *,
    user: str,
    posted: Any,
    action_id: str,
    value: str,
) -> Any:
    """Click a button on a message the bot posted (a block_actions payload)."""
    channel = posted.params["channel"]
    ts = posted.answer["ts"]
    payload = {
        "type": "block_actions",
        "user": {"id": user, "team_id": TEAM, "username": user.lower()},
        "api_app_id": "A0BOSUN",
        "team": {"id": TEAM, "domain": "bosun-test"},
        "container": {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "channel": {"id": channel, "name": "engine-room"},
        "message": {
            "type": "message",
            "ts": ts,
            "text": posted.params.get("text", ""),
            "blocks": posted.params.get("blocks", []),
        },
        "response_url": f"{fake.url}/respond/{unique('R')}",
        "trigger_id": unique("trig"),
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "x",
                "value": value,
                "action_ts": str(time.time()),
            }
        ],
    }
    return post_form(client, {"payload": json.dumps(payload)})


def button_value(blocks: list[dict[str, Any]], action_id: str) -> str:
    """Return the value of the button with this action id."""
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in {blocks}")


def identities(bosun: Bosun, external_id: str) -> int:
    with bosun.db.transaction(ALL_TENANTS) as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(ChannelIdentity)
                .where(
                    ChannelIdentity.channel == "slack", ChannelIdentity.external_id == external_id
                )
            )
            or 0
        )
