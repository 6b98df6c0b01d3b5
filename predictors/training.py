"""XGBoost training: leak-free splits, imbalance, early stopping, threshold and metrics."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import xgboost as xgb
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sklearn import metrics as skm
from sklearn.model_selection import GroupShuffleSplit, train_test_split

from predictors.errors import InsufficientDataError, ModelArtifactError, PredictorError
from predictors.features import FeatureConfig, feature_columns
from predictors.wording import duration

Task = Literal["classification", "rul", "regression"]
Split = Literal["time", "group", "stratified", "random"]
FORMAT = "bosun.predictors/1"
METADATA_ATTR = "bosun_metadata"

BASE_PARAMS: dict[str, Any] = {
    "tree_method": "hist",
    "max_depth": 4,
    "eta": 0.05,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 1.0,
    "lambda": 1.0,
    "nthread": 2,
}


@dataclass(frozen=True)
class TrainConfig:
    """How to split, fit and judge a model; every field is stored with the model."""

    params: dict[str, Any] = field(default_factory=dict)
    num_boost_round: int = 2000
    early_stopping_rounds: int = 50
    validation_fraction: float = 0.2
    #: time: validate on the latest as-of times; group: on whole held-out equipment (or
    #: `group_column` values); stratified / random: on a random (stratified) share of rows.
    split: Split = "time"
    group_column: str = "equipment_id"
    #: Training rows whose label window reaches into the validation period are purged.
    gap: str | None = None
    min_samples: int = 50
    min_positive: int = 5
    min_positive_validation: int = 1
    balance_classes: bool = True
    #: After early stopping, refit on all rows with the chosen number of rounds (scaled).
    refit: bool = False
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict of this configuration."""
        return {
            "params": dict(self.params),
            "num_boost_round": self.num_boost_round,
            "early_stopping_rounds": self.early_stopping_rounds,
            "validation_fraction": self.validation_fraction,
            "split": self.split,
            "group_column": self.group_column,
            "gap": self.gap,
            "min_samples": self.min_samples,
            "min_positive": self.min_positive,
            "balance_classes": self.balance_classes,
            "refit": self.refit,
            "seed": self.seed,
        }


class TrainedModel:
    """A fitted booster and the metadata the registry stores as its ModelVersion."""

    def __init__(self, booster: xgb.Booster, metadata: dict[str, Any]) -> None:
        self.booster = booster
        self.metadata = metadata

    @property
    def features(self) -> list[str]:
        """Return the feature names, in the order the booster expects."""
        return list(self.metadata["features"])

    @property
    def task(self) -> Task:
        """Return the task: classification, rul or regression."""
        task: Task = self.metadata["task"]
        return task

    @property
    def threshold(self) -> float | None:
        """Return the decision threshold on risk (classification only)."""
        value = self.metadata.get("threshold")
        return None if value is None else float(value)

    @property
    def feature_config(self) -> FeatureConfig | None:
        """Return the feature configuration the model was trained with, if any."""
        data = self.metadata.get("feature_config")
        return None if data is None else FeatureConfig.from_dict(data)

    def matrix(self, frame: pd.DataFrame) -> xgb.DMatrix:
        """Return a DMatrix of this model's features from a features frame."""
        data = frame.reindex(columns=self.features).astype("float64")
        return xgb.DMatrix(data.to_numpy(), feature_names=self.features, missing=np.nan)

    def predict(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        """Return risk (classification) or predicted value (rul / regression) per row."""
        return np.asarray(self.booster.predict(self.matrix(frame)), dtype=np.float64)

    def contributions(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        """Return XGBoost's per-feature contributions (last column is the bias)."""
        out = self.booster.predict(self.matrix(frame), pred_contribs=True)
        return np.asarray(out, dtype=np.float64)

    def save(self, path: str | Path) -> Path:
        """Write the booster in XGBoost's JSON format (metadata inside) and return the path."""
        target = Path(path)
        if target.suffix != ".json":
            target = target / "model.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        self.booster.set_attr(**{METADATA_ATTR: json.dumps(self.metadata)})
        self.booster.save_model(str(target))
        return target


def load_model(path: str | Path, metadata: dict[str, Any] | None = None) -> TrainedModel:
    """Load a model saved by `TrainedModel.save`; metadata from the file unless given."""
    booster = xgb.Booster()
    try:
        booster.load_model(str(path))
    except xgb.core.XGBoostError as err:
        raise ModelArtifactError(
            f"Cannot read the model file {path}: {err}. Retrain the class or roll back."
        ) from err
    if metadata is None:
        raw = booster.attr(METADATA_ATTR)
        if raw is None:
            raise ModelArtifactError(
                f"{path} has no Bosun metadata; pass the ModelVersion's metadata to load_model."
            )
        metadata = json.loads(raw)
    if metadata.get("format") != FORMAT:
        raise ModelArtifactError(f"{path} is not a {FORMAT} model.")
    return TrainedModel(booster, metadata)


class _ProgressCallback(xgb.callback.TrainingCallback):
    def __init__(self, progress: Progress, task_id: Any, label: str) -> None:
        super().__init__()
        self.progress = progress
        self.task_id = task_id
        self.label = label

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        shown = ""
        for data_name, by_metric in evals_log.items():
            for metric_name, values in by_metric.items():
                shown = f"{data_name} {metric_name} {values[-1]:.4f}"
        self.progress.update(self.task_id, advance=1, description=f"{self.label} {shown}")
        return False


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} rounds"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not enabled,
        transient=True,
    )


