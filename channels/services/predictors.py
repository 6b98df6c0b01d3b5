"""Predictors wired to records: frames from the database, training into the registry, scoring."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from channels.app.runtime import Bosun
from predictors import (
    InsufficientDataError,
    PlantFrames,
    anomaly_flags,
    load_model,
    score,
    train_failure_model,
)
from records import (
    ALL_TENANTS,
    Caller,
    Equipment,
    Fault,
    Priority,
    ReadingIn,
    Sensor,
    WorkOrder,
    model_registry,
    readings,
    register,
    system_caller,
    utcnow,
    vessel_history,
)

log = logging.getLogger(__name__)
SCORE_JOB = "score_equipment"
HISTORY = timedelta(days=200)
RESAMPLE = "1h"
"""Readings are averaged over bins this wide before a model is trained on them."""
SCORING_RESAMPLE = "10min"
"""Bins for scoring: narrow, so the latest bin (the `last` feature) is the last minutes."""


def measurement_keys(sensors: Sequence[Sensor]) -> dict[int, str]:
    """Return, per sensor id, its key in the predictor frames: what it measures.

    A class's model learns from every unit of the class, so Main engine No. 1's and No. 2's
    "Lube oil pressure" must be one feature (keyed by vessel tag, ``ME1_LO_P`` and
    ``ME2_LO_P``, each would be seen on one engine only, and a model trained on one vessel
    would know nothing of another's). The key is the sensor's name in lower snake case;
    running-hours counters are ``running_hours``, which the features read as history; a name
    shared by two sensors of one equipment falls back to their tags.
    """

    def key(sensor: Sensor) -> str:
        if sensor.counter == "running_hours":
            return "running_hours"
        return re.sub(r"[^a-z0-9]+", "_", sensor.name.lower()).strip("_") or sensor.tag

    keys = {x.id: (x.equipment_id, key(x)) for x in sensors}
    uses = Counter(keys.values())
    return {x.id: keys[x.id][1] if uses[keys[x.id]] == 1 else x.tag for x in sensors}


def load_frames(
    bosun: Bosun,
    caller: Caller,
    vessel_id: int,
    *,
    equipment_class: str | None = None,
    since: datetime | None = None,
    failure_priorities: Collection[Priority] | None = None,
    resample: str | None = RESAMPLE,
) -> PlantFrames:
    """Read a vessel's register, readings, faults and work orders into predictor frames.

    Equipment ids are the register codes and sensors are keyed by what they measure
    (`measurement_keys`), so sister equipment share features.
    With `failure_priorities`, only faults of those priorities count as failures (labels);
    the others still count as fault history (features). Readings are averaged per sensor
    over `resample` bins (labelled by the bin's start), so features do not depend on how often
    a source reports: hourly backfill and a live source every few seconds read alike.
    """
    since = since or utcnow() - HISTORY
    with bosun.db.transaction(caller) as s:
        equipment = vessel_history.vessel_equipment(s, caller, vessel_id)
        wanted = _with_children(equipment, equipment_class)
        sensors = [
            x
            for x in vessel_history.vessel_sensors(s, caller, vessel_id)
            if x.equipment_id in wanted
        ]
        rows = readings.bulk_readings(s, caller, [x.id for x in sensors], start=since)
        faults = vessel_history.vessel_faults(s, caller, vessel_id, equipment_ids=wanted)
        done = vessel_history.vessel_work_orders(
            s, caller, vessel_id, equipment_ids=wanted, done_only=True
        )
    return _frames(
        [e for e in equipment if e.id in wanted],
        {e.id: e.code for e in equipment},
        sensors,
        rows,
        faults,
        done,
        failure_priorities=failure_priorities,
        resample=resample,
    )


def _frames(
    equipment: Sequence[Equipment],
    codes: dict[int, str],
    sensors: Sequence[Sensor],
    rows: Sequence[ReadingIn],
    faults: Sequence[Fault],
    done: Sequence[WorkOrder],
    *,
    failure_priorities: Collection[Priority] | None,
    resample: str | None,
) -> PlantFrames:
    """Build predictor frames from a vessel's records (ids become register codes)."""
    by_id = {x.id: x for x in sensors}
    tag = measurement_keys(sensors)
    values = pd.DataFrame(
        {
            "equipment_id": [codes[by_id[r.sensor_id].equipment_id] for r in rows],
            "tag": [tag[r.sensor_id] for r in rows],
            "time": pd.to_datetime([r.time for r in rows], utc=True),
            "value": [r.value for r in rows],
        }
    )
    if resample and len(values):
        values["time"] = values["time"].dt.floor(resample)
        values = values.groupby(["equipment_id", "tag", "time"], as_index=False)["value"].mean()
    return PlantFrames.build(
        readings=values,
        sensors=pd.DataFrame(
            [
                {
                    "equipment_id": codes[x.equipment_id],
                    "tag": tag[x.id],
                    "name": x.name,
                    "unit": x.unit,
                    "low_limit": x.low,
                    "high_limit": x.high,
                }
                for x in sensors
            ],
            columns=["equipment_id", "tag", "name", "unit", "low_limit", "high_limit"],
        ),
        equipment=pd.DataFrame(
            [
                {
                    "equipment_id": e.code,
                    "parent_id": codes.get(e.parent_id) if e.parent_id else None,
                    "equipment_class": e.equipment_class,
                    "name": e.name,
                    "installed_at": (
                        pd.Timestamp(e.installed_on, tz="UTC") if e.installed_on else None
                    ),
                }
                for e in equipment
            ]
        ),
        faults=pd.DataFrame(
            [
                {
                    "equipment_id": codes[f.equipment_id],
                    "opened_at": f.opened_at,
                    "priority": f.priority.value,
                    "title": f.title,
                    "is_failure": failure_priorities is None or f.priority in failure_priorities,
                    "resolved_at": f.resolved_at or f.closed_at,
                }
                for f in faults
            ],
            columns=["equipment_id", "opened_at", "priority", "title", "is_failure", "resolved_at"],
        ),
        maintenance=pd.DataFrame(
            [
                {
                    "equipment_id": codes[w.equipment_id],
                    "done_at": w.completed_at,
                    "kind": w.kind.value,
                }
                for w in done
                if w.completed_at
            ],
            columns=["equipment_id", "done_at", "kind"],
        ),
    )


def _with_children(equipment: Sequence[Equipment], equipment_class: str | None) -> set[int]:
    """Return the ids of a class's equipment and everything under it (all without a class).

    Failures of children count for their parent.
    """
    if not equipment_class:
        return {e.id for e in equipment}
    wanted = {e.id for e in equipment if e.equipment_class == equipment_class}
    while children := {e.id for e in equipment if e.parent_id in wanted} - wanted:
        wanted |= children
    return wanted


@dataclass
class TrainOutcome:
    """One class's training: the registered version, or why there is none."""

    equipment_class: str
    model_version_id: int | None = None
    version: int | None = None
    metrics: dict[str, Any] | None = None
    problem: str | None = None


def train_class(
    bosun: Bosun,
    caller: Caller,
    vessel_id: int,
    equipment_class: str,
    *,
    horizon: str = "14d",
    progress: bool = True,
    failure_priorities: Collection[Priority] | None = None,
) -> TrainOutcome:
    """Train a class's failure-risk model and register it as the active version.

    `failure_priorities` limits which faults count as failures (default: every fault).
    """
    frames = load_frames(
        bosun,
        caller,
        vessel_id,
        equipment_class=equipment_class,
        failure_priorities=failure_priorities,
    )
    try:
        model = train_failure_model(
            frames, equipment_class=equipment_class, horizon=horizon, progress=progress
        )
    except InsufficientDataError as err:
        return TrainOutcome(equipment_class, problem=str(err))
    with bosun.db.transaction(caller) as s:
        versions = model_registry.list_models(s, caller, equipment_class)
        next_version = max((m.version for m in versions), default=0) + 1
        path = model.save(
            bosun.settings.files
            / "models"
            / caller_dir(caller)
            / equipment_class
            / f"v{next_version}.json"
        )
        data_range = model.metadata.get("data_range", {})
        mv = model_registry.register_model(
            s,
            caller,
            equipment_class=equipment_class,
            artifact_path=str(path),
            features=model.features,
            params=dict(model.metadata.get("params", {})),
            metrics=dict(model.metadata.get("metrics", {})),
            data_from=_time(data_range.get("start")),
            data_to=_time(data_range.get("end")),
            horizon_days=max(1, round(len_days(horizon))),
        )
        s.flush()
        return TrainOutcome(equipment_class, mv.id, mv.version, dict(mv.metrics))


def len_days(horizon: str) -> float:
    """Return a horizon like ``14d``, ``36h`` or ``2w`` in days."""
    number, unit = float(horizon[:-1]), horizon[-1].lower()
    return number * {"d": 1, "h": 1 / 24, "w": 7}.get(unit, 1)


def caller_dir(caller: Caller) -> str:
    """Folder of an organization's model artifacts."""
    return f"org-{caller.org_id}"


def _time(value: Any) -> datetime | None:
    return None if value is None else pd.Timestamp(value).to_pydatetime()


def classes_of(bosun: Bosun, caller: Caller, vessel_id: int) -> list[str]:
    """Return the equipment classes of a vessel's register."""
    with bosun.db.transaction(caller) as s:
        return vessel_history.equipment_classes(s, caller, vessel_id)


def vessel_tags(bosun: Bosun, caller: Caller, vessel_id: int) -> dict[tuple[str, str], str]:
    """Map (equipment code, measurement key) back to the vessel's sensor tag."""
    with bosun.db.transaction(caller) as s:
        codes = {e.id: e.code for e in vessel_history.vessel_equipment(s, caller, vessel_id)}
        sensors = vessel_history.vessel_sensors(s, caller, vessel_id)
    keys = measurement_keys(sensors)
    return {(codes[x.equipment_id], keys[x.id]): x.tag for x in sensors}


def score_vessel(bosun: Bosun, caller: Caller, vessel_id: int) -> int:
    """Score every equipment of a vessel with its class's active model; return predictions."""
    written = 0
    now = utcnow()
    tags = vessel_tags(bosun, caller, vessel_id)
    for equipment_class in classes_of(bosun, caller, vessel_id):
        with bosun.db.transaction(caller) as s:
            active = model_registry.active_model(s, caller, equipment_class)
            if active is None or not Path(active.artifact_path).exists():
                continue
            model_id, artifact = active.id, active.artifact_path
        model = load_model(artifact)
        frames = load_frames(
            bosun,
            caller,
            vessel_id,
            equipment_class=equipment_class,
            since=now - timedelta(days=60),
            resample=SCORING_RESAMPLE,
        )
        results = score(model, frames, as_of=pd.Timestamp(now))
        flagged: dict[str, list[dict[str, Any]]] = {}
        for anomaly in anomaly_flags(frames, pd.Timestamp(now)):
            if anomaly.is_anomaly:
                found = anomaly.to_dict()
                found["tag"] = tags.get((anomaly.equipment_id, anomaly.tag), anomaly.tag)
                flagged.setdefault(str(anomaly.equipment_id), []).append(found)
        with bosun.db.transaction(caller) as s:
            ids = {e.code: e.id for e in vessel_history.vessel_equipment(s, caller, vessel_id)}
            for result in results:
                if result.equipment_id not in ids or result.risk is None:
                    continue
                model_registry.add_prediction(
                    s,
                    caller,
                    equipment_id=ids[result.equipment_id],
                    model_version_id=model_id,
                    as_of=now,
                    risk=float(result.risk),
                    factors=[f.to_dict() for f in result.factors],
                    anomalies=flagged.get(result.equipment_id, []),
                )
                written += 1
    return written


def score_all(bosun: Bosun) -> int:
    """Score every vessel of every organization (the scheduled job)."""
    with bosun.db.transaction(ALL_TENANTS) as s:
        vessels = [(v.org_id, v.id) for v in register.all_vessels(s)]
    return sum(score_vessel(bosun, system_caller(org, "scoring"), vid) for org, vid in vessels)


def wire_scoring(bosun: Bosun, every_s: float = 3600) -> None:
    """Score on a schedule (and on demand through the job)."""
    bosun.runner.register(SCORE_JOB, lambda _payload: log.info("scored %d", score_all(bosun)))
    bosun.scheduler.every(every_s, SCORE_JOB)
