"""Faults and their lifecycle: open → acknowledged → in_progress → resolved → closed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.common import Page, audit, get_owned, paginate, referenced, scoped, snapshot
from records.context import Caller
from records.errors import BosunError, ErrorCode, invalid
from records.models import Equipment, Fault, FaultStatus, Priority, WorkOrder, utcnow
from records.roles import Permission, require
from records.text import clean_line, clean_optional, clean_text

S = FaultStatus
TRANSITIONS: dict[FaultStatus, frozenset[FaultStatus]] = {
    S.open: frozenset({S.acknowledged, S.in_progress, S.resolved}),
    S.acknowledged: frozenset({S.in_progress, S.resolved}),
    S.in_progress: frozenset({S.resolved}),
    S.resolved: frozenset({S.closed, S.open}),
    S.closed: frozenset({S.open}),
}
"""Allowed moves; ``→ open`` from resolved or closed is a reopen."""

_NEEDS = {
    S.acknowledged: Permission.acknowledge_fault,
    S.in_progress: Permission.update_work_order,
    S.resolved: Permission.update_work_order,
    S.closed: Permission.close_fault,
    S.open: Permission.acknowledge_fault,
}
OPEN_STATES = (S.open, S.acknowledged, S.in_progress)

_STATUS_WORDS = {
    "done": S.resolved,
    "fixed": S.resolved,
    "complete": S.resolved,
    "completed": S.resolved,
    "acknowledge": S.acknowledged,
    "ack": S.acknowledged,
    "reopen": S.open,
    "reopened": S.open,
    "re_open": S.open,
    "re_opened": S.open,
    "close": S.closed,
    "started": S.in_progress,
    "working": S.in_progress,
}


def status_named(word: str, current: FaultStatus) -> FaultStatus:
    """Return the status a crew word asks for, from ``current``; ``invalid`` if it names none.

    "Done", "fixed", "complete" mean resolved. "Close" on a fault not yet resolved means the
    repair is done: it becomes resolved, and closing stays the verification that follows.
    """
    key = word.strip().lower().replace(" ", "_").replace("-", "_")
    try:
        target = _STATUS_WORDS.get(key) or FaultStatus(key)
    except ValueError as err:
        names = ", ".join(s.value for s in FaultStatus)
        raise invalid(f"a fault cannot be '{word.strip()}': use {names}", field="status") from err
    if target is S.closed and current in OPEN_STATES:
        return S.resolved
    return target


def report_fault(
    session: Session,
    caller: Caller,
    *,
    equipment_id: int,
    title: str,
    description: str = "",
    priority: Priority | str = Priority.medium,
) -> Fault:
    """File a new fault on a piece of equipment."""
    require(caller, Permission.report_fault)
    with referenced("equipment_id"):
        equipment = get_owned(session, caller, Equipment, equipment_id)
    title = clean_line(title).strip()
    if not title:
        raise invalid("a fault needs a title")
    fault = Fault(
        org_id=caller.org_id,
        vessel_id=equipment.vessel_id,
        equipment_id=equipment.id,
        title=title[:300],
        description=clean_text(description),
        priority=_priority(priority),
        reported_by_id=caller.user_id,
        reported_via=caller.channel,
        notes=[],
        attachments=[],
    )
    session.add(fault)
    audit(session, caller, "create", fault)
    return fault


def _priority(value: Priority | str) -> Priority:
    try:
        return Priority(value)
    except ValueError as err:
        raise invalid(f"priority must be one of {', '.join(p.value for p in Priority)}") from err


def get_fault(session: Session, caller: Caller, fault_id: int) -> Fault:
    """Return one visible fault."""
    return get_owned(session, caller, Fault, fault_id)


def list_faults(
    session: Session,
    caller: Caller,
    *,
    vessel_id: int | None = None,
    equipment_ids: list[int] | None = None,
    status: list[FaultStatus] | None = None,
    open_only: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Fault]:
    """Return a page of faults with optional filters."""
    stmt = scoped(select(Fault), Fault, caller)
    if vessel_id is not None:
        stmt = stmt.where(Fault.vessel_id == vessel_id)
    if equipment_ids is not None:
        stmt = stmt.where(Fault.equipment_id.in_(equipment_ids))
    if open_only:
        stmt = stmt.where(Fault.status.in_(OPEN_STATES))
    elif status:
        stmt = stmt.where(Fault.status.in_(status))
    return paginate(session, stmt, Fault, cursor, limit)


def recent_faults(
    session: Session,
    caller: Caller,
    *,
    vessel_id: int | None = None,
    equipment_ids: list[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 500,
) -> list[Fault]:
    """Return faults newest first (by the time they were opened), for history answers."""
    stmt = scoped(select(Fault), Fault, caller)
    if vessel_id is not None:
        stmt = stmt.where(Fault.vessel_id == vessel_id)
    if since is not None:
        stmt = stmt.where(Fault.opened_at >= since)
    if until is not None:
        stmt = stmt.where(Fault.opened_at < until)
    if equipment_ids is not None:
        stmt = stmt.where(Fault.equipment_id.in_(equipment_ids))
    stmt = stmt.order_by(Fault.opened_at.desc(), Fault.id.desc()).limit(max(1, min(limit, 2000)))
    return list(session.scalars(stmt))


def repairs_of(
    session: Session, caller: Caller, fault_ids: list[int]
) -> dict[int, list[WorkOrder]]:
    """Return the work orders raised for each of these faults (what fixed them, hours spent)."""
    out: dict[int, list[WorkOrder]] = {}
    if not fault_ids:
        return out
    stmt = scoped(select(WorkOrder), WorkOrder, caller).where(WorkOrder.fault_id.in_(fault_ids))
    for wo in session.scalars(stmt.order_by(WorkOrder.id)):
        if wo.fault_id is not None:
            out.setdefault(wo.fault_id, []).append(wo)
    return out


def open_faults_on(session: Session, caller: Caller, equipment_id: int) -> list[Fault]:
    """Return the open faults on one piece of equipment (for duplicate offers)."""
    stmt = scoped(select(Fault), Fault, caller).where(
        Fault.equipment_id == equipment_id, Fault.status.in_(OPEN_STATES)
    )
    return list(session.scalars(stmt.order_by(Fault.id)))


def transition_fault(
    session: Session,
    caller: Caller,
    fault: Fault,
    to: FaultStatus | str,
    *,
    root_cause: str | None = None,
    note: str | None = None,
) -> Fault:
    """Move a fault to another status, or raise ``invalid_transition``."""
    try:
        target = FaultStatus(to)
    except ValueError as err:
        raise invalid(f"unknown fault status {to!r}") from err
    require(caller, _NEEDS[target])
    if target not in TRANSITIONS[fault.status]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[fault.status])) or "none"
        raise BosunError(
            ErrorCode.invalid_transition,
            f"fault #{fault.id} is {fault.status.value}; it cannot become {target.value} "
            f"(allowed: {allowed})",
            current=fault.status.value,
            requested=target.value,
        )
    before = snapshot(fault)
    now = utcnow()
    fault.status = target
    if target is S.acknowledged:
        fault.acknowledged_at = now
    elif target is S.resolved:
        fault.resolved_at = now
    elif target is S.closed:
        fault.closed_at = now
    elif target is S.open:
        fault.resolved_at = fault.closed_at = None
    root_cause = clean_optional(root_cause, multiline=True)
    if root_cause:
        fault.root_cause = root_cause
    if note and clean_text(note).strip():
        fault.notes = [*fault.notes, _note(caller, note)]
    audit(session, caller, "transition", fault, before)
    return fault


def update_fault(session: Session, caller: Caller, fault: Fault, changes: dict[str, Any]) -> Fault:
    """Change a fault's title, description, priority or root cause."""
    allowed = {"title", "description", "priority", "root_cause"}
    unknown = set(changes) - allowed
    if unknown:
        raise invalid(f"cannot change {', '.join(sorted(unknown))} on a fault")
    changes = _clean_changes(changes)
    if fault.reported_by_id != caller.user_id or caller.user_id is None:
        require(caller, Permission.update_work_order)
    before = snapshot(fault)
    for key, value in changes.items():
        setattr(fault, key, _priority(value) if key == "priority" else value)
    audit(session, caller, "update", fault, before)
    return fault


