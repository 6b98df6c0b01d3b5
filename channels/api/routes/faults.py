"""Faults: report, list, read, change, move through their lifecycle, add notes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, status

from channels.api.deps import CallerDep, SessionDep
from channels.api.routes.common import Cursor, Limit, page_of, v1_router
from channels.api.schemas import (
    FaultCreate,
    FaultRead,
    FaultTransition,
    FaultUpdate,
    NoteCreate,
    Page,
)
from channels.api.schemas.common import Id
from records import FaultStatus, faults, register

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
