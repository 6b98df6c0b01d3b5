from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

CASES = Path(__file__).resolve().parents[2] / "eval" / "cases" / "turns.jsonl"
ACTIONS = {
    "answer",
    "report_fault",
    "create_work_order",
    "update_work_order",
    "equipment_health",
    "list_open",
    "part_stock",
    "clarify",
    "refuse",
}
PRIORITIES = {"low", "medium", "high", "critical"}


@pytest.fixture(scope="module")
def cases() -> list[dict[str, Any]]:
    lines = CASES.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _actions(case: dict[str, Any]) -> list[str]:
    action = case["expect"]["action"]
    return action if isinstance(action, list) else [action]


def test_cases_follow_issue_4_format(cases: list[dict[str, Any]]) -> None:
    assert len(cases) >= 120
    for case in cases:
        assert set(case) == {"text", "voice", "expect"}, case
        assert isinstance(case["text"], str) and case["text"].strip()
        assert isinstance(case["voice"], bool)
        assert set(case["expect"]) <= {"action", "equipment", "priority"}
        assert _actions(case) and set(_actions(case)) <= ACTIONS, case
        assert case["expect"].get("priority", "low") in PRIORITIES
    texts = [c["text"].lower() for c in cases]
    assert len(texts) == len(set(texts))


def test_expected_equipment_exists_in_register(
    cases: list[dict[str, Any]], codes: set[str]
) -> None:
    named = [c for c in cases if "equipment" in c["expect"]]
    assert len(named) >= 80
    missing = [c["text"] for c in named if c["expect"]["equipment"] not in codes]
    assert missing == []


def test_mix_of_actions_and_styles(cases: list[dict[str, Any]]) -> None:
    counts = Counter(a for c in cases for a in _actions(c))
    for action in ACTIONS:
        assert counts[action] >= 8, action
    voice = [c for c in cases if c["voice"]]
    assert 0.2 <= len(voice) / len(cases) <= 0.35
    for case in voice:
        assert case["text"] == case["text"].lower(), case["text"]
        assert not re.search(r"[?!.,;:]|\d", case["text"]), case["text"]
    writes = {"report_fault", "create_work_order", "update_work_order"}
    for case in cases:
        if "priority" in case["expect"]:
            assert set(_actions(case)) <= writes, case["text"]
        if "clarify" in _actions(case) or "refuse" in _actions(case):
            assert "equipment" not in case["expect"], case["text"]
