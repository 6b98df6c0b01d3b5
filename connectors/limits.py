"""Limit supervision with hysteresis: one event per excursion, one when it clears."""

from __future__ import annotations

from connectors.buffer import ReadingBuffer
from connectors.models import AlarmEvent, LimitKind, Reading, SensorSpec
from connectors.ports import SensorCatalog


def hysteresis_of(spec: SensorSpec, fraction: float) -> float:
    """Return the band a value must come back inside a limit by before the alarm clears."""
    if spec.hysteresis is not None:
        return spec.hysteresis
    if spec.low is not None and spec.high is not None and spec.high > spec.low:
        return fraction * (spec.high - spec.low)
    limit = spec.high if spec.high is not None else spec.low
    return fraction * abs(limit) if limit else fraction


class LimitMonitor:
    """Turn readings into AlarmEvents against each sensor's low/high limits.

    A high alarm is raised when the value goes above `high`, and cleared when it falls
    below `high - hysteresis` (mirror for low). Active alarms are kept in the buffer file,
    so a restart does not raise an alarm that is already up.
    """

    def __init__(
        self,
        catalog: SensorCatalog | None,
        *,
        hysteresis_fraction: float = 0.02,
        state: ReadingBuffer | None = None,
    ) -> None:
        self._catalog = catalog
        self._fraction = hysteresis_fraction
        self._state = state
        self._active: set[tuple[str, str]] = state.active_alarms() if state else set()
        self._specs: dict[str, SensorSpec | None] = {}

    def _spec(self, tag: str) -> SensorSpec | None:
        if tag not in self._specs:
            self._specs[tag] = self._catalog.sensor(tag) if self._catalog else None
        return self._specs[tag]

    def is_active(self, tag: str, kind: LimitKind) -> bool:
        """Return whether an alarm is up for this tag and limit."""
        return (tag, kind) in self._active

    def check(self, reading: Reading) -> list[AlarmEvent]:
        """Return the alarm events this reading causes (usually none)."""
        spec = self._spec(reading.tag)
        if spec is None or reading.quality == "bad" or (spec.high is None and spec.low is None):
            return []
        events: list[AlarmEvent] = []
        band = hysteresis_of(spec, self._fraction)
        v = reading.value
        if spec.high is not None:
            active = (reading.tag, "high") in self._active
            if not active and v > spec.high:
                events.append(self._event(reading, spec, "high", "raised", spec.high))
            elif active and v < spec.high - band:
                events.append(self._event(reading, spec, "high", "cleared", spec.high))
        if spec.low is not None:
            active = (reading.tag, "low") in self._active
            if not active and v < spec.low:
                events.append(self._event(reading, spec, "low", "raised", spec.low))
            elif active and v > spec.low + band:
                events.append(self._event(reading, spec, "low", "cleared", spec.low))
        return events

    def _event(
        self, r: Reading, spec: SensorSpec, kind: LimitKind, state: str, limit: float
    ) -> AlarmEvent:
        key = (r.tag, kind)
        raised = state == "raised"
        if raised:
            self._active.add(key)
        else:
            self._active.discard(key)
        if self._state is not None:
            self._state.set_alarm_active(r.tag, kind, raised)
        return AlarmEvent(
            tag=r.tag,
            kind=kind,
            state="raised" if raised else "cleared",
            value=r.value,
            limit=limit,
            time=r.time,
            source=r.source,
            unit=spec.unit,
        )
