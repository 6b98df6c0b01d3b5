"""Scoring: risk or remaining life per equipment with its main factors, and health reports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from predictors.anomaly import Anomaly, AnomalyConfig, anomaly_flags
from predictors.errors import PredictorError
from predictors.explain import Factor, explain
from predictors.features import build_features
from predictors.frames import PlantFrames
from predictors.training import TrainedModel
from predictors.wording import number, window_text


@dataclass(frozen=True)
class PredictionResult:
    """One equipment's prediction at one time: what the records Prediction row holds."""

    equipment_id: str
    as_of: pd.Timestamp
    model_name: str
    task: str
    #: Probability of a failure within `horizon` (classification models).
    risk: float | None
    #: Predicted remaining useful life in days (RUL models) or the regression value.
    value: float | None
    alert: bool
    threshold: float | None
    horizon: str | None
    factors: tuple[Factor, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "equipment_id": self.equipment_id,
            "as_of": self.as_of.isoformat(),
            "model_name": self.model_name,
            "task": self.task,
            "risk": self.risk,
            "value": self.value,
            "alert": self.alert,
            "threshold": self.threshold,
            "horizon": self.horizon,
            "factors": [f.to_dict() for f in self.factors],
        }

    def summary(self) -> str:
        """Return one or two sentences for the crew."""
        if self.risk is not None:
            span = f"the next {window_text(self.horizon)}" if self.horizon else "the horizon"
            level = "HIGH" if self.alert else "low"
            head = f"Failure risk within {span}: {100 * self.risk:.0f} % ({level}" + (
                f"; alert at {100 * self.threshold:.0f} %)" if self.threshold else ")"
            )
        else:
            head = f"Estimated remaining life: {number(self.value or 0.0)} days"
            head += " (ALERT)" if self.alert else ""
        if self.factors:
            head += ". Main factors: " + "; ".join(f.text for f in self.factors)
        return head + "."


def _utc(ts: Any) -> pd.Timestamp:
    at = pd.Timestamp(ts)
    return at.tz_localize("UTC") if at.tzinfo is None else at.tz_convert("UTC")


def latest_time(frames: PlantFrames) -> pd.Timestamp:
    """Return the time of the latest reading, the natural as-of time for scoring."""
    if len(frames.readings) == 0:
        raise PredictorError("There are no readings to score; check the connectors.")
    return _utc(frames.readings["time"].max())


def score(
    model: TrainedModel,
    frames: PlantFrames,
    *,
    as_of: Any = None,
    equipment_ids: Iterable[str] | None = None,
    top_k: int = 3,
    alert_rul_days: float = 14.0,
) -> list[PredictionResult]:
    """Score equipment at `as_of` (default: latest reading) with the same feature pipeline."""
    at = latest_time(frames) if as_of is None else _utc(as_of)
    if equipment_ids is None:
        equipment = frames.equipment
        cls = model.metadata.get("equipment_class")
        if cls:
            equipment = equipment[equipment["equipment_class"] == cls]
        ids = sorted(equipment["equipment_id"].astype(str))
    else:
        ids = [str(e) for e in equipment_ids]
    if not ids:
        return []
    keys = pd.DataFrame({"equipment_id": ids, "as_of": [at] * len(ids)})
    features = build_features(frames, keys, model.feature_config, features=model.features)
    values = model.predict(features)
    factors = explain(model, features, sensors=frames.sensors, top_k=top_k)
    out: list[PredictionResult] = []
    for eid, value, facts in zip(ids, values, factors, strict=True):
        is_cls = model.task == "classification"
        threshold = model.threshold
        alert = (
            bool(value >= threshold)
            if is_cls and threshold is not None
            else (not is_cls and bool(value <= alert_rul_days))
        )
        out.append(
            PredictionResult(
                equipment_id=eid,
                as_of=at,
                model_name=str(model.metadata.get("name", "model")),
                task=model.task,
                risk=float(value) if is_cls else None,
                value=None if is_cls else float(value),
                alert=alert,
                threshold=threshold,
                horizon=model.metadata.get("horizon"),
                factors=tuple(facts),
            )
        )
    return out


@dataclass(frozen=True)
class HealthReport:
    """What the equipment-health tool shows: prediction, factors and sensor anomalies."""

    equipment_id: str
    as_of: pd.Timestamp
    prediction: PredictionResult | None
    anomalies: tuple[Anomaly, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "equipment_id": self.equipment_id,
            "as_of": self.as_of.isoformat(),
            "prediction": None if self.prediction is None else self.prediction.to_dict(),
            "anomalies": [a.to_dict() for a in self.anomalies],
        }

    def summary(self) -> str:
        """Return a short paragraph for the crew."""
        parts = [
            self.prediction.summary()
            if self.prediction is not None
            else "No trained model for this equipment class yet."
        ]
        flagged = [a for a in self.anomalies if a.is_anomaly]
        if flagged:
            parts.append("Anomalies: " + "; ".join(a.text for a in flagged) + ".")
        elif self.anomalies:
            parts.append(f"All {len(self.anomalies)} sensors within their usual range.")
        return " ".join(parts)


def equipment_health(
    frames: PlantFrames,
    equipment_id: str,
    *,
    model: TrainedModel | None = None,
    as_of: Any = None,
    anomaly_config: AnomalyConfig | None = None,
    top_k: int = 3,
) -> HealthReport:
    """Return risk, its factors and anomaly flags for one equipment at `as_of`."""
    at = latest_time(frames) if as_of is None else _utc(as_of)
    prediction = None
    if model is not None:
        prediction = score(model, frames, as_of=at, equipment_ids=[equipment_id], top_k=top_k)[0]
    anomalies = anomaly_flags(frames, at, config=anomaly_config, equipment_ids=[equipment_id])
    return HealthReport(str(equipment_id), at, prediction, tuple(anomalies))
