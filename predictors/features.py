"""One feature pipeline for training and scoring: sensor windows and equipment history.

Every feature at an as-of time t uses only rows with time <= t (readings), opened_at <= t
(faults) and done_at <= t (maintenance). Windows are half-open, (t - w, t].

Feature names:
    s__{tag}__last                       last reading at or before t
    s__{tag}__{stat}__{window}           stat in mean, std, min, max, slope (per day),
                                         frac_below_low, frac_above_high, crossings, drift
    e__age_days, e__running_hours, e__faults_{n}d,
    e__days_since_{kind}, e__running_hours_since_{kind}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from predictors.errors import FrameSchemaError
from predictors.frames import PlantFrames
from predictors.wording import duration

KEY_COLUMNS: Final = ("equipment_id", "as_of")
SENSOR_PREFIX: Final = "s__"
EQUIPMENT_PREFIX: Final = "e__"
SEP: Final = "__"
WINDOW_STATS: Final = ("mean", "std", "min", "max", "slope")
LIMIT_STATS: Final = ("frac_below_low", "frac_above_high", "crossings")
NS_PER_DAY: Final = 86_400 * 10**9
NS_PER_HOUR: Final = 3_600 * 10**9

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class FeatureConfig:
    """What the feature pipeline computes; stored with each model so scoring matches."""

    windows: tuple[str, ...] = ("24h", "7d")
    stats: tuple[str, ...] = WINDOW_STATS
    limit_features: bool = True
    #: If set, also `drift`: window mean minus the mean of the sensor's first `baseline`.
    baseline: str | None = None
    fault_windows_days: tuple[int, ...] = (30, 90)
    maintenance_kinds: tuple[str, ...] = ("corrective", "preventive", "inspection")
    running_hours_tag: str = "running_hours"
    equipment_features: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for w in (*self.windows, *((self.baseline,) if self.baseline else ())):
            try:
                if duration(w) <= pd.Timedelta(0):
                    raise ValueError("not positive")
            except ValueError as err:
                raise FrameSchemaError(
                    f"Feature window {w!r} is not a positive duration such as '24h' or '7d'."
                ) from err
        unknown = set(self.stats) - set(WINDOW_STATS)
        if unknown:
            raise FrameSchemaError(f"Unknown window stats {sorted(unknown)}; use {WINDOW_STATS}.")

    def history_needed(self) -> pd.Timedelta:
        """Return how far before an as-of time readings must be loaded to score it.

        With `baseline` set, the sensor's first `baseline` of readings is needed as well.
        """
        spans = [duration(w) for w in self.windows] or [pd.Timedelta(0)]
        return max(spans)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict of this configuration."""
        out = asdict(self)
        for key in ("windows", "stats", "fault_windows_days", "maintenance_kinds"):
            out[key] = list(out[key])
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureConfig:
        """Rebuild a configuration saved by `to_dict`."""
        kwargs = dict(data)
        for key in ("windows", "stats", "fault_windows_days", "maintenance_kinds"):
            if key in kwargs:
                kwargs[key] = tuple(kwargs[key])
        return cls(**kwargs)


@dataclass(frozen=True)
class FeatureSpec:
    """What a feature name means: its source, sensor tag, statistic and window."""

    name: str
    source: str  # "sensor" or "equipment"
    stat: str
    tag: str | None = None
    window: str | None = None
    kind: str | None = None  # maintenance kind, or fault window in days as text


def sensor_feature(tag: str, stat: str, window: str | None = None) -> str:
    """Return the feature name for a sensor statistic."""
    if window is None:
        return f"{SENSOR_PREFIX}{tag}{SEP}{stat}"
    return f"{SENSOR_PREFIX}{tag}{SEP}{stat}{SEP}{window}"


