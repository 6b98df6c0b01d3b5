"""Labels from fault history: failure within a horizon, and remaining useful life."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from predictors.features import NS_PER_DAY, _ns
from predictors.frames import PlantFrames
from predictors.wording import duration

LABEL_COLUMN: Final = "label"
RUL_COLUMN: Final = "rul_days"


def _failure_times(frames: PlantFrames, subtree: set[str]) -> np.ndarray:
    faults = frames.faults
    chosen = faults[faults["equipment_id"].isin(subtree) & faults["is_failure"].astype(bool)]
    return np.sort(_ns(chosen["opened_at"]))


def _down_periods(frames: PlantFrames, subtree: set[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return (start, end) times of the known periods between a failure and its repair."""
    faults = frames.faults
    chosen = faults[
        faults["equipment_id"].isin(subtree)
        & faults["is_failure"].astype(bool)
        & faults["resolved_at"].notna()
    ]
    return _ns(chosen["opened_at"]), _ns(chosen["resolved_at"])


def _down(at: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    if len(starts) == 0:
        return np.zeros(len(at), dtype=bool)
    inside = (at[:, None] >= starts[None, :]) & (at[:, None] < ends[None, :])
    return np.asarray(inside.any(axis=1))


def _observed_until(frames: PlantFrames, observed_until: pd.Timestamp | None) -> dict[str, int]:
    """Return, per equipment, the last time its history is known (last reading by default)."""
    if observed_until is not None:
        end = int(_ns([observed_until])[0])
        return {str(e): end for e in frames.equipment["equipment_id"]} | {
            str(e): end for e in frames.readings["equipment_id"].unique()
        }
    last = frames.readings.groupby("equipment_id")["time"].max()
    return {str(e): int(_ns([t])[0]) for e, t in last.items()}


def failure_labels(
    frames: PlantFrames,
    as_of: pd.DataFrame,
    *,
    horizon: str | pd.Timedelta = "14d",
    observed_until: pd.Timestamp | None = None,
    drop_censored: bool = True,
) -> pd.DataFrame:
    """Label each (equipment_id, as_of) 1 if it or a child fails in (as_of, as_of + horizon].

    A row whose horizon runs past the end of the known history (the equipment's last
    reading, or `observed_until`) and saw no failure has an unknown label; so has a row
    while the equipment is down, between a failure and its repair (faults' `resolved_at`):
    it is not at risk of failing, it has failed, and its readings are the failure's, not a
    warning of the next one. Unknown labels are dropped unless `drop_censored` is False, in
    which case they are NaN.
    """
    width = duration(horizon).value
    tree = frames.descendants()
    ends = _observed_until(frames, observed_until)
    out = as_of[["equipment_id", "as_of"]].copy()
    out["equipment_id"] = out["equipment_id"].astype(str)
    labels = np.full(len(out), np.nan)
    at_all = _ns(out["as_of"])
    for eid, rows in out.groupby("equipment_id", sort=False).indices.items():
        at = at_all[rows]
        failures = _failure_times(frames, tree.get(str(eid), {str(eid)}))
        first_after = np.searchsorted(failures, at, side="right")
        within = np.searchsorted(failures, at + width, side="right") > first_after
        known = at + width <= ends.get(str(eid), np.iinfo(np.int64).max)
        down = _down(at, *_down_periods(frames, tree.get(str(eid), {str(eid)})))
        labels[rows] = np.where(down, np.nan, np.where(within, 1.0, np.where(known, 0.0, np.nan)))
    out[LABEL_COLUMN] = labels
    if drop_censored:
        out = out[out[LABEL_COLUMN].notna()].reset_index(drop=True)
        out[LABEL_COLUMN] = out[LABEL_COLUMN].astype(np.int64)
    return out


def rul_labels(
    frames: PlantFrames,
    as_of: pd.DataFrame,
    *,
    cap_days: float | None = None,
    drop_censored: bool = True,
) -> pd.DataFrame:
    """Label each (equipment_id, as_of) with days until the next failure of it or a child.

    Rows with no later failure on record (no run to failure) are censored: dropped, or NaN
    when `drop_censored` is False. `cap_days` clips the target (piecewise-linear RUL).
    """
    tree = frames.descendants()
    out = as_of[["equipment_id", "as_of"]].copy()
    out["equipment_id"] = out["equipment_id"].astype(str)
    rul = np.full(len(out), np.nan)
    at_all = _ns(out["as_of"])
    for eid, rows in out.groupby("equipment_id", sort=False).indices.items():
        at = at_all[rows]
        failures = _failure_times(frames, tree.get(str(eid), {str(eid)}))
        nxt = np.searchsorted(failures, at, side="left")
        ok = nxt < len(failures)
        values = np.full(len(at), np.nan)
        if len(failures):
            values[ok] = (failures[nxt[ok]] - at[ok]) / NS_PER_DAY
        rul[rows] = values
    if cap_days is not None:
        rul = np.minimum(rul, cap_days)
    out[RUL_COLUMN] = rul
    if drop_censored:
        out = out[out[RUL_COLUMN].notna()].reset_index(drop=True)
    return out
