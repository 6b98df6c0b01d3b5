"""The pandas frames the predictors work on, mirroring the records tables.

Loading them from the records database is a thin adapter: one query per frame, columns
renamed to the names below. Every time column is timezone-aware UTC.

readings     one row per reading (records Reading joined to its Sensor)
             equipment_id: str, tag: str, time: datetime64[UTC], value: float
             optional quality: str (rows whose quality is not "good" are dropped)
sensors      one row per sensor (records Sensor)
             equipment_id: str, tag: str
             optional name: str, unit: str, low_limit: float, high_limit: float
equipment    one row per equipment (records Equipment)
             equipment_id: str
             optional parent_id: str | None, equipment_class: str, name: str,
             installed_at: datetime64[UTC]
faults       one row per fault (records Fault)
             equipment_id: str, opened_at: datetime64[UTC]
             optional is_failure: bool (default True: every fault counts as a failure),
             resolved_at: datetime64[UTC] (back in service; NaT when unknown or open),
             priority: str, title: str
maintenance  one row per completed work order (records WorkOrder)
             equipment_id: str, done_at: datetime64[UTC], kind: str
             (corrective | preventive | inspection, or any other kind)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import pandas as pd

from predictors.errors import FrameSchemaError

READINGS_COLUMNS: Final = ("equipment_id", "tag", "time", "value")
SENSORS_COLUMNS: Final = ("equipment_id", "tag")
SENSORS_OPTIONAL: Final = ("name", "unit", "low_limit", "high_limit")
EQUIPMENT_COLUMNS: Final = ("equipment_id",)
EQUIPMENT_OPTIONAL: Final = ("parent_id", "equipment_class", "name", "installed_at")
FAULTS_COLUMNS: Final = ("equipment_id", "opened_at")
MAINTENANCE_COLUMNS: Final = ("equipment_id", "done_at", "kind")

#: Required and optional columns of each frame, for documentation and adapters.
FRAME_SCHEMAS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "readings": {"required": READINGS_COLUMNS, "optional": ("quality",)},
    "sensors": {"required": SENSORS_COLUMNS, "optional": SENSORS_OPTIONAL},
    "equipment": {"required": EQUIPMENT_COLUMNS, "optional": EQUIPMENT_OPTIONAL},
    "faults": {
        "required": FAULTS_COLUMNS,
        "optional": ("is_failure", "resolved_at", "priority", "title"),
    },
    "maintenance": {"required": MAINTENANCE_COLUMNS, "optional": ()},
}


def _require(frame: pd.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing and len(frame) == 0:
        for c in missing:
            frame[c] = pd.Series([], dtype="object")
    elif missing:
        raise FrameSchemaError(
            f"The {name} frame lacks column(s) {missing}; it needs {list(columns)} "
            f"(see predictors.frames.FRAME_SCHEMAS)."
        )


def _utc(series: pd.Series, name: str, column: str) -> pd.Series:
    try:
        out = pd.to_datetime(series, utc=True)
    except (ValueError, TypeError) as err:
        raise FrameSchemaError(f"{name}.{column} must hold timestamps: {err}") from err
    return out.astype("datetime64[ns, UTC]")


def _ids(series: pd.Series) -> pd.Series:
    return series.astype(str)


def normalize_readings(frame: pd.DataFrame) -> pd.DataFrame:
    """Check and coerce a readings frame; drop bad-quality and missing values, sort by time."""
    _require(frame, "readings", READINGS_COLUMNS)
    out = pd.DataFrame(
        {
            "equipment_id": _ids(frame["equipment_id"]),
            "tag": frame["tag"].astype(str),
            "time": _utc(frame["time"], "readings", "time"),
            "value": pd.to_numeric(frame["value"], errors="coerce").astype("float64"),
        }
    )
    if "quality" in frame.columns:
        quality = frame["quality"].astype(str).str.lower()
        out = out[quality.isin(["good", "ok", "none", "nan", ""]).to_numpy()]
    out = out.dropna(subset=["value", "time"])
    return out.sort_values(["equipment_id", "tag", "time"], kind="stable").reset_index(drop=True)


def normalize_sensors(frame: pd.DataFrame) -> pd.DataFrame:
    """Check and coerce a sensors frame, adding absent optional columns as missing."""
    _require(frame, "sensors", SENSORS_COLUMNS)
    out = pd.DataFrame(
        {"equipment_id": _ids(frame["equipment_id"]), "tag": frame["tag"].astype(str)}
    )
    out["name"] = frame["name"].astype(str) if "name" in frame.columns else out["tag"]
    out["unit"] = frame["unit"].fillna("").astype(str) if "unit" in frame.columns else ""
    for col in ("low_limit", "high_limit"):
        values = frame[col] if col in frame.columns else float("nan")
        out[col] = pd.to_numeric(pd.Series(values, index=frame.index), errors="coerce")
    return out.drop_duplicates(["equipment_id", "tag"]).reset_index(drop=True)


def normalize_equipment(frame: pd.DataFrame) -> pd.DataFrame:
    """Check and coerce an equipment frame, adding absent optional columns as missing."""
    _require(frame, "equipment", EQUIPMENT_COLUMNS)
    out = pd.DataFrame({"equipment_id": _ids(frame["equipment_id"])})
    if "parent_id" in frame.columns:
        parent = frame["parent_id"]
        out["parent_id"] = parent.where(parent.notna(), None).map(
            lambda p: None if p is None else str(p)
        )
    else:
        out["parent_id"] = None
    out["equipment_class"] = (
        frame["equipment_class"].astype(str) if "equipment_class" in frame.columns else ""
    )
    out["name"] = frame["name"].astype(str) if "name" in frame.columns else out["equipment_id"]
    if "installed_at" in frame.columns:
        out["installed_at"] = _utc(frame["installed_at"], "equipment", "installed_at")
    else:
        out["installed_at"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
    return out.drop_duplicates("equipment_id").reset_index(drop=True)


def normalize_faults(frame: pd.DataFrame) -> pd.DataFrame:
    """Check and coerce a faults frame; `is_failure` defaults to True."""
    _require(frame, "faults", FAULTS_COLUMNS)
    out = pd.DataFrame(
        {
            "equipment_id": _ids(frame["equipment_id"]),
            "opened_at": _utc(frame["opened_at"], "faults", "opened_at"),
        }
    )
    out["is_failure"] = (
        frame["is_failure"].fillna(True).astype(bool) if "is_failure" in frame.columns else True
    )
    out["resolved_at"] = (
        _utc(frame["resolved_at"], "faults", "resolved_at")
        if "resolved_at" in frame.columns
        else pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
    )
    return out.dropna(subset=["opened_at"]).sort_values("opened_at").reset_index(drop=True)


def normalize_maintenance(frame: pd.DataFrame) -> pd.DataFrame:
    """Check and coerce a maintenance frame (completed work orders)."""
    _require(frame, "maintenance", MAINTENANCE_COLUMNS)
    out = pd.DataFrame(
        {
            "equipment_id": _ids(frame["equipment_id"]),
            "done_at": _utc(frame["done_at"], "maintenance", "done_at"),
            "kind": frame["kind"].astype(str).str.lower(),
        }
    )
    return out.dropna(subset=["done_at"]).sort_values("done_at").reset_index(drop=True)


def _empty(columns: tuple[str, ...], times: tuple[str, ...]) -> pd.DataFrame:
    data: dict[str, pd.Series] = {}
    for c in columns:
        dtype = "datetime64[ns, UTC]" if c in times else "object"
        data[c] = pd.Series([], dtype=dtype)
    return pd.DataFrame(data)


@dataclass(frozen=True)
class PlantFrames:
    """Everything the predictors read about a fleet or vessel, as normalised frames."""

    readings: pd.DataFrame
    sensors: pd.DataFrame
    equipment: pd.DataFrame
    faults: pd.DataFrame = field(default_factory=lambda: _empty(FAULTS_COLUMNS, ("opened_at",)))
    maintenance: pd.DataFrame = field(
        default_factory=lambda: _empty(MAINTENANCE_COLUMNS, ("done_at",))
    )

    @classmethod
    def build(
        cls,
        *,
        readings: pd.DataFrame,
        equipment: pd.DataFrame,
        sensors: pd.DataFrame | None = None,
        faults: pd.DataFrame | None = None,
        maintenance: pd.DataFrame | None = None,
    ) -> PlantFrames:
        """Normalise raw frames; sensors default to every (equipment, tag) seen in readings."""
        norm_readings = normalize_readings(readings)
        if sensors is None:
            sensors = norm_readings[["equipment_id", "tag"]].drop_duplicates()
        return cls(
            readings=norm_readings,
            sensors=normalize_sensors(sensors),
            equipment=normalize_equipment(equipment),
            faults=normalize_faults(
                faults if faults is not None else _empty(FAULTS_COLUMNS, ("opened_at",))
            ),
            maintenance=normalize_maintenance(
                maintenance
                if maintenance is not None
                else _empty(MAINTENANCE_COLUMNS, ("done_at",))
            ),
        )

    def descendants(self) -> dict[str, set[str]]:
        """Map each equipment id to itself and every equipment below it in the tree."""
        children: dict[str, list[str]] = {}
        for eid, parent in zip(
            self.equipment["equipment_id"], self.equipment["parent_id"], strict=True
        ):
            if parent is not None:
                children.setdefault(str(parent), []).append(str(eid))
        out: dict[str, set[str]] = {}
        for eid in self.equipment["equipment_id"]:
            seen: set[str] = set()
            stack = [str(eid)]
            while stack:
                node = stack.pop()
                if node in seen:
                    continue
                seen.add(node)
                stack.extend(children.get(node, []))
            out[str(eid)] = seen
        return out
