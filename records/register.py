"""Organizations, vessels, the equipment tree and sensors."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from records.common import Page, audit, get_owned, paginate, scoped, snapshot
from records.context import Caller
from records.errors import BosunError, ErrorCode, invalid, not_found
from records.models import Equipment, Organization, Sensor, Vessel, utcnow
from records.roles import Permission, require
from records.text import clean_labels, clean_line, clean_optional

EQUIPMENT_FIELDS = ("name", "aliases", "equipment_class", "maker", "model", "serial", "criticality")
SENSOR_FIELDS = ("name", "unit", "low", "high", "counter")


def get_or_create_organization(session: Session, name: str) -> Organization:
    """Return the organization with this name, creating it if needed (system use)."""
    org = session.scalar(select(Organization).where(Organization.name == name))
    if org is None:
        org = Organization(name=name)
        session.add(org)
        session.flush()
    return org


def list_organizations(session: Session) -> list[Organization]:
    """Return every organization (system use: the session must be bound to all tenants)."""
    return list(session.scalars(select(Organization).order_by(Organization.id)))


def has_organizations(session: Session) -> bool:
    """Whether the database holds any organization yet (all-tenant session)."""
    return session.scalar(select(Organization.id).limit(1)) is not None


# --- vessels -------------------------------------------------------------------------------


def all_vessels(session: Session) -> list[Vessel]:
    """Return the vessels of every organization, by id (system use: all-tenant session)."""
    return list(session.scalars(select(Vessel).order_by(Vessel.id)))


def first_vessel_with_imo(session: Session, imo: str) -> Vessel | None:
    """Return the oldest vessel with this IMO number in any organization (all-tenant session)."""
    return session.scalar(select(Vessel).where(Vessel.imo == imo).order_by(Vessel.id).limit(1))


def list_vessels(session: Session, caller: Caller) -> list[Vessel]:
    """Return the vessels the caller may see."""
    stmt = select(Vessel).where(Vessel.org_id == caller.org_id)
    if not caller.all_vessels:
        stmt = stmt.where(Vessel.id.in_(caller.vessel_ids))
    return list(session.scalars(stmt.order_by(Vessel.id)))


def get_vessel(session: Session, caller: Caller, vessel_id: int) -> Vessel:
    """Return one visible vessel by id."""
    vessel = session.get(Vessel, vessel_id)
    if vessel is None or vessel.org_id != caller.org_id or not caller.sees_vessel(vessel.id):
        raise not_found("vessel", vessel_id)
    return vessel


def get_vessel_by_imo(session: Session, caller: Caller, imo: str) -> Vessel:
    """Return one visible vessel by IMO number."""
    vessel = session.scalar(select(Vessel).where(Vessel.org_id == caller.org_id, Vessel.imo == imo))
    if vessel is None or not caller.sees_vessel(vessel.id):
        raise not_found("vessel with IMO", imo)
    return vessel


def upsert_vessel(
    session: Session, caller: Caller, *, name: str, imo: str, type: str | None = None
) -> tuple[Vessel, bool]:
    """Create the vessel with this IMO or update its name and type; return (vessel, changed)."""
    require(caller, Permission.manage_register)
    name, type = clean_line(name).strip(), clean_optional(type)
    vessel = session.scalar(select(Vessel).where(Vessel.org_id == caller.org_id, Vessel.imo == imo))
    if vessel is None:
        vessel = Vessel(org_id=caller.org_id, name=name, imo=imo, type=type)
        session.add(vessel)
        audit(session, caller, "create", vessel)
        return vessel, True
    before = snapshot(vessel)
    if (vessel.name, vessel.type) == (name, type):
        return vessel, False
    vessel.name, vessel.type = name, type
    audit(session, caller, "update", vessel, before)
    return vessel, True


# --- equipment -----------------------------------------------------------------------------


def get_equipment(session: Session, caller: Caller, equipment_id: int) -> Equipment:
    """Return one visible piece of equipment by id."""
    return get_owned(session, caller, Equipment, equipment_id)


def get_equipment_by_code(session: Session, caller: Caller, vessel_id: int, code: str) -> Equipment:
    """Return a vessel's equipment by its code."""
    get_vessel(session, caller, vessel_id)
    eq = session.scalar(
        select(Equipment).where(
            Equipment.org_id == caller.org_id,
            Equipment.vessel_id == vessel_id,
            Equipment.code == code,
        )
    )
    if eq is None:
        raise not_found("equipment", code)
    return eq


