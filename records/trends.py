"""A sensor's trend: the least-squares rate of change over a stated window of readings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from records.context import Caller
from records.errors import invalid
from records.models import utcnow
from records.readings import query_readings

BINS = 60
"""Equal slices of time a window's readings are averaged in before the fit."""


@dataclass(frozen=True, slots=True)
class Trend:
    """How fast a value changes: ``per_hour`` in the sensor's unit per hour."""

    per_hour: float
    window: timedelta
    """The window asked for."""
    start: datetime
    end: datetime
    """First and last reading used."""
    readings: int

    @property
    def span_hours(self) -> float:
        """Hours between the first and last reading used."""
        return (self.end - self.start).total_seconds() / 3600


def slope_per_hour(points: Sequence[tuple[datetime, float]]) -> float | None:
    """Return the least-squares slope of (time, value) points in value units per hour."""
    if len(points) < 3:
        return None
    t0 = points[0][0]
    xs = [(t - t0).total_seconds() / 3600 for t, _ in points]
    ys = [v for _, v in points]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    den = sum((x - mx) ** 2 for x in xs)
    if den <= 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den


def sensor_trend(
    session: Session,
    caller: Caller,
    sensor_id: int,
    *,
    window: timedelta = timedelta(hours=6),
    now: datetime | None = None,
) -> Trend | None:
    """Return a sensor's rate of change over the readings of the last ``window``.

    The readings are averaged in ``BINS`` equal slices of time before the fit, so each part
    of the window weighs the same: a burst of fast live readings at its end (or a 1 s source
    beside hourly backfill) does not turn minutes into the trend. None below three readings.
    """
    if window <= timedelta(0):
        raise invalid("a trend window must be positive")
    end = now or utcnow()
    rows = query_readings(
        session,
        caller,
        sensor_id,
        start=end - window,
        end=end + timedelta(seconds=1),
        limit=200_000,
    )
    if len(rows) < 3:
        return None
    first, last = rows[0].time, rows[-1].time
    width = (last - first) / BINS
    sums: dict[int, tuple[float, float, int]] = {}
    for r in rows:
        k = min(int((r.time - first) / width), BINS - 1) if width else 0
        t, v, n = sums.get(k, (0.0, 0.0, 0))
        sums[k] = (t + (r.time - first).total_seconds(), v + r.value, n + 1)
    points = [(first + timedelta(seconds=t / n), v / n) for _, (t, v, n) in sorted(sums.items())]
    rate = slope_per_hour(points)
    if rate is None:
        return None
    return Trend(per_hour=rate, window=window, start=first, end=last, readings=len(rows))
