"""Notices (alarms, new faults, overdue work) posted to a vessel's Telegram chat."""

from __future__ import annotations

import asyncio

from telegram import Bot
from telegram.constants import ParseMode

from assistant import Notice
from channels.chat.telegram.bot import NO_PREVIEW
from channels.chat.telegram.render import notice_html, notice_keyboard
from channels.chat.telegram.settings import TelegramSettings


class TelegramNotifier:
    """Post notices with sendMessage; Confirm / Cancel buttons when one offers an action.

    Button presses come back as callback queries to the running bot (polling or webhook),
    which decides the action as the person who pressed.
    """

    def __init__(self, settings: TelegramSettings, *, public_url: str | None = None) -> None:
        if settings.token is None:
            raise ValueError("BOSUN_TELEGRAM_BOT_TOKEN is not set")
        self.settings = settings
        self.public_url = public_url
        self._bot: Bot | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def notify(self, destination: str, notice: Notice) -> None:
        """Post ``notice`` to a Telegram chat id (or ``@channel``)."""
        bot = await self._bot_here()
        chat: int | str = int(destination) if destination.lstrip("-").isdigit() else destination
        await bot.send_message(
            chat_id=chat,
            text=notice_html(notice, self.public_url),
            parse_mode=ParseMode.HTML,
            reply_markup=notice_keyboard(notice),
            link_preview_options=NO_PREVIEW,
        )

    async def aclose(self) -> None:
        """Close the connections of the bot (call from the loop that notified)."""
        if self._bot is not None:
            await self._bot.shutdown()
            self._bot = None

    async def _bot_here(self) -> Bot:
        """Return a bot whose HTTP client belongs to the running event loop."""
        loop = asyncio.get_running_loop()
        if self._bot is None or self._loop is not loop:
            token = self.settings.token
            assert token is not None
            bot = Bot(token, base_url=self.settings.bot_url, base_file_url=self.settings.file_url)
            await bot.initialize()
            self._bot, self._loop = bot, loop
        return self._bot
