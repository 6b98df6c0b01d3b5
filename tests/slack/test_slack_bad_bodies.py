"""A correctly signed request that is not something Slack sends: 400 problem, no turn."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from channels.app.runtime import Bosun
from records import ALL_TENANTS, Conversation
from tests.slack.conftest import Crew, post_form, settle, unique
from tests.slack.fake_slack import TEAM, FakeSlack, sign


def _conversations(bosun: Bosun) -> int:
    with bosun.db.transaction(ALL_TENANTS) as s:
        return int(s.scalar(select(func.count()).select_from(Conversation)) or 0)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", "{not json"),
        ("application/json", '{"no": "type"}'),
        ("application/json", "[1, 2]"),
        ("text/plain", "just some text"),
        ("application/x-www-form-urlencoded", "payload=%7Bbroken"),
        ("application/x-www-form-urlencoded", "text=close+every+fault"),
        ("application/octet-stream", "\x00\x01\x02"),
    ],
)
def test_signed_bodies_that_are_not_slack_requests_get_400(
    client: TestClient,
    bosun: Bosun,
    fake_slack: FakeSlack,
    crew: Crew,
    content_type: str,
    body: str,
) -> None:
    before = (_conversations(bosun), len(fake_slack.calls))
    response = client.post(
        "/slack/events", content=body, headers={"Content-Type": content_type, **sign(body)}
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 400 and problem["code"] == "bad_request" and problem["detail"]
    marker = settle(client, fake_slack, crew)  # a turn, had one started, has posted by now
    others = [c for c in fake_slack.calls[before[1] :] if c.params.get("channel") != marker]
    assert {c.method for c in others} <= {"auth.test", "users.info"}  # the marker's lookups
    assert _conversations(bosun) == before[0] + 1  # the marker's


def test_unsigned_garbage_is_still_401(client: TestClient) -> None:
    response = client.post("/slack/events", content="{not json", headers={})
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"


def test_real_slack_shapes_still_pass(client: TestClient, fake_slack: FakeSlack) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "abc123"})
    answered = client.post(
        "/slack/events", content=body, headers={"Content-Type": "application/json", **sign(body)}
    )
    assert answered.status_code == 200 and "abc123" in answered.text
    command = post_form(
        client,
        {
            "team_id": TEAM,
            "channel_id": unique("C"),
            "user_id": unique("U"),
            "command": "/bosun",
            "text": "help",
            "response_url": f"{fake_slack.url}/respond/{unique('R')}",
            "trigger_id": unique("trig"),
        },
    )
    assert command.status_code == 200, command.text
