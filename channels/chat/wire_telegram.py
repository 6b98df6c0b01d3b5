"""Telegram wired to a running Bosun: the webhook route, long polling, the notifier."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi import APIRouter

from channels.app.runtime import Bosun
from channels.chat.telegram import (
    PATH,
    TelegramBot,
    TelegramNotifier,
    TelegramPolling,
    TelegramSettings,
    register_webhook,
    webhook_router,
)
from channels.services.chat import open_gateway
from channels.services.speech import open_transcriber

POLLING = "telegram_polling"


def build_telegram_bot(bosun: Bosun, settings: TelegramSettings | None = None) -> TelegramBot:
    """Return a bot over the running Bosun's chat gateway."""
    return TelegramBot(
        open_gateway(bosun),
        settings or TelegramSettings(),
        transcriber=open_transcriber(bosun),
        public_url=bosun.settings.public_url,
    )


def telegram_router(bosun: Bosun, settings: TelegramSettings | None = None) -> APIRouter:
    """Return ``POST /telegram/webhook`` for the app (401 to everything when unconfigured)."""
    chosen = settings or TelegramSettings()
    return webhook_router(chosen, lambda: build_telegram_bot(bosun, chosen))


def start_telegram(bosun: Bosun, progress: Callable[[str], None]) -> None:
    """Start long polling, or register the webhook, when Telegram is configured."""
    settings = TelegramSettings()
    if settings.token is None:
        return
    if settings.polls:
        polling = TelegramPolling(build_telegram_bot(bosun, settings))
        polling.start()
        bosun.extras[POLLING] = polling
        progress("telegram: long polling for updates")
        return
    public = bosun.settings.public_url
    if not public:
        progress(
            f"telegram: webhook mode; set BOSUN_PUBLIC_URL (or call setWebhook yourself) so "
            f"Telegram posts to <public url>{PATH}"
        )
        return
    url = public.rstrip("/") + PATH
    try:
        asyncio.run(register_webhook(settings, url))
    except Exception as err:  # Telegram unreachable now: the webhook still serves
        progress(f"telegram: could not register the webhook at {url}: {err}")
        return
    progress(f"telegram: webhook registered at {url}")


def stop_telegram(bosun: Bosun) -> None:
    """Stop long polling (at shutdown)."""
    polling = bosun.extras.pop(POLLING, None)
    if isinstance(polling, TelegramPolling):
        polling.stop()


def telegram_notifier(bosun: Bosun) -> TelegramNotifier | None:
    """Return a notifier for vessel notices, or ``None`` when Telegram is not configured."""
    settings = TelegramSettings()
    if settings.token is None:
        return None
    return TelegramNotifier(settings, public_url=bosun.settings.public_url)
