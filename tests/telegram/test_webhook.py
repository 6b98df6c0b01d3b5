"""POST /telegram/webhook on the real app served by uvicorn: the secret header decides."""

from __future__ import annotations

import threading

import httpx
import pytest

from channels.app.runtime import Bosun
from channels.chat.telegram import SECRET_HEADER
from channels.http.app import create_app
from records import Role
from tests.api.conftest import Tenant
from tests.telegram.bot_api import FakeBotApi, serving
from tests.telegram.conftest import link
from tests.telegram.test_polling import buttons, to

SECRET = "s3cret_hook-42"


def _configure(monkeypatch: pytest.MonkeyPatch, bot_api: FakeBotApi, secret: str | None) -> None:
    monkeypatch.setenv("BOSUN_TELEGRAM_BOT_TOKEN", bot_api.token)
    monkeypatch.setenv("BOSUN_TELEGRAM_API_URL", bot_api.url)
    if secret is None:
        monkeypatch.delenv("BOSUN_TELEGRAM_WEBHOOK_SECRET", raising=False)
    else:
        monkeypatch.setenv("BOSUN_TELEGRAM_WEBHOOK_SECRET", secret)


def test_webhook_checks_the_secret_and_replies_through_send_message(
    monkeypatch: pytest.MonkeyPatch, bot_api: FakeBotApi, home_bosun: Bosun, org: Tenant
) -> None:
    _configure(monkeypatch, bot_api, SECRET)
    user = 5101
    link(home_bosun, org, Role.officer, user)
    with serving(create_app(home_bosun)) as base, httpx.Client(base_url=base) as http:
        update = {
            "update_id": bot_api.next_update_id(),
            **bot_api.message(user, "ME1 is leaking fuel"),
        }
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}):
            refused = http.post("/telegram/webhook", json=update, headers=headers)
            assert refused.status_code == 401, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["code"] == "unauthorized"
        garbage = http.post(
            "/telegram/webhook", content=b"not json", headers={SECRET_HEADER: SECRET}
        )
        assert garbage.status_code == 400

        warm_up = {"update_id": bot_api.next_update_id(), **bot_api.message(user, "/help")}
        warmed = http.post("/telegram/webhook", json=warm_up, headers={SECRET_HEADER: SECRET})
        assert warmed.status_code == 200
        # Updates are handled one at a time, in order: a turn for any refused one came first.
        [help_reply] = bot_api.wait_for("sendMessage", to(user))
        assert "Proposed:" not in help_reply["text"]
        # The reply waits on a held chat action: the webhook answers before the turn ends.
        bot_api.held["sendChatAction"] = threading.Event()
        try:
            accepted = http.post("/telegram/webhook", json=update, headers={SECRET_HEADER: SECRET})
            assert accepted.status_code == 200, accepted.text
            assert len(bot_api.calls_of("sendMessage", to(user))) == 1  # the help only
        finally:
            bot_api.held.pop("sendChatAction").set()
        proposal = bot_api.wait_for("sendMessage", to(user), count=2)[-1]
        assert "Proposed:" in proposal["text"]
        # Telegram re-delivering the same update does not run a second turn.
        again = http.post("/telegram/webhook", json=update, headers={SECRET_HEADER: SECRET})
        assert again.status_code == 200

        confirm = next(d for d in buttons(proposal["result"]) if d.startswith("a:y:"))
        press = {
            "update_id": bot_api.next_update_id(),
            **bot_api.press(user, proposal["result"], confirm),
        }
        assert (
            http.post("/telegram/webhook", json=press, headers={SECRET_HEADER: SECRET}).status_code
            == 200
        )
        bot_api.wait_for(
            "answerCallbackQuery", lambda p: p["callback_query_id"] == press["callback_query"]["id"]
        )
        done = bot_api.wait_for("sendMessage", to(user), count=3)
        assert "#" in done[2]["text"]
        # One more update as a marker: handled after anything the re-delivery could have queued.
        marker = {"update_id": bot_api.next_update_id(), **bot_api.message(user, "/help")}
        assert (
            http.post("/telegram/webhook", json=marker, headers={SECRET_HEADER: SECRET}).status_code
            == 200
        )
        replies = bot_api.wait_for("sendMessage", to(user), count=4)
    assert len(replies) == 4 and replies[3]["text"] == help_reply["text"]


def test_unconfigured_webhook_refuses_everything(
    monkeypatch: pytest.MonkeyPatch, bot_api: FakeBotApi, home_bosun: Bosun
) -> None:
    for secret in (None, ""):
        _configure(monkeypatch, bot_api, secret)
        monkeypatch.setenv("BOSUN_TELEGRAM_BOT_TOKEN", "")
        with serving(create_app(home_bosun)) as base:
            update = {"update_id": 1, **bot_api.message(5102, "hello")}
            for headers in ({}, {SECRET_HEADER: ""}, {SECRET_HEADER: "anything"}):
                response = httpx.post(f"{base}/telegram/webhook", json=update, headers=headers)
                assert response.status_code == 401
                assert "not configured" in response.json()["detail"]
    # A token without a webhook secret means long polling: the webhook stays shut.
    _configure(monkeypatch, bot_api, None)
    with serving(create_app(home_bosun)) as base:
        response = httpx.post(
            f"{base}/telegram/webhook",
            json={"update_id": 2, **bot_api.message(5102, "hello")},
            headers={SECRET_HEADER: ""},
        )
        assert response.status_code == 401
