"""`bosun up` on an empty home, in a real subprocess, as a newcomer would run it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.bosun_process import BOSUN, bosun_up, cli, demo_keys, free_port, wait_for

pytestmark = pytest.mark.slow

__all__ = ["BOSUN", "bosun_up", "cli", "free_port", "wait_for"]  # shared with other e2e tests


def test_bosun_up_on_an_empty_home_serves_the_demo(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with bosun_up(home, port) as (proc, log):
        wait_for(f"{base}/healthz", 60, proc, log)
        # Seeding, fault history and the demo manuals (render + ingest): about 3 minutes idle.
        ready = wait_for(f"{base}/readyz", 360, proc, log)
        assert ready.status_code == 200
        keys = demo_keys(home)
        assert set(keys) == {"crew", "officer", "chief_engineer", "shore", "admin"}
        printed = log.read_text()
        assert keys["admin"] in printed, "the demo keys are printed once on first start"
        headers = {"Authorization": f"Bearer {keys['chief_engineer']}"}
        vessels = httpx.get(f"{base}/v1/vessels", headers=headers).json()
        assert [v["name"] for v in vessels["items"]] == ["MV Northern Bosun"]
        faults = httpx.get(f"{base}/v1/faults", headers=headers, params={"limit": 200}).json()
        assert len(faults["items"]) > 100
        assert httpx.get(f"{base}/v1/vessels").status_code == 401
        admin = {"Authorization": f"Bearer {keys['admin']}"}
        docs = httpx.get(f"{base}/v1/documents", headers=admin, params={"limit": 100}).json()
        manuals = [d for d in docs["items"] if "demo" in d["tags"] and d["kind"] != "fault_history"]
        assert len(manuals) == 5, docs
        assert all(d["status"] == "indexed" and d["pages"] for d in manuals), manuals
        assert sum(d["pages"] for d in manuals) >= 40

        # While the server runs, the CLI goes through its local API, not the home.
        listing = cli(home, "equipment", "list", "--json")
        assert listing.returncode == 0, listing.stderr
        register = json.loads(listing.stdout)
        assert register["vessel"]["imo"] == "9700001"
        assert any(e["code"].startswith("6") for e in register["equipment"])
        second = cli(home, "up", "--port", str(free_port()))
        assert second.returncode != 0 and "another bosun up" in second.stderr
    assert proc.returncode == 0, log.read_text()
    assert not (home / "server.json").exists()

    # A second start neither reseeds nor prints keys again.
    with bosun_up(home, port) as (proc, log):
        wait_for(f"{base}/readyz", 60, proc, log)
        assert keys["admin"] not in log.read_text()
        headers = {"Authorization": f"Bearer {keys['admin']}"}
        again = httpx.get(f"{base}/v1/faults", headers=headers, params={"limit": 500}).json()
        assert len(again["items"]) == len(faults["items"])


def test_an_interrupted_first_start_finishes_on_the_next(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with bosun_up(home, port) as (proc, log):
        deadline = time.monotonic() + 120
        while "generating" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.kill()  # no clean shutdown: as if the power went
        proc.wait(10)
    with bosun_up(home, port) as (proc, log):
        wait_for(f"{base}/readyz", 180, proc, log)
        text = log.read_text()
        assert "generating" in text and "importing the register" not in text
    result = cli(home, "equipment", "list", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["vessel"]["name"] == "MV Northern Bosun"
