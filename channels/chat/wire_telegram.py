"""Telegram as ``bosun up`` runs it: the webhook route, long polling, the notifier.

Nothing here knows the running Bosun: the composition root passes in how to build a bot
(over its chat gateway) and the public URL, so this room imports only ``assistant`` and
its own adapters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi import APIRouter

from channels.chat.telegram import (
    PATH,
    TelegramBot,
    TelegramNotifier,
    TelegramPolling,
    TelegramSettings,
    register_webhook,
    webhook_router,
)

BotFactory = Callable[[TelegramSettings], TelegramBot]
"""Builds a bot for these settings over the running Bosun's chat gateway."""


def telegram_router(make_bot: BotFactory, settings: TelegramSettings | None = None) -> APIRouter:
    """Return ``POST /telegram/webhook`` for the app (401 to everything when unconfigured)."""
    chosen = settings or TelegramSettings()
    return webhook_router(chosen, lambda: make_bot(chosen))


def start_telegram(
    make_bot: BotFactory, public_url: str | None, progress: Callable[[str], None]
) -> TelegramPolling | None:
    """Start long polling (returned: the caller stops it), or register the webhook."""
    settings = TelegramSettings()
    if settings.token is None:
        return None
    if settings.polls:
        polling = TelegramPolling(make_bot(settings))
        polling.start()
        progress("telegram: long polling for updates")
        return polling
    if not public_url:
        progress(
            f"telegram: webhook mode; set BOSUN_PUBLIC_URL (or call setWebhook yourself) so "
            f"Telegram posts to <public url>{PATH}"
        )
        return None
    url = public_url.rstrip("/") + PATH
    try:
        asyncio.run(register_webhook(settings, url))
    except Exception as err:  # Telegram unreachable now: the webhook still serves
        progress(f"telegram: could not register the webhook at {url}: {err}")
        return None
    progress(f"telegram: webhook registered at {url}")
    return None


def telegram_notifier(public_url: str | None) -> TelegramNotifier | None:
    """Return a notifier for vessel notices, or ``None`` when Telegram is not configured."""
    settings = TelegramSettings()
    if settings.token is None:
        return None
    return TelegramNotifier(settings, public_url=public_url)
