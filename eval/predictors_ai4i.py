"""AI4I 2020: machine-failure classification, 5-fold stratified CV, no leaking columns."""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from sklearn.model_selection import StratifiedKFold

from predictors import TrainConfig, train_model
from predictors.training import best_f1_threshold, classification_metrics

TARGET = "machine_failure"
#: The failure-mode flags leak the label and the identifiers name rows: never features.
FORBIDDEN = ("UDI", "Product ID", "TWF", "HDF", "PWF", "OSF", "RNF", "Machine failure")
FEATURES = [
    "type_code",
    "air_temp_k",
    "process_temp_k",
    "speed_rpm",
    "torque_nm",
    "tool_wear_min",
    "temp_diff_k",
    "power_w",
    "strain_min_nm",
]
#: The failure physics as documented with the data set (UCI "AI4I 2020 Predictive Maintenance
#: Dataset", variable information): heat dissipation fails when process minus air temperature
#: is below 8.6 K and the speed below 1380 rpm; power fails outside 3500-9000 W; overstrain
#: fails when tool wear x torque exceeds a limit that depends on the product type.
HDF_TEMP_DIFF_K = 8.6
HDF_SPEED_RPM = 1380.0
PWF_BAND_W = (3500.0, 9000.0)
#: The documented overstrain limits by product type (tool wear x torque, min·Nm).
OSF_LIMIT = {"L": 11_000.0, "M": 12_000.0, "H": 13_000.0}
#: Signed distances to the documented limits (negative / positive = inside the failure region).
MARGINS = ["hdf_margin", "pwf_margin", "osf_margin"]
PHYSICS = [*FEATURES, "strain_ratio", *MARGINS]
#: Fine histogram bins let a split land on a documented limit; 256 bins (XGBoost's default)
#: put about 40 rows in each bin, too coarse at a limit where failures sit close to it.
FINE = {"max_bin": 4096}
FULL = {"subsample": 1.0, "colsample_bytree": 1.0}
CANDIDATES: list[dict[str, Any]] = [
    {"features": [*FEATURES, "strain_ratio"], "balance": False, "params": {"max_depth": 4}},
    {"features": PHYSICS, "balance": False, "params": {"max_depth": 3} | FINE | FULL},
    {"features": PHYSICS, "balance": False, "params": {"max_depth": 4} | FINE},
    {"features": PHYSICS, "balance": True, "params": {"max_depth": 3} | FINE | FULL},
]


def load(path: str) -> pd.DataFrame:
    """Read the CSV and derive physical features from the allowed columns only."""
    raw = pd.read_csv(path)
    out = pd.DataFrame(
        {
            "type_code": raw["Type"].map({"L": 0.0, "M": 1.0, "H": 2.0}),
            "air_temp_k": raw["Air temperature [K]"],
            "process_temp_k": raw["Process temperature [K]"],
            "speed_rpm": raw["Rotational speed [rpm]"],
            "torque_nm": raw["Torque [Nm]"],
            "tool_wear_min": raw["Tool wear [min]"],
        }
    ).astype(float)
    out["temp_diff_k"] = out["process_temp_k"] - out["air_temp_k"]
    out["power_w"] = out["torque_nm"] * out["speed_rpm"] * 2 * np.pi / 60
    out["strain_min_nm"] = out["tool_wear_min"] * out["torque_nm"]
    out["strain_ratio"] = out["strain_min_nm"] / raw["Type"].map(OSF_LIMIT)
    # Heat dissipation fails only if both are below their limits: the larger margin < 0.
    out["hdf_margin"] = np.maximum(
        out["temp_diff_k"] - HDF_TEMP_DIFF_K, (out["speed_rpm"] - HDF_SPEED_RPM) / 100.0
    )
    low, high = PWF_BAND_W
    out["pwf_margin"] = np.minimum(out["power_w"] - low, high - out["power_w"]) / 1000.0
    out["osf_margin"] = out["strain_ratio"] - 1.0
    out[TARGET] = raw["Machine failure"].astype(int)
    assert not set(FORBIDDEN) & set(out.columns)
    return out


