"""Maintenance plans that raise preventive work orders when due."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.common import audit, get_owned, scoped, snapshot
from records.context import Caller
from records.errors import invalid
from records.models import (
    Equipment,
    MaintenancePlan,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
    utcnow,
)
from records.roles import Permission, require
from records.work_orders import create_work_order


def create_plan(
    session: Session,
    caller: Caller,
    *,
    equipment_id: int,
    title: str,
    every_hours: float | None = None,
    every_days: int | None = None,
    kind: WorkOrderKind | str = WorkOrderKind.preventive,
    last_done_at: datetime | None = None,
    last_done_hours: float | None = None,
) -> MaintenancePlan:
    """Create a plan that is due every N running hours and/or every N days."""
    require(caller, Permission.manage_plans)
    if not every_hours and not every_days:
        raise invalid("a plan needs every_hours or every_days")
    equipment = get_owned(session, caller, Equipment, equipment_id)
    plan = MaintenancePlan(
        org_id=caller.org_id,
        vessel_id=equipment.vessel_id,
        equipment_id=equipment.id,
        title=title,
        kind=WorkOrderKind(kind),
        every_hours=every_hours,
        every_days=every_days,
        last_done_at=last_done_at or utcnow(),
        last_done_hours=last_done_hours if last_done_hours is not None else equipment.running_hours,
    )
    session.add(plan)
    audit(session, caller, "create", plan)
    return plan


def list_plans(
    session: Session, caller: Caller, vessel_id: int | None = None
) -> list[MaintenancePlan]:
    """Return the caller's maintenance plans."""
    stmt = scoped(select(MaintenancePlan), MaintenancePlan, caller)
    if vessel_id is not None:
        stmt = stmt.where(MaintenancePlan.vessel_id == vessel_id)
    return list(session.scalars(stmt.order_by(MaintenancePlan.id)))


def is_due(plan: MaintenancePlan, equipment: Equipment, now: datetime) -> bool:
    """Whether a plan is due at ``now`` given the equipment's running hours."""
    if (
        plan.every_days
        and plan.last_done_at is not None
        and now >= plan.last_done_at + timedelta(days=plan.every_days)
    ):
        return True
    if plan.every_hours:
        done = plan.last_done_hours or 0.0
        if equipment.running_hours - done >= plan.every_hours:
            return True
    return False


def raise_due_work_orders(
    session: Session, caller: Caller, *, now: datetime | None = None
) -> list[WorkOrder]:
    """Create a preventive work order for every due plan that has none open yet."""
    now = now or utcnow()
    created: list[WorkOrder] = []
    for plan in list_plans(session, caller):
        if not plan.active:
            continue
        equipment = session.get(Equipment, plan.equipment_id)
        if equipment is None or not is_due(plan, equipment, now):
            continue
        already = session.scalar(
            select(WorkOrder.id).where(
                WorkOrder.plan_id == plan.id,
                WorkOrder.status.in_((WorkOrderStatus.open, WorkOrderStatus.in_progress)),
            )
        )
        if already:
            continue
        reason = (
            f"every {plan.every_hours:g} running hours"
            if plan.every_hours
            else f"every {plan.every_days} days"
        )
        created.append(
            create_work_order(
                session,
                caller,
                equipment_id=equipment.id,
                title=plan.title,
                kind=plan.kind,
                description=f"Raised by maintenance plan #{plan.id} ({reason}).",
                plan_id=plan.id,
                due=now + timedelta(days=7),
            )
        )
    return created


def mark_plan_done(session: Session, caller: Caller, work_order: WorkOrder) -> None:
    """Restart a plan's interval when its work order is done."""
    if work_order.plan_id is None:
        return
    plan = get_owned(session, caller, MaintenancePlan, work_order.plan_id)
    equipment = session.get(Equipment, plan.equipment_id)
    before = snapshot(plan)
    plan.last_done_at = work_order.completed_at or utcnow()
    plan.last_done_hours = equipment.running_hours if equipment else plan.last_done_hours
    audit(session, caller, "update", plan, before)
