"""Explanations: XGBoost's own per-feature contributions, told in words crew understand."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from predictors.features import FeatureSpec, parse_feature
from predictors.training import TrainedModel
from predictors.wording import age_text, number, unit_suffix, window_text


@dataclass(frozen=True)
class SensorInfo:
    """How to speak about a sensor: its name, unit and limits."""

    name: str
    unit: str = ""
    low_limit: float | None = None
    high_limit: float | None = None


@dataclass(frozen=True)
class Factor:
    """One feature's share of a prediction, with a sentence for the crew."""

    feature: str
    value: float | None
    contribution: float
    #: "raises" or "lowers" the risk (classification) or the remaining life (rul).
    effect: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


def describe(spec: FeatureSpec, value: float | None, sensor: SensorInfo | None = None) -> str:
    """Return a short sentence saying what a feature's value means on board."""
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    v = 0.0 if missing or value is None else float(value)
    if spec.source == "sensor":
        info = sensor or SensorInfo(name=(spec.tag or "sensor").replace("_", " "))
        name, unit, span = info.name, unit_suffix(info.unit), window_text(spec.window)
        if missing:
            return f"no {name} readings in the last {span}" if span else f"no {name} readings"
        if spec.stat == "last":
            text = f"{name} at {number(v)}{unit}"
            if info.high_limit is not None and v > info.high_limit:
                text += f", above its high limit of {number(info.high_limit)}{unit}"
            elif info.low_limit is not None and v < info.low_limit:
                text += f", below its low limit of {number(info.low_limit)}{unit}"
            return text
        if spec.stat == "slope":
            per_day = f"{unit}/day" if unit else " a day"
            if abs(v) < 1e-9:
                return f"{name} steady over the last {span}"
            trend = "rising" if v > 0 else "falling"
            return f"{name} {trend} {number(abs(v))}{per_day} over the last {span}"
        if spec.stat == "mean":
            return f"{name} averaging {number(v)}{unit} over the last {span}"
        if spec.stat == "std":
            return f"{name} varying by ±{number(v)}{unit} over the last {span}"
        if spec.stat == "min":
            return f"{name} as low as {number(v)}{unit} in the last {span}"
        if spec.stat == "max":
            return f"{name} as high as {number(v)}{unit} in the last {span}"
        if spec.stat in ("frac_below_low", "frac_above_high"):
            side = (
                "below its low limit" if spec.stat == "frac_below_low" else ("above its high limit")
            )
            if v <= 0:
                return f"{name} never {side} in the last {span}"
            return f"{name} {side} {number(100 * v)} % of the last {span}"
        if spec.stat == "crossings":
            n = round(v)
            times = "once" if n == 1 else f"{n} times"
            return f"{name} went outside its limits {times} in the last {span}"
        if spec.stat == "drift":
            side = "above" if v >= 0 else "below"
            return f"{name} {number(abs(v))}{unit} {side} its early-life level (last {span})"
        return f"{name} {spec.stat} {number(v)}{unit} ({span})"
    if spec.source == "equipment":
        if spec.stat == "age_days":
            return "installation date unknown" if missing else f"in service for {age_text(v)}"
        if spec.stat == "running_hours":
            return "running hours unknown" if missing else f"{number(v)} running hours"
        if spec.stat == "faults":
            n = round(v)
            what = "no faults" if n == 0 else ("1 fault" if n == 1 else f"{n} faults")
            return f"{what} in the last {spec.kind} days"
        if spec.stat == "days_since":
            if missing:
                return f"no {spec.kind} maintenance on record"
            return f"{number(v)} days since the last {spec.kind} maintenance"
        if spec.stat == "running_hours_since":
            if missing:
                return f"running hours since the last {spec.kind} maintenance unknown"
            return f"{number(v)} running hours since the last {spec.kind} maintenance"
    name = spec.name.replace("_", " ")
    return f"{name} unknown" if missing else f"{name} {number(v)}"


def sensor_lookup(sensors: pd.DataFrame | None) -> dict[tuple[str, str], SensorInfo]:
    """Return SensorInfo per (equipment_id, tag) from a normalised sensors frame."""
    if sensors is None or len(sensors) == 0:
        return {}
    out: dict[tuple[str, str], SensorInfo] = {}
    for row in sensors.itertuples(index=False):
        low = getattr(row, "low_limit", None)
        high = getattr(row, "high_limit", None)
        out[(str(row.equipment_id), str(row.tag))] = SensorInfo(
            name=str(getattr(row, "name", row.tag) or row.tag),
            unit=str(getattr(row, "unit", "") or ""),
            low_limit=None if low is None or pd.isna(low) else float(low),
            high_limit=None if high is None or pd.isna(high) else float(high),
        )
    return out


def explain(
    model: TrainedModel,
    features: pd.DataFrame,
    *,
    sensors: pd.DataFrame | None = None,
    top_k: int = 3,
    adverse_only: bool = True,
) -> list[list[Factor]]:
    """Return the top contributing features of each row's prediction, as Factors.

    For a classifier, adverse factors raise the risk; for RUL they shorten the life.
    With `adverse_only` False, the largest contributions either way are returned.
    """
    contribs = model.contributions(features)[:, :-1]
    names = model.features
    specs = [parse_feature(n) for n in names]
    lookup = sensor_lookup(sensors)
    values = features.reindex(columns=names).to_numpy(dtype=np.float64)
    ids = (
        features["equipment_id"].astype(str).tolist()
        if "equipment_id" in features.columns
        else [""] * len(features)
    )
    adverse_sign = -1.0 if model.task in ("rul", "regression") else 1.0
    out: list[list[Factor]] = []
    for i in range(len(features)):
        row = contribs[i] * adverse_sign
        order = np.argsort(-row if adverse_only else -np.abs(row), kind="stable")
        factors: list[Factor] = []
        for j in order:
            if len(factors) >= top_k:
                break
            c = float(contribs[i, j])
            if c == 0.0 or (adverse_only and row[j] <= 0):
                continue
            spec = specs[j]
            value = float(values[i, j])
            info = lookup.get((ids[i], spec.tag)) if spec.tag is not None else None
            effect = "raises" if c > 0 else "lowers"
            factors.append(
                Factor(
                    feature=names[j],
                    value=None if math.isnan(value) else value,
                    contribution=c,
                    effect=effect,
                    text=describe(spec, value, info),
                )
            )
        out.append(factors)
    return out
