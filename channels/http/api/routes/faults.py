"""Faults: report, list, read, change, move through their lifecycle, add notes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, status
from pydantic import AwareDatetime

from channels.http.api.deps import CallerDep, SessionDep
from channels.http.api.routes.common import Cursor, Limit, page_of, v1_router
from channels.http.api.schemas import (
    FaultCreate,
    FaultGroupRead,
    FaultRead,
    FaultStatsRead,
    FaultTransition,
    FaultUpdate,
    NoteCreate,
    Page,
)
from channels.http.api.schemas.common import Id
from records import FaultStatus, fault_stats, faults, register

router = v1_router(tags=["faults"])


@router.get("/faults")
def list_faults(
    session: SessionDep,
    caller: CallerDep,
    vessel_id: Id | None = None,
    equipment_id: Annotated[list[Id] | None, Query()] = None,
    status: Annotated[list[FaultStatus] | None, Query()] = None,
    open_only: bool = False,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[FaultRead]:
    """List faults by vessel, equipment and status, oldest first, a page at a time."""
    if vessel_id is not None:
        register.get_vessel(session, caller, vessel_id)
    page = faults.list_faults(
        session,
        caller,
        vessel_id=vessel_id,
        equipment_ids=equipment_id,
        status=status,
        open_only=open_only,
        cursor=cursor,
        limit=limit,
    )
    return page_of(FaultRead, page)


@router.get("/faults/stats")
def fault_statistics(
    session: SessionDep,
    caller: CallerDep,
    vessel_id: Id | None = None,
    equipment_id: Annotated[
        Id | None, Query(description="Only this item and everything below it.")
    ] = None,
    since: Annotated[AwareDatetime | None, Query(description="Opened at or after.")] = None,
    until: Annotated[
        AwareDatetime | None, Query(description="Opened before (default now).")
    ] = None,
    group_by: Literal["equipment", "class"] = "equipment",
    top: Annotated[int | None, Query(ge=1, le=500)] = None,
) -> FaultStatsRead:
    """Count faults per machine or class in a period, with last occurrence, MTBF and MTTR."""
    stats = fault_stats.fault_statistics(
        session,
        caller,
        vessel_id=vessel_id,
        equipment_id=equipment_id,
        since=since,
        until=until,
        group_by=group_by,
        top=top,
    )
    return FaultStatsRead(
        since=stats.since,
        until=stats.until,
        group_by=stats.group_by,
        total=stats.total,
        group_count=stats.group_count,
        groups=[
            FaultGroupRead(
                key=g.key,
                name=g.name,
                equipment_id=g.equipment_id,
                count=g.count,
                fault_ids=list(g.fault_ids),
                last_at=g.last_at,
                last_fault_id=g.last_fault_id,
                last_title=g.last_title,
                mtbf=g.mtbf,
                mtbf_unit=g.mtbf_unit,
                mttr_hours=g.mttr_hours,
                resolved=g.resolved,
            )
            for g in stats.groups
        ],
    )


@router.post("/faults", status_code=status.HTTP_201_CREATED)
def report_fault(body: FaultCreate, session: SessionDep, caller: CallerDep) -> FaultRead:
    """Report a fault on a piece of equipment (every role but shore)."""
    fault = faults.report_fault(
        session,
        caller,
        equipment_id=body.equipment_id,
        title=body.title,
        description=body.description,
        priority=body.priority,
    )
    return FaultRead.model_validate(fault)


@router.get("/faults/{fault_id}")
def get_fault(fault_id: Id, session: SessionDep, caller: CallerDep) -> FaultRead:
    """Get one fault."""
    return FaultRead.model_validate(faults.get_fault(session, caller, fault_id))


@router.patch("/faults/{fault_id}")
def update_fault(
    fault_id: Id, body: FaultUpdate, session: SessionDep, caller: CallerDep
) -> FaultRead:
    """Change a fault's title, description, priority or root cause."""
    fault = faults.get_fault(session, caller, fault_id)
    changes = body.model_dump(exclude_unset=True)
    if changes:
        faults.update_fault(session, caller, fault, changes)
    return FaultRead.model_validate(fault)


@router.post("/faults/{fault_id}/transition")
def transition_fault(
    fault_id: Id, body: FaultTransition, session: SessionDep, caller: CallerDep
) -> FaultRead:
    """Move a fault to another status; a move the lifecycle forbids is a 409."""
    fault = faults.get_fault(session, caller, fault_id)
    faults.transition_fault(
        session, caller, fault, body.status, root_cause=body.root_cause, note=body.note
    )
    return FaultRead.model_validate(fault)


@router.post("/faults/{fault_id}/notes", status_code=status.HTTP_201_CREATED)
def add_fault_note(
    fault_id: Id, body: NoteCreate, session: SessionDep, caller: CallerDep
) -> FaultRead:
    """Add a note to a fault."""
    fault = faults.get_fault(session, caller, fault_id)
    faults.add_fault_note(session, caller, fault, body.text)
    return FaultRead.model_validate(fault)
