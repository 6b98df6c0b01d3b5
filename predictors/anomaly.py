"""Anomaly flags: each sensor's recent level against its own robust baseline."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from predictors.explain import sensor_lookup
from predictors.frames import PlantFrames
from predictors.wording import duration, number, unit_suffix, window_text

MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class AnomalyConfig:
    """Windows and threshold of the robust anomaly test."""

    #: The baseline window ends where the recent window starts.
    baseline: str = "30d"
    recent: str = "6h"
    #: Flag when |recent median - baseline median| > threshold * 1.4826 * MAD.
    threshold: float = 4.0
    min_baseline_points: int = 10
    #: Floor on the scale, relative to |baseline median|, so flat signals do not flag noise.
    min_relative_scale: float = 1e-3
    #: Counters rise by design and are never anomalous against their past.
    exclude_tags: tuple[str, ...] = ("running_hours",)


@dataclass(frozen=True)
class Anomaly:
    """A sensor's robust comparison with its own baseline at one time."""

    equipment_id: str
    tag: str
    as_of: pd.Timestamp
    value: float
    baseline_median: float
    baseline_mad: float
    robust_z: float
    is_anomaly: bool
    direction: str  # "high", "low" or ""
    text: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        out = asdict(self)
        out["as_of"] = self.as_of.isoformat()
        return out


def anomaly_flags(
    frames: PlantFrames,
    as_of: pd.Timestamp,
    *,
    config: AnomalyConfig | None = None,
    equipment_ids: Iterable[str] | None = None,
) -> list[Anomaly]:
    """Compare each sensor's recent median with the median and MAD of its baseline window.

    Only readings with time <= as_of are used; sensors without enough baseline readings
    or without recent readings are skipped.
    """
    config = config or AnomalyConfig()
    at = pd.Timestamp(as_of)
    at = at.tz_localize("UTC") if at.tzinfo is None else at.tz_convert("UTC")
    recent_start = at - duration(config.recent)
    baseline_start = recent_start - duration(config.baseline)
    readings = frames.readings
    mask = (readings["time"] > baseline_start) & (readings["time"] <= at)
    if equipment_ids is not None:
        mask &= readings["equipment_id"].isin({str(e) for e in equipment_ids})
    window = readings[mask & ~readings["tag"].isin(set(config.exclude_tags))]
    lookup = sensor_lookup(frames.sensors)
    out: list[Anomaly] = []
    for (eid, tag), group in window.groupby(["equipment_id", "tag"], sort=True):
        is_recent = (group["time"] > recent_start).to_numpy()
        values = group["value"].to_numpy(dtype=np.float64)
        recent, base = values[is_recent], values[~is_recent]
        if len(recent) == 0 or len(base) < config.min_baseline_points:
            continue
        median = float(np.median(base))
        mad = float(np.median(np.abs(base - median)))
        scale = max(MAD_TO_SIGMA * mad, config.min_relative_scale * abs(median), 1e-12)
        value = float(np.median(recent))
        z = (value - median) / scale
        flagged = abs(z) > config.threshold
        direction = ("high" if z > 0 else "low") if flagged else ""
        info = lookup.get((str(eid), str(tag)))
        name = info.name if info else str(tag).replace("_", " ")
        unit = unit_suffix(info.unit if info else "")
        if flagged:
            text = (
                f"{name} unusually {direction}: {number(value)}{unit} over the last "
                f"{window_text(config.recent)} against a usual {number(median)}{unit} "
                f"(robust z {z:+.1f})"
            )
        else:
            text = f"{name} normal: {number(value)}{unit} (usual {number(median)}{unit})"
        out.append(
            Anomaly(
                equipment_id=str(eid),
                tag=str(tag),
                as_of=at,
                value=value,
                baseline_median=median,
                baseline_mad=mad,
                robust_z=float(z),
                is_anomaly=bool(flagged),
                direction=direction,
                text=text,
            )
        )
    return out
