from __future__ import annotations

import json

import pandas as pd

from predictors import PlantFrames, TrainedModel, equipment_health, score


def test_scoring_gives_one_prediction_per_equipment_of_the_class(
    plant: PlantFrames, risk_model: TrainedModel
) -> None:
    results = score(risk_model, plant, top_k=2)
    assert sorted(r.equipment_id for r in results) == [f"P{i}" for i in range(6)]
    for r in results:
        assert r.risk is not None and 0.0 <= r.risk <= 1.0
        assert r.as_of == plant.readings["time"].max()
        assert len(r.factors) <= 2
        json.dumps(r.to_dict())  # ready for a Prediction row / API


def test_health_report_has_risk_factors_and_anomalies(
    plant: PlantFrames, risk_model: TrainedModel
) -> None:
    first = plant.faults.sort_values("opened_at").iloc[0]
    pump = first["equipment_id"].removesuffix("-B")
    report = equipment_health(
        plant, pump, model=risk_model, as_of=first["opened_at"] - pd.Timedelta(days=1)
    )
    text = report.summary()
    assert text.startswith("Failure risk within the next 14 days:")
    assert "bearing temperature" in text
    assert "Main factors" in text
    assert any(a.tag == "bearing_temp" and a.is_anomaly for a in report.anomalies)
    assert json.loads(json.dumps(report.to_dict()))["prediction"]["factors"]
    assert "No trained model" in equipment_health(plant, "P0").summary()
