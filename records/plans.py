"""Maintenance plans that raise preventive work orders when due."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.common import audit, get_owned, scoped
from records.context import Caller
from records.errors import invalid
from records.models import (
    Equipment,
    MaintenancePlan,
    WorkOrder,
    WorkOrderKind,
    utcnow,
)
from records.register import descendants, get_vessel
from records.roles import Permission, require
from records.running_hours import running_hours
from records.work_orders import OPEN_STATES, create_work_order


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
    session: Session,
    caller: Caller,
    vessel_id: int | None = None,
    equipment_ids: Collection[int] | None = None,
) -> list[MaintenancePlan]:
    """Return the caller's maintenance plans (of a vessel, of some equipment items)."""
    stmt = scoped(select(MaintenancePlan), MaintenancePlan, caller)
    if vessel_id is not None:
        stmt = stmt.where(MaintenancePlan.vessel_id == vessel_id)
    if equipment_ids is not None:
        stmt = stmt.where(MaintenancePlan.equipment_id.in_(list(equipment_ids)))
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
                WorkOrder.status.in_(OPEN_STATES),
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


@dataclass(frozen=True, slots=True)
class PlanDue:
    """When one plan is next due, by date and/or running hours, and whether it is overdue."""

    plan: MaintenancePlan
    equipment_code: str
    equipment_name: str
    next_due_at: datetime | None
    """Calendar due date (plans every N days)."""
    next_due_hours: float | None
    """Running hours at which the plan is due (plans every N running hours)."""
    hours_now: float | None
    hours_left: float | None
    days_left: float | None
    estimated_due_at: datetime | None
    """The earlier of the calendar date and the date the hours fall due at the recent rate."""
    overdue: bool
    open_work_order_id: int | None


def next_due(
    plan: MaintenancePlan,
    hours_now: float | None,
    per_day: float | None,
    now: datetime,
) -> tuple[datetime | None, float | None, float | None, float | None, datetime | None, bool]:
    """Return (due date, due hours, hours left, days left, estimated date, overdue) for a plan."""
    due_at = due_hours = hours_left = days_left = estimate = None
    overdue = False
    if plan.every_days and plan.last_done_at is not None:
        due_at = plan.last_done_at + timedelta(days=plan.every_days)
        days_left = (due_at - now).total_seconds() / 86_400
        estimate = due_at
        overdue = due_at <= now
    if plan.every_hours:
        due_hours = (plan.last_done_hours or 0.0) + plan.every_hours
        if hours_now is not None:
            hours_left = due_hours - hours_now
            overdue = overdue or hours_left <= 0
            if per_day and per_day > 0:
                by_hours = now + timedelta(days=max(hours_left, 0.0) / per_day)
                estimate = by_hours if estimate is None else min(estimate, by_hours)
    return due_at, due_hours, hours_left, days_left, estimate, overdue


def plans_due(
    session: Session,
    caller: Caller,
    *,
    vessel_id: int | None = None,
    equipment_id: int | None = None,
    due_within_days: float | None = None,
    overdue: bool = False,
    now: datetime | None = None,
) -> list[PlanDue]:
    """Return active plans with their next due date or hours, soonest first.

    ``equipment_id`` includes the plans of everything below it. ``due_within_days`` keeps
    plans due (by date, or by hours at the last 30 days' rate) within that many days, and
    overdue ones; ``overdue`` keeps only overdue plans.
    """
    now = now or utcnow()
    if due_within_days is not None and due_within_days < 0:
        raise invalid("due_within_days cannot be negative")
    if vessel_id is not None:
        get_vessel(session, caller, vessel_id)
    stmt = scoped(select(MaintenancePlan), MaintenancePlan, caller).where(
        MaintenancePlan.active.is_(True)
    )
    if vessel_id is not None:
        stmt = stmt.where(MaintenancePlan.vessel_id == vessel_id)
    if equipment_id is not None:
        root = get_owned(session, caller, Equipment, equipment_id)
        ids = [e.id for e in descendants(session, caller, root)]
        stmt = stmt.where(MaintenancePlan.equipment_id.in_(ids))
    rows = list(session.scalars(stmt.order_by(MaintenancePlan.id)))
    open_stmt = scoped(select(WorkOrder), WorkOrder, caller).where(
        WorkOrder.plan_id.in_([p.id for p in rows]),
        WorkOrder.status.in_(OPEN_STATES),
    )
    open_orders = {w.plan_id: w.id for w in session.scalars(open_stmt)}
    hours_cache: dict[int, tuple[float | None, float | None]] = {}
    out: list[PlanDue] = []
    for plan in rows:
        equipment = get_owned(session, caller, Equipment, plan.equipment_id)
        if plan.every_hours and equipment.id not in hours_cache:
            rh = running_hours(session, caller, equipment.id, now=now)
            hours_cache[equipment.id] = (rh.hours, rh.per_day)
        hours_now, per_day = hours_cache.get(equipment.id, (None, None))
        due_at, due_hours, hours_left, days_left, estimate, late = next_due(
            plan, hours_now, per_day, now
        )
        if overdue and not late:
            continue
        if due_within_days is not None and not late:
            horizon = now + timedelta(days=due_within_days)
            if estimate is None or estimate > horizon:
                continue
        out.append(
            PlanDue(
                plan=plan,
                equipment_code=equipment.code,
                equipment_name=equipment.name,
                next_due_at=due_at,
                next_due_hours=due_hours,
                hours_now=hours_now,
                hours_left=hours_left,
                days_left=days_left,
                estimated_due_at=estimate,
                overdue=late,
                open_work_order_id=open_orders.get(plan.id),
            )
        )
    far = now + timedelta(days=36_500)
    out.sort(key=lambda d: (not d.overdue, d.estimated_due_at or far, d.plan.id))
    return out