def _split(
    data: pd.DataFrame, y: npt.NDArray[np.float64], task: Task, config: TrainConfig, gap: str | None
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], dict[str, Any]]:
    n = len(data)
    idx = np.arange(n)
    info: dict[str, Any] = {"kind": config.split, "validation_fraction": config.validation_fraction}
    if config.split == "time":
        if "as_of" not in data.columns:
            raise PredictorError("A time-ordered split needs an as_of column in the data set.")
        times = pd.to_datetime(data["as_of"], utc=True)
        order = np.argsort(times.to_numpy(), kind="stable")
        cut_time = times.iloc[order[min(n - 1, math.floor(n * (1 - config.validation_fraction)))]]
        val = idx[(times >= cut_time).to_numpy()]
        train_end = cut_time - (duration(gap) if gap else pd.Timedelta(0))
        train = idx[(times < train_end).to_numpy()]
        info |= {"validation_from": cut_time.isoformat(), "train_until": train_end.isoformat()}
        return train, val, info
    if config.split == "group":
        groups = data[config.group_column].astype(str).to_numpy()
        if len(set(groups)) < 2:
            raise InsufficientDataError(
                f"A split by {config.group_column} needs at least 2 groups; found "
                f"{len(set(groups))}. Add equipment or use a time split.",
                n_samples=n,
            )
        splitter = GroupShuffleSplit(
            n_splits=1, test_size=config.validation_fraction, random_state=config.seed
        )
        train, val = next(splitter.split(idx, groups=groups))
        info["validation_groups"] = sorted(set(groups[val]))[:50]
        return train, val, info
    stratify = y if task == "classification" and config.split == "stratified" else None
    train, val = train_test_split(
        idx, test_size=config.validation_fraction, random_state=config.seed, stratify=stratify
    )
    return np.sort(train), np.sort(val), info


def best_f1_threshold(y: npt.NDArray[np.float64], risk: npt.NDArray[np.float64]) -> float:
    """Return the risk threshold that maximises F1 on these labels."""
    precision, recall, thresholds = skm.precision_recall_curve(y, risk)
    if len(thresholds) == 0:
        return 0.5
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = 2 * precision[:-1] * recall[:-1] / (precision[:-1] + recall[:-1])
    f1 = np.nan_to_num(f1)
    return float(thresholds[int(np.argmax(f1))])


def classification_metrics(
    y: npt.NDArray[np.float64], risk: npt.NDArray[np.float64], threshold: float
) -> dict[str, float]:
    """Return PR-AUC, ROC-AUC, F1, precision, recall and Brier at a threshold."""
    pred = (risk >= threshold).astype(int)
    both = len(np.unique(y)) == 2
    return {
        "pr_auc": float(skm.average_precision_score(y, risk)) if both else float("nan"),
        "roc_auc": float(skm.roc_auc_score(y, risk)) if both else float("nan"),
        "f1": float(skm.f1_score(y, pred, zero_division=0)),
        "precision": float(skm.precision_score(y, pred, zero_division=0)),
        "recall": float(skm.recall_score(y, pred, zero_division=0)),
        "brier": float(skm.brier_score_loss(y, risk)),
        "threshold": float(threshold),
        "n": float(len(y)),
        "n_positive": float(np.sum(y)),
    }


