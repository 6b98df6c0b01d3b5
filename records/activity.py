"""What happened in every organization since a watermark: the notifications job's reading.

Each function reads across tenants: call it in a session bound to ``ALL_TENANTS``.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.models import Equipment, Fault, PendingAction, WorkOrder
from records.work_orders import OPEN_STATES


def last_action_id(session: Session) -> int:
    """Return the newest pending action's id (0 with none)."""
    return session.scalar(select(func.max(PendingAction.id))) or 0


def last_fault_id(session: Session) -> int:
    """Return the newest fault's id (0 with none)."""
    return session.scalar(select(func.max(Fault.id))) or 0


def actions_after(session: Session, action_id: int) -> list[PendingAction]:
    """Return the pending actions newer than ``action_id``, oldest first."""
    stmt = select(PendingAction).where(PendingAction.id > action_id)
    return list(session.scalars(stmt.order_by(PendingAction.id)))


def faults_after(session: Session, fault_id: int) -> list[Fault]:
    """Return the faults newer than ``fault_id``, oldest first."""
    return list(session.scalars(select(Fault).where(Fault.id > fault_id).order_by(Fault.id)))


def open_work_orders(session: Session) -> list[WorkOrder]:
    """Return the open (or in progress) work orders, by id."""
    stmt = select(WorkOrder).where(WorkOrder.status.in_(OPEN_STATES))
    return list(session.scalars(stmt.order_by(WorkOrder.id)))


def equipment_labels(session: Session) -> dict[int, str]:
    """Return "CODE Name" of every piece of equipment, by id."""
    return {e.id: f"{e.code} {e.name}" for e in session.scalars(select(Equipment))}


__all__ = [
    "actions_after",
    "equipment_labels",
    "faults_after",
    "last_action_id",
    "last_fault_id",
    "open_work_orders",
]
