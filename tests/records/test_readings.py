from __future__ import annotations

from datetime import timedelta

from records import Database, readings, register
from records.models import utcnow
from records.readings import ReadingIn
from tests.conftest import Tenant
from tests.records.helpers import import_for_tenant


def test_batch_insert_ignores_duplicates_and_queries_ranges(db: Database, tenant: Tenant) -> None:
    import_for_tenant(db, tenant.org_id)
    t0 = utcnow().replace(microsecond=0)
    with db.transaction(tenant.admin) as s:
        sensor = register.sensors_by_tag(s, tenant.admin, tenant.vessel_id)["ME1_EXH_T"]
        batch = [ReadingIn(sensor.id, t0 + timedelta(seconds=i), 400.0 + i) for i in range(100)]
        readings.insert_readings(s, tenant.admin, batch)
        sid = sensor.id
    with db.transaction(tenant.admin) as s:
        # A replay overlapping the first batch stores only the new readings.
        replay = [ReadingIn(sid, t0 + timedelta(seconds=i), 400.0 + i) for i in range(50, 150)]
        readings.insert_readings(s, tenant.admin, replay)
    with db.transaction(tenant.admin) as s:
        assert readings.count_readings(s, tenant.admin, sid) == 150
        window = readings.query_readings(
            s, tenant.admin, sid, start=t0 + timedelta(seconds=10), end=t0 + timedelta(seconds=20)
        )
        assert [r.value for r in window] == [410.0 + i for i in range(10)]
        assert window[0].time == t0 + timedelta(seconds=10)
        recent = readings.query_readings(s, tenant.admin, sid, limit=3, newest=True)
        assert [r.value for r in recent] == [547.0, 548.0, 549.0]
        latest = readings.latest_readings(s, tenant.admin, [sid])
        assert latest[sid].value == 549.0
