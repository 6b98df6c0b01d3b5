"""Running hours, one truth: the register's figure kept equal to the equipment's counter.

An item without a counter of its own runs on the hours of the nearest item up the register
tree that has one (a pump on its engine). A counter reading that disagrees with the register
wins, in either direction, and the change leaves an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.common import get_owned, scoped
from records.context import Caller
from records.errors import invalid
from records.models import Equipment, Sensor, utcnow
from records.readings import latest_readings, query_readings
from records.register import set_running_hours

COUNTER = "running_hours"
TOLERANCE_H = 0.05
"""Counters report tenths of an hour: a smaller difference is agreement, not a change."""


@dataclass(frozen=True, slots=True)
class RunningHours:
    """One item's running hours and where the figure comes from."""

    equipment_id: int
    code: str
    name: str
    hours: float
    at: datetime | None
    source_code: str
    """The item whose register figure or counter this is (itself or an ancestor)."""
    counter_tag: str | None
    counter_hours: float | None
    counter_at: datetime | None
    register_hours: float
    per_day: float | None
    """Average running hours per calendar day over ``window_days`` of counter readings."""
    window_days: int

    @property
    def from_counter(self) -> bool:
        """Whether the figure is the counter's latest reading."""
        return self.counter_hours is not None and self.hours == self.counter_hours


def counter_sensor(session: Session, caller: Caller, equipment_id: int) -> Sensor | None:
    """Return the running-hours counter of one item, if it has one."""
    stmt = scoped(select(Sensor), Sensor, caller).where(
        Sensor.equipment_id == equipment_id, Sensor.counter == COUNTER
    )
    return session.scalars(stmt.order_by(Sensor.id)).first()


def hours_owner(
    session: Session, caller: Caller, equipment: Equipment
) -> tuple[Equipment, Sensor | None]:
    """Return the item whose hours apply to ``equipment`` (itself or an ancestor) and its counter.

    The owner is the nearest item up the tree with a counter; failing that, the nearest with
    a register figure; failing that, the item itself.
    """
    chain: list[Equipment] = []
    current: Equipment | None = equipment
    while current is not None and len(chain) < 32:
        chain.append(current)
        current = (
            get_owned(session, caller, Equipment, current.parent_id) if current.parent_id else None
        )
    for item in chain:
        sensor = counter_sensor(session, caller, item.id)
        if sensor is not None:
            return item, sensor
    for item in chain:
        if item.running_hours > 0:
            return item, None
    return equipment, None


def running_hours(
    session: Session,
    caller: Caller,
    equipment_id: int,
    *,
    window_days: int = 30,
    now: datetime | None = None,
) -> RunningHours:
    """Return an item's running hours: the counter's latest reading wins over an older figure."""
    if window_days < 1:
        raise invalid("window_days must be at least 1")
    equipment = get_owned(session, caller, Equipment, equipment_id)
    owner, sensor = hours_owner(session, caller, equipment)
    hours, at = owner.running_hours, owner.running_hours_at
    counter_hours = counter_at = per_day = None
    if sensor is not None:
        latest = latest_readings(session, caller, [sensor.id]).get(sensor.id)
        if latest is not None:
            counter_hours, counter_at = float(latest.value), latest.time
            if at is None or counter_at >= at:  # a figure newer than the counter stands
                hours, at = counter_hours, counter_at
            start = (now or utcnow()) - timedelta(days=window_days)
            first = query_readings(session, caller, sensor.id, start=start, limit=1)
            if first and latest.time > first[0].time:
                days = (latest.time - first[0].time).total_seconds() / 86_400
                if days >= 1:
                    per_day = (latest.value - first[0].value) / days
    return RunningHours(
        equipment_id=equipment.id,
        code=equipment.code,
        name=equipment.name,
        hours=float(hours),
        at=at,
        source_code=owner.code,
        counter_tag=sensor.tag if sensor else None,
        counter_hours=counter_hours,
        counter_at=counter_at,
        register_hours=float(owner.running_hours),
        per_day=per_day,
        window_days=window_days,
    )


def apply_counter(
    session: Session, caller: Caller, equipment: Equipment, hours: float, at: datetime
) -> bool:
    """Make the register agree with a counter reading (up or down); return whether it changed.

    A reading older than the register's own figure is stale (a replayed buffer) and ignored.
    The change is written through ``set_running_hours``, which audits it.
    """
    if equipment.running_hours_at is not None and at < equipment.running_hours_at:
        return False
    if abs(float(hours) - equipment.running_hours) < TOLERANCE_H:
        return False
    set_running_hours(session, caller, equipment, hours, at)
    return True


def hours_at(session: Session, caller: Caller, sensor_id: int, at: datetime) -> float | None:
    """Return a counter's hours at a time: its last reading at or before it."""
    rows = query_readings(
        session, caller, sensor_id, end=at + timedelta(microseconds=1), limit=1, newest=True
    )
    return float(rows[0].value) if rows else None
