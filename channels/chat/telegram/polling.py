"""Long polling in a thread of its own, for ``bosun up`` (vessels behind NAT)."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import timedelta

from telegram.error import InvalidToken, TelegramError

from channels.chat.telegram.bot import TelegramBot

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]


class TelegramPolling:
    """Run a :class:`TelegramBot` by long polling getUpdates until :meth:`stop`.

    The bot gets an event loop in a daemon thread; a Bot API that cannot be reached at
    start is retried with backoff (a vessel's link comes and goes), a rejected token is not.
    """

    def __init__(
        self, bot: TelegramBot, *, poll_timeout_s: int = 30, max_backoff_s: float = 60.0
    ) -> None:
        self.bot = bot
        self.poll_timeout_s = poll_timeout_s
        self.max_backoff_s = max_backoff_s
        self.error: str | None = None
        """Why polling is not running (a rejected token), if it stopped by itself."""
        self._stop = threading.Event()
        self._started = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start polling in the background (returns at once)."""
        if self._thread is not None:
            raise RuntimeError("Telegram polling was started already")
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._main()), name="bosun-telegram", daemon=True
        )
        self._thread.start()

    def wait_started(self, timeout: float) -> bool:
        """Wait until getUpdates is being polled; ``False`` on timeout or failure."""
        return self._started.wait(timeout)

    @property
    def running(self) -> bool:
        """Whether updates are being polled."""
        return self._started.is_set() and not self._stop.is_set()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop polling and close the bot's connections."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    async def _main(self) -> None:
        app = self.bot.application
        delay = 1.0
        while not self._stop.is_set():
            try:
                await app.initialize()
                break
            except InvalidToken as err:
                self.error = f"the Bot API refused BOSUN_TELEGRAM_BOT_TOKEN: {err}"
                log.error("telegram: %s", self.error)
                return
            except TelegramError as err:
                log.warning("telegram: Bot API not reachable (%s); retrying in %.0f s", err, delay)
                await asyncio.to_thread(self._stop.wait, delay)
                delay = min(delay * 2, self.max_backoff_s)
        if self._stop.is_set():
            await app.shutdown()
            return
        updater = app.updater
        assert updater is not None  # the builder's default Updater
        await app.start()
        await updater.start_polling(
            timeout=timedelta(seconds=self.poll_timeout_s), allowed_updates=ALLOWED_UPDATES
        )
        log.info("telegram: polling as @%s", app.bot.username)
        self._started.set()
        try:
            await asyncio.to_thread(self._stop.wait)
        finally:
            await updater.stop()
            await app.stop()
            await app.shutdown()
