"""One coordinator per source: connect, stream, reconnect with backoff, keep a snapshot."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from connectors.backoff import Backoff
from connectors.errors import SourceError
from connectors.models import Reading, SourceHealth, SourceSnapshot, TagValue
from connectors.source import Emit, Source

log = logging.getLogger(__name__)


class SourceCoordinator:
    """Runs one source forever and holds its typed snapshot (health plus latest values).

    Any error inside a session ends it as one SourceError (library errors chained); the
    coordinator closes the connection, waits an exponentially growing, jittered delay and
    opens a fresh one (new session and subscription), so a restarted server or a dropped
    TCP connection is picked up again without restarting Bosun.
    """

    def __init__(
        self,
        source: Source,
        emit: Emit,
        *,
        backoff: Backoff,
        buffer_stats: Callable[[str], tuple[int, int]] | None = None,
    ) -> None:
        self.source = source
        self._emit = emit
        self._backoff = backoff
        self._buffer_stats = buffer_stats
        self.connected = False
        self.reads = 0
        self.errors = 0
        self.reconnects = 0
        self.last_error: str | None = None
        self.last_value_time: datetime | None = None
        self._values: dict[str, TagValue] = {}
        self._sessions = 0
        self._got_value = False

    @property
    def name(self) -> str:
        """Return the source's name."""
        return self.source.name

    def _on_readings(self, readings: Sequence[Reading]) -> None:
        if not readings:
            return
        self.reads += len(readings)
        values = self._values
        for r in readings:
            values[r.tag] = TagValue(r.value, r.time, r.quality)
        self.last_value_time = readings[-1].time
        if not self._got_value:
            self._got_value = True
            self._backoff.reset()
        self._emit(readings)

    async def run(self) -> None:
        """Keep the source connected and streaming until cancelled."""
        while True:
            try:
                await self.source.connect()
                self.connected = True
                self._sessions += 1
                if self._sessions > 1:
                    self.reconnects += 1
                    log.info("%s: reconnected", self.name)
                self._got_value = False
                await self.source.run(self._on_readings)
                raise SourceError(self.name, "session ended")
            except asyncio.CancelledError:
                raise
            except SourceError as err:
                self._failed(err)
            except Exception as err:  # a bug or an untranslated library error: keep going
                log.exception("%s: unexpected error", self.name)
                self._failed(err)
            finally:
                self.connected = False
                await self.source.close()
            delay = self._backoff.next_delay()
            log.info("%s: retrying in %.1fs", self.name, delay)
            await asyncio.sleep(delay)

    def _failed(self, err: Exception) -> None:
        self.errors += 1
        self.last_error = str(err)
        log.warning("%s", err)

    def health(self) -> SourceHealth:
        """Return the source's health now."""
        depth, dropped = self._buffer_stats(self.name) if self._buffer_stats else (0, 0)
        return SourceHealth(
            name=self.name,
            type=self.source.type,
            connected=self.connected,
            last_value_time=self.last_value_time,
            reads=self.reads,
            errors=self.errors,
            reconnects=self.reconnects,
            buffer_depth=depth,
            dropped=dropped,
            last_error=self.last_error,
        )

    def snapshot(self) -> SourceSnapshot:
        """Return health and every tag's latest value."""
        return SourceSnapshot(health=self.health(), values=dict(self._values))
