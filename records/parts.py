"""Parts catalogue and per-vessel stock."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.common import Page, audit, get_owned, paginate, scoped, snapshot
from records.context import Caller
from records.errors import invalid, not_found
from records.models import Part, Stock
from records.register import get_vessel
from records.roles import Permission, require


def upsert_part(
    session: Session,
    caller: Caller,
    *,
    number: str,
    name: str,
    unit: str = "pcs",
    equipment_codes: list[str] | None = None,
) -> Part:
    """Create or update a catalogue part by part number."""
    require(caller, Permission.manage_register)
    part = session.scalar(select(Part).where(Part.org_id == caller.org_id, Part.number == number))
    if part is None:
        part = Part(
            org_id=caller.org_id,
            number=number,
            name=name,
            unit=unit,
            equipment_codes=list(equipment_codes or []),
        )
        session.add(part)
        audit(session, caller, "create", part)
        return part
    before = snapshot(part)
    part.name, part.unit, part.equipment_codes = name, unit, list(equipment_codes or [])
    audit(session, caller, "update", part, before)
    return part


def get_part(session: Session, caller: Caller, part_id: int) -> Part:
    """Return one catalogue part."""
    return get_owned(session, caller, Part, part_id)


def list_parts(
    session: Session,
    caller: Caller,
    *,
    query: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Part]:
    """Return a page of the catalogue, optionally filtered by number or name."""
    stmt = scoped(select(Part), Part, caller)
    if query:
        like = f"%{query.lower()}%"
        from sqlalchemy import func, or_

        stmt = stmt.where(or_(func.lower(Part.number).like(like), func.lower(Part.name).like(like)))
    return paginate(session, stmt, Part, cursor, limit)


def set_stock(
    session: Session,
    caller: Caller,
    vessel_id: int,
    part: Part,
    *,
    quantity: float,
    minimum: float | None = None,
    location: str | None = None,
) -> Stock:
    """Set how many of a part a vessel holds (and its minimum)."""
    require(caller, Permission.update_work_order)
    get_vessel(session, caller, vessel_id)
    if quantity < 0:
        raise invalid("stock cannot be negative")
    stock = session.scalar(
        select(Stock).where(Stock.vessel_id == vessel_id, Stock.part_id == part.id)
    )
    if stock is None:
        stock = Stock(
            org_id=caller.org_id,
            vessel_id=vessel_id,
            part_id=part.id,
            quantity=quantity,
            minimum=minimum or 0.0,
            location=location,
        )
        session.add(stock)
        audit(session, caller, "create", stock)
        return stock
    before = snapshot(stock)
    stock.quantity = quantity
    if minimum is not None:
        stock.minimum = minimum
    if location is not None:
        stock.location = location
    audit(session, caller, "update", stock, before)
    return stock


def get_stock(session: Session, caller: Caller, vessel_id: int, part_id: int) -> Stock:
    """Return a vessel's stock row for a part."""
    stock = session.scalar(
        scoped(select(Stock), Stock, caller).where(
            Stock.vessel_id == vessel_id, Stock.part_id == part_id
        )
    )
    if stock is None:
        raise not_found("stock for part", part_id)
    return stock


@dataclass(frozen=True, slots=True)
class StockLine:
    """A part with a vessel's quantity on board."""

    part: Part
    stock: Stock

    @property
    def below_minimum(self) -> bool:
        """Whether the vessel holds less than its minimum."""
        return self.stock.quantity < self.stock.minimum

    @property
    def at_minimum(self) -> bool:
        """Whether the vessel holds exactly its minimum (a positive one)."""
        return self.stock.minimum > 0 and self.stock.quantity == self.stock.minimum

    @property
    def at_or_below_minimum(self) -> bool:
        """Whether the vessel holds its minimum or less (time to reorder)."""
        return self.below_minimum or self.at_minimum

    @property
    def level(self) -> str:
        """'below minimum', 'at minimum' or 'ok'."""
        if self.below_minimum:
            return "below minimum"
        return "at minimum" if self.at_minimum else "ok"


def vessel_stock(
    session: Session,
    caller: Caller,
    vessel_id: int,
    *,
    query: str | None = None,
    below_minimum: bool = False,
    at_or_below_minimum: bool = False,
    equipment_codes: list[str] | None = None,
) -> list[StockLine]:
    """Return a vessel's stock lines, optionally only those under (or at) their minimum.

    ``equipment_codes`` keeps the parts that fit any of those register codes.
    """
    get_vessel(session, caller, vessel_id)
    stmt = (
        select(Part, Stock)
        .join(Stock, Stock.part_id == Part.id)
        .where(Stock.org_id == caller.org_id, Stock.vessel_id == vessel_id)
        .order_by(Part.number)
    )
    lines = [StockLine(p, s) for p, s in session.execute(stmt)]
    if query:
        q = query.lower()
        lines = [
            ln
            for ln in lines
            if q in ln.part.number.lower()
            or q in ln.part.name.lower()
            or any(q == c.lower() for c in ln.part.equipment_codes)
        ]
    if equipment_codes is not None:
        wanted = {c.lower() for c in equipment_codes}
        lines = [ln for ln in lines if wanted & {c.lower() for c in ln.part.equipment_codes}]
    if below_minimum:
        lines = [ln for ln in lines if ln.below_minimum]
    if at_or_below_minimum:
        lines = [ln for ln in lines if ln.at_or_below_minimum]
    return lines
