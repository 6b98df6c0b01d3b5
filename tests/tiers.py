"""The fast tier, ``pytest -m "not slow"``: which tests are slow, and a guard that keeps it so.

A test is slow when it is marked ``@pytest.mark.slow``, lives under tests/e2e (``bosun up`` and
the CLI in subprocesses), uses a fixture below that starts something heavy, or is the
PostgreSQL variant of a test (the fast tier runs on SQLite). While a test
that is not slow runs (setup included), starting Whisper or a browser, spawning ``bosun up``
or training a model fails it with a message saying to mark it slow: a new slow test cannot
slip into the fast tier unnoticed. The packaged embedding model may load (once per session).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any

import pytest

FAST_TIER_WORKERS = 2
"""Processes the fast tier runs in when pytest-xdist is installed (this machine has 2 cores)."""


def parallel_fast_tier(config: pytest.Config) -> None:
    """Run ``-m "not slow"`` in FAST_TIER_WORKERS processes, one test file each at a time.

    Only when xdist is there, no ``-n`` was given, the marker expression is exactly the fast
    tier's and this is not already a worker: the full run stays in one process, and
    ``-n 0`` (or ``-p no:xdist``) keeps the fast tier in one too.
    """
    option = config.option
    if not hasattr(option, "numprocesses") or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if option.numprocesses is not None or getattr(option, "collectonly", False):
        return
    if " ".join(str(getattr(option, "markexpr", "")).split()) != "not slow":
        return
    option.numprocesses = FAST_TIER_WORKERS
    if getattr(option, "dist", "no") == "no":
        option.dist = "loadfile"


SLOW_FIXTURES = {
    "playwright": "drives Chromium",
    "browser": "drives Chromium",
    "transcriber": "loads the Whisper speech model",
    "risk_model": "trains a model",
    "seeded": "seeds a home and trains a model",
    "demo_home": "seeds the demo home with its manuals",
}
"""Fixtures whose use makes a test slow, and why."""

SLOW_DIRS = {"e2e": "runs bosun in a subprocess"}
"""Folders under tests/ whose every test is slow."""

SLOW_MARKERS = {
    "postgres": "a PostgreSQL variant: the fast tier runs on SQLite, the full run on both"
}
"""Markers that make a test slow."""

HEAVY_IMPORTS = {
    "faster_whisper": "load the Whisper speech model",
    "playwright.sync_api": "start a browser",
}

_TESTS = Path(__file__).resolve().parent
_running_fast: list[str] = []
"""The node id of the fast-tier test being set up or run (empty between tests)."""


def slow_reason(item: pytest.Item) -> str | None:
    """Return why a test is slow, or None when it belongs to the fast tier."""
    marker = item.get_closest_marker("slow")
    if marker is not None:
        return str(marker.kwargs.get("reason", "marked slow"))
    try:
        folder = Path(str(item.path)).resolve().relative_to(_TESTS).parts[0]
    except (ValueError, IndexError):
        folder = ""
    if folder in SLOW_DIRS:
        return SLOW_DIRS[folder]
    for name, why in SLOW_MARKERS.items():
        if item.get_closest_marker(name) is not None:
            return why
    for name in getattr(item, "fixturenames", ()):
        if name in SLOW_FIXTURES:
            return f"uses the {name} fixture: {SLOW_FIXTURES[name]}"
    return None


def mark_slow(items: Sequence[pytest.Item]) -> None:
    """Mark every slow test ``slow`` so ``-m "not slow"`` leaves it out."""
    for item in items:
        if item.get_closest_marker("slow") is None:
            reason = slow_reason(item)
            if reason is not None:
                item.add_marker(pytest.mark.slow(reason=reason))


def refuse(what: str) -> None:
    """Fail when a fast-tier test is running: it may not ``what``."""
    if _running_fast:
        raise RuntimeError(
            f"{_running_fast[0]} would {what}, which the fast tier (-m 'not slow') may not: "
            "mark it @pytest.mark.slow or give it a fixture listed in tests/tiers.py"
        )


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _running_fast:
        return
    if event == "import" and args[0] in HEAVY_IMPORTS:
        refuse(HEAVY_IMPORTS[args[0]])
    elif event == "subprocess.Popen":
        argv = [str(a) for a in (args[1] or ())]
        program = Path(argv[0]).name if argv else ""
        if "up" in argv and (program == "bosun" or "channels.cli" in argv):
            refuse("spawn `bosun up`")


def _guard_training() -> None:
    xgboost = sys.modules.get("xgboost")  # wrapped once something imported it
    if xgboost is None:
        return
    train: Callable[..., Any] = xgboost.train
    if getattr(train, "fast_tier_guard", False):
        return

    def guarded(*args: Any, **kwargs: Any) -> Any:
        refuse("train a model")
        return train(*args, **kwargs)

    guarded.fast_tier_guard = True  # type: ignore[attr-defined]
    setattr(xgboost, "train", guarded)  # noqa: B010  (a module seen as ModuleType)


def install_guard() -> None:
    """Watch imports and subprocesses for the rest of the session."""
    sys.addaudithook(_audit)


def running(item: pytest.Item) -> Generator[None]:
    """Around one test's setup, call and teardown: note whether it is a fast-tier test."""
    _guard_training()
    _running_fast[:] = [] if item.get_closest_marker("slow") else [item.nodeid]
    try:
        yield
    finally:
        _running_fast.clear()