def list_equipment(
    session: Session,
    caller: Caller,
    *,
    vessel_id: int | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> Page[Equipment]:
    """Return a page of equipment, optionally of one vessel."""
    stmt = scoped(select(Equipment), Equipment, caller)
    if vessel_id is not None:
        stmt = stmt.where(Equipment.vessel_id == vessel_id)
    return paginate(session, stmt, Equipment, cursor, limit)


def equipment_of_vessel(session: Session, caller: Caller, vessel_id: int) -> list[Equipment]:
    """Return all equipment of a vessel ordered by code."""
    get_vessel(session, caller, vessel_id)
    stmt = scoped(select(Equipment), Equipment, caller).where(Equipment.vessel_id == vessel_id)
    return list(session.scalars(stmt.order_by(Equipment.code)))


def equipment_aliases(
    session: Session, caller: Caller, vessel_id: int | None = None
) -> list[tuple[str, list[str]]]:
    """Return (name, aliases) of the equipment that has aliases, of one vessel or all."""
    stmt = scoped(select(Equipment.name, Equipment.aliases), Equipment, caller)
    if vessel_id is not None:
        stmt = stmt.where(Equipment.vessel_id == vessel_id)
    rows = session.execute(stmt.order_by(Equipment.code))
    return [(str(name), [str(a) for a in aliases]) for name, aliases in rows if aliases]


def equipment_tree(session: Session, caller: Caller, vessel_id: int) -> list[dict[str, Any]]:
    """Return a vessel's equipment as nested dicts (``children`` lists)."""
    items = equipment_of_vessel(session, caller, vessel_id)
    nodes = {e.id: {**equipment_dict(e), "children": []} for e in items}
    roots: list[dict[str, Any]] = []
    for e in items:
        parent = nodes.get(e.parent_id) if e.parent_id else None
        (parent["children"] if parent else roots).append(nodes[e.id])
    return roots


def equipment_dict(e: Equipment) -> dict[str, Any]:
    """Return a piece of equipment as plain data."""
    return {
        "id": e.id,
        "vessel_id": e.vessel_id,
        "parent_id": e.parent_id,
        "code": e.code,
        "name": e.name,
        "aliases": list(e.aliases or []),
        "class": e.equipment_class,
        "maker": e.maker,
        "model": e.model,
        "serial": e.serial,
        "criticality": e.criticality.value if e.criticality else None,
        "running_hours": e.running_hours,
    }


def descendants(session: Session, caller: Caller, equipment: Equipment) -> list[Equipment]:
    """Return the equipment and everything below it in the tree."""
    items = equipment_of_vessel(session, caller, equipment.vessel_id)
    children: dict[int | None, list[Equipment]] = {}
    for e in items:
        children.setdefault(e.parent_id, []).append(e)
    out, stack = [], [equipment]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(children.get(node.id, []))
    return out


def search_equipment(
    session: Session, caller: Caller, query: str, *, vessel_id: int | None = None, limit: int = 20
) -> list[Equipment]:
    """Find equipment whose code, name or an alias contains the query (case-insensitive)."""
    q = clean_line(query).strip().lower()
    if not q:
        raise invalid("empty equipment search")
    stmt = scoped(select(Equipment), Equipment, caller)
    if vessel_id is not None:
        stmt = stmt.where(Equipment.vessel_id == vessel_id)
    pattern = f"%{q}%"
    stmt = stmt.where(
        or_(
            func.lower(Equipment.code).like(pattern),
            func.lower(Equipment.name).like(pattern),
            func.lower(func.cast(Equipment.aliases, _text_type())).like(pattern),
        )
    )
    rows = list(session.scalars(stmt.order_by(Equipment.code)))

    def rank(e: Equipment) -> tuple[int, str]:
        names = [e.code.lower(), e.name.lower(), *(a.lower() for a in e.aliases or [])]
        return (0 if q in names else 1, e.code)

    return sorted(rows, key=rank)[:limit]


def _text_type() -> Any:
    from sqlalchemy import Text

    return Text()


def upsert_equipment(
    session: Session,
    caller: Caller,
    vessel_id: int,
    *,
    code: str,
    parent_id: int | None,
    fields: dict[str, Any],
) -> tuple[Equipment, bool]:
    """Create or update a vessel's equipment by code; return (equipment, changed)."""
    require(caller, Permission.manage_register)
    get_vessel(session, caller, vessel_id)
    eq = session.scalar(
        select(Equipment).where(Equipment.vessel_id == vessel_id, Equipment.code == code)
    )
    values = {k: fields.get(k) for k in EQUIPMENT_FIELDS}
    for key in ("name", "equipment_class", "maker", "model", "serial"):
        values[key] = clean_optional(values[key])
    if not (values["name"] or "").strip():
        raise invalid("name: equipment needs a name", field="name")
    values["aliases"] = clean_labels(values["aliases"] or [])
    if parent_id is not None:
        _check_parent(session, caller, vessel_id, parent_id, eq.id if eq else None)
    if eq is None:
        eq = Equipment(org_id=caller.org_id, vessel_id=vessel_id, code=code, parent_id=parent_id)
        for k, v in values.items():
            setattr(eq, k, v)
        session.add(eq)
        audit(session, caller, "create", eq)
        return eq, True
    before = snapshot(eq)
    current = {k: getattr(eq, k) for k in EQUIPMENT_FIELDS}
    if current == values and eq.parent_id == parent_id:
        return eq, False
    for k, v in values.items():
        setattr(eq, k, v)
    eq.parent_id = parent_id
    audit(session, caller, "update", eq, before)
    return eq, True


def _check_parent(
    session: Session, caller: Caller, vessel_id: int, parent_id: int, child_id: int | None
) -> None:
    """Refuse a parent on another vessel or tenant, or one that would make a cycle."""
    parent = session.get(Equipment, parent_id)
    if parent is None or parent.org_id != caller.org_id or parent.vessel_id != vessel_id:
        raise invalid(f"unknown parent equipment {parent_id} on this vessel")
    node: Equipment | None = parent
    while node is not None:
        if child_id is not None and node.id == child_id:
            raise invalid("that parent would put the equipment under itself")
        node = session.get(Equipment, node.parent_id) if node.parent_id else None


def delete_equipment(session: Session, caller: Caller, equipment: Equipment) -> None:
    """Delete a piece of equipment with its sensors (refused if faults or work orders use it)."""
    require(caller, Permission.manage_register)
    from records.models import Fault, Reading, WorkOrder

    for model in (Fault, WorkOrder):
        used = session.scalar(
            select(func.count()).select_from(model).where(model.equipment_id == equipment.id)
        )
        if used:
            raise BosunError(
                ErrorCode.conflict,
                f"equipment {equipment.code} has faults or work orders; it cannot be deleted",
            )
    for sensor in session.scalars(select(Sensor).where(Sensor.equipment_id == equipment.id)):
        session.query(Reading).filter(Reading.sensor_id == sensor.id).delete()
        audit(session, caller, "delete", sensor)
        session.delete(sensor)
    audit(session, caller, "delete", equipment)
    session.delete(equipment)


def set_running_hours(
    session: Session, caller: Caller, equipment: Equipment, hours: float, at: datetime | None = None
) -> Equipment:
    """Set a piece of equipment's running hours (by hand or from a counter sensor)."""
    if hours < 0:
        raise invalid("running hours cannot be negative")
    if caller.channel != "connector":
        require(caller, Permission.update_work_order)
    before = snapshot(equipment)
    equipment.running_hours = float(hours)
    equipment.running_hours_at = at or utcnow()
    audit(session, caller, "update", equipment, before)
    return equipment


# --- sensors -------------------------------------------------------------------------------


def list_sensors(
    session: Session,
    caller: Caller,
    *,
    vessel_id: int | None = None,
    equipment_ids: Iterable[int] | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> Page[Sensor]:
    """Return a page of sensors, optionally of one vessel or some equipment."""
    stmt = scoped(select(Sensor), Sensor, caller)
    if vessel_id is not None:
        stmt = stmt.where(Sensor.vessel_id == vessel_id)
    if equipment_ids is not None:
        stmt = stmt.where(Sensor.equipment_id.in_(list(equipment_ids)))
    return paginate(session, stmt, Sensor, cursor, limit)


def get_sensor(session: Session, caller: Caller, sensor_id: int) -> Sensor:
    """Return one visible sensor by id."""
    return get_owned(session, caller, Sensor, sensor_id)


def sensors_by_tag(session: Session, caller: Caller, vessel_id: int) -> dict[str, Sensor]:
    """Return a vessel's sensors keyed by tag."""
    get_vessel(session, caller, vessel_id)
    stmt = scoped(select(Sensor), Sensor, caller).where(Sensor.vessel_id == vessel_id)
    return {s.tag: s for s in session.scalars(stmt)}


def upsert_sensor(
    session: Session,
    caller: Caller,
    equipment: Equipment,
    *,
    tag: str,
    fields: dict[str, Any],
) -> tuple[Sensor, bool]:
    """Create or update a vessel's sensor by tag; return (sensor, changed)."""
    require(caller, Permission.manage_register)
    sensor = session.scalar(
        select(Sensor).where(Sensor.vessel_id == equipment.vessel_id, Sensor.tag == tag)
    )
    values = {k: fields.get(k) for k in SENSOR_FIELDS}
    if sensor is None:
        sensor = Sensor(
            org_id=caller.org_id, vessel_id=equipment.vessel_id, equipment_id=equipment.id, tag=tag
        )
        for k, v in values.items():
            setattr(sensor, k, v)
        session.add(sensor)
        audit(session, caller, "create", sensor)
        return sensor, True
    before = snapshot(sensor)
    current = {k: getattr(sensor, k) for k in SENSOR_FIELDS}
    if current == values and sensor.equipment_id == equipment.id:
        return sensor, False
    for k, v in values.items():
        setattr(sensor, k, v)
    sensor.equipment_id = equipment.id
    audit(session, caller, "update", sensor, before)
    return sensor, True