def parse_feature(name: str) -> FeatureSpec:
    """Parse a feature name produced by this module."""
    if name.startswith(SENSOR_PREFIX):
        body = name[len(SENSOR_PREFIX) :]
        if body.endswith(SEP + "last"):
            return FeatureSpec(name, "sensor", "last", tag=body[: -len(SEP + "last")])
        tag, stat, window = body.rsplit(SEP, 2)
        return FeatureSpec(name, "sensor", stat, tag=tag, window=window)
    if name.startswith(EQUIPMENT_PREFIX):
        body = name[len(EQUIPMENT_PREFIX) :]
        for stem in ("running_hours_since_", "days_since_"):
            if body.startswith(stem):
                return FeatureSpec(name, "equipment", stem.rstrip("_"), kind=body[len(stem) :])
        if body.startswith("faults_") and body.endswith("d"):
            return FeatureSpec(name, "equipment", "faults", kind=body[len("faults_") : -1])
        return FeatureSpec(name, "equipment", body)
    return FeatureSpec(name, "other", name)


def _ns(values: pd.Series | pd.DatetimeIndex | Sequence[Any]) -> IntArray:
    index = pd.DatetimeIndex(pd.to_datetime(values, utc=True)).as_unit("ns")
    return np.asarray(index.asi8, dtype=np.int64)


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """Return the feature columns of a features frame (all but the keys and labels)."""
    return [c for c in frame.columns if c.startswith((SENSOR_PREFIX, EQUIPMENT_PREFIX))]


