"""Write simulated history (readings and the faults degradations end in) into records."""

from __future__ import annotations

from dataclasses import dataclass

from rich.progress import Progress
from sqlalchemy import select

from connectors import SimulatedHistory
from records import (
    Database,
    Equipment,
    Fault,
    FaultStatus,
    Priority,
    ReadingIn,
    readings,
    register,
    system_caller,
)


@dataclass
class Written:
    """How much a backfill stored."""

    readings: int = 0
    faults: int = 0


def write_history(
    db: Database,
    org_id: int,
    vessel_id: int,
    history: SimulatedHistory,
    *,
    progress: Progress | None = None,
) -> Written:
    """Store readings in batches (idempotent) and each fault once (by equipment and time)."""
    caller = system_caller(org_id, "simulator")
    with db.transaction(caller) as s:
        ids = {t: sensor.id for t, sensor in register.sensors_by_tag(s, caller, vessel_id).items()}
        equipment = {
            e.code: e.id
            for e in s.scalars(select(Equipment).where(Equipment.vessel_id == vessel_id))
        }
    written = Written()
    task = progress.add_task("backfill readings", total=history.reading_count) if progress else None
    for batch in history.readings():
        rows = [ReadingIn(ids[r.tag], r.time, r.value, 0) for r in batch if r.tag in ids]
        with db.transaction(caller) as s:
            readings.insert_readings(s, caller, rows)
        written.readings += len(rows)
        if progress is not None and task is not None:
            progress.advance(task, len(batch))
    with db.transaction(caller) as s:
        for f in history.faults:
            equipment_id = equipment.get(f.equipment_code)
            if equipment_id is None:
                continue
            exists = s.scalar(
                select(Fault.id).where(
                    Fault.equipment_id == equipment_id, Fault.opened_at == f.time
                )
            )
            if exists:
                continue
            s.add(
                Fault(
                    org_id=org_id,
                    vessel_id=vessel_id,
                    equipment_id=equipment_id,
                    title=f.title,
                    description=f.description,
                    priority=Priority(f.priority),
                    status=FaultStatus.closed,
                    reported_via="alarm",
                    root_cause=f"Degradation of {f.equipment_name}: {f.tag} reached {f.value:g} "
                    f"against limit {f.limit:g}; repaired.",
                    notes=[],
                    attachments=[],
                    opened_at=f.time,
                    acknowledged_at=f.time,
                    resolved_at=f.repaired_at,
                    closed_at=f.repaired_at,
                    updated_at=f.repaired_at,
                )
            )
            written.faults += 1
    return written
