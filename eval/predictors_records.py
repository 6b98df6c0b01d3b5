"""Put evaluation frames through the records database, as the product stores plant data.

Each engine becomes a vessel (a test cell) with one piece of equipment and its sensors, its
per-cycle readings go in through ``records.readings.insert_readings``, its failure is a
fault, and the frames the models see are read back with the product's own loader
(``channels.services.predictors.load_frames``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from channels.app.runtime import open_bosun
from channels.app.settings import Settings
from channels.services.predictors import load_frames
from predictors import PlantFrames
from records import (
    ALL_TENANTS,
    Fault,
    FaultStatus,
    Priority,
    ReadingIn,
    readings,
    register,
    system_caller,
)


def through_records(frames: PlantFrames, since: pd.Timestamp) -> PlantFrames:
    """Store frames in a temporary embedded database and read them back."""
    with tempfile.TemporaryDirectory() as home:
        bosun = open_bosun(Settings(home=Path(home)))
        with bosun.db.transaction(ALL_TENANTS) as s:
            org_id = register.get_or_create_organization(s, "Evaluation").id
        caller = system_caller(org_id, "eval")
        vessels: dict[str, int] = {}
        equipment = frames.equipment.set_index("equipment_id")
        by_equipment = dict(tuple(frames.readings.groupby("equipment_id")))
        sensors = frames.sensors
        failures = frames.faults
        for eid, row in equipment.iterrows():
            with bosun.db.transaction(caller) as s:
                vessel, _ = register.upsert_vessel(s, caller, name=str(eid), imo=str(eid))
                s.flush()
                eq, _ = register.upsert_equipment(
                    s,
                    caller,
                    vessel.id,
                    code=str(eid),
                    parent_id=None,
                    fields={"name": str(eid), "equipment_class": row.get("equipment_class")},
                )
                installed = row.get("installed_at")
                eq.installed_on = None if pd.isna(installed) else installed.date()
                s.flush()
                ids = {}
                for spec in sensors[sensors["equipment_id"] == eid].itertuples():
                    sensor, _ = register.upsert_sensor(
                        s,
                        caller,
                        eq,
                        tag=str(spec.tag),
                        fields={
                            "name": getattr(spec, "name", None) or str(spec.tag),
                            "unit": getattr(spec, "unit", None),
                        },
                    )
                    s.flush()
                    ids[str(spec.tag)] = sensor.id
                data = by_equipment.get(eid)
                if data is not None:
                    rows = [
                        ReadingIn(ids[t], ts.to_pydatetime(), float(v))
                        for t, ts, v in zip(data["tag"], data["time"], data["value"], strict=True)
                    ]
                    readings.insert_readings(s, caller, rows)
                for opened in failures.loc[failures["equipment_id"] == eid, "opened_at"]:
                    at = opened.to_pydatetime()
                    s.add(
                        Fault(
                            org_id=org_id,
                            vessel_id=vessel.id,
                            equipment_id=eq.id,
                            title="Engine failure",
                            priority=Priority.critical,
                            status=FaultStatus.closed,
                            reported_via="eval",
                            notes=[],
                            attachments=[],
                            opened_at=at,
                            updated_at=at,
                        )
                    )
                vessels[str(eid)] = vessel.id
        parts = [
            load_frames(bosun, caller, vid, since=since.to_pydatetime()) for vid in vessels.values()
        ]
        bosun.close()
    return PlantFrames.build(
        readings=pd.concat([p.readings for p in parts], ignore_index=True),
        equipment=pd.concat([p.equipment for p in parts], ignore_index=True),
        sensors=pd.concat([p.sensors for p in parts], ignore_index=True),
        faults=pd.concat([p.faults for p in parts], ignore_index=True),
        maintenance=pd.concat([p.maintenance for p in parts], ignore_index=True),
    )


__all__ = ["through_records"]
