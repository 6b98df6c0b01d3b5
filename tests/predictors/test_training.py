from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from predictors import (
    InsufficientDataError,
    PlantFrames,
    TrainConfig,
    TrainedModel,
    build_classification_set,
    load_model,
    score,
    train_classifier,
    train_failure_model,
    train_rul_model,
)
from tests.predictors.synthetic import degrading_plant

pytestmark = pytest.mark.slow(reason="trains models")


def test_model_separates_classes_and_has_a_threshold(risk_model: TrainedModel) -> None:
    meta = risk_model.metadata
    assert meta["metrics"]["roc_auc"] > 0.9
    assert meta["metrics"]["pr_auc"] > 0.8
    assert meta["metrics"]["f1"] > 0.7
    assert 0.0 < meta["threshold"] < 1.0
    assert meta["params"]["scale_pos_weight"] > 1.0  # failures are the minority
    assert meta["equipment_class"] == "pump"
    assert meta["data_range"]["n_positive"] > 0
    # time-ordered: every training row precedes validation by at least the horizon
    split = meta["split"]
    assert pd.Timestamp(split["train_until"]) == pd.Timestamp(
        split["validation_from"]
    ) - pd.Timedelta(days=14)


def test_risk_high_during_degradation_low_when_healthy(
    plant: PlantFrames, risk_model: TrainedModel
) -> None:
    first_failure = plant.faults.sort_values("opened_at").iloc[0]
    pump = first_failure["equipment_id"].removesuffix("-B")
    failed_at = first_failure["opened_at"]
    during = score(risk_model, plant, as_of=failed_at - pd.Timedelta(days=2), equipment_ids=[pump])
    healthy = score(risk_model, plant, as_of=failed_at + pd.Timedelta(days=5), equipment_ids=[pump])
    assert during[0].risk is not None and healthy[0].risk is not None
    assert during[0].risk > healthy[0].risk
    assert during[0].alert


def test_explanation_names_the_planted_driver(plant: PlantFrames, risk_model: TrainedModel) -> None:
    first = plant.faults.sort_values("opened_at").iloc[0]
    pump = first["equipment_id"].removesuffix("-B")
    as_of = first["opened_at"] - pd.Timedelta(days=2)
    result = score(risk_model, plant, as_of=as_of, equipment_ids=[pump])
    top = result[0].factors
    assert top, "an elevated risk must come with factors"
    assert "bearing_temp" in top[0].feature
    assert top[0].text.startswith("bearing temperature")
    assert "°C" in top[0].text
    assert top[0].effect == "raises"


def test_saved_json_model_round_trips(
    risk_model: TrainedModel, tmp_path: Path, plant: PlantFrames
) -> None:
    path = risk_model.save(tmp_path / "pump")
    assert path.suffix == ".json" and path.read_text().startswith("{")
    loaded = load_model(path)
    assert loaded.metadata["features"] == risk_model.features
    assert loaded.threshold == risk_model.threshold
    keys = build_classification_set(plant, equipment_class="pump").head(50)
    np.testing.assert_allclose(loaded.predict(keys), risk_model.predict(keys), rtol=1e-6)


def test_too_little_history_is_a_typed_error() -> None:
    short = degrading_plant(n_pumps=1, days=20)  # no failure yet (first one after day 25)
    with pytest.raises(InsufficientDataError, match="Too") as info:
        train_failure_model(short, equipment_class="pump", progress=False)
    assert info.value.code == "predictor_insufficient_data"
    with pytest.raises(InsufficientDataError, match="No equipment of class"):
        train_failure_model(short, equipment_class="boiler", progress=False)


def test_too_few_failures_names_the_counts(plant: PlantFrames) -> None:
    data = build_classification_set(plant, equipment_class="pump").head(400)
    with pytest.raises(InsufficientDataError) as info:
        train_classifier(data, config=TrainConfig(min_positive=10_000), progress=False)
    assert info.value.n_positive is not None and info.value.n_positive > 0
    assert "failures" in str(info.value)


def test_rul_regression_on_run_to_failure_history(plant: PlantFrames) -> None:
    model = train_rul_model(
        plant,
        equipment_class="pump",
        cap_days=30,
        train_config=TrainConfig(split="group", params={"nthread": 2}),
        progress=False,
    )
    assert model.task == "rul"
    assert model.metadata["metrics"]["rmse"] < 12  # target spans 0..30 days


def test_sensor_limits_constrain_the_model(plant: PlantFrames, risk_model: TrainedModel) -> None:
    constraints = risk_model.metadata["params"]["monotone_constraints"]
    assert constraints["s__bearing_temp__max__24h"] == 1  # hotter never safer
    assert constraints["s__oil_pressure__last"] == -1  # lower pressure never safer
    healthy = build_classification_set(plant, equipment_class="pump").iloc[[0]]
    hotter = healthy.copy()
    for column in [c for c in healthy.columns if c.startswith("s__bearing_temp__")]:
        if constraints.get(column) == 1:
            hotter[column] = healthy[column] + 30.0
    assert risk_model.predict(hotter)[0] >= risk_model.predict(healthy)[0]
    free = train_failure_model(
        plant,
        equipment_class="pump",
        train_config=TrainConfig(params={"nthread": 2}),
        monotone=False,
        progress=False,
    )
    assert "monotone_constraints" not in free.metadata["params"]


def test_a_validation_period_of_failures_only_is_refused(plant: PlantFrames) -> None:
    data = build_classification_set(plant, equipment_class="pump")
    late = data["as_of"] >= data["as_of"].quantile(0.75)
    data.loc[late, "label"] = 1
    with pytest.raises(InsufficientDataError, match="cannot be judged"):
        train_classifier(data, progress=False)
