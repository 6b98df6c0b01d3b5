"""Sensor readings: batch insert, range queries, latest values."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Query
from pydantic import AwareDatetime

from channels.http.api.deps import CallerDep, SessionDep
from channels.http.api.routes.common import invalid, v1_router
from channels.http.api.schemas import Page, ReadingCreate, ReadingRead, ReadingsWritten
from channels.http.api.schemas.common import Id
from records import BosunError, ErrorCode, ReadingIn, readings

router = v1_router(tags=["readings"])

_STEP = timedelta(microseconds=1)  # readings are unique per (sensor, time) at µs precision


@router.post("/readings")
def insert_readings(
    body: list[ReadingCreate], session: SessionDep, caller: CallerDep
) -> ReadingsWritten:
    """Store a batch of readings; repeats of a sensor and time are ignored."""
    batch = [ReadingIn(r.sensor_id, r.time, r.value, r.quality) for r in body]
    return ReadingsWritten(received=readings.insert_readings(session, caller, batch))


@router.get("/sensors/{sensor_id}/readings")
def query_readings(
    sensor_id: Id,
    session: SessionDep,
    caller: CallerDep,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Page[ReadingRead]:
    """Get a sensor's readings in [start, end), oldest first, a page at a time."""
    after = _decode(cursor)
    if after is not None:
        start = after + _STEP
    rows = readings.query_readings(
        session, caller, sensor_id, start=start, end=end, limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [ReadingRead(**r._asdict()) for r in rows]
    next_cursor = _encode(rows[-1].time) if more and rows else None
    return Page[ReadingRead](items=items, next_cursor=next_cursor)


@router.get("/sensors/{sensor_id}/readings/latest")
def latest_reading(sensor_id: Id, session: SessionDep, caller: CallerDep) -> ReadingRead:
    """Get a sensor's newest reading."""
    found = readings.latest_readings(session, caller, [sensor_id])
    if sensor_id not in found:
        raise BosunError(ErrorCode.not_found, f"sensor {sensor_id} has no readings yet")
    return ReadingRead(**found[sensor_id]._asdict())


@router.get("/readings/latest")
def latest_readings(
    session: SessionDep,
    caller: CallerDep,
    sensor_id: Annotated[list[Id], Query(min_length=1, max_length=500)],
) -> Page[ReadingRead]:
    """Get the newest reading of each of several sensors (those without readings are left out)."""
    found = readings.latest_readings(session, caller, sorted(set(sensor_id)))
    items = [ReadingRead(**found[s]._asdict()) for s in sorted(found)]
    return Page[ReadingRead](items=items, next_cursor=None)


def _encode(time: datetime) -> str:
    return base64.urlsafe_b64encode(f"t:{time.isoformat()}".encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> datetime | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind != "t":
            raise ValueError(raw)
        time = datetime.fromisoformat(value)
    except (ValueError, UnicodeDecodeError) as err:
        raise invalid("malformed cursor: pass the next_cursor of the previous page") from err
    if time.tzinfo is None:
        raise invalid("malformed cursor: pass the next_cursor of the previous page")
    return time
