"""Work orders: create, list, read, update (status, fields, notes), parts used."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, status

from channels.http.api.deps import CallerDep, SessionDep
from channels.http.api.routes.common import Cursor, Limit, all_of, page_of, v1_router
from channels.http.api.schemas import (
    Page,
    PartUsageCreate,
    PartUsageRead,
    WorkOrderCreate,
    WorkOrderRead,
    WorkOrderUpdate,
)
from channels.http.api.schemas.common import Id
from records import WorkOrderKind, WorkOrderStatus, parts, referenced, register, work_orders

router = v1_router(tags=["work orders"])


@router.get("/work-orders")
def list_work_orders(
    session: SessionDep,
    caller: CallerDep,
    vessel_id: Id | None = None,
    equipment_id: Annotated[list[Id] | None, Query()] = None,
    status: Annotated[list[WorkOrderStatus] | None, Query()] = None,
    kind: WorkOrderKind | None = None,
    open_only: bool = False,
    overdue: Annotated[bool, Query(description="Only open work orders past their due.")] = False,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[WorkOrderRead]:
    """List work orders by vessel, equipment, status, kind or overdue, a page at a time."""
    if vessel_id is not None:
        register.get_vessel(session, caller, vessel_id)
    page = work_orders.list_work_orders(
        session,
        caller,
        vessel_id=vessel_id,
        equipment_ids=equipment_id,
        status=status,
        kind=kind,
        open_only=open_only,
        overdue=overdue,
        cursor=cursor,
        limit=limit,
    )
    return page_of(WorkOrderRead, page)


@router.post("/work-orders", status_code=status.HTTP_201_CREATED)
def create_work_order(
    body: WorkOrderCreate, session: SessionDep, caller: CallerDep
) -> WorkOrderRead:
    """Create a work order (officer, chief engineer, shore, admin)."""
    wo = work_orders.create_work_order(
        session,
        caller,
        equipment_id=body.equipment_id,
        title=body.title,
        kind=body.kind,
        description=body.description,
        priority=body.priority,
        fault_id=body.fault_id,
        assignee_id=body.assignee_id,
        due=body.due,
    )
    return WorkOrderRead.model_validate(wo)


@router.get("/work-orders/{work_order_id}")
def get_work_order(work_order_id: Id, session: SessionDep, caller: CallerDep) -> WorkOrderRead:
    """Get one work order."""
    return WorkOrderRead.model_validate(work_orders.get_work_order(session, caller, work_order_id))


@router.patch("/work-orders/{work_order_id}")
def update_work_order(
    work_order_id: Id, body: WorkOrderUpdate, session: SessionDep, caller: CallerDep
) -> WorkOrderRead:
    """Change a work order's fields or status, or add a note (officer and up)."""
    wo = work_orders.get_work_order(session, caller, work_order_id)
    changes = body.model_dump(exclude_unset=True, exclude={"status", "note"})
    work_orders.update_work_order(
        session, caller, wo, status=body.status, note=body.note, changes=changes
    )
    return WorkOrderRead.model_validate(wo)


@router.get("/work-orders/{work_order_id}/parts")
def list_parts_used(
    work_order_id: Id, session: SessionDep, caller: CallerDep
) -> Page[PartUsageRead]:
    """List the parts used on a work order."""
    wo = work_orders.get_work_order(session, caller, work_order_id)
    return all_of(PartUsageRead, work_orders.parts_used(session, caller, wo))


@router.post("/work-orders/{work_order_id}/parts", status_code=status.HTTP_201_CREATED)
def use_parts(
    work_order_id: Id, body: PartUsageCreate, session: SessionDep, caller: CallerDep
) -> PartUsageRead:
    """Record parts used on a work order; the vessel's stock goes down by as many."""
    wo = work_orders.get_work_order(session, caller, work_order_id)
    with referenced("part_id"):
        part = parts.get_part(session, caller, body.part_id)
    usage = work_orders.use_parts(session, caller, wo, part, body.quantity)
    session.flush()
    return PartUsageRead.model_validate(usage)