def as_of_grid(
    frames: PlantFrames,
    *,
    every: str = "1d",
    equipment_ids: Iterable[str] | None = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Return as-of times every `every` from each equipment's first to last reading."""
    step = duration(every)
    readings = frames.readings
    if equipment_ids is not None:
        readings = readings[readings["equipment_id"].isin(set(equipment_ids))]
    rows: list[pd.DataFrame] = []
    for eid, group in readings.groupby("equipment_id", sort=True):
        first = group["time"].min()
        last = group["time"].max()
        lo = max(first, start) if start is not None else first
        hi = min(last, end) if end is not None else last
        if lo > hi:
            continue
        times = pd.date_range(lo.ceil(step) if lo.ceil(step) <= hi else lo, hi, freq=step)
        rows.append(pd.DataFrame({"equipment_id": str(eid), "as_of": times}))
    if not rows:
        return pd.DataFrame(
            {
                "equipment_id": pd.Series([], dtype=str),
                "as_of": pd.Series([], dtype="datetime64[ns, UTC]"),
            }
        )
    out = pd.concat(rows, ignore_index=True)
    out["as_of"] = out["as_of"].astype("datetime64[ns, UTC]")
    return out


def _window_sums(cum: FloatArray, lo: IntArray, hi: IntArray) -> FloatArray:
    return np.asarray(cum[hi] - cum[lo], dtype=np.float64)


def _reduce(
    op: np.ufunc, values: FloatArray, lo: IntArray, hi: IntArray, empty: npt.NDArray[np.bool_]
) -> FloatArray:
    if len(lo) == 0:
        return np.empty(0)
    padded = np.append(values, np.nan)
    idx = np.empty(2 * len(lo), dtype=np.int64)
    idx[0::2] = lo
    idx[1::2] = hi
    out = np.asarray(op.reduceat(padded, idx)[0::2], dtype=np.float64)
    out[empty] = np.nan
    return out


def _sensor_block(
    times: IntArray,
    values: FloatArray,
    as_of: IntArray,
    config: FeatureConfig,
    low: float,
    high: float,
    with_limits: bool,
) -> dict[str, FloatArray]:
    """Compute one sensor's features at each as-of time (times sorted ascending)."""
    m = len(as_of)
    out: dict[str, FloatArray] = {}
    hi = np.searchsorted(times, as_of, side="right").astype(np.int64)
    has = hi > 0
    last = np.full(m, np.nan)
    last[has] = values[hi[has] - 1]
    out["last"] = last
    if len(times) == 0:
        return out
    v0 = values[0]
    shifted = values - v0
    t_days = (times - times[0]) / NS_PER_DAY
    zero = np.zeros(1)
    c1 = np.concatenate([zero, np.cumsum(shifted)])
    c2 = np.concatenate([zero, np.cumsum(shifted * shifted)])
    ct = np.concatenate([zero, np.cumsum(t_days)])
    ctt = np.concatenate([zero, np.cumsum(t_days * t_days)])
    ctv = np.concatenate([zero, np.cumsum(t_days * shifted)])
    below = values < low if not np.isnan(low) else np.zeros(len(values), dtype=bool)
    above = values > high if not np.isnan(high) else np.zeros(len(values), dtype=bool)
    outside = below | above
    entering = np.zeros(len(values), dtype=bool)
    entering[1:] = outside[1:] & ~outside[:-1]
    cb = np.concatenate([zero, np.cumsum(below)])
    ca = np.concatenate([zero, np.cumsum(above)])
    ce = np.concatenate([zero, np.cumsum(entering)])
    baseline_mean: FloatArray | None = None
    if config.baseline:
        end = np.minimum(as_of, times[0] + duration(config.baseline).value)
        hb = np.searchsorted(times, end, side="right").astype(np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            baseline_mean = np.where(hb > 0, v0 + c1[hb] / np.maximum(hb, 1), np.nan)
    for window in config.windows:
        width = duration(window).value
        lo = np.searchsorted(times, as_of - width, side="right").astype(np.int64)
        n = (hi - lo).astype(np.float64)
        empty = n <= 0
        safe_n = np.where(empty, 1.0, n)
        s1 = _window_sums(c1, lo, hi)
        mean_shift = s1 / safe_n
        mean = np.where(empty, np.nan, v0 + mean_shift)
        stats: dict[str, FloatArray] = {"mean": mean}
        if "std" in config.stats:
            var = _window_sums(c2, lo, hi) / safe_n - mean_shift * mean_shift
            stats["std"] = np.where(empty, np.nan, np.sqrt(np.clip(var, 0.0, None)))
        if "min" in config.stats:
            stats["min"] = _reduce(np.minimum, values, lo, hi, empty)
        if "max" in config.stats:
            stats["max"] = _reduce(np.maximum, values, lo, hi, empty)
        if "slope" in config.stats:
            st = _window_sums(ct, lo, hi)
            stt = _window_sums(ctt, lo, hi)
            stv = _window_sums(ctv, lo, hi)
            denom = n * stt - st * st
            ok = (n >= 2) & (denom > 1e-12 * np.maximum(n * stt, 1e-300))
            with np.errstate(invalid="ignore", divide="ignore"):
                slope = (n * stv - st * s1) / np.where(ok, denom, 1.0)
            stats["slope"] = np.where(ok, slope, np.nan)
        for stat in config.stats:
            out[f"{stat}{SEP}{window}"] = stats[stat]
        if with_limits:
            out[f"frac_below_low{SEP}{window}"] = np.where(
                empty, np.nan, _window_sums(cb, lo, hi) / safe_n
            )
            out[f"frac_above_high{SEP}{window}"] = np.where(
                empty, np.nan, _window_sums(ca, lo, hi) / safe_n
            )
            lo1 = np.minimum(lo + 1, hi)
            out[f"crossings{SEP}{window}"] = np.where(empty, np.nan, ce[hi] - ce[lo1])
        if baseline_mean is not None:
            out[f"drift{SEP}{window}"] = mean - baseline_mean
    return out


def sensor_tags(
    frames: PlantFrames, equipment_ids: Iterable[str], config: FeatureConfig
) -> list[str]:
    """Return the sorted tags that become sensor features for these equipment."""
    ids = set(equipment_ids)
    tags = frames.sensors.loc[frames.sensors["equipment_id"].isin(ids), "tag"]
    return sorted(set(tags) - {config.running_hours_tag})


def feature_names(
    tags: Sequence[str], config: FeatureConfig, limit_tags: Iterable[str] = ()
) -> list[str]:
    """Return the feature names the pipeline produces for these tags, in order."""
    limited = set(limit_tags)
    names: list[str] = []
    for tag in tags:
        names.append(sensor_feature(tag, "last"))
        for window in config.windows:
            names.extend(sensor_feature(tag, stat, window) for stat in config.stats)
            if config.limit_features and tag in limited:
                names.extend(sensor_feature(tag, stat, window) for stat in LIMIT_STATS)
            if config.baseline:
                names.append(sensor_feature(tag, "drift", window))
    if config.equipment_features:
        names.append(f"{EQUIPMENT_PREFIX}age_days")
        names.append(f"{EQUIPMENT_PREFIX}running_hours")
        names.extend(f"{EQUIPMENT_PREFIX}faults_{d}d" for d in config.fault_windows_days)
        for kind in config.maintenance_kinds:
            names.append(f"{EQUIPMENT_PREFIX}days_since_{kind}")
            names.append(f"{EQUIPMENT_PREFIX}running_hours_since_{kind}")
    return names


def _limit_tags(frames: PlantFrames, ids: set[str]) -> set[str]:
    sensors = frames.sensors[frames.sensors["equipment_id"].isin(ids)]
    has = sensors["low_limit"].notna() | sensors["high_limit"].notna()
    return set(sensors.loc[has, "tag"])


def _last_before(times: IntArray, values: FloatArray, at: IntArray) -> FloatArray:
    idx = np.searchsorted(times, at, side="right")
    out = np.full(len(at), np.nan)
    ok = idx > 0
    out[ok] = values[idx[ok] - 1]
    return out


def build_features(
    frames: PlantFrames,
    as_of: pd.DataFrame,
    config: FeatureConfig | None = None,
    *,
    features: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Compute features for each (equipment_id, as_of) row, using no data after as_of.

    `features`, when given (a trained model's list), fixes the output columns: absent ones
    are filled with NaN and extra ones dropped, so scoring matches training exactly.
    """
    config = config or FeatureConfig()
    if not set(KEY_COLUMNS) <= set(as_of.columns):
        raise FrameSchemaError("The as-of frame needs columns equipment_id and as_of.")
    keys = pd.DataFrame(
        {
            "equipment_id": as_of["equipment_id"].astype(str).to_numpy(),
            "as_of": pd.to_datetime(as_of["as_of"], utc=True).astype("datetime64[ns, UTC]"),
        }
    )
    ids = set(keys["equipment_id"])
    if features is None:
        tags = sensor_tags(frames, ids, config)
        names = feature_names(tags, config, _limit_tags(frames, ids))
    else:
        names = list(features)
        specs = [parse_feature(n) for n in names]
        tags = sorted({s.tag for s in specs if s.tag is not None})
        windows = tuple(sorted({s.window for s in specs if s.window is not None}))
        if windows and set(windows) != set(config.windows):
            config = replace(config, windows=windows)
    n_rows = len(keys)
    columns: dict[str, FloatArray] = {}
    wanted = set(names)
    at_all = _ns(keys["as_of"])
    row_groups = keys.groupby("equipment_id", sort=False).indices
    readings = frames.readings[frames.readings["equipment_id"].isin(ids)]
    series = {
        (str(k[0]), str(k[1])): g for k, g in readings.groupby(["equipment_id", "tag"], sort=False)
    }
    limits = {
        (str(e), str(t)): (float(lo), float(hi))
        for e, t, lo, hi in frames.sensors[
            ["equipment_id", "tag", "low_limit", "high_limit"]
        ].itertuples(index=False)
    }
    tree = frames.descendants() if config.equipment_features else {}
    limit_tags = {
        s.tag for s in map(parse_feature, names) if s.stat in LIMIT_STATS and s.tag is not None
    }

    def put(name: str, rows: npt.NDArray[np.intp], values: FloatArray) -> None:
        if name not in wanted:
            return
        col = columns.get(name)
        if col is None:
            col = np.full(n_rows, np.nan)
            columns[name] = col
        col[rows] = values

    for eid, rows in row_groups.items():
        at = at_all[rows]
        for tag in tags:
            group = series.get((str(eid), tag))
            if group is None:
                continue
            low, high = limits.get((str(eid), tag), (np.nan, np.nan))
            block = _sensor_block(
                _ns(group["time"]),
                group["value"].to_numpy(dtype=np.float64),
                at,
                config,
                low,
                high,
                with_limits=config.limit_features and tag in limit_tags,
            )
            for stat_window, values in block.items():
                put(f"{SENSOR_PREFIX}{tag}{SEP}{stat_window}", rows, values)
        if config.equipment_features:
            hours = series.get((str(eid), config.running_hours_tag))
            _equipment_block(
                frames, str(eid), tree.get(str(eid), {str(eid)}), hours, rows, at, config, put
            )
    data: dict[str, Any] = {"equipment_id": keys["equipment_id"], "as_of": keys["as_of"]}
    for name in names:
        data[name] = columns.get(name, np.full(n_rows, np.nan))
    return pd.DataFrame(data)


def _equipment_block(
    frames: PlantFrames,
    eid: str,
    subtree: set[str],
    hours_rows: pd.DataFrame | None,
    rows: npt.NDArray[np.intp],
    at: IntArray,
    config: FeatureConfig,
    put: Any,
) -> None:
    """Compute the per-equipment features (age, running hours, faults, maintenance)."""
    equipment = frames.equipment[frames.equipment["equipment_id"] == eid]
    age = np.full(len(at), np.nan)
    if len(equipment) and pd.notna(equipment["installed_at"].iloc[0]):
        installed = _ns([equipment["installed_at"].iloc[0]])[0]
        age = np.where(at >= installed, (at - installed) / NS_PER_DAY, np.nan)
    put(f"{EQUIPMENT_PREFIX}age_days", rows, age)
    if hours_rows is None:
        hour_times = np.empty(0, dtype=np.int64)
        hour_values = np.empty(0, dtype=np.float64)
    else:
        hour_times = _ns(hours_rows["time"])
        hour_values = hours_rows["value"].to_numpy(dtype=np.float64)
    running = _last_before(hour_times, hour_values, at)
    put(f"{EQUIPMENT_PREFIX}running_hours", rows, running)
    faults = frames.faults[frames.faults["equipment_id"].isin(subtree)]
    fault_times = np.sort(_ns(faults["opened_at"]))
    upto = np.searchsorted(fault_times, at, side="right")
    for days in config.fault_windows_days:
        since = np.searchsorted(fault_times, at - days * NS_PER_DAY, side="right")
        put(f"{EQUIPMENT_PREFIX}faults_{days}d", rows, (upto - since).astype(np.float64))
    maintenance = frames.maintenance[frames.maintenance["equipment_id"].isin(subtree)]
    for kind in config.maintenance_kinds:
        done = np.sort(_ns(maintenance.loc[maintenance["kind"] == kind, "done_at"]))
        idx = np.searchsorted(done, at, side="right")
        last = np.where(idx > 0, done[np.maximum(idx - 1, 0)] if len(done) else 0, -1)
        since_days = np.where(idx > 0, (at - last) / NS_PER_DAY, np.nan)
        put(f"{EQUIPMENT_PREFIX}days_since_{kind}", rows, since_days)
        hours_then = _last_before(hour_times, hour_values, last)
        put(
            f"{EQUIPMENT_PREFIX}running_hours_since_{kind}",
            rows,
            np.where(idx > 0, running - hours_then, np.nan),
        )


RISING_WITH_LEVEL: Final = ("last", "mean", "min", "max", "slope")


def limit_monotonicity(frames: PlantFrames, names: Sequence[str]) -> dict[str, int]:
    """Return the direction a failure risk may take in each feature, from the sensors' limits.

    A reading further past its limit never makes a failure less likely: for a sensor with
    only a high limit the risk may only rise with its level (last, mean, min, max, slope:
    +1), with only a low limit only rise as it falls (-1); time outside the limits and limit
    crossings only raise it (+1). Sensors with both limits or none, spreads (std) and
    equipment features are left free. Used as XGBoost monotone constraints, this keeps a
    model trained on a few failures from learning that a lower lube oil pressure is safer.
    """
    sensors = frames.sensors
    has_low: dict[str, bool] = {}
    has_high: dict[str, bool] = {}
    for tag, low, high in sensors[["tag", "low_limit", "high_limit"]].itertuples(index=False):
        has_low[str(tag)] = has_low.get(str(tag), False) or bool(pd.notna(low))
        has_high[str(tag)] = has_high.get(str(tag), False) or bool(pd.notna(high))
    out: dict[str, int] = {}
    for name in names:
        spec = parse_feature(name)
        if spec.source != "sensor" or spec.tag is None:
            continue
        low, high = has_low.get(spec.tag, False), has_high.get(spec.tag, False)
        if spec.stat in LIMIT_STATS and (low or high):
            out[name] = 1
        elif spec.stat in RISING_WITH_LEVEL and low != high:
            out[name] = 1 if high else -1
    return out
