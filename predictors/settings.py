"""Predictor settings from BOSUN_PREDICTORS_* environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from predictors.anomaly import AnomalyConfig
from predictors.features import FeatureConfig
from predictors.training import TrainConfig


class PredictorSettings(BaseSettings):
    """Configuration of feature windows, training and anomaly flags."""

    model_config = SettingsConfigDict(env_prefix="BOSUN_PREDICTORS_", extra="ignore")

    horizon: str = Field("14d", description="Failure horizon of the risk models.")
    sample_every: str = Field("1d", description="Spacing of as-of times in training sets.")
    windows: list[str] = Field(default_factory=lambda: ["24h", "7d"])
    min_samples: int = Field(50, ge=2)
    min_failures: int = Field(5, ge=1)
    validation_fraction: float = Field(0.2, gt=0.0, lt=1.0)
    early_stopping_rounds: int = Field(50, ge=1)
    top_factors: int = Field(3, ge=1)
    threads: int = Field(2, ge=1)
    anomaly_baseline: str = "30d"
    anomaly_recent: str = "6h"
    anomaly_threshold: float = Field(4.0, gt=0.0)

    def feature_config(self) -> FeatureConfig:
        """Return the feature pipeline configuration."""
        return FeatureConfig(windows=tuple(self.windows))

    def train_config(self) -> TrainConfig:
        """Return the training configuration (time-ordered split)."""
        return TrainConfig(
            params={"nthread": self.threads},
            early_stopping_rounds=self.early_stopping_rounds,
            validation_fraction=self.validation_fraction,
            min_samples=self.min_samples,
            min_positive=self.min_failures,
        )

    def anomaly_config(self) -> AnomalyConfig:
        """Return the anomaly-flag configuration."""
        return AnomalyConfig(
            baseline=self.anomaly_baseline,
            recent=self.anomaly_recent,
            threshold=self.anomaly_threshold,
        )
