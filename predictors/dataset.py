"""Training sets: as-of grid, features and labels for one equipment class."""

from __future__ import annotations

import pandas as pd

from predictors.features import FeatureConfig, as_of_grid, build_features
from predictors.frames import PlantFrames
from predictors.labels import LABEL_COLUMN, RUL_COLUMN, failure_labels, rul_labels


def class_equipment(frames: PlantFrames, equipment_class: str | None) -> list[str]:
    """Return the ids of equipment of a class (all equipment when the class is None)."""
    equipment = frames.equipment
    if equipment_class is not None:
        equipment = equipment[equipment["equipment_class"] == equipment_class]
    return sorted(equipment["equipment_id"].astype(str))


def build_classification_set(
    frames: PlantFrames,
    *,
    equipment_class: str | None = None,
    horizon: str = "14d",
    every: str = "1d",
    config: FeatureConfig | None = None,
    observed_until: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Return keys, features and a `label` column (failure within `horizon`) per as-of time."""
    grid = as_of_grid(frames, every=every, equipment_ids=class_equipment(frames, equipment_class))
    labels = failure_labels(frames, grid, horizon=horizon, observed_until=observed_until)
    features = build_features(frames, labels[["equipment_id", "as_of"]], config)
    features[LABEL_COLUMN] = labels[LABEL_COLUMN].to_numpy()
    return features


def build_rul_set(
    frames: PlantFrames,
    *,
    equipment_class: str | None = None,
    every: str = "1d",
    cap_days: float | None = None,
    config: FeatureConfig | None = None,
) -> pd.DataFrame:
    """Return keys, features and a `rul_days` column per as-of time before a recorded failure."""
    grid = as_of_grid(frames, every=every, equipment_ids=class_equipment(frames, equipment_class))
    labels = rul_labels(frames, grid, cap_days=cap_days)
    features = build_features(frames, labels[["equipment_id", "as_of"]], config)
    features[RUL_COLUMN] = labels[RUL_COLUMN].to_numpy()
    return features
