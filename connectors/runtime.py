"""The connectors runtime: one task per source feeding one pipeline into the sink."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from prometheus_client.registry import Collector

from connectors.backoff import Backoff
from connectors.buffer import ReadingBuffer
from connectors.config import ConnectorsConfig
from connectors.coordinator import SourceCoordinator
from connectors.metrics import ConnectorsCollector
from connectors.models import SourceHealth, SourceSnapshot
from connectors.pipeline import ReadingPipeline
from connectors.ports import AlarmHandler, ReadingSink, RunningHoursHook, SensorCatalog
from connectors.registry import build_source
from connectors.settings import ConnectorsSettings

log = logging.getLogger(__name__)


class ConnectorRuntime:
    """Run every configured source, with store-and-forward, limit alarms and health."""

    def __init__(
        self,
        config: ConnectorsConfig,
        sink: ReadingSink,
        *,
        settings: ConnectorsSettings | None = None,
        catalog: SensorCatalog | None = None,
        alarms: AlarmHandler | None = None,
        running_hours: RunningHoursHook | None = None,
    ) -> None:
        self.config = config
        self.settings = settings or ConnectorsSettings()
        self.buffer = ReadingBuffer(
            self.settings.buffer_path, max_readings=self.settings.buffer_max_readings
        )
        self.pipeline = ReadingPipeline(
            sink,
            self.buffer,
            self.settings,
            catalog=catalog,
            alarms=alarms,
            running_hours=running_hours,
        )
        self.coordinators = [
            SourceCoordinator(
                build_source(src, config),
                self.pipeline.submit,
                backoff=Backoff(self.settings.backoff_initial_s, self.settings.backoff_max_s),
                buffer_stats=lambda n: (self.buffer.depth_of(n), self.buffer.dropped_of(n)),
            )
            for src in config.sources
        ]
        self._tasks: list[asyncio.Task[None]] = []

    async def run(self) -> None:
        """Run until cancelled; on cancel, write what is in memory and close the buffer."""
        await self.start()
        try:
            await asyncio.gather(*self._tasks)
        finally:
            await self.stop()

    async def start(self) -> None:
        """Start the pipeline and one task per source (returns at once)."""
        if self._tasks:
            return
        self._tasks.append(asyncio.create_task(self.pipeline.run(), name="connectors-pipeline"))
        for c in self.coordinators:
            self._tasks.append(asyncio.create_task(c.run(), name=f"connector-{c.name}"))

    async def stop(self) -> None:
        """Stop every task, flush the pipeline to sink or buffer, close the buffer."""
        tasks, self._tasks = self._tasks, []
        for t in tasks[1:]:
            await _cancel(t)
        if tasks:
            await _cancel(tasks[0], grace_s=self.settings.sink_timeout_s + 5)
        for c in self.coordinators:
            await c.source.close()
        self.buffer.close()

    def health(self) -> list[SourceHealth]:
        """Return every source's health."""
        return [c.health() for c in self.coordinators]

    def snapshots(self) -> list[SourceSnapshot]:
        """Return every source's snapshot (health plus latest values)."""
        return [c.snapshot() for c in self.coordinators]

    def metrics_collector(self) -> Collector:
        """Return a prometheus_client collector to register on the /metrics registry."""
        return ConnectorsCollector(self.health)


async def _cancel(task: asyncio.Task[None], *, grace_s: float = 5.0, tries: int = 3) -> None:
    """Cancel ``task`` and wait for it; cancel again if something swallowed the first cancel.

    Bounded: after ``tries`` rounds of ``grace_s`` the task is logged and left, so stopping
    the connectors never hangs on a library that ignores cancellation.
    """
    for _ in range(tries):
        task.cancel()
        done, _pending = await asyncio.wait({task}, timeout=grace_s)
        if done:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                task.result()
            return
    log.error("%s did not stop after %d cancels; leaving it", task.get_name(), tries)
