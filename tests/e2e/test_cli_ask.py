"""`bosun ask` in a subprocess on a demo home, as a chief engineer would use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
BOSUN = str(Path(sys.executable).with_name("bosun"))


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BOSUN_HOME": str(home), "BOSUN_EMBEDDER": "torch"}
    env.pop("BOSUN_DATABASE_URL", None)
    return subprocess.run([BOSUN, *args], env=env, capture_output=True, text=True, timeout=300)


def test_ask_json_reports_a_fault_and_answers_from_history(tmp_path: Path) -> None:
    home = tmp_path / "home"
    seeded = run(home, "demo", "--no-manuals")
    assert seeded.returncode == 0, seeded.stderr
    report = run(home, "ask", "--json", "ME2 fuel pump is leaking diesel onto the hot box")
    assert report.returncode == 0, report.stderr
    body = json.loads(report.stdout)
    assert set(body) == {"reply", "citations", "proposed_action"}
    action = body["proposed_action"]
    assert action and action["kind"] == "report_fault", body
    assert action["arguments"]["priority"] in ("high", "critical")
    assert "601.2.10" in body["reply"] or "601.2.10" in json.dumps(action)

    plain = run(home, "ask", "how is the bow thruster doing?", "--vessel", "9700001")
    assert plain.returncode == 0, plain.stderr
    assert "thruster" in plain.stdout.lower()

    unknown = run(home, "ask", "hello", "--vessel", "0000000")
    assert unknown.returncode == 1 and "no vessel with IMO 0000000" in unknown.stderr


def test_chat_confirms_with_yes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run(home, "demo", "--no-manuals").returncode == 0
    env = {**os.environ, "BOSUN_HOME": str(home), "BOSUN_EMBEDDER": "torch"}
    env.pop("BOSUN_DATABASE_URL", None)
    session = subprocess.run(
        [BOSUN, "chat"],
        input="the emergency generator won't start, urgent\nyes\nyes\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert session.returncode == 0, session.stderr
    text = session.stdout.lower()
    assert "proposed:" in text
    assert "filed" in text or "fault #" in text, session.stdout
    import sqlite3

    with sqlite3.connect(home / "bosun.db") as db:
        filed = db.execute("SELECT count(*) FROM faults WHERE reported_via = 'cli'").fetchone()
    assert filed == (1,), "the second yes must not file the fault again"
