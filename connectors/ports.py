"""Protocols the composition root implements on records: sink, alarms, catalog, hooks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from connectors.models import AlarmEvent, Reading, SensorSpec


@runtime_checkable
class ReadingSink(Protocol):
    """Where readings go (the records readings table).

    `write` must be idempotent on (tag, time): the buffer delivers at least once, so a
    replayed reading must not be stored twice (e.g. INSERT ... ON CONFLICT DO NOTHING on a
    unique key (sensor, time)). Raise `SinkUnavailable` when the database is unreachable
    (the readings are buffered and replayed in order); raise `SinkRejected` for readings
    that can never be stored (they are counted and dropped, not retried).
    """

    async def write(self, readings: Sequence[Reading]) -> None:
        """Store a batch of readings, in order."""
        ...


@runtime_checkable
class AlarmHandler(Protocol):
    """Receives limit alarm events (e.g. proposes a fault through PendingAction).

    Raise `SinkUnavailable` when the database is away: the event is kept in the durable
    outbox and delivered again later (at least once; use the event's tag, kind and time
    as an idempotency key).
    """

    async def handle(self, event: AlarmEvent) -> None:
        """Handle one alarm event."""
        ...


@runtime_checkable
class SensorCatalog(Protocol):
    """The vessel register's sensors by tag."""

    def sensor(self, tag: str) -> SensorSpec | None:
        """Return the sensor with this tag, or None when the register has no such tag."""
        ...


RunningHoursHook = Callable[[str, float, datetime], Awaitable[None]]
"""Called with (tag, running hours, time) for sensors whose `counter` is running_hours."""


class StaticCatalog:
    """A SensorCatalog held in memory (build it from the records sensors at start-up)."""

    def __init__(self, sensors: Iterable[SensorSpec]) -> None:
        self._by_tag: dict[str, SensorSpec] = {s.tag: s for s in sensors}

    def sensor(self, tag: str) -> SensorSpec | None:
        """Return the sensor with this tag, or None."""
        return self._by_tag.get(tag)

    @property
    def sensors(self) -> Mapping[str, SensorSpec]:
        """Return every sensor by tag."""
        return dict(self._by_tag)
