"""Services behind crew questions about the vessel's state (both backends, via ``db``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from records import (
    AuditLog,
    BosunError,
    Database,
    ErrorCode,
    Fault,
    FaultStatus,
    ReadingIn,
    Role,
    fault_stats,
    parts,
    periods,
    plans,
    readings,
    register,
    running_hours,
    system_caller,
    work_orders,
)
from records.models import utcnow
from tests.conftest import Tenant
from tests.records.helpers import import_for_tenant


def _counter(db: Database, tenant: Tenant, points: list[tuple[datetime, float]]) -> int:
    """Store ME1's running-hours counter readings; return the sensor id."""
    chief = tenant[Role.chief_engineer]
    with db.transaction(chief) as s:
        sensor = register.sensors_by_tag(s, chief, tenant.vessel_id)["ME1_RH"]
        readings.insert_readings(s, chief, [ReadingIn(sensor.id, t, h) for t, h in points])
        return sensor.id


def test_counter_below_register_wins_and_is_audited(db: Database, tenant: Tenant) -> None:
    eq = import_for_tenant(db, tenant.org_id)
    chief = tenant[Role.chief_engineer]
    now = utcnow()
    with db.transaction(chief) as s:
        me1 = register.get_equipment(s, chief, eq["601.1"])
        register.set_running_hours(s, chief, me1, 32_277.0, now - timedelta(days=2))
    _counter(
        db, tenant, [(now - timedelta(days=21), 13_300.0), (now - timedelta(hours=1), 13_638.4)]
    )
    with db.transaction(chief) as s:
        rh = running_hours.running_hours(s, chief, eq["601.1"], now=now)
        assert rh.hours == pytest.approx(13_638.4) and rh.from_counter
        assert rh.register_hours == pytest.approx(32_277.0)
        assert rh.per_day == pytest.approx(338.4 / (20 + 23 / 24), rel=1e-3)
        # A pump without a counter runs on its engine's hours.
        pump = running_hours.running_hours(s, chief, eq["601.1.10"], now=now)
        assert pump.source_code == "601.1" and pump.hours == pytest.approx(13_638.4)

        connector = system_caller(tenant.org_id, "connector")
        me1 = register.get_equipment(s, connector, eq["601.1"])
        assert running_hours.apply_counter(s, connector, me1, 13_638.4, now)
        assert me1.running_hours == pytest.approx(13_638.4)
        audit = s.scalars(
            select(AuditLog)
            .where(AuditLog.entity == "equipment", AuditLog.entity_id == me1.id)
            .order_by(AuditLog.id.desc())
        ).first()
        assert audit is not None and audit.channel == "connector"
        assert audit.before == {
            "running_hours": 32_277.0,
            "running_hours_at": audit.before["running_hours_at"],
        }
        assert audit.after["running_hours"] == pytest.approx(13_638.4)
        # Agreement and stale (older) readings change nothing.
        assert not running_hours.apply_counter(s, connector, me1, 13_638.42, now)
        assert not running_hours.apply_counter(s, connector, me1, 20_000.0, now - timedelta(days=1))
        # Upwards too.
        assert running_hours.apply_counter(s, connector, me1, 13_640.0, now + timedelta(hours=1))


def test_running_hours_tenant_wall(db: Database, make_tenant: Callable[..., Tenant]) -> None:
    a, b = make_tenant(), make_tenant()
    eq_a = import_for_tenant(db, a.org_id)
    with db.transaction(b.admin) as s, pytest.raises(BosunError) as err:
        running_hours.running_hours(s, b.admin, eq_a["601.1"])
    assert err.value.code is ErrorCode.not_found


def test_plans_due_by_days_and_hours(db: Database, tenant: Tenant) -> None:
    eq = import_for_tenant(db, tenant.org_id)
    chief = tenant[Role.chief_engineer]
    now = utcnow()
    with db.transaction(chief) as s:
        me1 = register.get_equipment(s, chief, eq["601.1"])
        register.set_running_hours(s, chief, me1, 1_000.0, now - timedelta(days=1))
        monthly = plans.create_plan(
            s,
            chief,
            equipment_id=eq["601.1"],
            title="Monthly check",
            every_days=30,
            last_done_at=now - timedelta(days=31),
        )
        soon = plans.create_plan(
            s,
            chief,
            equipment_id=eq["601.1.10"],
            title="Pump check",
            every_days=30,
            last_done_at=now - timedelta(days=25),
        )
        by_hours = plans.create_plan(
            s,
            chief,
            equipment_id=eq["601.1.10"],
            title="Pump overhaul",
            every_hours=500,
            last_done_hours=700.0,
        )
        later = plans.create_plan(
            s, chief, equipment_id=eq["601.2"], title="Annual", every_days=365, last_done_at=now
        )
        ids = monthly.id, soon.id, by_hours.id, later.id
    _counter(db, tenant, [(now - timedelta(days=10), 1_000.0), (now, 1_100.0)])
    with db.transaction(chief) as s:
        due = plans.plans_due(s, chief, vessel_id=tenant.vessel_id, now=now)
        assert [d.plan.id for d in due] == [ids[0], ids[1], ids[2], ids[3]]
        first = due[0]
        assert first.overdue and first.days_left == pytest.approx(-1, abs=0.01)
        hours = next(d for d in due if d.plan.id == ids[2])
        assert hours.next_due_hours == 1_200.0 and hours.hours_now == 1_100.0
        assert hours.hours_left == pytest.approx(100.0) and not hours.overdue
        # 10 h/day over the counter's window: due in about 10 days.
        assert hours.estimated_due_at is not None
        assert (hours.estimated_due_at - now).days in (9, 10)
        assert [d.plan.id for d in plans.plans_due(s, chief, overdue=True, now=now)] == [ids[0]]
        week = plans.plans_due(s, chief, due_within_days=7, now=now)
        assert [d.plan.id for d in week] == [ids[0], ids[1]]
        on_me1 = plans.plans_due(s, chief, equipment_id=eq["601.1"], now=now)
        assert {d.plan.id for d in on_me1} == {ids[0], ids[1], ids[2]}
        with pytest.raises(BosunError):
            plans.plans_due(s, chief, due_within_days=-1)


