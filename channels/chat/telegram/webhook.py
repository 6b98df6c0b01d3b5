"""``POST /telegram/webhook``: updates pushed by Telegram, checked by the secret header."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from telegram import Bot, Update
from telegram.error import TelegramError

from channels.chat.telegram.bot import TelegramBot
from channels.chat.telegram.polling import ALLOWED_UPDATES
from channels.chat.telegram.settings import TelegramSettings

log = logging.getLogger(__name__)

PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _problem(status: int, code: str, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {
            "type": f"urn:bosun:problem:{code}",
            "title": title,
            "status": status,
            "detail": detail,
            "code": code,
            "instance": PATH,
        },
        status_code=status,
        media_type="application/problem+json",
    )


class TelegramWebhook:
    """Receives updates; the bot is built and started on the first genuine one."""

    def __init__(self, settings: TelegramSettings, make_bot: Callable[[], TelegramBot]) -> None:
        self.settings = settings
        self._make_bot = make_bot
        self._bot: TelegramBot | None = None
        self._lock = asyncio.Lock()
        self._seen: OrderedDict[int, None] = OrderedDict()

    async def receive(self, request: Request) -> Response:
        """Check the secret, queue the update for the bot, answer at once."""
        secret = self.settings.secret
        if self.settings.token is None or secret is None:
            return _problem(
                401,
                "unauthorized",
                "Unauthorized",
                "the Telegram webhook is not configured on this server "
                "(BOSUN_TELEGRAM_BOT_TOKEN and BOSUN_TELEGRAM_WEBHOOK_SECRET)",
            )
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return _problem(
                401, "unauthorized", "Unauthorized", f"wrong or missing {SECRET_HEADER} header"
            )
        try:
            data = await request.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return _problem(400, "bad_request", "Bad Request", "the body is not a Telegram update")
        try:
            bot = await self._running()
        except TelegramError as err:
            log.warning("telegram: bot not started: %s", err)
            return _problem(
                503, "unavailable", "Service Unavailable", "the Bot API is not reachable yet"
            )
        if data["update_id"] in self._seen:  # Telegram re-delivered it
            return Response(status_code=200)
        self._seen[data["update_id"]] = None
        while len(self._seen) > 1000:
            self._seen.popitem(last=False)
        update = Update.de_json(data, bot.application.bot)
        await bot.application.update_queue.put(update)
        return Response(status_code=200)

    async def _running(self) -> TelegramBot:
        async with self._lock:
            if self._bot is None:
                self._bot = await asyncio.to_thread(self._make_bot)
            app = self._bot.application
            if not app.running:
                await app.initialize()
                await app.start()
            return self._bot

    @asynccontextmanager
    async def lifespan(self, _app: Any) -> AsyncIterator[None]:
        """Stop the bot (if it was started) when the server stops."""
        yield
        if self._bot is not None and self._bot.application.running:
            await self._bot.application.stop()
            await self._bot.application.shutdown()


def webhook_router(settings: TelegramSettings, make_bot: Callable[[], TelegramBot]) -> APIRouter:
    """Return the router of ``POST /telegram/webhook`` (401 to everything when unconfigured).

    ``make_bot`` is called once, on the first update that carries the right secret.
    """
    hook = TelegramWebhook(settings, make_bot)
    router = APIRouter(lifespan=hook.lifespan)
    router.add_api_route(
        PATH,
        hook.receive,
        methods=["POST"],
        tags=["telegram"],
        summary="Telegram updates (Bot API webhook)",
        description=f"Telegram posts updates here with the {SECRET_HEADER} header; replies go "
        "out through sendMessage.",
        response_model=None,
        responses={
            status: {"description": text, "content": {"application/problem+json": {}}}
            for status, text in (
                (400, "The body is not a Telegram update"),
                (401, "Not configured here, or a wrong or missing secret header"),
                (503, "The Bot API is not reachable yet"),
            )
        },
    )
    return router


async def register_webhook(settings: TelegramSettings, url: str) -> None:
    """Tell Telegram to post updates to ``url`` with the secret (setWebhook)."""
    if settings.token is None or settings.secret is None:
        raise ValueError("set BOSUN_TELEGRAM_BOT_TOKEN and BOSUN_TELEGRAM_WEBHOOK_SECRET first")
    bot = Bot(settings.token, base_url=settings.bot_url, base_file_url=settings.file_url)
    async with bot:
        await bot.set_webhook(url, secret_token=settings.secret, allowed_updates=ALLOWED_UPDATES)
