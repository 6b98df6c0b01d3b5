"""A running Bosun stops what it started in reverse order, by construction."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.app.runtime import Components, open_bosun
from channels.app.settings import Settings
from records import Database


def test_components_stop_last_started_first_and_all_of_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stopped: list[str] = []
    held = Components()
    held.add("database", lambda: stopped.append("database"))
    held.add("knowledge", lambda: stopped.append("knowledge"))

    def broken() -> None:
        stopped.append("connectors")
        raise RuntimeError("socket already gone")

    held.add("connectors", broken)
    held.add("telegram", lambda: stopped.append("telegram"))
    assert held.names == ["database", "knowledge", "connectors", "telegram"]
    held.close()
    assert stopped == ["telegram", "connectors", "knowledge", "database"]
    assert "stopping connectors failed" in caplog.text
    held.close()  # a second close stops nothing twice
    held.add("late", lambda: stopped.append("late"))  # started while shutting down
    assert stopped[-1] == "late" and held.names == []


def test_a_bosun_closes_its_services_before_its_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    dispose = Database.dispose

    def disposing(db: Database) -> None:
        order.append("database")
        dispose(db)

    monkeypatch.setattr(Database, "dispose", disposing)
    bosun = open_bosun(Settings(home=tmp_path / "home"))
    assert bosun.components.names == ["database", "job runner", "scheduler"]
    bosun.components.add("speech model", lambda: order.append("speech model"))
    bosun.close()
    assert order == ["speech model", "database"]
