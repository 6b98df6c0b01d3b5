"""Failure-risk models: features from readings and fault history, XGBoost, registry, scoring."""

from predictors.anomaly import Anomaly, AnomalyConfig, anomaly_flags
from predictors.dataset import build_classification_set, build_rul_set, class_equipment
from predictors.errors import (
    FrameSchemaError,
    InsufficientDataError,
    ModelArtifactError,
    PredictorError,
)
from predictors.explain import Factor, SensorInfo, describe, explain
from predictors.features import (
    KEY_COLUMNS,
    FeatureConfig,
    FeatureSpec,
    as_of_grid,
    build_features,
    feature_columns,
    limit_monotonicity,
    parse_feature,
    sensor_feature,
)
from predictors.frames import FRAME_SCHEMAS, PlantFrames
from predictors.labels import LABEL_COLUMN, RUL_COLUMN, failure_labels, rul_labels
from predictors.scoring import HealthReport, PredictionResult, equipment_health, score
from predictors.settings import PredictorSettings
from predictors.training import (
    TrainConfig,
    TrainedModel,
    load_model,
    train_classifier,
    train_model,
    train_rul,
)
from predictors.wording import number
from predictors.workflow import train_failure_model, train_rul_model

__all__ = [
    "FRAME_SCHEMAS",
    "KEY_COLUMNS",
    "LABEL_COLUMN",
    "RUL_COLUMN",
    "Anomaly",
    "AnomalyConfig",
    "Factor",
    "FeatureConfig",
    "FeatureSpec",
    "FrameSchemaError",
    "HealthReport",
    "InsufficientDataError",
    "ModelArtifactError",
    "PlantFrames",
    "PredictionResult",
    "PredictorError",
    "PredictorSettings",
    "SensorInfo",
    "TrainConfig",
    "TrainedModel",
    "anomaly_flags",
    "as_of_grid",
    "build_classification_set",
    "build_features",
    "build_rul_set",
    "class_equipment",
    "describe",
    "equipment_health",
    "explain",
    "failure_labels",
    "feature_columns",
    "limit_monotonicity",
    "load_model",
    "number",
    "parse_feature",
    "rul_labels",
    "score",
    "sensor_feature",
    "train_classifier",
    "train_failure_model",
    "train_model",
    "train_rul",
    "train_rul_model",
]
