"""Where source readings go: limits, running-hours hook, batching, sink or durable buffer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence

from connectors.backoff import Backoff
from connectors.buffer import ReadingBuffer
from connectors.errors import SinkRejected, SinkUnavailable
from connectors.limits import LimitMonitor
from connectors.models import Reading
from connectors.ports import AlarmHandler, ReadingSink, RunningHoursHook, SensorCatalog
from connectors.settings import ConnectorsSettings

log = logging.getLogger(__name__)


class ReadingPipeline:
    """Batch readings into the sink; buffer them durably while it is away and replay in order.

    Ordering: while anything waits in the buffer, new batches are appended behind it, so the
    sink sees readings in arrival order. Delivery is at least once into an idempotent sink
    (unique (sensor, time), ON CONFLICT DO NOTHING), hence each reading is stored once.
    Readings still in memory (at most `flush_interval_s` worth) are written on a graceful
    stop; a hard kill can lose only those.
    """

    def __init__(
        self,
        sink: ReadingSink,
        buffer: ReadingBuffer,
        settings: ConnectorsSettings,
        *,
        catalog: SensorCatalog | None = None,
        alarms: AlarmHandler | None = None,
        running_hours: RunningHoursHook | None = None,
    ) -> None:
        self.sink = sink
        self.buffer = buffer
        self.settings = settings
        self.catalog = catalog
        self.alarms = alarms
        self.running_hours = running_hours
        self.limits = LimitMonitor(
            catalog, hysteresis_fraction=settings.alarm_hysteresis_fraction, state=buffer
        )
        self._pending: list[Reading] = []
        self._wake = asyncio.Event()
        self._sink_ok = True
        self._retry_at = 0.0
        self._backoff = Backoff(settings.backoff_initial_s, settings.backoff_max_s)
        self._counter_tags: dict[str, bool] = {}
        self._counter_latest: dict[str, Reading] = {}
        self._counter_sent: dict[str, float] = {}
        self.written = 0
        self.rejected = 0
        self.sink_errors = 0
        self.alarm_events = 0

    @property
    def sink_available(self) -> bool:
        """Return whether the last sink write worked."""
        return self._sink_ok

    def submit(self, readings: Sequence[Reading]) -> None:
        """Take readings from a source (non-blocking); alarms are evaluated here."""
        for r in readings:
            for event in self.limits.check(r):
                self.alarm_events += 1
                self.buffer.append_alarm(event)
                self._wake.set()
            if self.running_hours is not None and self._is_counter(r.tag) and r.quality != "bad":
                self._counter_latest[r.tag] = r
        self._pending.extend(readings)
        if len(self._pending) >= self.settings.batch_size:
            self._wake.set()

    def _is_counter(self, tag: str) -> bool:
        if tag not in self._counter_tags:
            spec = self.catalog.sensor(tag) if self.catalog else None
            self._counter_tags[tag] = spec is not None and spec.counter == "running_hours"
        return self._counter_tags[tag]

    async def run(self) -> None:
        """Flush, replay and deliver alarms until cancelled (then flush what is left)."""
        try:
            while True:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the cancel that
                # stop() sends when the wake-up lands in the same loop turn, and stop() hangs.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.settings.flush_interval_s):
                        await self._wake.wait()
                self._wake.clear()
                await self.step()
        finally:
            await asyncio.shield(self.drain_to_disk())

    async def step(self) -> None:
        """Do one round: deliver alarms, replay the buffer, flush pending readings."""
        await self._deliver_alarms()
        await self._replay()
        await self._flush()
        await self._counters()

    async def drain_to_disk(self) -> None:
        """On stop: make pending readings durable, then try once to deliver the buffer."""
        if self._pending:
            batch, self._pending = self._pending, []
            self.buffer.append(batch)
        if self._sink_ok and self.buffer.depth:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.sink_timeout_s):
                    await self._replay()

    async def _write(self, batch: Sequence[Reading]) -> None:
        try:
            async with asyncio.timeout(self.settings.sink_timeout_s):
                await self.sink.write(batch)
        except SinkUnavailable:
            raise
        except SinkRejected:
            raise
        except TimeoutError as err:
            raise SinkUnavailable(
                f"sink write timed out after {self.settings.sink_timeout_s}s"
            ) from err
        except Exception as err:  # an unexpected sink failure: keep the data, retry later
            log.exception("reading sink failed unexpectedly; buffering and retrying")
            raise SinkUnavailable(str(err)) from err
        self.written += len(batch)

    def _mark_down(self, err: Exception) -> None:
        self.sink_errors += 1
        if self._sink_ok:
            log.warning("reading sink unavailable (%s); buffering readings", err)
        self._sink_ok = False
        self._retry_at = time.monotonic() + self._backoff.next_delay()

    def _mark_up(self) -> None:
        if not self._sink_ok:
            log.info("reading sink is back; replaying %d buffered readings", self.buffer.depth)
        self._sink_ok = True
        self._backoff.reset()

    async def _flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        if self._sink_ok and self.buffer.depth == 0:
            for i in range(0, len(batch), self.settings.batch_size):
                chunk = batch[i : i + self.settings.batch_size]
                try:
                    await self._write(chunk)
                except SinkUnavailable as err:
                    self._mark_down(err)
                    self.buffer.append(batch[i:])
                    return
                except asyncio.CancelledError:
                    # Stopped mid-write: keep the rest durable (a chunk the sink did
                    # commit is replayed later and skipped by the idempotent insert).
                    self.buffer.append(batch[i:])
                    raise
                except SinkRejected as err:
                    log.error("reading sink rejected %d readings: %s", len(chunk), err)
                    self.rejected += len(chunk)
            return
        self.buffer.append(batch)

    async def _replay(self) -> None:
        """Send buffered readings oldest first while the sink takes them."""
        if self.buffer.depth == 0 or (not self._sink_ok and time.monotonic() < self._retry_at):
            return
        while self.buffer.depth > 0:
            last_id, chunk = self.buffer.peek(self.settings.replay_batch)
            if not chunk:
                return
            try:
                await self._write(chunk)
            except SinkUnavailable as err:
                self._mark_down(err)
                return
            except SinkRejected as err:
                log.error("reading sink rejected %d buffered readings: %s", len(chunk), err)
                self.rejected += len(chunk)
            self.buffer.ack(last_id, chunk)
            self._mark_up()
            await asyncio.sleep(0)

    async def replay_all(self) -> int:
        """Replay the whole buffer now (for tests and benchmarks); return readings sent."""
        before = self.buffer.depth
        self._sink_ok, self._retry_at = True, 0.0
        await self._replay()
        return before - self.buffer.depth

    async def _deliver_alarms(self) -> None:
        if self.alarms is None:
            while (item := self.buffer.peek_alarm()) is not None:
                self.buffer.ack_alarm(item[0])
            return
        while (item := self.buffer.peek_alarm()) is not None:
            alarm_id, event = item
            try:
                async with asyncio.timeout(self.settings.sink_timeout_s):
                    await self.alarms.handle(event)
            except (SinkUnavailable, TimeoutError) as err:
                log.warning("alarm handler unavailable (%s); keeping the event", err)
                return
            except Exception:
                log.exception("alarm handler failed on %s; the event is dropped", event)
            self.buffer.ack_alarm(alarm_id)

    async def _counters(self) -> None:
        if self.running_hours is None or not self._counter_latest:
            return
        now = time.monotonic()
        for tag, reading in list(self._counter_latest.items()):
            last = self._counter_sent.get(tag)
            if last is not None and now - last < self.settings.running_hours_interval_s:
                continue
            try:
                await self.running_hours(tag, reading.value, reading.time)
            except Exception:
                log.exception("running-hours hook failed for %s", tag)
                continue
            self._counter_sent[tag] = now
            del self._counter_latest[tag]