def regression_metrics(
    y: npt.NDArray[np.float64], pred: npt.NDArray[np.float64]
) -> dict[str, float]:
    """Return RMSE, MAE and R² of predictions."""
    return {
        "rmse": float(np.sqrt(skm.mean_squared_error(y, pred))),
        "mae": float(skm.mean_absolute_error(y, pred)),
        "r2": float(skm.r2_score(y, pred)) if len(y) > 1 else float("nan"),
        "n": float(len(y)),
    }


def _check_size(
    y: npt.NDArray[np.float64],
    train: npt.NDArray[np.intp],
    val: npt.NDArray[np.intp],
    task: Task,
    config: TrainConfig,
    what: str,
) -> None:
    n = len(y)
    if n < config.min_samples or len(train) < 2 or len(val) < 1:
        raise InsufficientDataError(
            f"Too little history to train {what}: {n} samples ({len(train)} for training, "
            f"{len(val)} for validation); at least {config.min_samples} are needed. Let the "
            f"vessel record more readings, or train over more equipment.",
            n_samples=n,
            required={"samples": config.min_samples},
        )
    if task != "classification":
        return
    n_pos = int(np.sum(y))
    train_pos = int(np.sum(y[train]))
    val_pos = int(np.sum(y[val]))
    if (
        n_pos < config.min_positive
        or train_pos < 1
        or val_pos < config.min_positive_validation
        or n - n_pos < config.min_positive
    ):
        raise InsufficientDataError(
            f"Too few failures to train {what}: {n_pos} of {n} samples precede a failure "
            f"({train_pos} in training, {val_pos} in validation); at least "
            f"{config.min_positive} are needed, with {config.min_positive_validation} in the "
            f"validation period. Record more fault history, widen the horizon, or train "
            f"across classes.",
            n_samples=n,
            n_positive=n_pos,
            required={
                "positive": config.min_positive,
                "positive_validation": config.min_positive_validation,
            },
        )
    if val_pos == len(val):
        raise InsufficientDataError(
            f"Every one of the {len(val)} validation samples of {what} precedes a failure, so "
            "the model cannot be judged (nothing to tell apart). Shorten the horizon, or "
            "record a longer history.",
            n_samples=n,
            n_positive=n_pos,
            required={"negative_validation": 1},
        )


