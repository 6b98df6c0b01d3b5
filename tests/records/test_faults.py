from __future__ import annotations

import pytest
from sqlalchemy import select

from records import (
    AuditLog,
    BosunError,
    Database,
    ErrorCode,
    FaultStatus,
    Role,
    WorkOrderStatus,
    faults,
    work_orders,
)
from tests.conftest import Tenant
from tests.records.helpers import import_for_tenant


@pytest.fixture
def equipment_id(db: Database, tenant: Tenant) -> int:
    return import_for_tenant(db, tenant.org_id)["601.2.10"]


def test_fault_lifecycle_walks_every_state_and_audits(
    db: Database, tenant: Tenant, equipment_id: int
) -> None:
    crew, chief = tenant[Role.crew], tenant[Role.chief_engineer]
    with db.transaction(crew) as s:
        fault = faults.report_fault(
            s, crew, equipment_id=equipment_id, title="Fuel pump leaking", priority="high"
        )
        fid = fault.id
    for status in ("acknowledged", "in_progress", "resolved", "closed", "open"):
        with db.transaction(chief) as s:
            f = faults.get_fault(s, chief, fid)
            faults.transition_fault(s, chief, f, status, note=f"now {status}")
    with db.transaction(chief) as s:
        f = faults.get_fault(s, chief, fid)
        assert f.status is FaultStatus.open
        assert f.closed_at is None and len(f.notes) == 5
        rows = s.scalars(
            select(AuditLog)
            .where(AuditLog.entity == "faults", AuditLog.entity_id == fid)
            .order_by(AuditLog.id)
        ).all()
        assert [r.action for r in rows] == ["create"] + ["transition"] * 5
        assert rows[1].before == {"status": "open", "acknowledged_at": None, "notes": []} or (
            rows[1].before["status"] == "open" and rows[1].after["status"] == "acknowledged"
        )
        assert rows[0].user_id == crew.user_id and rows[0].channel == "test"


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        ((), "closed"),
        ((), "open"),
        (("resolved", "closed"), "in_progress"),
        (("in_progress",), "acknowledged"),
    ],
)
def test_invalid_transition_is_a_clear_error(
    db: Database, tenant: Tenant, equipment_id: int, path: tuple[str, ...], bad: str
) -> None:
    chief = tenant[Role.chief_engineer]
    with db.transaction(chief) as s:
        f = faults.report_fault(s, chief, equipment_id=equipment_id, title="Noise")
        for step in path:
            faults.transition_fault(s, chief, f, step)
        with pytest.raises(BosunError) as info:
            faults.transition_fault(s, chief, f, bad)
    assert info.value.code is ErrorCode.invalid_transition
    assert bad in info.value.message and "allowed" in info.value.message


def test_crew_cannot_acknowledge_or_close(db: Database, tenant: Tenant, equipment_id: int) -> None:
    crew = tenant[Role.crew]
    with db.transaction(crew) as s:
        f = faults.report_fault(s, crew, equipment_id=equipment_id, title="Smoke")
        with pytest.raises(BosunError) as info:
            faults.transition_fault(s, crew, f, "acknowledged")
    assert info.value.code is ErrorCode.forbidden


def test_bad_priority_rejected(db: Database, tenant: Tenant, equipment_id: int) -> None:
    crew = tenant[Role.crew]
    with db.transaction(crew) as s, pytest.raises(BosunError) as info:
        faults.report_fault(s, crew, equipment_id=equipment_id, title="x", priority="urgent")
    assert info.value.code is ErrorCode.invalid


def test_status_words_crews_use() -> None:
    FS, WS = FaultStatus, WorkOrderStatus
    assert faults.status_named("fixed", FS.acknowledged) is FS.resolved
    assert faults.status_named("Re-open", FS.closed) is FS.open
    # "close" on a fault still being worked means the repair is done: resolved, not closed
    assert faults.status_named("close", FS.acknowledged) is FS.resolved
    assert faults.status_named("closed", FS.in_progress) is FS.resolved
    assert faults.status_named("closed", FS.resolved) is FS.closed
    with pytest.raises(BosunError, match="a fault cannot be 'cancelled'"):
        faults.status_named("cancelled", FS.open)
    assert work_orders.status_named("completed") is WS.done
    assert work_orders.status_named("closed") is WS.done
    assert work_orders.status_named("in progress") is WS.in_progress
    with pytest.raises(BosunError, match="a work order cannot be 'resolvedd'"):
        work_orders.status_named("resolvedd")
