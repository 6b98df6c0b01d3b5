"""Actions proposed for a person to confirm, executed exactly once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from records.common import audit, get_owned, scoped, snapshot
from records.context import Caller
from records.errors import BosunError, ErrorCode, invalid
from records.faults import add_fault_note, get_fault, report_fault, transition_fault, update_fault
from records.models import Equipment, PendingAction, PendingStatus, Role, utcnow
from records.parts import get_part
from records.roles import RANK
from records.work_orders import (
    create_work_order,
    get_work_order,
    update_work_order,
    use_parts,
)

DEFAULT_TTL = timedelta(hours=24)
KINDS = ("report_fault", "create_work_order", "update_work_order")


def _exec_report_fault(session: Session, caller: Caller, args: dict[str, Any]) -> dict[str, Any]:
    if args.get("duplicate_of"):
        fault = get_fault(session, caller, int(args["duplicate_of"]))
        text = args.get("description") or args.get("title") or ""
        add_fault_note(session, caller, fault, text)
        return {"fault_id": fault.id, "noted": True}
    ids = []
    for equipment_id in _equipment_ids(args):
        fault = report_fault(
            session,
            caller,
            equipment_id=equipment_id,
            title=str(args["title"]),
            description=str(args.get("description", "")),
            priority=args.get("priority", "medium"),
        )
        session.flush()
        ids.append(fault.id)
    if len(ids) == 1:
        return {"fault_id": ids[0]}
    return {"fault_id": ids[0], "fault_ids": ids}


def _equipment_ids(args: dict[str, Any]) -> list[int]:
    """Return the items an action files on: ``equipment_ids`` or ``equipment_id``."""
    many = args.get("equipment_ids")
    if many:
        return list(dict.fromkeys(int(i) for i in many))
    return [int(args["equipment_id"])]


def _exec_create_work_order(
    session: Session, caller: Caller, args: dict[str, Any]
) -> dict[str, Any]:
    due = args.get("due")
    ids = []
    for equipment_id in _equipment_ids(args):
        wo = create_work_order(
            session,
            caller,
            equipment_id=equipment_id,
            title=str(args["title"]),
            kind=args.get("kind", "corrective"),
            description=str(args.get("description", "")),
            priority=args.get("priority", "medium"),
            fault_id=int(args["fault_id"]) if args.get("fault_id") else None,
            assignee_id=int(args["assignee_id"]) if args.get("assignee_id") else None,
            due=datetime.fromisoformat(due) if isinstance(due, str) else None,
        )
        session.flush()
        ids.append(wo.id)
    if len(ids) == 1:
        return {"work_order_id": ids[0]}
    return {"work_order_id": ids[0], "work_order_ids": ids}


def _exec_update_work_order(
    session: Session, caller: Caller, args: dict[str, Any]
) -> dict[str, Any]:
    note = args.get("note")
    if args.get("work_order_id"):
        wo = get_work_order(session, caller, int(args["work_order_id"]))
        changes: dict[str, Any] = {
            k: args[k] for k in ("priority", "hours", "assignee_id", "due") if k in args
        }
        for use in args.get("parts") or []:
            part = get_part(session, caller, int(use["part_id"]))
            use_parts(session, caller, wo, part, float(use.get("quantity", 1)))
        update_work_order(
            session, caller, wo, status=args.get("status"), note=note, changes=changes
        )
        return {"work_order_id": wo.id, "status": wo.status.value}
    if args.get("fault_id"):
        fault = get_fault(session, caller, int(args["fault_id"]))
        if args.get("priority"):
            update_fault(session, caller, fault, {"priority": args["priority"]})
        if args.get("status"):
            transition_fault(
                session, caller, fault, args["status"], note=note, root_cause=args.get("root_cause")
            )
        elif note:
            add_fault_note(session, caller, fault, note)
        return {"fault_id": fault.id, "status": fault.status.value}
    raise invalid("update_work_order needs work_order_id or fault_id")


EXECUTORS: dict[str, Callable[[Session, Caller, dict[str, Any]], dict[str, Any]]] = {
    "report_fault": _exec_report_fault,
    "create_work_order": _exec_create_work_order,
    "update_work_order": _exec_update_work_order,
}


def _validate(session: Session, caller: Caller, kind: str, args: dict[str, Any]) -> int | None:
    """Check the arguments refer to the caller's rows; return the vessel they concern."""
    if kind not in EXECUTORS:
        raise invalid(f"unknown action kind {kind!r}; one of {', '.join(KINDS)}")
    if kind in ("report_fault", "create_work_order"):
        if not args.get("equipment_id"):
            raise invalid(f"{kind} needs equipment_id")
        if not str(args.get("title", "")).strip():
            raise invalid(f"{kind} needs a title")
        ids = _equipment_ids(args)
        if int(args["equipment_id"]) not in ids:
            raise invalid("equipment_id must be one of equipment_ids")
        vessels = {get_owned(session, caller, Equipment, i).vessel_id for i in ids}
        if len(vessels) != 1:
            raise invalid(f"one {kind} proposal covers equipment of one vessel only")
        return vessels.pop()
    if args.get("work_order_id"):
        return get_work_order(session, caller, int(args["work_order_id"])).vessel_id
    if args.get("fault_id"):
        return get_fault(session, caller, int(args["fault_id"])).vessel_id
    raise invalid("update_work_order needs work_order_id or fault_id")


