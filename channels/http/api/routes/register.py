"""Vessels, the equipment register and sensors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, status
from sqlalchemy.orm import Session

from channels.http.api.deps import CallerDep, SessionDep
from channels.http.api.routes.common import Cursor, Limit, all_of, invalid, page_of, v1_router
from channels.http.api.schemas import (
    EquipmentCreate,
    EquipmentNode,
    EquipmentRead,
    EquipmentUpdate,
    Page,
    RunningHoursSet,
    SensorRead,
    VesselRead,
)
from channels.http.api.schemas.common import Id
from records import (
    BosunError,
    Caller,
    Equipment,
    ErrorCode,
    Permission,
    referenced,
    register,
    require,
)

router = v1_router()

_FIELDS = ("name", "aliases", "equipment_class", "maker", "model", "serial", "criticality")


@router.get("/vessels", tags=["vessels"])
def list_vessels(session: SessionDep, caller: CallerDep) -> Page[VesselRead]:
    """List the vessels the caller may see."""
    return all_of(VesselRead, register.list_vessels(session, caller))


@router.get("/vessels/{vessel_id}", tags=["vessels"])
def get_vessel(vessel_id: Id, session: SessionDep, caller: CallerDep) -> VesselRead:
    """Get one vessel."""
    return VesselRead.model_validate(register.get_vessel(session, caller, vessel_id))


@router.get("/vessels/{vessel_id}/equipment/tree", tags=["equipment"])
def equipment_tree(vessel_id: Id, session: SessionDep, caller: CallerDep) -> list[EquipmentNode]:
    """Get a vessel's equipment register as a tree (systems, subsystems, components)."""
    tree = register.equipment_tree(session, caller, vessel_id)
    return [EquipmentNode.model_validate(node) for node in tree]


@router.get("/equipment", tags=["equipment"])
def list_equipment(
    session: SessionDep,
    caller: CallerDep,
    vessel_id: Id | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Page[EquipmentRead]:
    """List equipment, optionally of one vessel, a page at a time."""
    if vessel_id is not None:
        register.get_vessel(session, caller, vessel_id)
    page = register.list_equipment(session, caller, vessel_id=vessel_id, cursor=cursor, limit=limit)
    return page_of(EquipmentRead, page)


@router.get("/equipment/search", tags=["equipment"])
def search_equipment(
    session: SessionDep,
    caller: CallerDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Code, name or alias.")],
    vessel_id: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[EquipmentRead]:
    """Find equipment by code, name or alias (exact matches first)."""
    rows = register.search_equipment(session, caller, q, vessel_id=vessel_id, limit=limit)
    return all_of(EquipmentRead, rows)


@router.get("/equipment/{equipment_id}", tags=["equipment"])
def get_equipment(equipment_id: Id, session: SessionDep, caller: CallerDep) -> EquipmentRead:
    """Get one piece of equipment."""
    return EquipmentRead.model_validate(register.get_equipment(session, caller, equipment_id))


@router.post("/equipment", status_code=status.HTTP_201_CREATED, tags=["equipment"])
def create_equipment(
    body: EquipmentCreate, session: SessionDep, caller: CallerDep
) -> EquipmentRead:
    """Add a piece of equipment to a vessel's register (chief engineer, admin)."""
    require(caller, Permission.manage_register)
    with referenced("vessel_id"):
        register.get_vessel(session, caller, body.vessel_id)
    if _exists(session, caller, body.vessel_id, body.code):
        raise BosunError(
            ErrorCode.conflict,
            f"equipment {body.code} exists already on this vessel; update it with PATCH",
        )
    if body.parent_id is not None:
        _check_parent(session, caller, body.vessel_id, body.parent_id, None)
    fields = {k: getattr(body, k) for k in _FIELDS}
    equipment, _ = register.upsert_equipment(
        session, caller, body.vessel_id, code=body.code, parent_id=body.parent_id, fields=fields
    )
    return EquipmentRead.model_validate(equipment)


@router.patch("/equipment/{equipment_id}", tags=["equipment"])
def update_equipment(
    equipment_id: Id, body: EquipmentUpdate, session: SessionDep, caller: CallerDep
) -> EquipmentRead:
    """Change a piece of equipment (chief engineer, admin); its code stays."""
    equipment = register.get_equipment(session, caller, equipment_id)
    given = body.model_fields_set
    fields: dict[str, Any] = {k: getattr(equipment, k) for k in _FIELDS}
    fields.update({k: getattr(body, k) for k in _FIELDS if k in given})
    if fields["name"] is None:
        raise invalid("equipment needs a name")
    parent_id = body.parent_id if "parent_id" in given else equipment.parent_id
    if parent_id is not None and parent_id != equipment.parent_id:
        _check_parent(session, caller, equipment.vessel_id, parent_id, equipment)
    updated, _ = register.upsert_equipment(
        session,
        caller,
        equipment.vessel_id,
        code=equipment.code,
        parent_id=parent_id,
        fields=fields,
    )
    return EquipmentRead.model_validate(updated)


@router.put("/equipment/{equipment_id}/running-hours", tags=["equipment"])
def set_running_hours(
    equipment_id: Id, body: RunningHoursSet, session: SessionDep, caller: CallerDep
) -> EquipmentRead:
    """Set a piece of equipment's running hours by hand (officer and up)."""
    equipment = register.get_equipment(session, caller, equipment_id)
    register.set_running_hours(session, caller, equipment, body.hours, body.at)
    return EquipmentRead.model_validate(equipment)


@router.get("/sensors", tags=["sensors"])
def list_sensors(
    session: SessionDep,
    caller: CallerDep,
    vessel_id: Id | None = None,
    equipment_id: Annotated[list[Id] | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Page[SensorRead]:
    """List sensors, optionally of one vessel or some equipment."""
    if vessel_id is not None:
        register.get_vessel(session, caller, vessel_id)
    page = register.list_sensors(
        session,
        caller,
        vessel_id=vessel_id,
        equipment_ids=equipment_id,
        cursor=cursor,
        limit=limit,
    )
    return page_of(SensorRead, page)


@router.get("/sensors/{sensor_id}", tags=["sensors"])
def get_sensor(sensor_id: Id, session: SessionDep, caller: CallerDep) -> SensorRead:
    """Get one sensor."""
    return SensorRead.model_validate(register.get_sensor(session, caller, sensor_id))


def _exists(session: Session, caller: Caller, vessel_id: int, code: str) -> bool:
    try:
        register.get_equipment_by_code(session, caller, vessel_id, code)
    except BosunError as err:
        if err.code is ErrorCode.not_found:
            return False
        raise
    return True


def _check_parent(
    session: Session,
    caller: Caller,
    vessel_id: int,
    parent_id: int,
    moving: Equipment | None,
) -> None:
    """Refuse a parent of another vessel (or tenant), or one that would make a cycle."""
    with referenced("parent_id"):
        parent = register.get_equipment(session, caller, parent_id)
    if parent.vessel_id != vessel_id:
        raise invalid(f"parent_id: parent {parent_id} is on another vessel")
    node: Equipment | None = parent
    while node is not None and moving is not None:
        if node.id == moving.id:
            raise invalid("an equipment item cannot sit below itself")
        node = register.get_equipment(session, caller, node.parent_id) if node.parent_id else None
