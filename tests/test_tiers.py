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
