"""Fault statistics: counts per machine or class and period, last occurrence, MTBF and MTTR.

MTBF is the mean interval between consecutive faults of a group in the period: running hours
from the machine's counter where it has one, calendar days where it has none. MTTR is the
mean time from opened to resolved over the group's resolved faults, in hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from statistics import fmean
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.common import get_owned, scoped
from records.context import Caller
from records.errors import invalid
from records.models import Equipment, Fault, utcnow
from records.register import get_vessel
from records.running_hours import hours_at, hours_owner

GroupBy = Literal["equipment", "class"]


@dataclass(frozen=True, slots=True)
class FaultGroup:
    """The faults of one machine (with everything below it) or one equipment class."""

    key: str
    """Register code (group_by equipment) or class name (group_by class)."""
    name: str
    equipment_id: int | None
    count: int
    fault_ids: tuple[int, ...]
    last_at: datetime
    last_fault_id: int
    last_title: str
    mtbf: float | None
    mtbf_unit: Literal["running hours", "days"] | None
    mttr_hours: float | None
    resolved: int


@dataclass(frozen=True, slots=True)
class FaultStats:
    """Fault counts for a period, largest group first."""

    since: datetime | None
    until: datetime
    group_by: GroupBy
    total: int
    groups: tuple[FaultGroup, ...]
    """Largest first; cut to ``top`` when one was asked for."""
    group_count: int
    """How many groups there were before the cut."""
    overall: FaultGroup | None = None
    """With ``equipment_id``: the item with everything below it as one group."""


def _chain(item: Equipment, by_id: dict[int, Equipment]) -> list[Equipment]:
    out = [item]
    while out[-1].parent_id is not None and out[-1].parent_id in by_id and len(out) < 32:
        out.append(by_id[out[-1].parent_id])
    return out


def fault_statistics(
    session: Session,
    caller: Caller,
    *,
    vessel_id: int | None = None,
    equipment_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    group_by: GroupBy | str = "equipment",
    top: int | None = None,
) -> FaultStats:
    """Count the faults opened in [since, until), grouped by machine or by equipment class.

    Without ``equipment_id`` a machine is the second level of the register (ME1 under Main
    engines) and everything below it; with one, the groups are that item and its children,
    each with everything below it.
    """
    if group_by not in ("equipment", "class"):
        raise invalid("group_by must be equipment or class")
    kind: GroupBy = "class" if group_by == "class" else "equipment"
    if top is not None and top < 1:
        raise invalid("top must be at least 1")
    until = until or utcnow()
    if since is not None and since >= until:
        raise invalid("since must be before until")
    if vessel_id is not None:
        get_vessel(session, caller, vessel_id)
    root: Equipment | None = None
    if equipment_id is not None:
        root = get_owned(session, caller, Equipment, equipment_id)
        vessel_id = root.vessel_id
    eq_stmt = scoped(select(Equipment), Equipment, caller)
    if vessel_id is not None:
        eq_stmt = eq_stmt.where(Equipment.vessel_id == vessel_id)
    by_id = {e.id: e for e in session.scalars(eq_stmt)}

    stmt = scoped(select(Fault), Fault, caller).where(Fault.opened_at < until)
    if vessel_id is not None:
        stmt = stmt.where(Fault.vessel_id == vessel_id)
    if since is not None:
        stmt = stmt.where(Fault.opened_at >= since)
    rows = list(session.scalars(stmt.order_by(Fault.opened_at, Fault.id)))

    groups: dict[str, list[Fault]] = {}
    heads: dict[str, tuple[str, Equipment | None]] = {}
    for fault in rows:
        item = by_id.get(fault.equipment_id)
        if item is None:
            continue
        chain = _chain(item, by_id)
        if root is not None:
            if root not in chain:
                continue
            at = chain.index(root)
            head = chain[at - 1] if at > 0 else root
        else:
            head = chain[-2] if len(chain) >= 2 else chain[-1]
        if group_by == "class":
            cls = next((e.equipment_class for e in chain if e.equipment_class), None)
            key, label, anchor = (cls or "unclassified"), (cls or "unclassified"), None
        else:
            key, label, anchor = head.code, head.name, head
        groups.setdefault(key, []).append(fault)
        heads[key] = (label, anchor)

    out = [
        _group(session, caller, key, heads[key][0], heads[key][1], faults)
        for key, faults in groups.items()
    ]
    out.sort(key=lambda g: (-g.count, -g.last_at.timestamp(), g.key))
    overall = None
    if root is not None and groups:
        every = sorted(
            (f for faults in groups.values() for f in faults), key=lambda f: (f.opened_at, f.id)
        )
        overall = _group(session, caller, root.code, root.name, root, every)
    return FaultStats(
        since=since,
        until=until,
        group_by=kind,
        total=sum(g.count for g in out),
        groups=tuple(out[:top] if top else out),
        group_count=len(out),
        overall=overall,
    )


def _group(
    session: Session,
    caller: Caller,
    key: str,
    label: str,
    anchor: Equipment | None,
    faults: list[Fault],
) -> FaultGroup:
    last = faults[-1]
    mtbf, unit = _mtbf(session, caller, anchor, faults)
    repairs = repair_hours(faults)
    return FaultGroup(
        key=key,
        name=label,
        equipment_id=anchor.id if anchor else None,
        count=len(faults),
        fault_ids=tuple(f.id for f in faults),
        last_at=last.opened_at,
        last_fault_id=last.id,
        last_title=last.title,
        mtbf=mtbf,
        mtbf_unit=unit,
        mttr_hours=fmean(repairs) if repairs else None,
        resolved=len(repairs),
    )


def repair_hours(faults: list[Fault]) -> list[float]:
    """Hours from opened to resolved of each resolved fault (the terms of MTTR)."""
    return [
        (f.resolved_at - f.opened_at).total_seconds() / 3600
        for f in faults
        if f.resolved_at is not None and f.resolved_at >= f.opened_at
    ]


def _mtbf(
    session: Session, caller: Caller, anchor: Equipment | None, faults: list[Fault]
) -> tuple[float | None, Literal["running hours", "days"] | None]:
    """Return the mean interval between consecutive faults and its unit (None below two)."""
    if len(faults) < 2:
        return None, None
    times = [f.opened_at for f in faults]
    if anchor is not None:
        _, sensor = hours_owner(session, caller, anchor)
        if sensor is not None:
            hours = [hours_at(session, caller, sensor.id, t) for t in times]
            known = [h for h in hours if h is not None]
            if len(known) == len(hours):
                gaps = [b - a for a, b in pairwise(known)]
                return fmean(gaps), "running hours"
    gaps_days = [(b - a).total_seconds() / 86_400 for a, b in pairwise(times)]
    return fmean(gaps_days), "days"
