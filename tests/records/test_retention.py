from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from records import Database, ReadingIn, readings, register
from tests.conftest import Tenant
from tests.records.helpers import import_for_tenant

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _sensor(db: Database, tenant: Tenant, tag: str = "ME1_EXH_T") -> int:
    import_for_tenant(db, tenant.org_id)
    with db.transaction(tenant.admin) as s:
        return register.sensors_by_tag(s, tenant.admin, tenant.vessel_id)[tag].id


def test_old_readings_roll_up_into_minutes_then_go(
    db: Database, make_tenant: Callable[..., Tenant]
) -> None:
    a, b = make_tenant(), make_tenant()
    sa, sb = _sensor(db, a), _sensor(db, b)
    old = NOW - timedelta(days=100)
    # 3 minutes x 6 readings, 100 days ago, plus one recent reading; b has old readings too.
    batch = [ReadingIn(sa, old + timedelta(seconds=10 * i), float(i)) for i in range(18)]
    batch.append(ReadingIn(sa, NOW - timedelta(hours=1), 99.0))
    with db.transaction(a.admin) as s:
        readings.insert_readings(s, a.admin, batch)
    with db.transaction(b.admin) as s:
        readings.insert_readings(s, b.admin, [ReadingIn(sb, old, 5.0)])

    with db.transaction(a.admin) as s:
        done = readings.roll_up_and_prune(
            s,
            a.admin,
            raw_retention=timedelta(days=30),
            rollup_retention=timedelta(days=3650),
            now=NOW,
        )
    assert (done.minutes, done.pruned) == (3, 18)
    with db.transaction(a.admin) as s:
        rows = readings.query_rollups(s, a.admin, sa)
        assert [(r[1], r[2], r[3], r[4]) for r in rows] == [
            (6, 2.5, 0.0, 5.0),
            (6, 8.5, 6.0, 11.0),
            (6, 14.5, 12.0, 17.0),
        ]
        assert rows[0][0] == old
        assert readings.count_readings(s, a.admin, sa) == 1
    with db.transaction(b.admin) as s:  # another tenant's readings are not touched
        assert readings.count_readings(s, b.admin, sb) == 1

    # A late replay of old readings is folded into the existing minute on the next run.
    with db.transaction(a.admin) as s:
        readings.insert_readings(s, a.admin, [ReadingIn(sa, old + timedelta(seconds=5), 100.0)])
        again = readings.roll_up_and_prune(
            s,
            a.admin,
            raw_retention=timedelta(days=30),
            rollup_retention=timedelta(days=3650),
            now=NOW,
        )
        assert (again.minutes, again.pruned) == (1, 1)
    with db.transaction(a.admin) as s:
        first = readings.query_rollups(s, a.admin, sa)[0]
        assert first[1:] == (7, pytest.approx((15.0 + 100.0) / 7), 0.0, 100.0)
    with db.transaction(a.admin) as s:
        gone = readings.roll_up_and_prune(
            s,
            a.admin,
            raw_retention=timedelta(days=30),
            rollup_retention=timedelta(days=50),
            now=NOW,
        )
        assert gone.rollups_pruned == 3
        assert readings.query_rollups(s, a.admin, sa) == []


@pytest.mark.postgres
def test_readings_land_in_monthly_partitions(db: Database, tenant: Tenant) -> None:
    if db.dialect != "postgresql":
        pytest.skip("time partitioning exists on PostgreSQL only")
    sid = _sensor(db, tenant)
    months = [datetime(2031, m, 15, tzinfo=UTC) for m in (1, 2, 3)]
    with db.transaction(tenant.admin) as s:
        readings.insert_readings(s, tenant.admin, [ReadingIn(sid, t, 1.0) for t in months])
    with db.transaction(tenant.admin) as s:
        parts = set(
            s.scalars(
                text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'readings'"
                )
            )
        )
        assert {"readings_2031_01", "readings_2031_02", "readings_2031_03"} <= parts
        assert readings.count_readings(s, tenant.admin, sid) == 3