def test_plans_due_walls(db: Database, make_tenant: Callable[..., Tenant]) -> None:
    a, b = make_tenant(), make_tenant()
    eq = import_for_tenant(db, a.org_id)
    with db.transaction(a.admin) as s:
        plans.create_plan(s, a.admin, equipment_id=eq["601.1"], title="X", every_days=1)
        crew = a[Role.crew]
        assert len(plans.plans_due(s, crew, vessel_id=a.vessel_id)) == 1
        other, _ = register.upsert_vessel(s, a.admin, name="MV Other", imo="9555555")
        s.flush()
        with pytest.raises(BosunError) as err:
            plans.plans_due(s, crew, vessel_id=other.id)
        assert err.value.code is ErrorCode.not_found
    with db.transaction(b.admin) as s:
        assert plans.plans_due(s, b.admin) == []
        with pytest.raises(BosunError):
            plans.plans_due(s, b.admin, equipment_id=eq["601.1"])


def _fault(
    s: object, tenant: Tenant, equipment_id: int, at: datetime, hours: float | None
) -> Fault:
    row = Fault(
        org_id=tenant.org_id,
        vessel_id=tenant.vessel_id,
        equipment_id=equipment_id,
        title=f"fault at {at:%m-%d}",
        status=FaultStatus.resolved if hours is not None else FaultStatus.open,
        opened_at=at,
        resolved_at=at + timedelta(hours=hours) if hours is not None else None,
        notes=[],
        attachments=[],
    )
    s.add(row)  # type: ignore[attr-defined]
    s.flush()  # type: ignore[attr-defined]
    return row


def test_fault_statistics_counts_mtbf_mttr(db: Database, tenant: Tenant) -> None:
    eq = import_for_tenant(db, tenant.org_id)
    chief = tenant[Role.chief_engineer]
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    day = timedelta(days=1)
    _counter(db, tenant, [(t0 + i * day, 1_000.0 + 12.0 * i) for i in range(0, 60)])
    with db.transaction(chief) as s:
        # ME1 and its pump: 3 faults 10 days apart (120 running hours), repairs 2 h and 4 h.
        _fault(s, tenant, eq["601.1"], t0 + 10 * day, 2.0)
        _fault(s, tenant, eq["601.1.10"], t0 + 20 * day, 4.0)
        last = _fault(s, tenant, eq["601.1"], t0 + 30 * day, None)
        # ME2 (no counter): 2 faults 5 days apart.
        _fault(s, tenant, eq["601.2.10"], t0 + 40 * day, 1.0)
        _fault(s, tenant, eq["601.2"], t0 + 45 * day, 1.0)
        stats = fault_stats.fault_statistics(
            s, chief, vessel_id=tenant.vessel_id, until=t0 + 50 * day
        )
        assert stats.total == 5 and [g.key for g in stats.groups] == ["601.1", "601.2"]
        me1, me2 = stats.groups
        assert me1.count == 3 and me1.last_fault_id == last.id and me1.last_at == t0 + 30 * day
        assert me1.mtbf == pytest.approx(120.0) and me1.mtbf_unit == "running hours"
        assert me1.mttr_hours == pytest.approx(3.0) and me1.resolved == 2
        assert me2.mtbf == pytest.approx(5.0) and me2.mtbf_unit == "days"
        top = fault_stats.fault_statistics(s, chief, top=1, until=t0 + 50 * day)
        assert [g.key for g in top.groups] == ["601.1"] and top.group_count == 2
        period = fault_stats.fault_statistics(s, chief, since=t0 + 15 * day, until=t0 + 42 * day)
        assert period.total == 3
        narrowed = fault_stats.fault_statistics(s, chief, equipment_id=eq["601.1"])
        assert {g.key: g.count for g in narrowed.groups} == {"601.1": 2, "601.1.10": 1}
        whole = narrowed.overall
        assert whole is not None and whole.count == 3 and whole.key == "601.1"
        assert whole.mtbf == pytest.approx(120.0) and whole.mttr_hours == pytest.approx(3.0)
        assert stats.overall is None
        by_class = fault_stats.fault_statistics(s, chief, group_by="class")
        assert {g.key: g.count for g in by_class.groups} == {"main_engine": 5}
        with pytest.raises(BosunError):
            fault_stats.fault_statistics(s, chief, group_by="colour")