def propose(
    session: Session,
    caller: Caller,
    *,
    kind: str,
    arguments: dict[str, Any],
    summary: str,
    addressed_to_user_id: int | None = None,
    addressed_to_role: Role | None = None,
    conversation_id: int | None = None,
    ttl: timedelta = DEFAULT_TTL,
    idempotency_key: str | None = None,
) -> PendingAction:
    """Propose an action; proposing twice with one idempotency key returns the first."""
    vessel_id = _validate(session, caller, kind, arguments)
    key = idempotency_key or uuid.uuid4().hex
    existing = session.scalar(
        select(PendingAction).where(
            PendingAction.org_id == caller.org_id, PendingAction.idempotency_key == key
        )
    )
    if existing is not None:
        return existing
    if addressed_to_user_id is None and addressed_to_role is None:
        addressed_to_user_id = caller.user_id
    action = PendingAction(
        org_id=caller.org_id,
        vessel_id=vessel_id,
        kind=kind,
        arguments=dict(arguments),
        summary=summary,
        idempotency_key=key,
        proposed_by_id=caller.user_id,
        addressed_to_user_id=addressed_to_user_id,
        addressed_to_role=addressed_to_role,
        conversation_id=conversation_id,
        channel=caller.channel,
        result={},
        expires_at=utcnow() + ttl,
    )
    session.add(action)
    audit(session, caller, "propose", action)
    return action


def may_decide(caller: Caller, action: PendingAction) -> bool:
    """Whether the caller is someone this action was addressed to."""
    if action.vessel_id is not None and not caller.sees_vessel(action.vessel_id):
        return False
    if action.addressed_to_user_id is not None and caller.user_id == action.addressed_to_user_id:
        return True
    if action.addressed_to_role is not None:
        return RANK[caller.role] >= RANK[action.addressed_to_role]
    return caller.role is Role.admin


def get_action(session: Session, caller: Caller, action_id: int) -> PendingAction:
    """Return one visible pending action."""
    return get_owned(session, caller, PendingAction, action_id)


def confirm(session: Session, caller: Caller, action_id: int) -> PendingAction:
    """Confirm and execute an action once; confirming again returns the executed action.

    If execution fails (say the fault was closed meanwhile) the action ends ``failed`` with
    the reason in ``error``; nothing of it is written.
    """
    action = get_action(session, caller, action_id)
    if not may_decide(caller, action):
        raise BosunError(ErrorCode.forbidden, "this action was proposed to someone else")
    if action.status in (PendingStatus.executed, PendingStatus.confirmed):
        return action
    if action.status is PendingStatus.proposed and action.expires_at <= utcnow():
        _expire(session, caller, action)
    if action.status is not PendingStatus.proposed:
        code = ErrorCode.expired if action.status is PendingStatus.expired else ErrorCode.conflict
        raise BosunError(code, f"action #{action.id} is {action.status.value}; propose it again")
    # Claim it atomically: of two concurrent confirmations only one updates the row.
    claimed = session.execute(
        update(PendingAction)
        .where(PendingAction.id == action.id, PendingAction.status == PendingStatus.proposed)
        .values(status=PendingStatus.confirmed, decided_by_id=caller.user_id, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(action)
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return action
    before = snapshot(action)
    savepoint = session.begin_nested()
    try:
        result = EXECUTORS[action.kind](session, caller, dict(action.arguments))
        savepoint.commit()
    except BosunError as err:
        savepoint.rollback()
        action.status, action.error = PendingStatus.failed, err.message
        audit(session, caller, "fail", action, before)
        return action
    action.status, action.result = PendingStatus.executed, result
    audit(session, caller, "confirm", action, before)
    return action


def reject(session: Session, caller: Caller, action_id: int) -> PendingAction:
    """Reject a proposed action; it will never run."""
    return _withdraw(session, caller, action_id, "reject")


def supersede(session: Session, caller: Caller, action_id: int) -> PendingAction:
    """Withdraw a proposal that a correction replaced ('not ME1, ME2'); it will never run.

    The action ends ``rejected`` like a refused one; the audit log tells the two apart.
    """
    return _withdraw(session, caller, action_id, "supersede")


def _withdraw(session: Session, caller: Caller, action_id: int, verb: str) -> PendingAction:
    action = get_action(session, caller, action_id)
    withdrawn = action.proposed_by_id == caller.user_id  # one may withdraw one's own request
    if not (withdrawn or may_decide(caller, action)):
        raise BosunError(ErrorCode.forbidden, "this action was proposed to someone else")
    if action.status is PendingStatus.rejected:
        return action
    if action.status is not PendingStatus.proposed:
        raise BosunError(ErrorCode.conflict, f"action #{action.id} is {action.status.value}")
    before = snapshot(action)
    action.status, action.decided_by_id, action.decided_at = (
        PendingStatus.rejected,
        caller.user_id,
        utcnow(),
    )
    audit(session, caller, verb, action, before)
    return action


def _expire(session: Session, caller: Caller, action: PendingAction) -> None:
    before = snapshot(action)
    action.status = PendingStatus.expired
    audit(session, caller, "expire", action, before)


def expire_due(session: Session, caller: Caller, now: datetime | None = None) -> int:
    """Expire every proposed action past its time; return how many."""
    now = now or utcnow()
    stmt = scoped(select(PendingAction), PendingAction, caller).where(
        PendingAction.status == PendingStatus.proposed, PendingAction.expires_at <= now
    )
    rows = list(session.scalars(stmt))
    for action in rows:
        _expire(session, caller, action)
    return len(rows)


def list_actions(
    session: Session,
    caller: Caller,
    *,
    status: PendingStatus | None = PendingStatus.proposed,
    conversation_id: int | None = None,
) -> list[PendingAction]:
    """Return the caller's visible actions, by default those waiting for a decision."""
    stmt = scoped(select(PendingAction), PendingAction, caller)
    if status is not None:
        stmt = stmt.where(PendingAction.status == status)
    if conversation_id is not None:
        stmt = stmt.where(PendingAction.conversation_id == conversation_id)
    return [a for a in session.scalars(stmt.order_by(PendingAction.id)) if may_decide(caller, a)]
