from __future__ import annotations

from collections.abc import Callable

import pytest

from records import BosunError, Database, ErrorCode, Role, faults, readings, register, work_orders
from records.models import utcnow
from records.readings import ReadingIn
from tests.conftest import Tenant
from tests.records.helpers import import_for_tenant


def test_cross_tenant_ids_are_not_found_and_lists_exclude(
    db: Database, make_tenant: Callable[..., Tenant]
) -> None:
    a, b = make_tenant(), make_tenant()
    eq_a = import_for_tenant(db, a.org_id)
    with db.transaction(a.admin) as s:
        fault = faults.report_fault(s, a.admin, equipment_id=eq_a["601.1"], title="A's fault")
        wo = work_orders.create_work_order(s, a.admin, equipment_id=eq_a["601.1"], title="A's job")
        ids = (fault.id, wo.id)
    intruder = b.admin
    with db.transaction(intruder) as s:
        for call in (
            lambda: faults.get_fault(s, intruder, ids[0]),
            lambda: work_orders.get_work_order(s, intruder, ids[1]),
            lambda: register.get_vessel(s, intruder, a.vessel_id),
            lambda: register.get_equipment(s, intruder, eq_a["601.1"]),
        ):
            with pytest.raises(BosunError) as info:
                call()
            assert info.value.code is ErrorCode.not_found
        # Pointing a new row at another tenant's row is bad input naming the field.
        with pytest.raises(BosunError) as info:
            faults.report_fault(s, intruder, equipment_id=eq_a["601.1"], title="x")
        assert info.value.code is ErrorCode.invalid
        assert info.value.details["field"] == "equipment_id"
        assert faults.list_faults(s, intruder).items == []
        assert work_orders.list_work_orders(s, intruder).items == []
        assert [v.id for v in register.list_vessels(s, intruder)] == [b.vessel_id]


def test_readings_of_another_tenant_cannot_be_written_or_read(
    db: Database, make_tenant: Callable[..., Tenant]
) -> None:
    a, b = make_tenant(), make_tenant()
    import_for_tenant(db, a.org_id)
    with db.transaction(a.admin) as s:
        sensor = register.sensors_by_tag(s, a.admin, a.vessel_id)["ME1_EXH_T"]
        readings.insert_readings(s, a.admin, [ReadingIn(sensor.id, utcnow(), 400.0)])
        sid = sensor.id
    with db.transaction(b.admin) as s:
        with pytest.raises(BosunError) as info:
            readings.insert_readings(s, b.admin, [ReadingIn(sid, utcnow(), 1.0)])
        assert info.value.code is ErrorCode.invalid
        assert info.value.details["field"] == "sensor_id"
        with pytest.raises(BosunError):
            readings.query_readings(s, b.admin, sid)


def test_crew_sees_only_their_vessels(db: Database, tenant: Tenant) -> None:
    from records import system_caller, users

    with db.transaction(tenant.org_id) as s:
        other, _ = register.upsert_vessel(
            s, system_caller(tenant.org_id), name="MV Other", imo=f"X{tenant.org_id}"
        )
        s.flush()
        crew = tenant[Role.crew]
        assert [v.id for v in register.list_vessels(s, crew)] == [tenant.vessel_id]
        with pytest.raises(BosunError):
            register.get_vessel(s, crew, other.id)
        shore = tenant[Role.shore]
        assert {v.id for v in register.list_vessels(s, shore)} >= {tenant.vessel_id, other.id}
        assert users.get_user(s, tenant.admin, crew.user_id or 0).role is Role.crew
