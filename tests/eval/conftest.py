"""A seeded demo home shared by the eval tests (seeding takes about 40 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.answers_home import open_demo_home


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo home with history, readings, plans, parts and the ingested demo manuals."""
    home = tmp_path_factory.mktemp("answers") / "home"
    open_demo_home(home, lambda _text: None).close()
    return home
