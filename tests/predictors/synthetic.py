"""A small synthetic vessel whose pump bearings overheat for days before they fail."""

from __future__ import annotations

import numpy as np
import pandas as pd

from predictors import PlantFrames

START = pd.Timestamp("2026-01-01", tz="UTC")


def degrading_plant(
    *,
    n_pumps: int = 6,
    days: int = 240,
    per_day: int = 12,
    ramp_days: int = 10,
    ramp_per_day: float = 3.0,
    seed: int = 7,
) -> PlantFrames:
    """Return pumps whose child bearing fails after a `ramp_days` temperature rise."""
    rng = np.random.default_rng(seed)
    step = pd.Timedelta(hours=24 / per_day)
    times = pd.date_range(START, START + pd.Timedelta(days=days), freq=step, inclusive="left")
    t_days = (times - START) / pd.Timedelta(days=1)
    readings: list[pd.DataFrame] = []
    faults: list[dict[str, object]] = []
    maintenance: list[dict[str, object]] = []
    equipment: list[dict[str, object]] = []
    sensors: list[dict[str, object]] = []
    for p in range(n_pumps):
        pump, bearing = f"P{p}", f"P{p}-B"
        equipment.append(
            {
                "equipment_id": pump,
                "parent_id": None,
                "equipment_class": "pump",
                "name": f"Pump {p}",
                "installed_at": START - pd.Timedelta(days=365 * (p + 1)),
            }
        )
        equipment.append({"equipment_id": bearing, "parent_id": pump, "equipment_class": "bearing"})
        sensors += [
            {
                "equipment_id": pump,
                "tag": "bearing_temp",
                "name": "bearing temperature",
                "unit": "°C",
                "high_limit": 80.0,
            },
            {
                "equipment_id": pump,
                "tag": "oil_pressure",
                "name": "lube oil pressure",
                "unit": "bar",
                "low_limit": 2.0,
            },
            {"equipment_id": pump, "tag": "running_hours", "name": "running hours", "unit": "h"},
        ]
        failures: list[float] = []
        t = float(rng.uniform(25, 45))
        while t < days - 2:
            failures.append(t)
            t += float(rng.uniform(25, 80))
        maintenance.append(
            {
                "equipment_id": pump,
                "done_at": START - pd.Timedelta(days=float(rng.uniform(5, 60))),
                "kind": "corrective",
            }
        )
        temp = 60.0 + rng.normal(0, 0.8, len(times))
        for f in failures:
            ramp = (t_days > f - ramp_days) & (t_days <= f)
            temp[ramp] += ramp_per_day * (t_days[ramp] - (f - ramp_days))
            faults.append(
                {
                    "equipment_id": bearing,
                    "opened_at": START + pd.Timedelta(days=f),
                    "is_failure": True,
                }
            )
            maintenance.append(
                {
                    "equipment_id": pump,
                    "done_at": START + pd.Timedelta(days=f + 0.5),
                    "kind": "corrective",
                }
            )
        for d in range(20, days, 60):
            maintenance.append(
                {
                    "equipment_id": pump,
                    "done_at": START + pd.Timedelta(days=d),
                    "kind": "preventive",
                }
            )
        pressure = 4.0 + rng.normal(0, 0.15, len(times))
        hours = np.cumsum(np.full(len(times), 24 / per_day)) + 1000.0 * p
        for tag, values in (
            ("bearing_temp", temp),
            ("oil_pressure", pressure),
            ("running_hours", hours),
        ):
            readings.append(
                pd.DataFrame({"equipment_id": pump, "tag": tag, "time": times, "value": values})
            )
    return PlantFrames.build(
        readings=pd.concat(readings, ignore_index=True),
        equipment=pd.DataFrame(equipment),
        sensors=pd.DataFrame(sensors),
        faults=pd.DataFrame(faults),
        maintenance=pd.DataFrame(maintenance),
    )
