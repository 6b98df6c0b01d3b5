from __future__ import annotations

import pytest

from predictors import PlantFrames, TrainConfig, TrainedModel, train_failure_model
from tests.predictors.synthetic import degrading_plant


@pytest.fixture(scope="session")
def plant() -> PlantFrames:
    return degrading_plant()


@pytest.fixture(scope="session")
def risk_model(plant: PlantFrames) -> TrainedModel:
    return train_failure_model(
        plant,
        equipment_class="pump",
        horizon="14d",
        train_config=TrainConfig(params={"nthread": 2}),
        progress=False,
    )
