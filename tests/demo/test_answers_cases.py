"""The eval.answers case files: the frozen test split, the dev split, their format and grounding."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pypdf
import pytest

from channels.demo.manuals import manual_sources, render_manuals

pytestmark = pytest.mark.slow(reason="renders and reads the demo manuals")

CASES_DIR = Path(__file__).resolve().parents[2] / "eval" / "cases"
TEST_SPLIT = CASES_DIR / "answers_test.jsonl"
DEV_SPLIT = CASES_DIR / "answers_dev.jsonl"

# The test split was committed alone, before any engine change, and never changes afterwards.
TEST_SPLIT_SHA256 = "efdeb75691ca3017a1c76a21b43b8afeb79ca57db56c445aedc31338189d5b92"

CATEGORIES = {"manual", "fault_history", "state", "action", "tricky"}
OUTCOMES = {
    "answer",
    "state",
    "history",
    "nothing_found",
    "propose",
    "change",
    "clarify",
    "refuse",
}
PRIORITIES = {"low", "medium", "high", "critical"}
EXPECT_KEYS = {"outcome", "equipment", "priority", "facts", "cite"}


def _load(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


@pytest.fixture(scope="module")
def test_cases() -> list[dict[str, Any]]:
    return _load(TEST_SPLIT)


@pytest.fixture(scope="module")
def dev_cases() -> list[dict[str, Any]]:
    return _load(DEV_SPLIT)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], str]:
    """Text of every rendered demo manual page, keyed by (file stem, 1-based page)."""
    rendered = render_manuals(tmp_path_factory.mktemp("manuals"), progress=lambda _s: None)
    out: dict[tuple[str, int], str] = {}
    for pdf in rendered:
        for number, page in enumerate(pypdf.PdfReader(str(pdf)).pages, start=1):
            text = unicodedata.normalize("NFKC", page.extract_text() or "")
            out[(pdf.stem, number)] = " ".join(text.split())
    return out


def test_test_split_is_frozen() -> None:
    digest = hashlib.sha256(TEST_SPLIT.read_bytes()).hexdigest()
    assert digest == TEST_SPLIT_SHA256, "answers_test.jsonl is frozen: never edit it"


@pytest.mark.parametrize(("split", "prefix", "minimum"), [("test", "t", 100), ("dev", "d", 200)])
def test_format(
    split: str,
    prefix: str,
    minimum: int,
    test_cases: list[dict[str, Any]],
    dev_cases: list[dict[str, Any]],
    codes: set[str],
) -> None:
    cases = test_cases if split == "test" else dev_cases
    assert len(cases) >= minimum
    stems = {p.stem for p in manual_sources()}
    for case in cases:
        assert list(case) == ["id", "category", "messages", "role", "expect"], case
        assert re.fullmatch(prefix + r"\d{3}", case["id"]), case["id"]
        assert case["category"] in CATEGORIES, case
        assert case["role"] == "crew"
        messages = case["messages"]
        assert 1 <= len(messages) <= 3, case
        assert all(isinstance(m, str) and m.strip() for m in messages), case
        expect = case["expect"]
        assert set(expect) <= EXPECT_KEYS and expect["outcome"] in OUTCOMES, case
        if "equipment" in expect:
            assert expect["equipment"] in codes, case
        if "priority" in expect:
            assert expect["outcome"] == "propose" and expect["priority"] in PRIORITIES, case
        for fact in expect.get("facts", []):
            re.compile(fact)
        for cite in expect.get("cite", []):
            assert set(cite) == {"document", "page"}, case
            assert cite["document"] in stems and cite["page"] >= 1, case
        if "cite" in expect:
            assert expect["outcome"] == "answer" and expect["cite"], case
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids))
    assert {c["category"] for c in cases} == CATEGORIES


def test_mix(test_cases: list[dict[str, Any]], dev_cases: list[dict[str, Any]]) -> None:
    for cases in (test_cases, dev_cases):
        multi = sum(len(c["messages"]) > 1 for c in cases)
        assert multi / len(cases) >= 0.25
        categories = Counter(c["category"] for c in cases)
        assert min(categories.values()) >= 0.1 * len(cases), categories
        outcomes = Counter(c["expect"]["outcome"] for c in cases)
        assert set(outcomes) == OUTCOMES, outcomes


def test_no_text_shared_between_splits(
    test_cases: list[dict[str, Any]], dev_cases: list[dict[str, Any]]
) -> None:
    test_texts = {_norm(m) for c in test_cases for m in c["messages"]}
    shared = [(c["id"], m) for c in dev_cases for m in c["messages"] if _norm(m) in test_texts]
    assert shared == []


def test_facts_of_manual_answers_are_on_the_cited_pages(
    test_cases: list[dict[str, Any]],
    dev_cases: list[dict[str, Any]],
    pages: dict[tuple[str, int], str],
) -> None:
    missing = []
    for case in test_cases + dev_cases:
        cites = case["expect"].get("cite", [])
        if not cites:
            continue
        text = " ".join(pages[(c["document"], c["page"])] for c in cites)
        missing += [
            (case["id"], fact)
            for fact in case["expect"].get("facts", [])
            if not re.search(fact, text, re.IGNORECASE)
        ]
    assert missing == []
