"""The parts catalogue and each vessel's stock."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, status

from channels.http.api.deps import CallerDep, SessionDep
from channels.http.api.routes.common import Cursor, Limit, page_of, v1_router
from channels.http.api.schemas import Page, PartCreate, PartRead, PartUpdate, StockRead, StockSet
from channels.http.api.schemas.common import Id
from records import BosunError, ErrorCode, Permission, parts, require, text

router = v1_router(tags=["parts"])


@router.get("/parts")
def list_parts(
    session: SessionDep,
    caller: CallerDep,
    q: Annotated[str | None, Query(max_length=200, description="Part number or name.")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[PartRead]:
    """List the catalogue, optionally filtered by part number or name."""
    return page_of(PartRead, parts.list_parts(session, caller, query=q, cursor=cursor, limit=limit))


@router.post("/parts", status_code=status.HTTP_201_CREATED)
def create_part(body: PartCreate, session: SessionDep, caller: CallerDep) -> PartRead:
    """Add a part to the catalogue (chief engineer, admin)."""
    require(caller, Permission.manage_register)
    number = text.clean_line(body.number).strip()
    existing = parts.list_parts(session, caller, query=number, limit=500).items
    if any(p.number == number for p in existing):
        raise BosunError(ErrorCode.conflict, f"part {number} exists already; update it with PATCH")
    part = parts.upsert_part(
        session,
        caller,
        number=body.number,
        name=body.name,
        unit=body.unit,
        equipment_codes=body.equipment_codes,
    )
    session.flush()
    return PartRead.model_validate(part)


@router.get("/parts/{part_id}")
def get_part(part_id: Id, session: SessionDep, caller: CallerDep) -> PartRead:
    """Get one catalogue part."""
    return PartRead.model_validate(parts.get_part(session, caller, part_id))


@router.patch("/parts/{part_id}")
def update_part(part_id: Id, body: PartUpdate, session: SessionDep, caller: CallerDep) -> PartRead:
    """Change a catalogue part's name, unit or equipment codes (chief engineer, admin)."""
    part = parts.get_part(session, caller, part_id)
    updated = parts.upsert_part(
        session,
        caller,
        number=part.number,
        name=body.name if body.name is not None else part.name,
        unit=body.unit if body.unit is not None else part.unit,
        equipment_codes=(
            body.equipment_codes if body.equipment_codes is not None else part.equipment_codes
        ),
    )
    return PartRead.model_validate(updated)


@router.get("/vessels/{vessel_id}/stock")
def vessel_stock(
    vessel_id: Id,
    session: SessionDep,
    caller: CallerDep,
    below_minimum: Annotated[bool, Query(description="Only parts under their minimum.")] = False,
    at_or_below_minimum: Annotated[
        bool, Query(description="Only parts at or under their minimum (time to reorder).")
    ] = False,
    equipment_code: Annotated[
        list[str] | None, Query(description="Only parts that fit these register codes.")
    ] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[StockRead]:
    """List what a vessel holds of each part, optionally only what is at or under its minimum."""
    lines = parts.vessel_stock(
        session,
        caller,
        vessel_id,
        query=q,
        below_minimum=below_minimum,
        at_or_below_minimum=at_or_below_minimum,
        equipment_codes=equipment_code,
    )
    items = [
        StockRead(
            vessel_id=line.stock.vessel_id,
            part=PartRead.model_validate(line.part),
            quantity=line.stock.quantity,
            minimum=line.stock.minimum,
            location=line.stock.location,
            below_minimum=line.below_minimum,
            at_minimum=line.at_minimum,
        )
        for line in lines
    ]
    return Page[StockRead](items=items, next_cursor=None)


@router.put("/vessels/{vessel_id}/stock/{part_id}")
def set_stock(
    vessel_id: Id, part_id: Id, body: StockSet, session: SessionDep, caller: CallerDep
) -> StockRead:
    """Set how many of a part a vessel holds, and its minimum (officer and up)."""
    part = parts.get_part(session, caller, part_id)
    stock = parts.set_stock(
        session,
        caller,
        vessel_id,
        part,
        quantity=body.quantity,
        minimum=body.minimum,
        location=body.location,
    )
    line = parts.StockLine(part, stock)
    return StockRead(
        vessel_id=stock.vessel_id,
        part=PartRead.model_validate(part),
        quantity=stock.quantity,
        minimum=stock.minimum,
        location=stock.location,
        below_minimum=line.below_minimum,
        at_minimum=line.at_minimum,
    )
