"""A vessel's whole register and history, read in one go, oldest row first.

For the work that reads everything at once (predictor frames, fault-history passages, the
demo's backfill and simulator); listings a person pages through use the paginated services.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.common import scoped
from records.context import Caller
from records.models import Equipment, Fault, Sensor, WorkOrder, WorkOrderStatus


def vessel_equipment(session: Session, caller: Caller, vessel_id: int) -> list[Equipment]:
    """Return every piece of equipment of a vessel, by id."""
    stmt = scoped(select(Equipment), Equipment, caller).where(Equipment.vessel_id == vessel_id)
    return list(session.scalars(stmt.order_by(Equipment.id)))


def vessel_sensors(session: Session, caller: Caller, vessel_id: int) -> list[Sensor]:
    """Return every sensor of a vessel, by id."""
    stmt = scoped(select(Sensor), Sensor, caller).where(Sensor.vessel_id == vessel_id)
    return list(session.scalars(stmt.order_by(Sensor.id)))


def equipment_classes(session: Session, caller: Caller, vessel_id: int) -> list[str]:
    """Return the equipment classes of a vessel's register, sorted."""
    stmt = scoped(select(Equipment.equipment_class), Equipment, caller).where(
        Equipment.vessel_id == vessel_id, Equipment.equipment_class.is_not(None)
    )
    return sorted(c for c in session.scalars(stmt.distinct()) if c)


def vessel_faults(
    session: Session,
    caller: Caller,
    vessel_id: int,
    *,
    equipment_ids: Collection[int] | None = None,
) -> list[Fault]:
    """Return every fault of a vessel (or of some of its equipment), by id."""
    stmt = scoped(select(Fault), Fault, caller).where(Fault.vessel_id == vessel_id)
    if equipment_ids is not None:
        stmt = stmt.where(Fault.equipment_id.in_(list(equipment_ids)))
    return list(session.scalars(stmt.order_by(Fault.id)))


def vessel_work_orders(
    session: Session,
    caller: Caller,
    vessel_id: int,
    *,
    equipment_ids: Collection[int] | None = None,
    done_only: bool = False,
) -> list[WorkOrder]:
    """Return every work order of a vessel (or of some equipment; or only the done), by id."""
    stmt = scoped(select(WorkOrder), WorkOrder, caller).where(WorkOrder.vessel_id == vessel_id)
    if equipment_ids is not None:
        stmt = stmt.where(WorkOrder.equipment_id.in_(list(equipment_ids)))
    if done_only:
        stmt = stmt.where(WorkOrder.status == WorkOrderStatus.done)
    return list(session.scalars(stmt.order_by(WorkOrder.id)))


def has_fault_at(session: Session, caller: Caller, equipment_id: int, opened_at: datetime) -> bool:
    """Whether a fault on this equipment was opened at exactly this time (backfill once)."""
    stmt = scoped(select(Fault.id), Fault, caller).where(
        Fault.equipment_id == equipment_id, Fault.opened_at == opened_at
    )
    return session.scalar(stmt.limit(1)) is not None


__all__ = [
    "equipment_classes",
    "has_fault_at",
    "vessel_equipment",
    "vessel_faults",
    "vessel_sensors",
    "vessel_work_orders",
]