def _range(data: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = {"n_samples": len(data)}
    if "as_of" in data.columns and len(data):
        times = pd.to_datetime(data["as_of"], utc=True)
        out["start"] = times.min().isoformat()
        out["end"] = times.max().isoformat()
    if "equipment_id" in data.columns:
        out["n_equipment"] = int(data["equipment_id"].nunique())
    return out


def train_model(
    data: pd.DataFrame,
    *,
    task: Task,
    target: str,
    features: Sequence[str] | None = None,
    config: TrainConfig | None = None,
    feature_config: FeatureConfig | None = None,
    horizon: str | None = None,
    cap: float | None = None,
    name: str = "model",
    extra_metadata: dict[str, Any] | None = None,
    progress: bool = True,
) -> TrainedModel:
    """Fit an XGBoost model on a data set of features and a target column.

    Raises InsufficientDataError when the data cannot support a trustworthy model.
    """
    config = config or TrainConfig()
    if target not in data.columns:
        raise PredictorError(f"The data set has no target column {target!r}.")
    data = data[data[target].notna()].reset_index(drop=True)
    names = list(features) if features is not None else feature_columns(data)
    if not names:
        raise InsufficientDataError(
            f"No features to train {name} on: the data set has no sensor or equipment columns. "
            "Check that the equipment has sensors with readings.",
            n_samples=len(data),
        )
    y = data[target].to_numpy(dtype=np.float64)
    if cap is not None:
        y = np.minimum(y, cap)
    gap = config.gap if config.gap is not None else horizon
    split_gap = gap if task == "classification" else None
    train, val, split_info = _split(data, y, task, config, split_gap)
    _check_size(y, train, val, task, config, name)
    x = data[names].astype("float64").to_numpy()
    params = dict(BASE_PARAMS)
    if task == "classification":
        params |= {"objective": "binary:logistic", "eval_metric": ["aucpr", "logloss"]}
        if config.balance_classes:
            pos = float(np.sum(y[train]))
            params["scale_pos_weight"] = (len(train) - pos) / max(pos, 1.0)
    else:
        params |= {"objective": "reg:squarederror", "eval_metric": "rmse"}
    params |= config.params
    params["seed"] = config.seed
    dtrain = xgb.DMatrix(x[train], label=y[train], feature_names=names, missing=np.nan)
    dval = xgb.DMatrix(x[val], label=y[val], feature_names=names, missing=np.nan)
    with _progress(progress) as bar:
        task_id = bar.add_task(f"training {name}", total=config.num_boost_round)
        booster = xgb.train(
            params,
            dtrain,
            num_boost_round=config.num_boost_round,
            evals=[(dval, "validation")],
            verbose_eval=False,
            callbacks=[
                xgb.callback.EarlyStopping(rounds=config.early_stopping_rounds, save_best=True),
                _ProgressCallback(bar, task_id, f"training {name}"),
            ],
        )
    best_iteration = (
        int(booster.best_iteration)
        if booster.best_iteration is not None
        else (booster.num_boosted_rounds() - 1)
    )
    pred = np.asarray(booster.predict(dval), dtype=np.float64)
    threshold: float | None = None
    if task == "classification":
        threshold = best_f1_threshold(y[val], pred)
        metrics = classification_metrics(y[val], pred, threshold)
    else:
        metrics = regression_metrics(y[val], pred)
    rounds = best_iteration + 1
    if config.refit:
        rounds = max(1, round(rounds * len(y) / max(len(train), 1)))
        if task == "classification" and config.balance_classes:
            pos = float(np.sum(y))
            params["scale_pos_weight"] = (len(y) - pos) / max(pos, 1.0)
        dall = xgb.DMatrix(x, label=y, feature_names=names, missing=np.nan)
        with _progress(progress) as bar:
            task_id = bar.add_task(f"refitting {name}", total=rounds)
            booster = xgb.train(
                params,
                dall,
                num_boost_round=rounds,
                verbose_eval=False,
                callbacks=[_ProgressCallback(bar, task_id, f"refitting {name}")],
            )
    metadata: dict[str, Any] = {
        "format": FORMAT,
        "name": name,
        "task": task,
        "target": target,
        "features": names,
        "feature_config": feature_config.to_dict() if feature_config else None,
        "params": {k: v for k, v in params.items()},
        "train_config": config.to_dict(),
        "num_boost_round": rounds,
        "best_iteration": best_iteration,
        "threshold": threshold,
        "horizon": horizon,
        "cap": cap,
        "data_range": _range(data) | {"n_train": len(train), "n_validation": len(val)},
        "split": split_info,
        "metrics": metrics,
        "metrics_on": "validation split"
        + (" (model then refit on all rows)" if config.refit else ""),
        "trained_at": datetime.now(UTC).isoformat(),
        "xgboost_version": xgb.__version__,
    } | (extra_metadata or {})
    if task == "classification":
        metadata["data_range"]["n_positive"] = int(np.sum(y))
    return TrainedModel(booster, metadata)


def train_classifier(
    data: pd.DataFrame,
    *,
    label: str = "label",
    horizon: str = "14d",
    features: Sequence[str] | None = None,
    config: TrainConfig | None = None,
    feature_config: FeatureConfig | None = None,
    name: str = "failure risk",
    extra_metadata: dict[str, Any] | None = None,
    progress: bool = True,
) -> TrainedModel:
    """Train a failure-within-horizon classifier; the threshold maximises validation F1."""
    return train_model(
        data,
        task="classification",
        target=label,
        features=features,
        config=config,
        feature_config=feature_config,
        horizon=horizon,
        name=name,
        extra_metadata=extra_metadata,
        progress=progress,
    )


def train_rul(
    data: pd.DataFrame,
    *,
    target: str = "rul_days",
    cap: float | None = None,
    features: Sequence[str] | None = None,
    config: TrainConfig | None = None,
    feature_config: FeatureConfig | None = None,
    name: str = "remaining useful life",
    extra_metadata: dict[str, Any] | None = None,
    progress: bool = True,
) -> TrainedModel:
    """Train a remaining-useful-life regressor on run-to-failure history."""
    config = config or TrainConfig(split="group")
    return train_model(
        data,
        task="rul",
        target=target,
        features=features,
        config=config,
        feature_config=feature_config,
        cap=cap,
        name=name,
        extra_metadata=extra_metadata,
        progress=progress,
    )
