"""Naval propulsion CBM: regress kMc and kMt, holding out whole compressor decay states."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from sklearn.model_selection import GroupKFold

from predictors import TrainConfig, train_model
from predictors.training import regression_metrics

FEATURES = [
    "lever_position",
    "ship_speed_kn",
    "gt_shaft_torque_knm",
    "gt_rpm",
    "gg_rpm",
    "stbd_prop_torque_kn",
    "port_prop_torque_kn",
    "hp_turbine_exit_temp_c",
    "compressor_inlet_temp_c",
    "compressor_outlet_temp_c",
    "hp_turbine_exit_pressure_bar",
    "compressor_inlet_pressure_bar",
    "compressor_outlet_pressure_bar",
    "exhaust_gas_pressure_bar",
    "turbine_injection_control_pct",
    "fuel_flow_kg_s",
]
TARGETS = ["kMc", "kMt"]


def load(folder: str) -> pd.DataFrame:
    """Read data.txt (18 whitespace-separated columns)."""
    frame = pd.read_csv(Path(folder) / "data.txt", sep=r"\s+", header=None, engine="python")
    frame.columns = FEATURES + TARGETS
    frame["kMc"] = frame["kMc"].round(4)
    frame["kMt"] = frame["kMt"].round(4)
    return frame


def run_naval(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    console.print("[1/3] loading the naval propulsion plant data")
    data = load(args.data)
    groups = data["kMc"].to_numpy()
    console.print(f"      {len(data):,} rows, {len(np.unique(groups))} compressor decay states")
    console.print(f"[2/3] {args.folds}-fold CV holding out whole kMc decay states")
    preds = {t: np.zeros(len(data)) for t in TARGETS}
    per_fold: list[dict[str, float]] = []
    for fold, (tr, te) in enumerate(GroupKFold(n_splits=args.folds).split(data, groups=groups)):
        row: dict[str, float] = {"fold": fold + 1}
        for target in TARGETS:
            config = TrainConfig(
                split="group",
                group_column="kMc",
                validation_fraction=0.2,
                early_stopping_rounds=100,
                num_boost_round=5000,
                refit=True,
                seed=args.seed,
                params={"nthread": args.threads, "max_depth": 6, "eta": 0.1},
            )
            model = train_model(
                data.iloc[tr],
                task="regression",
                target=target,
                features=FEATURES,
                config=config,
                name=f"fold {fold + 1} {target}",
                progress=True,
            )
            preds[target][te] = model.predict(data.iloc[te])
            m = regression_metrics(data.iloc[te][target].to_numpy(), preds[target][te])
            row[f"r2_{target.lower()}"] = round(m["r2"], 4)
        per_fold.append(row)
        console.print(f"      fold {fold + 1}: R² kMc {row['r2_kmc']:.4f}  kMt {row['r2_kmt']:.4f}")
    console.print("[3/3] pooling the held-out predictions")
    out: dict[str, Any] = {}
    for target in TARGETS:
        m = regression_metrics(data[target].to_numpy(), preds[target])
        out[f"r2_{target.lower()}"] = round(m["r2"], 4)
    for target in TARGETS:
        m = regression_metrics(data[target].to_numpy(), preds[target])
        out[f"rmse_{target.lower()}"] = float(f"{m['rmse']:.3g}")
    return out | {"folds": per_fold, "split": "GroupKFold by kMc"}
