"""Write simulated history (readings and the faults degradations end in) into records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.progress import Progress

from connectors import SimulatedHistory
from records import (
    Database,
    Fault,
    FaultStatus,
    Priority,
    ReadingIn,
    readings,
    register,
    running_hours,
    system_caller,
    vessel_history,
)


@dataclass
class Written:
    """How much a backfill stored."""

    readings: int = 0
    faults: int = 0
    hours_set: int = 0
    """Register running-hours figures moved to their counter's latest backfilled reading."""


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
        sensors = register.sensors_by_tag(s, caller, vessel_id)
        ids = {t: sensor.id for t, sensor in sensors.items()}
        counters = {
            t: sensor.equipment_id
            for t, sensor in sensors.items()
            if sensor.counter == running_hours.COUNTER
        }
        equipment = {e.code: e.id for e in vessel_history.vessel_equipment(s, caller, vessel_id)}
    written = Written()
    task = progress.add_task("backfill readings", total=history.reading_count) if progress else None
    last: dict[str, tuple[datetime, float]] = {}
    for batch in history.readings():
        rows = [ReadingIn(ids[r.tag], r.time, r.value, 0) for r in batch if r.tag in ids]
        for r in batch:
            if r.tag in counters and (r.tag not in last or r.time >= last[r.tag][0]):
                last[r.tag] = (r.time, r.value)
        with db.transaction(caller) as s:
            readings.insert_readings(s, caller, rows)
        written.readings += len(rows)
        if progress is not None and task is not None:
            progress.advance(task, len(batch))
    with db.transaction(caller) as s:  # the counter wins over the register (audited)
        for tag, (at, hours) in sorted(last.items()):
            equipment_row = register.get_equipment(s, caller, counters[tag])
            if running_hours.apply_counter(s, caller, equipment_row, hours, at):
                written.hours_set += 1
    with db.transaction(caller) as s:
        for f in history.faults:
            equipment_id = equipment.get(f.equipment_code)
            if equipment_id is None:
                continue
            if vessel_history.has_fault_at(s, caller, equipment_id, f.time):
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
