"""The fast tier's guard: a test that is not slow may not start Whisper, a browser,
``bosun up`` or training (this test is in the fast tier itself)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import tiers


def test_spawning_bosun_up_fails_a_fast_test(tmp_path: Path) -> None:
    bosun = tmp_path / "bosun"  # never runs: the guard refuses before the fork
    with pytest.raises(RuntimeError, match=r"spawn `bosun up`.*mark it @pytest\.mark\.slow"):
        subprocess.Popen([str(bosun), "up", "--port", "8080"])
    with pytest.raises(FileNotFoundError):  # other commands are allowed
        subprocess.Popen([str(bosun), "--help"])


@pytest.mark.parametrize(
    ("module", "what"), [("faster_whisper", "Whisper"), ("playwright.sync_api", "browser")]
)
def test_loading_whisper_or_a_browser_fails_a_fast_test(module: str, what: str) -> None:
    with pytest.raises(RuntimeError, match=what):
        tiers._audit("import", (module, None, [], [], []))  # what the import statement raises
    tiers._audit("import", ("json", None, [], [], []))


def test_training_fails_a_fast_test() -> None:
    import xgboost

    tiers._guard_training()  # done before each test once anything imported xgboost
    with pytest.raises(RuntimeError, match="train a model"):
        xgboost.train({}, None)


def test_tests_using_slow_fixtures_or_in_e2e_are_marked_slow(
    request: pytest.FixtureRequest,
) -> None:
    for item in request.session.items:
        path = Path(str(item.path))
        heavy = set(getattr(item, "fixturenames", ())) & tiers.SLOW_FIXTURES.keys()
        if heavy or "e2e" in path.parts:
            assert item.get_closest_marker("slow") is not None, item.nodeid
    assert request.node.get_closest_marker("slow") is None


@pytest.mark.parametrize(
    ("given", "markexpr", "worker", "expected"),
    [
        (None, "not slow", None, (2, "loadfile")),  # the fast tier: both cores
        (None, " not   slow ", None, (2, "loadfile")),
        (None, "", None, (None, "no")),  # the full run stays in one process
        (None, "slow", None, (None, "no")),
        (0, "not slow", None, (0, "no")),  # -n 0 keeps the fast tier in one process
        (None, "not slow", "gw0", (None, "no")),  # a worker never spawns workers
    ],
)
def test_the_fast_tier_alone_runs_on_both_cores(
    given: int | None, markexpr: str, worker: str | None, expected: tuple[int | None, str]
) -> None:
    import os
    from types import SimpleNamespace
    from unittest import mock

    option = SimpleNamespace(numprocesses=given, markexpr=markexpr, dist="no", collectonly=False)
    env = {"PYTEST_XDIST_WORKER": worker} if worker else {}
    with mock.patch.dict(os.environ, env, clear=False):
        if not worker:
            os.environ.pop("PYTEST_XDIST_WORKER", None)
        tiers.parallel_fast_tier(SimpleNamespace(option=option))  # type: ignore[arg-type]
    assert (option.numprocesses, option.dist) == expected
