"""eval.answers end to end on a seeded demo home: figures last, the database left as it was."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from channels.demo.live import READINGS_STEP
from eval import answers

pytestmark = pytest.mark.slow

CASES = [
    {
        "id": "manual",
        "category": "manual",
        "messages": ["What's the LO pressure trip setpoint on DG2?"],
        "expect": {
            "outcome": "answer",
            "equipment": "651.2",
            "facts": ["bar"],
            "cite": [{"document": "02-generators", "page": 3}],
        },
    },
    {
        "id": "report-left-pending",
        "category": "action",
        "messages": ["ME1 fuel pump leaking at the HP pipe"],
        "role": "officer",
        "expect": {"outcome": "propose", "equipment": "601.1.10"},
    },
    {
        "id": "report-confirmed",
        "category": "action",
        "messages": ["DG2 cooling water pump seal leaking", "yes"],
        "expect": {"outcome": "propose"},
    },
    {
        "id": "small-talk",
        "category": "tricky",
        "messages": ["thanks mate"],
        "expect": {"outcome": ["refuse", "clarify", "answer"]},
    },
]
TABLES = ("faults", "work_orders", "pending_actions", "conversations", "messages")


def _counts(home: Path) -> dict[str, int]:
    with sqlite3.connect(home / "bosun.db") as db:
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def test_answers_runs_cases_and_rolls_each_back(
    demo_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(c) + "\n" for c in CASES), encoding="utf-8")
    per_case = tmp_path / "out.jsonl"
    before = _counts(demo_home)

    answers.main(["--cases", str(cases), "--home", str(demo_home), "--json-cases", str(per_case)])

    out = capsys.readouterr()
    lines = out.out.strip().splitlines()
    figures = json.loads(lines[-1])
    assert set(figures) == {
        "n",
        "turns",
        "outcome_accuracy",
        "equipment_accuracy",
        "priority_accuracy",
        "fact_recall",
        "citation_precision",
        "citation_first_hit",
        "wrong_write_rate",
        "latency_p50_ms",
        "latency_p95_ms",
        "by_category",
    }
    assert (figures["n"], figures["turns"]) == (4, 5)
    assert set(figures["by_category"]) == {"manual", "action", "tricky"}
    assert all(
        set(v) == {"n", "outcome_accuracy", "fact_recall"} for v in figures["by_category"].values()
    )
    rows = {r["id"]: r for r in map(json.loads, per_case.read_text().splitlines())}
    # one failure line per failed case, before the figures
    failed = [line for line in lines[:-1] if line.startswith("FAIL ")]
    assert len(failed) == sum(bool(r["failures"]) for r in rows.values())
    assert "case 4/4" in out.err
    # the confirmed report really wrote (so the rollback below is exercised) ...
    confirmed = rows["report-confirmed"]
    assert confirmed["wrote"] and confirmed["reply"].startswith("Done")
    assert rows["report-left-pending"]["wrote"]
    # ... and after the run nothing of any case is left: no fault, proposal or conversation
    assert _counts(demo_home) == before
    assert figures["wrong_write_rate"] == 0.0


def test_readings_end_at_the_history_midnight(demo_home: Path) -> None:
    """The home's readings end where its history does, not at the hour it was seeded."""
    with sqlite3.connect(demo_home / "bosun.db") as db:
        (latest,) = db.execute("SELECT max(time) FROM readings").fetchone()
        (state,) = db.execute("SELECT value FROM system_state WHERE key = 'demo'").fetchone()
    end = datetime.fromisoformat(json.loads(state)["history"]["end"])
    assert (end.hour, end.minute) == (0, 0)
    last = datetime.fromisoformat(str(latest)).replace(tzinfo=UTC)
    assert end - READINGS_STEP <= last < end  # the last hourly step before that midnight
