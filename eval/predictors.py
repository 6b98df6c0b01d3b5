"""Evaluate Bosun's predictors on public data sets through the product's own code.

    python -m eval.predictors cmapss --data ../shared/datasets/cmapss_fd001
    python -m eval.predictors ai4i --data ../shared/datasets/ai4i2020/ai4i2020.csv
    python -m eval.predictors naval --data ../shared/datasets/naval_propulsion_cbm

Progress goes to stderr; the last line on stdout is one JSON object of figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console

from eval.predictors_ai4i import run_ai4i
from eval.predictors_cmapss import run_cmapss
from eval.predictors_naval import run_naval

RUNNERS: dict[str, Callable[[argparse.Namespace, Console], dict[str, Any]]] = {
    "cmapss": run_cmapss,
    "ai4i": run_ai4i,
    "naval": run_naval,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.predictors", description=__doc__)
    sub = parser.add_subparsers(dest="dataset", required=True)
    cm = sub.add_parser("cmapss", help="C-MAPSS FD001 remaining useful life")
    cm.add_argument("--data", required=True, help="folder with train/test/RUL_FD001.txt")
    cm.add_argument("--cap", type=float, default=125.0, help="cap on the training RUL target")
    cm.add_argument("--quick", action="store_true", help="skip hyper-parameter selection")
    cm.add_argument(
        "--frames-only",
        action="store_true",
        help="skip the round trip through the records database",
    )
    ai = sub.add_parser("ai4i", help="AI4I 2020 machine-failure classification")
    ai.add_argument("--data", required=True, help="path to ai4i2020.csv")
    ai.add_argument("--folds", type=int, default=5)
    nv = sub.add_parser("naval", help="naval propulsion decay-state regression")
    nv.add_argument("--data", required=True, help="folder with data.txt")
    nv.add_argument("--folds", type=int, default=5)
    for p in (cm, ai, nv):
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    started = time.perf_counter()
    result = RUNNERS[args.dataset](args, console)
    result["seconds"] = round(time.perf_counter() - started, 1)
    console.print(f"[bold]done[/] in {result['seconds']} s")
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
