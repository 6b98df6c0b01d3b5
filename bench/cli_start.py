"""Benchmark: how long ``bosun --help`` and ``bosun ask --help`` take (median of N runs).

Run from the repo root:  python -m bench.cli_start [--runs 10]
Each run is a fresh process, as a user types the command; heavy packages (torch,
sentence-transformers, SQLAlchemy models, FastAPI, the connectors' protocol stacks) must load
only inside the commands that use them. The load average is printed: on a busy machine the
figure is not the idle one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = (("--help",), ("ask", "--help"))
LIMIT_S = 0.5


def bosun_command() -> list[str]:
    """Return the ``bosun`` console script beside this interpreter (else ``-m channels.cli``)."""
    script = Path(sys.executable).with_name("bosun")
    return [str(script)] if script.exists() else [sys.executable, "-m", "channels.cli"]


def time_once(args: tuple[str, ...]) -> tuple[float, float]:
    """Run ``bosun ARGS`` once; return its wall time and CPU time (user + system), in s.

    On an idle machine the two are close; under load the CPU time is the better guide.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [*bosun_command(), *args], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"bosun {' '.join(args)} failed: {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main(argv: list[str] | None = None) -> None:
    """Time each command and print the medians (JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    time_once(COMMANDS[0])  # warm the file cache: the figure is for a machine in use
    results = {}
    for command in COMMANDS:
        runs = [time_once(command) for _ in range(args.runs)]
        walls = [wall for wall, _ in runs]
        results["bosun " + " ".join(command)] = {
            "median_s": round(statistics.median(walls), 3),
            "min_s": round(min(walls), 3),
            "max_s": round(max(walls), 3),
            "median_cpu_s": round(statistics.median(cpu for _, cpu in runs), 3),
        }
    load = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"runs": args.runs, "load_avg_1m": load, "results": results}))
        return
    for name, figures in results.items():
        verdict = "ok" if figures["median_s"] < LIMIT_S else f"over {LIMIT_S} s"
        print(
            f"{name:<20} median {figures['median_s']:.3f} s "
            f"(min {figures['min_s']:.3f}, max {figures['max_s']:.3f}; {args.runs} runs), "
            f"CPU {figures['median_cpu_s']:.3f} s: {verdict}"
        )
    print(f"load average (1 min) at the end: {load:.2f}")


if __name__ == "__main__":
    main()
