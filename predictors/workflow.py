"""One call per model kind: training set from the frames, then training (for `bosun train`)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from predictors.dataset import build_classification_set, build_rul_set, class_equipment
from predictors.errors import InsufficientDataError
from predictors.features import FeatureConfig, feature_columns, limit_monotonicity
from predictors.frames import PlantFrames
from predictors.training import TrainConfig, TrainedModel, train_classifier, train_rul


def _check_class(frames: PlantFrames, equipment_class: str | None) -> None:
    ids = class_equipment(frames, equipment_class)
    if not ids:
        raise InsufficientDataError(
            f"No equipment of class {equipment_class!r} in the register; check the class name "
            "(the register's `class` field) or train all classes."
        )
    if not frames.readings["equipment_id"].isin(set(ids)).any():
        raise InsufficientDataError(
            f"No readings for equipment of class {equipment_class!r}; connect its sensors "
            "(or backfill history) before training."
        )


def train_failure_model(
    frames: PlantFrames,
    *,
    equipment_class: str | None = None,
    horizon: str = "14d",
    every: str = "1d",
    feature_config: FeatureConfig | None = None,
    train_config: TrainConfig | None = None,
    observed_until: pd.Timestamp | None = None,
    monotone: bool = True,
    progress: bool = True,
) -> TrainedModel:
    """Build the class's training set and train its failure-within-horizon classifier.

    With `monotone`, the sensors' limits constrain the model (`limit_monotonicity`) unless
    `train_config` sets ``monotone_constraints`` itself.
    """
    _check_class(frames, equipment_class)
    feature_config = feature_config or FeatureConfig()
    data = build_classification_set(
        frames,
        equipment_class=equipment_class,
        horizon=horizon,
        every=every,
        config=feature_config,
        observed_until=observed_until,
    )
    train_config = train_config or TrainConfig()
    if monotone and "monotone_constraints" not in train_config.params:
        constraints = limit_monotonicity(frames, feature_columns(data))
        if constraints:
            params = {**train_config.params, "monotone_constraints": constraints}
            train_config = replace(train_config, params=params)
    return train_classifier(
        data,
        horizon=horizon,
        config=train_config,
        feature_config=feature_config,
        name=f"{equipment_class or 'all classes'} failure risk",
        extra_metadata={"equipment_class": equipment_class, "sample_every": every},
        progress=progress,
    )


def train_rul_model(
    frames: PlantFrames,
    *,
    equipment_class: str | None = None,
    every: str = "1d",
    cap_days: float | None = None,
    feature_config: FeatureConfig | None = None,
    train_config: TrainConfig | None = None,
    progress: bool = True,
) -> TrainedModel:
    """Build the class's run-to-failure set and train its remaining-useful-life regressor."""
    _check_class(frames, equipment_class)
    feature_config = feature_config or FeatureConfig()
    data = build_rul_set(
        frames,
        equipment_class=equipment_class,
        every=every,
        cap_days=cap_days,
        config=feature_config,
    )
    return train_rul(
        data,
        cap=cap_days,
        config=train_config,
        feature_config=feature_config,
        name=f"{equipment_class or 'all classes'} remaining useful life",
        extra_metadata={"equipment_class": equipment_class, "sample_every": every},
        progress=progress,
    )
