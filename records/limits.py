"""Readings against their sensor's limits: the one rule for "ok", "near" and "outside"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from records.context import Caller
from records.models import Sensor
from records.readings import ReadingIn, latest_readings
from records.register import get_vessel, list_sensors

LimitState = Literal[
    "ok", "near high limit", "near low limit", "above high limit", "below low limit"
]
NEAR = 0.1
"""Within this share of the alarm band (or of the limit, with one limit) counts as near."""
OUTSIDE: frozenset[LimitState] = frozenset({"above high limit", "below low limit"})


def limit_state(low: float | None, high: float | None, value: float) -> LimitState:
    """Return where a value stands against a sensor's low and high limits."""
    if high is not None and value > high:
        return "above high limit"
    if low is not None and value < low:
        return "below low limit"
    span = (high - low) if high is not None and low is not None else None
    ref = span or abs(high or low or 0) or None
    if ref and high is not None and high - value < NEAR * ref:
        return "near high limit"
    if ref and low is not None and value - low < NEAR * ref:
        return "near low limit"
    return "ok"


@dataclass(frozen=True, slots=True)
class OffLimit:
    """A sensor whose newest reading is outside or near its limits."""

    sensor: Sensor
    reading: ReadingIn
    state: LimitState


@dataclass(frozen=True, slots=True)
class VesselLimits:
    """A vessel's newest readings against their limits."""

    sensors: int
    """Sensors with limits that have a reading."""
    off: tuple[OffLimit, ...]
    """Outside limits first, then near them; each group by equipment and tag."""


def vessel_limits(session: Session, caller: Caller, vessel_id: int) -> VesselLimits:
    """Check every limited sensor of a vessel on its newest reading."""
    get_vessel(session, caller, vessel_id)
    sensors: list[Sensor] = []
    cursor: str | None = None
    while True:
        page = list_sensors(session, caller, vessel_id=vessel_id, cursor=cursor, limit=500)
        sensors += [s for s in page.items if s.low is not None or s.high is not None]
        cursor = page.next_cursor
        if not cursor:
            break
    latest = latest_readings(session, caller, [s.id for s in sensors])
    off: list[OffLimit] = []
    for sensor in sensors:
        reading = latest.get(sensor.id)
        if reading is None:
            continue
        state = limit_state(sensor.low, sensor.high, reading.value)
        if state != "ok":
            off.append(OffLimit(sensor, reading, state))
    off.sort(key=lambda o: (o.state not in OUTSIDE, o.sensor.equipment_id, o.sensor.tag))
    return VesselLimits(sum(1 for s in sensors if s.id in latest), tuple(off))
