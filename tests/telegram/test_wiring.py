"""What bosun up does with the BOSUN_TELEGRAM_ settings: poll, or register the webhook."""

from __future__ import annotations

import threading
from functools import partial

import pytest

from channels.app.runtime import Bosun
from channels.chat.telegram import TelegramPolling
from channels.chat.wire_telegram import start_telegram, telegram_notifier
from channels.services.chat import telegram_bot
from tests.telegram.bot_api import FakeBotApi
from tests.telegram.conftest import PUBLIC_URL
from tests.waiting import wait_until


def test_token_without_secret_polls_until_shutdown(
    monkeypatch: pytest.MonkeyPatch, bot_api: FakeBotApi, home_bosun: Bosun
) -> None:
    monkeypatch.setenv("BOSUN_TELEGRAM_BOT_TOKEN", bot_api.token)
    monkeypatch.setenv("BOSUN_TELEGRAM_API_URL", bot_api.url)
    monkeypatch.delenv("BOSUN_TELEGRAM_WEBHOOK_SECRET", raising=False)
    said: list[str] = []
    polling = start_telegram(partial(telegram_bot, home_bosun), PUBLIC_URL, said.append)
    assert isinstance(polling, TelegramPolling) and said == ["telegram: long polling for updates"]
    assert polling.wait_started(60), polling.error
    assert bot_api.calls_of("deleteWebhook")  # polling and a webhook exclude each other
    stopping = threading.Thread(target=polling.stop)
    stopping.start()
    wait_until(lambda: not stopping.is_alive(), timeout=15, what="polling.stop returning")
    assert not polling.running
    assert telegram_notifier(PUBLIC_URL) is not None


def test_webhook_secret_registers_the_webhook(
    monkeypatch: pytest.MonkeyPatch, bot_api: FakeBotApi, home_bosun: Bosun
) -> None:
    monkeypatch.setenv("BOSUN_TELEGRAM_BOT_TOKEN", bot_api.token)
    monkeypatch.setenv("BOSUN_TELEGRAM_API_URL", bot_api.url)
    monkeypatch.setenv("BOSUN_TELEGRAM_WEBHOOK_SECRET", "hook-secret")
    said: list[str] = []
    assert start_telegram(partial(telegram_bot, home_bosun), PUBLIC_URL, said.append) is None
    assert said == [f"telegram: webhook registered at {PUBLIC_URL}/telegram/webhook"]
    assert bot_api.webhook["url"] == f"{PUBLIC_URL}/telegram/webhook"
    assert bot_api.webhook["secret_token"] == "hook-secret"
    assert bot_api.webhook["allowed_updates"] == ["message", "callback_query"]
    monkeypatch.setenv("BOSUN_TELEGRAM_BOT_TOKEN", "")
    said.clear()
    assert start_telegram(partial(telegram_bot, home_bosun), PUBLIC_URL, said.append) is None
    assert said == [] and telegram_notifier(PUBLIC_URL) is None
