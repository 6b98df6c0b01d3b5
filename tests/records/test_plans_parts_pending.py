from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from records import (
    BosunError,
    Database,
    ErrorCode,
    Fault,
    PendingStatus,
    Role,
    WorkOrderKind,
    faults,
    parts,
    pending,
    plans,
    register,
    work_orders,
)
from records.models import utcnow
from tests.conftest import Tenant
from tests.records.helpers import import_for_tenant


def test_plans_raise_preventive_work_orders_once_when_due(db: Database, tenant: Tenant) -> None:
    eq = import_for_tenant(db, tenant.org_id)
    chief = tenant[Role.chief_engineer]
    now = utcnow()
    with db.transaction(chief) as s:
        by_days = plans.create_plan(
            s,
            chief,
            equipment_id=eq["601.1"],
            title="Monthly check",
            every_days=30,
            last_done_at=now - timedelta(days=31),
        )
        by_hours = plans.create_plan(
            s, chief, equipment_id=eq["601.2"], title="Overhaul", every_hours=500, last_done_hours=0
        )
        not_due = plans.create_plan(
            s, chief, equipment_id=eq["601.1.10"], title="Annual", every_days=365, last_done_at=now
        )
        ids = by_days.id, by_hours.id, not_due.id
        first = plans.raise_due_work_orders(s, chief, now=now)
        assert [w.plan_id for w in first] == [ids[0]]
        me2 = register.get_equipment(s, chief, eq["601.2"])
        register.set_running_hours(s, chief, me2, 510)
        second = plans.raise_due_work_orders(s, chief, now=now)
        assert [w.plan_id for w in second] == [ids[1]]
        assert all(w.kind is WorkOrderKind.preventive for w in first + second)
        assert plans.raise_due_work_orders(s, chief, now=now) == []
        work_orders.update_work_order(s, chief, first[0], status="done")
        assert plans.raise_due_work_orders(s, chief, now=now) == []


def test_parts_used_reduce_stock_and_low_stock_is_reported(db: Database, tenant: Tenant) -> None:
    eq = import_for_tenant(db, tenant.org_id)
    chief = tenant[Role.chief_engineer]
    with db.transaction(chief) as s:
        part = parts.upsert_part(
            s, chief, number="FIP-01", name="Injection pump seal kit", equipment_codes=["601.1.10"]
        )
        parts.set_stock(s, chief, tenant.vessel_id, part, quantity=3, minimum=2)
        wo = work_orders.create_work_order(
            s, chief, equipment_id=eq["601.1.10"], title="Replace seals"
        )
        work_orders.use_parts(s, chief, wo, part, 2)
        assert parts.get_stock(s, chief, tenant.vessel_id, part.id).quantity == 1
        low = parts.vessel_stock(s, chief, tenant.vessel_id, below_minimum=True)
        assert [ln.part.number for ln in low] == ["FIP-01"]
        with pytest.raises(BosunError) as info:
            work_orders.use_parts(s, chief, wo, part, 5)
        assert info.value.code is ErrorCode.conflict
        assert [u.quantity for u in work_orders.parts_used(s, chief, wo)] == [2]


def test_pending_action_executes_exactly_once(db: Database, tenant: Tenant) -> None:
    eq = import_for_tenant(db, tenant.org_id)
    crew = tenant[Role.crew]
    with db.transaction(crew) as s:
        action = pending.propose(
            s,
            crew,
            kind="report_fault",
            arguments={"equipment_id": eq["601.2.10"], "title": "Leak", "priority": "high"},
            summary="File fault",
            idempotency_key="turn-1",
        )
        again = pending.propose(
            s,
            crew,
            kind="report_fault",
            arguments={"equipment_id": eq["601.2.10"], "title": "Leak"},
            summary="dup",
            idempotency_key="turn-1",
        )
        assert again.id == action.id
        aid = action.id
    for _ in range(2):
        with db.transaction(crew) as s:
            done = pending.confirm(s, crew, aid)
            assert done.status is PendingStatus.executed
    with db.transaction(crew) as s:
        count = s.scalar(
            select(func.count())
            .select_from(Fault)
            .where(Fault.org_id == tenant.org_id, Fault.title == "Leak")
        )
        assert count == 1
        assert faults.get_fault(s, crew, done.result["fault_id"]).priority.value == "high"


def test_pending_reject_expire_and_addressee(db: Database, tenant: Tenant) -> None:
    eq = import_for_tenant(db, tenant.org_id)
    crew, officer = tenant[Role.crew], tenant[Role.officer]
    with db.transaction(crew) as s:
        a1 = pending.propose(
            s,
            crew,
            kind="report_fault",
            summary="x",
            arguments={"equipment_id": eq["601.1"], "title": "A"},
        )
        a2 = pending.propose(
            s,
            crew,
            kind="report_fault",
            summary="y",
            arguments={"equipment_id": eq["601.1"], "title": "B"},
            ttl=timedelta(seconds=-1),
        )
        ids = a1.id, a2.id
    with db.transaction(officer) as s, pytest.raises(BosunError) as info:
        pending.confirm(s, officer, ids[0])
    assert info.value.code is ErrorCode.forbidden
    with db.transaction(crew) as s:
        assert pending.reject(s, crew, ids[0]).status is PendingStatus.rejected
    with db.transaction(crew) as s, pytest.raises(BosunError) as info:
        pending.confirm(s, crew, ids[1])
    assert info.value.code is ErrorCode.expired
    with db.transaction(crew) as s:
        assert pending.get_action(s, crew, ids[1]).status is PendingStatus.expired
        with pytest.raises(BosunError):
            pending.confirm(s, crew, ids[0])


def test_alarm_style_proposal_to_a_role(db: Database, tenant: Tenant) -> None:
    from records import system_caller

    eq = import_for_tenant(db, tenant.org_id)
    system = system_caller(tenant.org_id, "connector")
    with db.transaction(system) as s:
        action = pending.propose(
            s,
            system,
            kind="report_fault",
            summary="ME1 exhaust high",
            arguments={"equipment_id": eq["601.1"], "title": "Exhaust high"},
            addressed_to_role=Role.officer,
        )
        aid = action.id
    crew, chief = tenant[Role.crew], tenant[Role.chief_engineer]
    with db.transaction(crew) as s:
        assert pending.list_actions(s, crew) == []
    with db.transaction(chief) as s:
        assert [a.id for a in pending.list_actions(s, chief)] == [aid]
        assert pending.confirm(s, chief, aid).status is PendingStatus.executed


def test_roles_limit_work_orders(db: Database, tenant: Tenant) -> None:
    eq = import_for_tenant(db, tenant.org_id)
    with db.transaction(tenant.org_id) as s:
        with pytest.raises(BosunError) as info:
            work_orders.create_work_order(s, tenant[Role.crew], equipment_id=eq["601.1"], title="x")
        assert info.value.code is ErrorCode.forbidden
        wo = work_orders.create_work_order(
            s, tenant[Role.shore], equipment_id=eq["601.1"], title="Shore asks for inspection"
        )
        with pytest.raises(BosunError):
            work_orders.update_work_order(s, tenant[Role.shore], wo, status="done")
        work_orders.update_work_order(
            s, tenant[Role.officer], wo, status="in_progress", note="started"
        )
        assert wo.notes[0]["text"] == "started"
