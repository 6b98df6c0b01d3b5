"""Work orders: corrective, preventive and inspection jobs, with parts used and hours."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.common import MAX_ID, Page, audit, get_owned, paginate, referenced, scoped, snapshot
from records.context import Caller
from records.errors import BosunError, ErrorCode, invalid
from records.models import (
    Equipment,
    Fault,
    MaintenancePlan,
    Part,
    PartUsage,
    Priority,
    Stock,
    User,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
    utcnow,
)
from records.roles import Permission, require
from records.text import clean_line, clean_text

W = WorkOrderStatus
TRANSITIONS: dict[WorkOrderStatus, frozenset[WorkOrderStatus]] = {
    W.open: frozenset({W.in_progress, W.done, W.cancelled}),
    W.in_progress: frozenset({W.done, W.cancelled, W.open}),
    W.done: frozenset({W.open}),
    W.cancelled: frozenset({W.open}),
}
OPEN_STATES = (W.open, W.in_progress)

_STATUS_WORDS = {
    "closed": W.done,
    "close": W.done,
    "complete": W.done,
    "completed": W.done,
    "finished": W.done,
    "resolved": W.done,
    "fixed": W.done,
    "canceled": W.cancelled,
    "cancel": W.cancelled,
    "started": W.in_progress,
    "reopen": W.open,
    "reopened": W.open,
    "re_open": W.open,
    "re_opened": W.open,
}


def status_named(word: str) -> WorkOrderStatus:
    """Return the status a crew word asks for ("closed", "completed" mean done), or ``invalid``."""
    key = word.strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return _STATUS_WORDS.get(key) or WorkOrderStatus(key)
    except ValueError as err:
        names = ", ".join(s.value for s in WorkOrderStatus)
        message = f"a work order cannot be '{word.strip()}': use {names}"
        raise invalid(message, field="status") from err


def past_due(status: WorkOrderStatus, due: datetime | None, now: datetime | None = None) -> bool:
    """Whether a work order in ``status`` with ``due`` is overdue: still open past its due time."""
    return status in OPEN_STATES and due is not None and due < (now or utcnow())


def check_due(
    work_order: WorkOrder,
    due: datetime | None,
    *,
    status: WorkOrderStatus | None = None,
    now: datetime | None = None,
) -> None:
    """Refuse a new due date that cannot stand: ``invalid`` with the reason.

    A work order done or cancelled (``status`` after the same change, else its own) keeps
    the due date it had: reopen it first. A new due date falls on today or later; clearing
    it (None) is always allowed.
    """
    if due is None:
        return
    if due.tzinfo is None:
        raise invalid("due: give the time zone (UTC)", field="due")
    after = status or work_order.status
    if after not in OPEN_STATES:
        raise invalid(
            f"due: work order #{work_order.id} is {after.value}; reopen it before changing "
            "its due date",
            field="due",
        )
    today = (now or utcnow()).astimezone(UTC).date()
    if due.astimezone(UTC).date() < today:
        raise invalid(
            f"due: {due:%Y-%m-%d} is in the past; a new due date is today or later", field="due"
        )


def is_overdue(work_order: WorkOrder, now: datetime | None = None) -> bool:
    """Whether a work order is still open past its due time."""
    return past_due(work_order.status, work_order.due, now)


def create_work_order(
    session: Session,
    caller: Caller,
    *,
    equipment_id: int,
    title: str,
    kind: WorkOrderKind | str = WorkOrderKind.corrective,
    description: str = "",
    priority: Priority | str = Priority.medium,
    fault_id: int | None = None,
    plan_id: int | None = None,
    assignee_id: int | None = None,
    due: datetime | None = None,
) -> WorkOrder:
    """Create a work order on a piece of equipment, optionally for a fault."""
    require(caller, Permission.create_work_order)
    with referenced("equipment_id"):
        equipment = get_owned(session, caller, Equipment, equipment_id)
    if fault_id is not None:
        with referenced("fault_id"):
            fault = get_owned(session, caller, Fault, fault_id)
        if fault.vessel_id != equipment.vessel_id:
            raise invalid(
                "fault_id: the fault is on another vessel than the equipment", field="fault_id"
            )
    title = clean_line(title).strip()
    if not title:
        raise invalid("title: a work order needs a title", field="title")
    _check_assignee(session, caller, assignee_id)
    try:
        kind, priority = WorkOrderKind(kind), Priority(priority)
    except ValueError as err:
        raise invalid(str(err)) from err
    wo = WorkOrder(
        org_id=caller.org_id,
        vessel_id=equipment.vessel_id,
        equipment_id=equipment.id,
        fault_id=fault_id,
        plan_id=plan_id,
        kind=kind,
        title=title[:300],
        description=clean_text(description),
        priority=priority,
        assignee_id=assignee_id,
        created_by_id=caller.user_id,
        due=due,
        notes=[],
    )
    session.add(wo)
    audit(session, caller, "create", wo)
    return wo


def _check_assignee(session: Session, caller: Caller, assignee_id: int | None) -> None:
    """Refuse an assignee outside the caller's organization (foreign keys ignore RLS)."""
    if assignee_id is None:
        return
    user = session.get(User, assignee_id) if 1 <= assignee_id <= MAX_ID else None
    if user is None or user.org_id != caller.org_id:
        raise invalid(f"assignee_id: user {assignee_id} not found", field="assignee_id")