def test_fault_statistics_walls(db: Database, make_tenant: Callable[..., Tenant]) -> None:
    a, b = make_tenant(), make_tenant()
    eq = import_for_tenant(db, a.org_id)
    with db.transaction(a.admin) as s:
        _fault(s, a, eq["601.1"], utcnow() - timedelta(days=1), None)
    with db.transaction(b.admin) as s:
        assert fault_stats.fault_statistics(s, b.admin).total == 0
        with pytest.raises(BosunError):
            fault_stats.fault_statistics(s, b.admin, equipment_id=eq["601.1"])
    with db.transaction(a[Role.crew]) as s:
        assert fault_stats.fault_statistics(s, a[Role.crew]).total == 1


def test_stock_at_minimum_beside_below(db: Database, tenant: Tenant) -> None:
    import_for_tenant(db, tenant.org_id)
    chief = tenant[Role.chief_engineer]
    with db.transaction(chief) as s:
        specs = [("P-AT", 2, 2, ["601.1"]), ("P-BELOW", 1, 2, ["601.2"]), ("P-OK", 5, 2, ["601.1"])]
        for number, qty, minimum, fits in specs:
            part = parts.upsert_part(s, chief, number=number, name=number, equipment_codes=fits)
            s.flush()
            parts.set_stock(s, chief, tenant.vessel_id, part, quantity=qty, minimum=minimum)
        lines = parts.vessel_stock(s, chief, tenant.vessel_id, at_or_below_minimum=True)
        assert [(ln.part.number, ln.level) for ln in lines] == [
            ("P-AT", "at minimum"),
            ("P-BELOW", "below minimum"),
        ]
        below = parts.vessel_stock(s, chief, tenant.vessel_id, below_minimum=True)
        assert [ln.part.number for ln in below] == ["P-BELOW"]
        fits = parts.vessel_stock(s, chief, tenant.vessel_id, equipment_codes=["601.1"])
        assert [ln.part.number for ln in fits] == ["P-AT", "P-OK"]


def test_overdue_work_orders(db: Database, make_tenant: Callable[..., Tenant]) -> None:
    tenant, other = make_tenant(), make_tenant()
    eq = import_for_tenant(db, tenant.org_id)
    officer = tenant[Role.officer]
    now = utcnow()
    with db.transaction(officer) as s:
        late = work_orders.create_work_order(
            s, officer, equipment_id=eq["601.1"], title="late", due=now - timedelta(days=2)
        )
        work_orders.create_work_order(
            s, officer, equipment_id=eq["601.1"], title="future", due=now + timedelta(days=2)
        )
        work_orders.create_work_order(s, officer, equipment_id=eq["601.1"], title="no due")
        done = work_orders.create_work_order(
            s, officer, equipment_id=eq["601.2"], title="done late", due=now - timedelta(days=3)
        )
        work_orders.update_work_order(s, officer, done, status="done")
        page = work_orders.list_work_orders(s, officer, overdue=True)
        assert [w.id for w in page.items] == [late.id]
        assert work_orders.is_overdue(late) and not work_orders.is_overdue(done)
    with db.transaction(other.admin) as s:
        assert work_orders.list_work_orders(s, other.admin, overdue=True).items == []


NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "since", "label"),
    [
        ("how many faults last 3 months", NOW - timedelta(days=90), "last 3 months"),
        ("faults in the past two weeks", NOW - timedelta(days=14), "last 2 weeks"),
        ("breakdowns last month", NOW - timedelta(days=30), "last 1 month"),
        ("this month", datetime(2026, 12, 1, tzinfo=UTC), "this month"),
        ("how many this year", datetime(2026, 1, 1, tzinfo=UTC), "this year"),
        ("since 2026-03-01", datetime(2026, 3, 1, tzinfo=UTC), "since 2026-03-01"),
        ("since 1 March", datetime(2026, 3, 1, tzinfo=UTC), "since 2026-03-01"),
        ("since march", datetime(2026, 3, 1, tzinfo=UTC), "since 2026-03-01"),
    ],
)
def test_parse_period(text: str, since: datetime, label: str) -> None:
    period = periods.parse_period(text, NOW)
    assert period is not None
    assert (period.since, period.until, period.label) == (since, NOW, label)


def test_parse_period_none_and_bad_dates() -> None:
    assert periods.parse_period("which machine breaks down most", NOW) is None
    with pytest.raises(BosunError):
        periods.parse_period("since 2026-13-01", NOW)