def add_fault_note(session: Session, caller: Caller, fault: Fault, text: str) -> Fault:
    """Append a note to a fault (anyone who may report faults)."""
    require(caller, Permission.report_fault)
    if not clean_text(text).strip():
        raise invalid("empty note")
    before = snapshot(fault)
    fault.notes = [*fault.notes, _note(caller, text)]
    audit(session, caller, "note", fault, before)
    return fault


def attach_to_fault(
    session: Session, caller: Caller, fault: Fault, attachment: dict[str, Any]
) -> Fault:
    """Attach a file reference (photo, log) to a fault."""
    require(caller, Permission.report_fault)
    before = snapshot(fault)
    fault.attachments = [*fault.attachments, attachment]
    audit(session, caller, "attach", fault, before)
    return fault


def _note(caller: Caller, text: str) -> dict[str, Any]:
    return {
        "at": utcnow().isoformat(),
        "user_id": caller.user_id,
        "via": caller.channel,
        "text": clean_text(text).strip(),
    }


def _clean_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """Refuse nulls for required fields; strip control characters from the texts."""
    cleaned = dict(changes)
    for key in ("title", "description", "priority"):
        if key in cleaned and cleaned[key] is None:
            raise invalid(f"{key}: a fault's {key} cannot be null", field=key)
    if "title" in cleaned:
        cleaned["title"] = clean_line(str(cleaned["title"])).strip()[:300]
        if not cleaned["title"]:
            raise invalid("title: a fault needs a title", field="title")
    if "description" in cleaned:
        cleaned["description"] = clean_text(str(cleaned["description"]))
    if "root_cause" in cleaned:
        cleaned["root_cause"] = clean_optional(cleaned["root_cause"], multiline=True)
    return cleaned
