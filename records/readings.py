"""Sensor readings: batch insert through each driver's fastest path, range queries.

Readings reach their tenant through their sensor: every batch is checked against the
caller's sensors before it is loaded, and on PostgreSQL reads go through the
``tenant_readings`` view (see ``records.models.Reading``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Float, Integer, column, func, select, table
from sqlalchemy.orm import Session

from records.common import scoped
from records.context import Caller
from records.errors import invalid, not_found
from records.models import Reading, Sensor, UTCDateTime
from records.roles import Permission, require


class ReadingIn(NamedTuple):
    """One reading to store: sensor id, aware time, value, quality (0 = good)."""

    sensor_id: int
    time: datetime
    value: float
    quality: int = 0


_VIEW = table(
    "tenant_readings",
    column("sensor_id", Integer),
    column("time", UTCDateTime()),
    column("value", Float),
    column("quality", Integer),
)


def _source(session: Session) -> Any:
    return _VIEW if session.get_bind().dialect.name == "postgresql" else Reading.__table__


def check_sensors(session: Session, caller: Caller, sensor_ids: Iterable[int]) -> None:
    """Raise ``not_found`` unless every sensor id belongs to the caller's tenant."""
    wanted = set(sensor_ids)
    if not wanted:
        return
    stmt = scoped(select(Sensor.id), Sensor, caller).where(Sensor.id.in_(wanted))
    found = set(session.scalars(stmt))
    missing = wanted - found
    if missing:
        raise not_found("sensor", ", ".join(str(i) for i in sorted(missing)[:5]))


def insert_readings(session: Session, caller: Caller, readings: Sequence[ReadingIn]) -> int:
    """Store readings in one batch; duplicates of (sensor, time) are ignored. Returns count sent.

    Readings are not audited: they are measurements, not changes someone made.
    """
    if caller.channel != "connector":
        require(caller, Permission.write_readings)
    if not readings:
        return 0
    check_sensors(session, caller, {r.sensor_id for r in readings})
    if any(r.time.tzinfo is None for r in readings):
        raise invalid("reading times need a timezone")
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        _copy_postgres(session, readings)
    else:
        _executemany_sqlite(session, readings)
    return len(readings)


def _sqlite_time(t: datetime) -> str:
    """Format a time as SQLAlchemy stores it in SQLite (naive UTC, always microseconds)."""
    if t.tzinfo is not UTC:
        t = t.astimezone(UTC)
    return t.isoformat(" ", "microseconds")[:26]


def _executemany_sqlite(session: Session, readings: Sequence[ReadingIn]) -> None:
    raw = session.connection().connection.driver_connection
    assert raw is not None
    raw.executemany(
        "INSERT OR IGNORE INTO readings (sensor_id, time, value, quality) VALUES (?, ?, ?, ?)",
        [(r.sensor_id, _sqlite_time(r.time), r.value, r.quality) for r in readings],
    )


_COPY_TYPES = ["int8", "timestamptz", "float8", "int4"]


def _copy_rows(cursor: Any, table: str, readings: Sequence[ReadingIn]) -> None:
    with cursor.copy(
        f"COPY {table} (sensor_id, time, value, quality) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.set_types(_COPY_TYPES)
        for r in readings:
            copy.write_row(r)


def _copy_postgres(session: Session, readings: Sequence[ReadingIn]) -> None:
    """COPY straight into readings; on a duplicate, load via a staging table instead."""
    import psycopg

    raw = session.connection().connection.driver_connection
    assert raw is not None
    try:
        with raw.transaction(), raw.cursor() as cur:
            _copy_rows(cur, "readings", readings)
        return
    except psycopg.errors.UniqueViolation:
        pass
    with raw.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS readings_stage "
            "(sensor_id bigint, time timestamptz, value double precision, quality int) "
            "ON COMMIT DELETE ROWS"
        )
        _copy_rows(cur, "readings_stage", readings)
        cur.execute("INSERT INTO readings SELECT * FROM readings_stage ON CONFLICT DO NOTHING")
        cur.execute("TRUNCATE readings_stage")


def query_readings(
    session: Session,
    caller: Caller,
    sensor_id: int,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 10_000,
) -> list[ReadingIn]:
    """Return a sensor's readings in [start, end), oldest first."""
    check_sensors(session, caller, [sensor_id])
    src = _source(session)
    stmt = select(src.c.sensor_id, src.c.time, src.c.value, src.c.quality).where(
        src.c.sensor_id == sensor_id
    )
    if start is not None:
        stmt = stmt.where(src.c.time >= start)
    if end is not None:
        stmt = stmt.where(src.c.time < end)
    rows = session.execute(stmt.order_by(src.c.time).limit(limit))
    return [ReadingIn(*row) for row in rows]


def latest_readings(
    session: Session, caller: Caller, sensor_ids: Sequence[int]
) -> dict[int, ReadingIn]:
    """Return each sensor's newest reading."""
    check_sensors(session, caller, sensor_ids)
    if not sensor_ids:
        return {}
    src = _source(session)
    newest = (
        select(src.c.sensor_id, func.max(src.c.time).label("t"))
        .where(src.c.sensor_id.in_(list(sensor_ids)))
        .group_by(src.c.sensor_id)
        .subquery()
    )
    stmt = select(src.c.sensor_id, src.c.time, src.c.value, src.c.quality).join(
        newest, (newest.c.sensor_id == src.c.sensor_id) & (newest.c.t == src.c.time)
    )
    return {row[0]: ReadingIn(*row) for row in session.execute(stmt)}


def count_readings(session: Session, caller: Caller, sensor_id: int) -> int:
    """Return how many readings a sensor has."""
    check_sensors(session, caller, [sensor_id])
    src = _source(session)
    return int(
        session.scalar(select(func.count()).select_from(src).where(src.c.sensor_id == sensor_id))
        or 0
    )


def bulk_readings(
    session: Session,
    caller: Caller,
    sensor_ids: Sequence[int],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[ReadingIn]:
    """Return the readings of many sensors in [start, end), by sensor then time."""
    check_sensors(session, caller, sensor_ids)
    if not sensor_ids:
        return []
    src = _source(session)
    stmt = select(src.c.sensor_id, src.c.time, src.c.value, src.c.quality).where(
        src.c.sensor_id.in_(list(sensor_ids))
    )
    if start is not None:
        stmt = stmt.where(src.c.time >= start)
    if end is not None:
        stmt = stmt.where(src.c.time < end)
    rows = session.execute(stmt.order_by(src.c.sensor_id, src.c.time))
    return [ReadingIn(*row) for row in rows]
