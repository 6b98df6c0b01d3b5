from __future__ import annotations

import pandas as pd

from predictors import AnomalyConfig, PlantFrames, anomaly_flags
from tests.predictors.synthetic import START, degrading_plant


def with_step(plant: PlantFrames, at: pd.Timestamp, delta: float) -> PlantFrames:
    readings = plant.readings.copy()
    hit = (
        (readings["equipment_id"] == "P1")
        & (readings["tag"] == "oil_pressure")
        & (readings["time"] >= at)
    )
    readings.loc[hit, "value"] += delta
    return PlantFrames(readings, plant.sensors, plant.equipment, plant.faults, plant.maintenance)


def test_step_change_is_flagged_only_after_it_happens() -> None:
    plant = degrading_plant(n_pumps=2, days=30)
    step_at = START + pd.Timedelta(days=20)
    stepped = with_step(plant, step_at, -1.5)  # lube oil pressure 4.0 -> 2.5 bar
    config = AnomalyConfig(baseline="7d", recent="6h", threshold=4.0)
    after = anomaly_flags(stepped, step_at + pd.Timedelta("6h"), config=config)
    flagged = {(a.equipment_id, a.tag): a for a in after if a.is_anomaly}
    assert ("P1", "oil_pressure") in flagged
    hit = flagged[("P1", "oil_pressure")]
    assert hit.direction == "low" and hit.robust_z < -4
    assert hit.text.startswith("lube oil pressure unusually low")
    assert ("P0", "oil_pressure") not in flagged
    before = anomaly_flags(stepped, step_at - pd.Timedelta("1min"), config=config)
    assert not [a for a in before if a.tag == "oil_pressure" and a.is_anomaly]
    assert all(a.tag != "running_hours" for a in after)  # counters are never flagged
