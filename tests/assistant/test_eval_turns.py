"""The turn evaluation runs end to end on a register and cases it has not been tuned on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval import turns

pytestmark = pytest.mark.slow(reason="runs the eval.turns cases")

ROOT = Path(__file__).resolve().parents[2]


def test_eval_turns_prints_figures_last(capsys: pytest.CaptureFixture[str]) -> None:
    turns.main(
        [
            "--register",
            str(ROOT / "eval/cases/tug_register.yaml"),
            "--cases",
            str(ROOT / "eval/cases/tug_turns.jsonl"),
            "--quiet",
        ]
    )
    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    assert set(figures) == {
        "n",
        "action_accuracy",
        "equipment_accuracy",
        "priority_accuracy",
        "wrong_write_rate",
        "latency_p50_ms",
        "latency_p95_ms",
    }
    assert figures["n"] == sum(1 for ln in lines if ln.startswith(("ok ", "FAIL")))
    assert figures["wrong_write_rate"] == 0.0
    assert figures["action_accuracy"] >= 0.9 and figures["equipment_accuracy"] >= 0.85


def test_judging_follows_the_issue(tmp_path: Path) -> None:
    cases = tmp_path / "c.jsonl"
    cases.write_text(
        '{"text": "x", "expect": {"action": ["refuse", "clarify"]}}\n'
        '{"text": "y", "voice": true, "expect": {"action": "report_fault", "equipment": "1.2",'
        ' "priority": "high"}}\n',
        encoding="utf-8",
    )
    loaded = turns.load_cases(cases)
    assert loaded[0].actions == ("refuse", "clarify") and loaded[1].voice
    assert (loaded[1].equipment, loaded[1].priority) == ("1.2", "high")
