"""C-MAPSS FD001: engines as equipment, sensors as tags, one cycle as one day."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from sklearn.model_selection import GroupKFold

from predictors import (
    RUL_COLUMN,
    FeatureConfig,
    PlantFrames,
    TrainConfig,
    as_of_grid,
    build_features,
    feature_columns,
    parse_feature,
    rul_labels,
    train_rul,
)

EPOCH = pd.Timestamp("2000-01-01", tz="UTC")
SENSOR_NAMES = [
    ("T2", "fan inlet temperature", "°R"),
    ("T24", "LPC outlet temperature", "°R"),
    ("T30", "HPC outlet temperature", "°R"),
    ("T50", "LPT outlet temperature", "°R"),
    ("P2", "fan inlet pressure", "psia"),
    ("P15", "bypass-duct pressure", "psia"),
    ("P30", "HPC outlet pressure", "psia"),
    ("Nf", "fan speed", "rpm"),
    ("Nc", "core speed", "rpm"),
    ("epr", "engine pressure ratio", ""),
    ("Ps30", "HPC outlet static pressure", "psia"),
    ("phi", "fuel flow to Ps30 ratio", "pps/psi"),
    ("NRf", "corrected fan speed", "rpm"),
    ("NRc", "corrected core speed", "rpm"),
    ("BPR", "bypass ratio", ""),
    ("farB", "burner fuel-air ratio", ""),
    ("htBleed", "bleed enthalpy", ""),
    ("Nf_dmd", "demanded fan speed", "rpm"),
    ("PCNfR_dmd", "demanded corrected fan speed", "rpm"),
    ("W31", "HPT coolant bleed", "lbm/s"),
    ("W32", "LPT coolant bleed", "lbm/s"),
]
COLUMNS = ["unit", "cycle", "os1", "os2", "os3"] + [s[0] for s in SENSOR_NAMES]
ALL_WINDOWS = ("5d", "10d", "20d", "30d")


def read_table(path: Path) -> pd.DataFrame:
    """Read one space-separated C-MAPSS table."""
    frame = pd.read_csv(path, sep=r"\s+", header=None, engine="python")
    frame = frame.iloc[:, : len(COLUMNS)]
    frame.columns = COLUMNS
    return frame


def to_frames(train: pd.DataFrame, test: pd.DataFrame) -> tuple[PlantFrames, list[str], list[str]]:
    """Load the engines as equipment, sensors and per-cycle readings, failures at the end."""
    parts = []
    equipment = []
    faults = []
    for prefix, table in (("train", train), ("test", test)):
        ids = prefix + "-" + table["unit"].astype(str).str.zfill(3)
        times = EPOCH + pd.to_timedelta(table["cycle"], unit="D")
        for tag, _, _ in SENSOR_NAMES:
            parts.append(
                pd.DataFrame(
                    {
                        "equipment_id": ids,
                        "tag": tag,
                        "time": times,
                        "value": table[tag].astype(float),
                    }
                )
            )
        for eid in ids.unique():
            equipment.append(
                {"equipment_id": eid, "equipment_class": "turbofan", "installed_at": EPOCH}
            )
        if prefix == "train":
            last = table.groupby("unit")["cycle"].max()
            for unit, cycle in last.items():
                faults.append(
                    {
                        "equipment_id": f"train-{int(unit):03d}",
                        "opened_at": EPOCH + pd.Timedelta(days=int(cycle)),
                    }
                )
    readings = pd.concat(parts, ignore_index=True)
    sensors = pd.DataFrame(
        [
            {"equipment_id": e["equipment_id"], "tag": tag, "name": name, "unit": unit}
            for e in equipment
            for tag, name, unit in SENSOR_NAMES
        ]
    )
    frames = PlantFrames.build(
        readings=readings,
        equipment=pd.DataFrame(equipment),
        sensors=sensors,
        faults=pd.DataFrame(faults),
    )
    train_ids = sorted(
        e["equipment_id"] for e in equipment if e["equipment_id"].startswith("train")
    )
    test_ids = sorted(e["equipment_id"] for e in equipment if e["equipment_id"].startswith("test"))
    return frames, train_ids, test_ids


def nasa_score(true: np.ndarray, pred: np.ndarray) -> float:
    """Return the PHM08 asymmetric score (late predictions cost more)."""
    d = pred - true
    return float(np.sum(np.where(d < 0, np.exp(-d / 13.0) - 1, np.exp(d / 10.0) - 1)))


def select_columns(columns: list[str], windows: tuple[str, ...], drift: bool) -> list[str]:
    """Keep the features of the given windows (and drift if asked) plus equipment ones."""
    out = []
    for name in columns:
        spec = parse_feature(name)
        if spec.source == "equipment":
            if spec.stat == "age_days":
                out.append(name)
            continue
        if spec.window is None or (spec.window in windows and (drift or spec.stat != "drift")):
            out.append(name)
    return out


def run_cmapss(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    data_dir = Path(args.data)
    console.print("[1/5] loading C-MAPSS FD001 into frames")
    train = read_table(data_dir / "train_FD001.txt")
    test = read_table(data_dir / "test_FD001.txt")
    truth = pd.read_csv(data_dir / "RUL_FD001.txt", header=None).iloc[:, 0].to_numpy(float)
    frames, train_ids, test_ids = to_frames(train, test)
    if not getattr(args, "frames_only", False):
        from eval.predictors_records import through_records

        console.print("      storing the engines in a records database and reading them back")
        frames = through_records(frames, since=EPOCH)
    console.print(
        f"      {len(frames.readings):,} readings, {len(train_ids)} training and "
        f"{len(test_ids)} test engines"
    )

    console.print(
        "[2/5] features with the product pipeline (windows "
        f"{', '.join(ALL_WINDOWS)}, drift from the first 20 cycles)"
    )
    config = FeatureConfig(
        windows=ALL_WINDOWS,
        baseline="20d",
        limit_features=False,
        fault_windows_days=(),
        maintenance_kinds=(),
    )
    grid = as_of_grid(frames, every="1d", equipment_ids=train_ids)
    labels = rul_labels(frames, grid, cap_days=args.cap)
    data = build_features(frames, labels[["equipment_id", "as_of"]], config)
    data[RUL_COLUMN] = labels[RUL_COLUMN].to_numpy()
    all_columns = feature_columns(data)
    console.print(f"      {len(data):,} training samples x {len(all_columns)} features")

    base = TrainConfig(
        split="group",
        validation_fraction=0.2,
        early_stopping_rounds=100,
        num_boost_round=3000,
        seed=args.seed,
        params={"nthread": args.threads},
    )
    candidates: list[dict[str, Any]] = [
        {"windows": ("10d", "30d"), "drift": False, "params": {"max_depth": 4}},
        {"windows": ("10d", "30d"), "drift": True, "params": {"max_depth": 4}},
        {"windows": ALL_WINDOWS, "drift": True, "params": {"max_depth": 4}},
        {"windows": ALL_WINDOWS, "drift": True, "params": {"max_depth": 3, "min_child_weight": 10}},
    ]
    if args.quick:  # the setting the full run's cross-validation chose
        candidates = [candidates[1]]
    console.print(
        f"[3/5] choosing among {len(candidates)} settings by 3-fold CV over "
        "training engines (test engines untouched)"
    )
    groups = data["equipment_id"].to_numpy()
    cv_results = []
    for ci, cand in enumerate(candidates):
        cols = select_columns(all_columns, cand["windows"], cand["drift"])
        cfg = replace(base, params=base.params | cand["params"])
        errors = []
        for fold, (tr, va) in enumerate(GroupKFold(n_splits=3).split(data, groups=groups)):
            if args.quick:
                break
            model = train_rul(
                data.iloc[tr],
                features=cols,
                cap=args.cap,
                config=cfg,
                name=f"cand {ci} fold {fold}",
                progress=True,
            )
            pred = np.clip(model.predict(data.iloc[va][cols]), 0, args.cap)
            y = data.iloc[va][RUL_COLUMN].to_numpy()
            errors.append(float(np.sqrt(np.mean((pred - y) ** 2))))
            del model
        score = round(float(np.mean(errors)), 3) if errors else None
        cv_results.append(
            {
                "candidate": ci,
                "n_features": len(cols),
                "cv_rmse": score,
                **{k: str(v) for k, v in cand.items()},
            }
        )
        console.print(f"      candidate {ci}: {len(cols)} features, CV RMSE {score}")
    best = min(
        range(len(candidates)), key=lambda i: (np.nan_to_num(cv_results[i]["cv_rmse"], nan=0.0), i)
    )
    chosen = candidates[best]
    cols = select_columns(all_columns, chosen["windows"], chosen["drift"])
    console.print(
        f"[4/5] training the final model on all {len(train_ids)} training engines "
        f"(candidate {best})"
    )
    final_cfg = replace(base, params=base.params | chosen["params"], refit=True)
    model = train_rul(
        data,
        features=cols,
        cap=args.cap,
        config=final_cfg,
        feature_config=config,
        name="turbofan RUL",
    )

    console.print("[5/5] scoring each test engine at its last cycle")
    last = (
        frames.readings[frames.readings["equipment_id"].isin(test_ids)]
        .groupby("equipment_id")["time"]
        .max()
    )
    keys = pd.DataFrame({"equipment_id": last.index, "as_of": last.to_numpy()})
    test_features = build_features(frames, keys, config, features=model.features)
    pred = np.clip(model.predict(test_features), 0, args.cap)
    order = np.argsort(keys["equipment_id"].to_numpy())
    pred = pred[order]
    rmse = float(np.sqrt(np.mean((pred - truth) ** 2)))
    rmse_capped = float(np.sqrt(np.mean((pred - np.minimum(truth, args.cap)) ** 2)))
    return {
        "rmse": round(rmse, 3),
        "nasa_score": round(nasa_score(truth, pred), 1),
        "rmse_vs_capped_truth": round(rmse_capped, 3),
        "mae": round(float(np.mean(np.abs(pred - truth))), 3),
        "n_test_engines": len(truth),
        "cap": args.cap,
        "chosen": cv_results[best] if cv_results else None,
        "cv": cv_results,
        "validation_rmse_inner": round(model.metadata["metrics"]["rmse"], 3),
        "n_features": len(model.features),
    }
