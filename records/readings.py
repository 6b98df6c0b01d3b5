"""Sensor readings: batch insert through each driver's fastest path, range queries.

Readings reach their tenant through their sensor: every batch is checked against the
caller's sensors before it is loaded, and on PostgreSQL reads go through the
``tenant_readings`` view (see ``records.models.Reading``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Float, Integer, column, func, select, table, text
from sqlalchemy.orm import Session

from records.common import referenced, scoped
from records.context import Caller
from records.errors import invalid, not_found
from records.models import Reading, ReadingRollup, Sensor, UTCDateTime
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
    with referenced("sensor_id"):
        check_sensors(session, caller, {r.sensor_id for r in readings})
    if any(r.time.tzinfo is None for r in readings):
        raise invalid("reading times need a timezone")
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        _ensure_partitions(session, readings)
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
    newest: bool = False,
) -> list[ReadingIn]:
    """Return a sensor's readings in [start, end), oldest first.

    With ``newest`` the ``limit`` most recent of them (still oldest first), else the earliest.
    """
    check_sensors(session, caller, [sensor_id])
    src = _source(session)
    stmt = select(src.c.sensor_id, src.c.time, src.c.value, src.c.quality).where(
        src.c.sensor_id == sensor_id
    )
    if start is not None:
        stmt = stmt.where(src.c.time >= start)
    if end is not None:
        stmt = stmt.where(src.c.time < end)
    if newest:
        rows = list(session.execute(stmt.order_by(src.c.time.desc()).limit(limit)))
        return [ReadingIn(*row) for row in reversed(rows)]
    rows_asc = session.execute(stmt.order_by(src.c.time).limit(limit))
    return [ReadingIn(*row) for row in rows_asc]


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


# --- partitions, rollups and retention -----------------------------------------------------

_ENSURED: set[tuple[str, str]] = set()
"""(database, month) pairs whose readings partition is known to exist in this process."""


def _ensure_partitions(session: Session, readings: Sequence[ReadingIn]) -> None:
    """Create the monthly partitions a batch needs (PostgreSQL), once per process and month."""
    bind = session.get_bind()
    key = bind.engine.url.render_as_string(hide_password=True)
    times = [r.time for r in readings]
    lo, hi = min(times).astimezone(UTC), max(times).astimezone(UTC)
    months, year, month_no = [], lo.year, lo.month
    while (year, month_no) <= (hi.year, hi.month):
        months.append(f"{year:04d}-{month_no:02d}-01")
        year, month_no = (year + 1, 1) if month_no == 12 else (year, month_no + 1)
    for month in months:
        if (key, month) in _ENSURED:
            continue
        session.execute(
            text("SELECT bosun_ensure_reading_partition(CAST(:m AS timestamptz))"),
            {"m": f"{month}T00:00:00+00:00"},
        )
        _ENSURED.add((key, month))


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What one retention run did for an organization."""

    minutes: int
    """1-minute rollup rows written or extended."""
    pruned: int
    """Raw readings deleted after being rolled up."""
    rollups_pruned: int


_ROLLUP_SQLITE = """
INSERT INTO reading_rollups (sensor_id, minute, n, mean, min, max)
SELECT r.sensor_id, substr(r.time, 1, 16) || '\\:00.000000', count(*), avg(r.value),
       min(r.value), max(r.value)
FROM readings r JOIN sensors s ON s.id = r.sensor_id
WHERE s.org_id = :org AND r.time < :cutoff
GROUP BY r.sensor_id, substr(r.time, 1, 16)
ON CONFLICT (sensor_id, minute) DO UPDATE SET
  mean = (reading_rollups.mean * reading_rollups.n + excluded.mean * excluded.n)
         / (reading_rollups.n + excluded.n),
  n = reading_rollups.n + excluded.n,
  min = min(reading_rollups.min, excluded.min),
  max = max(reading_rollups.max, excluded.max)
"""

_ROLLUP_POSTGRES = """
INSERT INTO reading_rollups (sensor_id, minute, n, mean, min, max)
SELECT r.sensor_id, date_trunc('minute', r.time), count(*), avg(r.value), min(r.value),
       max(r.value)
FROM tenant_readings r
WHERE r.time < :cutoff
GROUP BY r.sensor_id, date_trunc('minute', r.time)
ON CONFLICT (sensor_id, minute) DO UPDATE SET
  mean = (reading_rollups.mean * reading_rollups.n + excluded.mean * excluded.n)
         / (reading_rollups.n + excluded.n),
  n = reading_rollups.n + excluded.n,
  min = LEAST(reading_rollups.min, excluded.min),
  max = GREATEST(reading_rollups.max, excluded.max)
"""


def roll_up_and_prune(
    session: Session,
    caller: Caller,
    *,
    raw_retention: timedelta,
    rollup_retention: timedelta,
    now: datetime | None = None,
) -> RetentionReport:
    """Fold raw readings older than ``raw_retention`` into 1-minute rollups and delete them.

    Aggregation and deletion run in one transaction that sees one snapshot (SQLite's write
    lock; REPEATABLE READ on PostgreSQL), so a reading is either rolled up and deleted, or
    left raw for the next run; a late replay of old readings is folded in then.
    """
    now = now or datetime.now(UTC)
    cutoff = now - raw_retention
    oldest = now - rollup_retention
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        rolled = session.execute(text(_ROLLUP_POSTGRES), {"cutoff": cutoff})
        pruned = session.scalar(text("SELECT bosun_prune_readings(:c)"), {"c": cutoff})
        gone = session.execute(text("DELETE FROM reading_rollups WHERE minute < :t"), {"t": oldest})
    else:
        fmt = _sqlite_time
        rolled = session.execute(
            text(_ROLLUP_SQLITE), {"org": caller.org_id, "cutoff": fmt(cutoff)}
        )
        pruned = session.execute(
            text(
                "DELETE FROM readings WHERE time < :c AND sensor_id IN "
                "(SELECT id FROM sensors WHERE org_id = :org)"
            ),
            {"c": fmt(cutoff), "org": caller.org_id},
        ).rowcount  # type: ignore[attr-defined]
        gone = session.execute(
            text(
                "DELETE FROM reading_rollups WHERE minute < :t AND sensor_id IN "
                "(SELECT id FROM sensors WHERE org_id = :org)"
            ),
            {"t": fmt(oldest), "org": caller.org_id},
        )
    return RetentionReport(
        minutes=int(rolled.rowcount or 0),  # type: ignore[attr-defined]
        pruned=int(pruned or 0),
        rollups_pruned=int(gone.rowcount or 0),  # type: ignore[attr-defined]
    )


def query_rollups(
    session: Session,
    caller: Caller,
    sensor_id: int,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[tuple[datetime, int, float, float, float]]:
    """Return a sensor's 1-minute rollups (minute, n, mean, min, max), oldest first."""
    check_sensors(session, caller, [sensor_id])
    stmt = select(
        ReadingRollup.minute,
        ReadingRollup.n,
        ReadingRollup.mean,
        ReadingRollup.min,
        ReadingRollup.max,
    ).where(ReadingRollup.sensor_id == sensor_id)
    if start is not None:
        stmt = stmt.where(ReadingRollup.minute >= start)
    if end is not None:
        stmt = stmt.where(ReadingRollup.minute < end)
    return [tuple(row) for row in session.execute(stmt.order_by(ReadingRollup.minute))]  # type: ignore[misc]