def inner_oof(
    train: pd.DataFrame, config: TrainConfig, features: list[str], inner_folds: int, seed: int
) -> tuple[float, dict[str, float]]:
    """Return the F1-best threshold and metrics of out-of-fold predictions inside a fold."""
    y = train[TARGET].to_numpy().astype(float)
    oof = np.zeros(len(train))
    inner = StratifiedKFold(n_splits=inner_folds, shuffle=True, random_state=seed)
    for k, (tr, va) in enumerate(inner.split(train, y)):
        model = train_model(
            train.iloc[tr],
            task="classification",
            target=TARGET,
            features=features,
            config=config,
            name=f"inner {k + 1}/{inner_folds}",
            progress=False,
        )
        oof[va] = model.predict(train.iloc[va])
    threshold = best_f1_threshold(y, oof)
    return threshold, classification_metrics(y, oof, threshold)


def run_ai4i(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    console.print("[1/3] loading AI4I 2020 (dropping UDI, Product ID and TWF/HDF/PWF/OSF/RNF)")
    data = load(args.data)
    y = data[TARGET].to_numpy()
    console.print(f"      {len(data):,} rows, {int(y.sum())} failures")
    base = TrainConfig(
        split="stratified",
        validation_fraction=0.2,
        early_stopping_rounds=100,
        num_boost_round=3000,
        min_positive=5,
        seed=args.seed,
        params={"nthread": args.threads},
    )
    console.print(
        f"[2/3] {args.folds}-fold stratified CV; inside each training fold, 4-fold "
        f"out-of-fold predictions choose one of {len(CANDIDATES)} settings and its threshold"
    )
    outer = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=args.seed)
    risk = np.zeros(len(data))
    predicted = np.zeros(len(data), dtype=int)
    folds = []
    for fold, (tr, te) in enumerate(outer.split(data, y)):
        train = data.iloc[tr]
        best: tuple[float, int, float] | None = None
        for ci, cand in enumerate(CANDIDATES):
            config = replace(
                base, balance_classes=cand["balance"], params=base.params | cand["params"]
            )
            threshold, inner = inner_oof(train, config, cand["features"], 4, args.seed)
            console.print(f"      fold {fold + 1} setting {ci}: inner OOF F1 {inner['f1']:.3f}")
            if best is None or inner["f1"] > best[0]:
                best = (inner["f1"], ci, threshold)
        assert best is not None
        inner_f1, chosen, threshold = best
        cand = CANDIDATES[chosen]
        config = replace(
            base,
            balance_classes=cand["balance"],
            params=base.params | cand["params"],
            refit=True,
        )
        model = train_model(
            train,
            task="classification",
            target=TARGET,
            features=cand["features"],
            config=config,
            name=f"fold {fold + 1}",
            progress=True,
        )
        risk[te] = model.predict(data.iloc[te])
        predicted[te] = (risk[te] >= threshold).astype(int)
        m = classification_metrics(y[te].astype(float), risk[te], threshold)
        folds.append(
            {k: round(v, 4) for k, v in m.items()}
            | {"inner_f1": round(inner_f1, 4), "setting": chosen}
        )
        console.print(
            f"      fold {fold + 1}: setting {chosen}, F1 {m['f1']:.3f}  PR-AUC "
            f"{m['pr_auc']:.3f}  ROC-AUC {m['roc_auc']:.3f}  threshold {threshold:.3f}"
        )
    console.print("[3/3] pooling the out-of-fold predictions")
    tp = int(np.sum((predicted == 1) & (y == 1)))
    fp = int(np.sum((predicted == 1) & (y == 0)))
    fn = int(np.sum((predicted == 0) & (y == 1)))
    f1_pooled = 2 * tp / max(2 * tp + fp + fn, 1)
    mean = {k: float(np.mean([f[k] for f in folds])) for k in ("f1", "pr_auc", "roc_auc")}
    return {
        "f1": round(mean["f1"], 4),
        "pr_auc": round(mean["pr_auc"], 4),
        "roc_auc": round(mean["roc_auc"], 4),
        "f1_pooled": round(f1_pooled, 4),
        "f1_std": round(float(np.std([f["f1"] for f in folds])), 4),
        "brier": round(float(np.mean([f["brier"] for f in folds])), 4),
        "settings": [
            {"features": c["features"], "balance_classes": c["balance"], "params": c["params"]}
            for c in CANDIDATES
        ],
        "folds": folds,
    }