def get_work_order(session: Session, caller: Caller, work_order_id: int) -> WorkOrder:
    """Return one visible work order."""
    return get_owned(session, caller, WorkOrder, work_order_id)


def list_work_orders(
    session: Session,
    caller: Caller,
    *,
    vessel_id: int | None = None,
    equipment_ids: list[int] | None = None,
    status: list[WorkOrderStatus] | None = None,
    open_only: bool = False,
    kind: WorkOrderKind | None = None,
    overdue: bool = False,
    now: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[WorkOrder]:
    """Return a page of work orders with optional filters (``overdue``: open past due)."""
    stmt = scoped(select(WorkOrder), WorkOrder, caller)
    if vessel_id is not None:
        stmt = stmt.where(WorkOrder.vessel_id == vessel_id)
    if equipment_ids is not None:
        stmt = stmt.where(WorkOrder.equipment_id.in_(equipment_ids))
    if open_only:
        stmt = stmt.where(WorkOrder.status.in_(OPEN_STATES))
    elif status:
        stmt = stmt.where(WorkOrder.status.in_(status))
    if kind is not None:
        stmt = stmt.where(WorkOrder.kind == kind)
    if overdue:
        stmt = stmt.where(
            WorkOrder.status.in_(OPEN_STATES),
            WorkOrder.due.is_not(None),
            WorkOrder.due < (now or utcnow()),
        )
    return paginate(session, stmt, WorkOrder, cursor, limit)


def update_work_order(
    session: Session,
    caller: Caller,
    work_order: WorkOrder,
    *,
    status: WorkOrderStatus | str | None = None,
    note: str | None = None,
    changes: dict[str, Any] | None = None,
) -> WorkOrder:
    """Change a work order's status, fields, or add a note."""
    require(caller, Permission.update_work_order)
    before = snapshot(work_order)
    allowed = {"title", "description", "priority", "assignee_id", "due", "hours"}
    changes = dict(changes or {})
    unknown = set(changes) - allowed
    if unknown:
        raise invalid(f"cannot change {', '.join(sorted(unknown))} on a work order")
    for key in ("title", "description", "priority", "hours"):
        if key in changes and changes[key] is None:
            raise invalid(f"{key}: a work order's {key} cannot be null", field=key)
    if "assignee_id" in changes:
        _check_assignee(session, caller, changes["assignee_id"])
    if "due" in changes:
        changes["due"] = _due_value(changes["due"])
        if changes["due"] != work_order.due:
            check_due(work_order, changes["due"], status=_target(work_order, status))
    if "title" in changes:
        changes["title"] = clean_line(str(changes["title"])).strip()[:300]
        if not changes["title"]:
            raise invalid("title: a work order needs a title", field="title")
    if "description" in changes:
        changes["description"] = clean_text(str(changes["description"]))
    if "priority" in changes:
        try:
            changes["priority"] = Priority(changes["priority"])
        except ValueError as err:
            raise invalid(f"priority: {err}", field="priority") from err
    hours = changes.get("hours", 0.0)
    if not isinstance(hours, int | float) or hours < 0:
        raise invalid("hours must be a non-negative number", field="hours")
    for key, value in changes.items():
        setattr(work_order, key, value)
    if status is not None:
        try:
            target = WorkOrderStatus(status)
        except ValueError as err:
            raise invalid(f"status: {err}", field="status") from err
        if target not in TRANSITIONS[work_order.status]:
            raise BosunError(
                ErrorCode.invalid_transition,
                f"work order #{work_order.id} is {work_order.status.value}; "
                f"it cannot become {target.value}",
            )
        work_order.status = target
        work_order.completed_at = utcnow() if target is W.done else None
    note = clean_text(note).strip() if note else None
    if note:
        work_order.notes = [
            *work_order.notes,
            {
                "at": utcnow().isoformat(),
                "user_id": caller.user_id,
                "via": caller.channel,
                "text": note,
            },
        ]
    audit(session, caller, "update", work_order, before)
    if status is not None and work_order.status is W.done and work_order.plan_id:
        _restart_plan(session, caller, work_order, work_order.plan_id)
    return work_order


def _due_value(value: object) -> datetime | None:
    """Return a due date given as a datetime, an ISO string (proposals) or None."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError as err:
            raise invalid(f"due: not a date and time: {value!r}", field="due") from err
    raise invalid("due: a date and time, or null", field="due")


def _target(work_order: WorkOrder, status: WorkOrderStatus | str | None) -> WorkOrderStatus:
    """Return the status a work order will have after an update to ``status``."""
    if status is None:
        return work_order.status
    try:
        return WorkOrderStatus(status)
    except ValueError as err:
        raise invalid(f"status: {err}", field="status") from err


def _restart_plan(session: Session, caller: Caller, work_order: WorkOrder, plan_id: int) -> None:
    """Restart the interval of the plan a done work order carried out."""
    plan = get_owned(session, caller, MaintenancePlan, plan_id)
    equipment = session.get(Equipment, plan.equipment_id)
    before = snapshot(plan)
    plan.last_done_at = work_order.completed_at or utcnow()
    plan.last_done_hours = equipment.running_hours if equipment else plan.last_done_hours
    audit(session, caller, "update", plan, before)


def use_parts(
    session: Session,
    caller: Caller,
    work_order: WorkOrder,
    part: Part,
    quantity: float,
) -> PartUsage:
    """Record parts used on a work order; the vessel's stock goes down by the same amount."""
    require(caller, Permission.update_work_order)
    if quantity <= 0:
        raise invalid("quantity used must be positive")
    if part.org_id != caller.org_id:
        raise invalid("unknown part")
    stock = session.scalar(
        select(Stock).where(Stock.vessel_id == work_order.vessel_id, Stock.part_id == part.id)
    )
    if stock is None:
        stock = Stock(
            org_id=caller.org_id,
            vessel_id=work_order.vessel_id,
            part_id=part.id,
            quantity=0.0,
            minimum=0.0,
        )
        session.add(stock)
        session.flush()
    if stock.quantity < quantity:
        raise BosunError(
            ErrorCode.conflict,
            f"only {stock.quantity:g} {part.unit} of {part.number} on board; "
            f"cannot use {quantity:g}. Correct the stock count first.",
        )
    before = snapshot(stock)
    stock.quantity -= quantity
    audit(session, caller, "update", stock, before)
    usage = PartUsage(
        org_id=caller.org_id, work_order_id=work_order.id, part_id=part.id, quantity=quantity
    )
    session.add(usage)
    audit(session, caller, "create", usage)
    return usage


def parts_used(session: Session, caller: Caller, work_order: WorkOrder) -> list[PartUsage]:
    """Return the parts used on a work order."""
    stmt = select(PartUsage).where(
        PartUsage.org_id == caller.org_id, PartUsage.work_order_id == work_order.id
    )
    return list(session.scalars(stmt.order_by(PartUsage.id)))
