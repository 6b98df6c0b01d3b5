"""Batch readings insert throughput: Bosun's service vs the raw driver's fastest path.

    .venv/bin/python -m bench.readings_insert [--rows 1000000] [--batch 20000] [--no-postgres]

For each backend, the same rows go (1) through ``records.readings.insert_readings`` with a
tenant-bound session, and (2) through the raw driver's fastest path into an identical fresh
database under the same database role (sqlite3 ``executemany``; psycopg ``COPY`` as
``bosun_app``). Prints readings/s for both (best of --rounds alternating rounds) and the ratio.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from records import ALL_TENANTS, Database, ReadingIn, migrate, readings, register, system_caller

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SENSORS = 100


def make_rows(n: int, sensor_ids: list[int]) -> list[ReadingIn]:
    """Return n readings spread over the sensors at 1 s intervals."""
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    per = n // len(sensor_ids)
    return [
        ReadingIn(sid, t0 + timedelta(seconds=i), 20.0 + (i % 97) * 0.1, 0)
        for sid in sensor_ids
        for i in range(per)
    ]


def seed(db: Database) -> tuple[int, list[int]]:
    """Create an organization, a vessel, equipment and sensors; return (org id, sensor ids)."""
    with db.transaction(ALL_TENANTS) as s:
        org_id = register.get_or_create_organization(s, "Bench Co").id
    caller = system_caller(org_id)
    with db.transaction(org_id) as s:
        vessel, _ = register.upsert_vessel(s, caller, name="MV Bench", imo="9999999")
        s.flush()
        eq, _ = register.upsert_equipment(
            s, caller, vessel.id, code="1", parent_id=None, fields={"name": "Engine"}
        )
        s.flush()
        ids = []
        for i in range(SENSORS):
            sensor, _ = register.upsert_sensor(s, caller, eq, tag=f"T{i}", fields={"name": "t"})
            s.flush()
            ids.append(sensor.id)
    return org_id, ids


def through_service(db: Database, org_id: int, rows: list[ReadingIn], batch: int) -> float:
    """Insert via Bosun's service in batches; return readings/s."""
    caller = system_caller(org_id, "connector")
    start = time.perf_counter()
    for i in range(0, len(rows), batch):
        with db.transaction(caller) as s:
            readings.insert_readings(s, caller, rows[i : i + batch])
    return len(rows) / (time.perf_counter() - start)


def raw_sqlite(path: Path, rows: list[ReadingIn], batch: int) -> float:
    """Insert the same rows with sqlite3 executemany (WAL, same schema); return readings/s."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    start = time.perf_counter()
    for i in range(0, len(rows), batch):
        conn.executemany(
            "INSERT INTO readings (sensor_id, time, value, quality) VALUES (?, ?, ?, ?)",
            [
                (r.sensor_id, r.time.isoformat(" ", "microseconds")[:26], r.value, r.quality)
                for r in rows[i : i + batch]
            ],
        )
        conn.commit()
    elapsed = time.perf_counter() - start
    conn.close()
    return len(rows) / elapsed


def raw_copy(url: str, rows: list[ReadingIn], batch: int) -> float:
    """Insert the same rows with psycopg binary COPY as the application role; readings/s."""
    u = make_url(url)
    with psycopg.connect(
        host=u.host, port=u.port or 5432, user=u.username, dbname=u.database
    ) as conn:
        conn.execute("SET ROLE bosun_app")
        conn.commit()
        start = time.perf_counter()
        for i in range(0, len(rows), batch):
            with (
                conn.cursor() as cur,
                cur.copy(
                    "COPY readings (sensor_id, time, value, quality) FROM STDIN (FORMAT BINARY)"
                ) as copy,
            ):
                copy.set_types(["int8", "timestamptz", "float8", "int4"])
                for r in rows[i : i + batch]:
                    copy.write_row(r)
            conn.commit()
        return len(rows) / (time.perf_counter() - start)


@contextmanager
def pg_database() -> Iterator[str]:
    """A fresh migrated PostgreSQL database."""
    name = f"bosun_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        migrate(url)
        yield url
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_sqlite(n: int, batch: int) -> dict[str, float]:
    """One round on SQLite: service and raw, each into a fresh database file."""
    with tempfile.TemporaryDirectory() as tmp:
        service_db = Database.from_url(f"sqlite:///{tmp}/service.db")
        migrate(f"sqlite:///{tmp}/service.db")
        org_id, ids = seed(service_db)
        rows = make_rows(n, ids)
        service = through_service(service_db, org_id, rows, batch)
        service_db.dispose()
        migrate(f"sqlite:///{tmp}/raw.db")
        raw_db = Database.from_url(f"sqlite:///{tmp}/raw.db")
        seed(raw_db)
        raw_db.dispose()
        raw = raw_sqlite(Path(tmp) / "raw.db", rows, batch)
    return {"service": service, "raw": raw}


def bench_postgres(n: int, batch: int) -> dict[str, float]:
    """One round on PostgreSQL: service and raw, each into a fresh database."""
    with pg_database() as service_url, pg_database() as raw_url:
        service_db = Database.from_url(service_url, app_role="bosun_app")
        org_id, ids = seed(service_db)
        rows = make_rows(n, ids)
        service = through_service(service_db, org_id, rows, batch)
        service_db.dispose()
        raw_db = Database.from_url(raw_url, app_role="bosun_app")
        seed(raw_db)
        raw_db.dispose()
        raw = raw_copy(raw_url, rows, batch)
    return {"service": service, "raw": raw}


def best_of(rounds: int, run: Callable[[], dict[str, float]], name: str) -> dict[str, float]:
    """Run several rounds and keep each path's best (the machine is shared and noisy)."""
    results = []
    for i in range(rounds):
        results.append(run())
        print(
            f"{name} round {i + 1}/{rounds}: "
            + ", ".join(f"{k} {v:,.0f}/s" for k, v in results[-1].items()),
            file=sys.stderr,
        )
    best = {k: max(r[k] for r in results) for k in ("service", "raw")}
    return {**best, "ratio": best["service"] / best["raw"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    print(f"{args.rows:,} readings in batches of {args.batch:,}", file=sys.stderr)
    results["sqlite"] = best_of(args.rounds, lambda: bench_sqlite(args.rows, args.batch), "sqlite")
    if not args.no_postgres:
        results["postgres"] = best_of(
            args.rounds, lambda: bench_postgres(args.rows, args.batch), "postgres"
        )
    print(f"{'backend':10} {'bosun/s':>12} {'raw/s':>12} {'ratio':>7}")
    for name, r in results.items():
        print(f"{name:10} {r['service']:>12,.0f} {r['raw']:>12,.0f} {r['ratio']:>7.2f}")
    print(json.dumps({k: {m: round(v, 3) for m, v in r.items()} for k, r in results.items()}))


if __name__ == "__main__":
    main()
