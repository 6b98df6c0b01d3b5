from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from predictors import PlantFrames, TrainedModel, build_features, score

AS_OF = pd.Timestamp("2026-05-01 06:00", tz="UTC")


def plant_future(plant: PlantFrames) -> PlantFrames:
    """Plant absurd data strictly after AS_OF: readings, a failure and maintenance."""
    later = AS_OF + pd.Timedelta("1min")
    readings = pd.DataFrame(
        {
            "equipment_id": "P2",
            "tag": ["bearing_temp", "oil_pressure", "running_hours"],
            "time": [later] * 3,
            "value": [1e6, -1e6, 1e9],
        }
    )
    return replace(
        plant,
        readings=pd.concat([plant.readings, readings], ignore_index=True)
        .sort_values(["equipment_id", "tag", "time"], kind="stable")
        .reset_index(drop=True),
        faults=pd.concat(
            [
                plant.faults,
                pd.DataFrame({"equipment_id": ["P2"], "opened_at": [later], "is_failure": [True]}),
            ],
            ignore_index=True,
        ),
        maintenance=pd.concat(
            [
                plant.maintenance,
                pd.DataFrame({"equipment_id": ["P2"], "done_at": [later], "kind": ["inspection"]}),
            ],
            ignore_index=True,
        ),
    )


def test_future_values_do_not_change_past_features(plant: PlantFrames) -> None:
    keys = pd.DataFrame(
        {"equipment_id": ["P2", "P2"], "as_of": [AS_OF - pd.Timedelta(days=3), AS_OF]}
    )
    before = build_features(plant, keys)
    after = build_features(plant_future(plant), keys)
    cols = [c for c in before.columns if c not in ("equipment_id", "as_of")]
    np.testing.assert_array_equal(before[cols].to_numpy(), after[cols].to_numpy())
    # and the planted value is really seen once the as-of time passes it
    later = build_features(plant_future(plant), keys.assign(as_of=AS_OF + pd.Timedelta("1h")))
    assert later["s__bearing_temp__last"].iloc[0] == 1e6


def test_future_values_do_not_change_a_past_prediction(
    plant: PlantFrames, risk_model: TrainedModel
) -> None:
    before = score(risk_model, plant, as_of=AS_OF, equipment_ids=["P2"])[0]
    after = score(risk_model, plant_future(plant), as_of=AS_OF, equipment_ids=["P2"])[0]
    assert before.risk == after.risk
    assert [f.text for f in before.factors] == [f.text for f in after.factors]
