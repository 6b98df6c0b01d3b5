"""eval.answers' judging and figures on hand-made results (no assistant, no database)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval.answers_scoring import (
    Case,
    CaseResult,
    Cite,
    TurnView,
    figures,
    judged_equipment,
    judged_outcome,
    load_cases,
    parse_case,
    percentile,
    tool_outcome,
)

KEYS = {
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


def case(outcome: str | list[str], **expect: Any) -> Case:
    obj = {
        "id": expect.pop("id", "c"),
        "category": expect.pop("category", "manual"),
        "messages": expect.pop("messages", ["q"]),
        "expect": {"outcome": outcome, **expect},
    }
    return parse_case(obj)


def result(
    c: Case,
    *turns: TurnView,
    reply: str = "",
    cites: tuple[Cite, ...] = (),
    ms: tuple[float, ...] | None = None,
) -> CaseResult:
    return CaseResult(c, turns, reply, cites, ms or tuple(10.0 for _ in turns))


def proposal(kind: str, **args: Any) -> TurnView:
    return TurnView(outcome="proposed", proposal_kind=kind, proposal_args=args)


def tools(*calls: tuple[str, str | None], outcome: str = "answer") -> TurnView:
    return TurnView(outcome=outcome, tools=calls)


@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("search_manuals", "answer"),
        ("search_fault_history", "history"),
        ("equipment_health", "state"),
        ("list_open", "state"),
        ("part_stock", "state"),
        # the sibling issue's tools, whatever their final names
        ("fault_statistics", "history"),
        ("failure_stats", "history"),
        ("most_frequent_failures", "history"),
        ("plans_due", "state"),
        ("next_due_maintenance", "state"),
        ("running_hours", "state"),
        ("overdue_work_orders", "state"),
        ("spares_at_minimum", "state"),
        ("latest_readings", "state"),
        ("vessel_status", "state"),
        ("something_new", "state"),
    ],
)
def test_tool_outcome_map_covers_new_tools_by_name(name: str, outcome: str) -> None:
    assert tool_outcome(name) == outcome


def test_turn_outcome_follows_item_6() -> None:
    # clarify, refuse and nothing_found are the turn's own outcome, whatever tools ran
    asked = tools(("lookup_equipment", None), ("search_manuals", None), outcome="clarify")
    assert judged_outcome(asked) == "clarify"
    assert judged_outcome(tools(("search_manuals", None), outcome="nothing_found")) == (
        "nothing_found"
    )
    assert judged_outcome(TurnView(outcome="refuse")) == "refuse"
    # proposals by kind
    assert judged_outcome(proposal("report_fault")) == "propose"
    assert judged_outcome(proposal("create_work_order")) == "propose"
    assert judged_outcome(proposal("update_work_order")) == "change"
    # else the first tool other than lookup_equipment (and the write tools)
    first = tools(("lookup_equipment", "601.1"), ("search_fault_history", "601.1"))
    assert judged_outcome(first) == "history"
    both = tools(("search_manuals", None), ("equipment_health", "601.1"))
    assert judged_outcome(both) == "answer"
    failed_write = tools(("report_fault", None), ("list_open", None))
    assert judged_outcome(failed_write) == "state"
    # a "yes" that carried out a proposal counts as that proposal
    done = TurnView(outcome="done", executed_kind="report_fault")
    assert judged_outcome(done) == "propose"
    assert judged_outcome(TurnView(outcome="answer")) == "answer"


def test_equipment_comes_from_the_proposal_else_the_tool_else_a_lookup() -> None:
    assert judged_equipment(proposal("report_fault", equipment_code="601.2")) == "601.2"
    assert judged_equipment(tools(("lookup_equipment", "651"), ("part_stock", "651.2"))) == (
        "651.2"
    )
    assert judged_equipment(tools(("lookup_equipment", "651.1"), ("search_manuals", None))) == (
        "651.1"
    )
    confirmed = TurnView(
        outcome="done", executed_kind="report_fault", executed_args={"equipment_code": "721.2"}
    )
    assert judged_equipment(confirmed) == "721.2"


def test_figures_on_hand_made_results() -> None:
    manual = case(
        "answer",
        id="m",
        equipment="651.2",
        facts=["3[.,]0 ?bar", "trip"],
        cite=[{"document": "02-generators", "page": 3}],
    )
    manual_r = result(
        manual,
        tools(("search_manuals", "651.2")),
        reply="The LO pressure TRIP is set at \uff13.0 bar [1].",  # full-width 3: NFKC
        cites=(Cite("02-generators", 3), Cite("02-generators", 5)),
        ms=(100.0,),
    )
    # cite expected, nothing cited: 0 of 1 for precision, a miss for the first hit
    uncited = case(
        "answer", id="u", category="manual", cite=[{"document": "01-main-engines", "page": 7}]
    )
    uncited_r = result(uncited, TurnView(outcome="nothing_found"), ms=(20.0,))
    # a report with the right equipment and a wrong priority
    report = case("propose", id="r", category="action", equipment="601.1.10", priority="critical")
    report_r = result(
        report,
        proposal("report_fault", equipment_code="601.1.10", priority="high"),
        ms=(30.0,),
    )
    # a state question whose first turn proposed a fault: a wrong write, although the last
    # turn (after "no") is judged right
    state = case("state", id="s", category="state", messages=["ME1 LO pressure", "no, how is it"])
    state_r = result(
        state,
        proposal("report_fault", equipment_code="601.1"),
        tools(("equipment_health", "601.1")),
        ms=(40.0, 50.0),
    )
    out = figures([manual_r, uncited_r, report_r, state_r])
    assert set(out) == KEYS
    assert out["n"] == 4 and out["turns"] == 5
    assert out["outcome_accuracy"] == 0.75  # nothing_found where answer was expected
    assert out["equipment_accuracy"] == 1.0  # manual 651.2, report 601.1.10
    assert out["priority_accuracy"] == 0.0
    assert out["fact_recall"] == 1.0  # both facts of the one case with facts
    assert out["citation_precision"] == round(1 / 3, 4)  # 1 of 2 cited + 0 of 1
    assert out["citation_first_hit"] == 0.5
    assert out["wrong_write_rate"] == round(1 / 3, 4)  # the state case, of 3 non-write cases
    assert out["latency_p50_ms"] == 40.0
    assert out["latency_p95_ms"] == 100.0
    assert out["by_category"] == {
        "action": {"n": 1, "outcome_accuracy": 1.0, "fact_recall": None},
        "manual": {"n": 2, "outcome_accuracy": 0.5, "fact_recall": 1.0},
        "state": {"n": 1, "outcome_accuracy": 1.0, "fact_recall": None},
    }
    assert state_r.failures() == ["wrong write ['report_fault']"]
    assert report_r.failures() == ["priority critical got high"]
    assert uncited_r.failures()[0] == "outcome answer got nothing_found"
    json.dumps(out)  # the last line is JSON


def test_facts_are_case_insensitive_regexes_after_nfkc() -> None:
    c = case("answer", facts=["20 ?min", "O2.*19[.,]5 ?%", "absent"])
    r = result(
        c, tools(("search_manuals", None)), reply="Wait \uff12\uff10MIN; o\u2082 \u2265 19.5 %"
    )
    # NFKC folds the full-width digits and the subscript two
    assert r.found == [True, True, False]
    assert figures([r])["fact_recall"] == round(2 / 3, 4)


def test_a_confirmed_proposal_is_judged_on_its_arguments() -> None:
    c = case("propose", equipment="601.1", priority="high", messages=["ME1 LO low", "yes"])
    first = proposal("report_fault", equipment_code="601.1", priority="high")
    done = TurnView(outcome="done", executed_kind="report_fault", executed_args=first.proposal_args)
    r = result(c, first, done)
    assert (r.outcome, r.equipment, r.priority, r.failures()) == ("propose", "601.1", "high", [])
    assert figures([r])["wrong_write_rate"] is None  # no case that expects no write


def test_multiple_accepted_outcomes_and_empty_sets() -> None:
    c = case(["refuse", "clarify"], category="tricky")
    out = figures([result(c, TurnView(outcome="clarify"))])
    assert out["outcome_accuracy"] == 1.0
    assert out["wrong_write_rate"] == 0.0
    for key in ("equipment_accuracy", "priority_accuracy", "fact_recall", "citation_precision"):
        assert out[key] is None
    assert figures([])["n"] == 0 and figures([])["latency_p95_ms"] == 0.0


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]
    assert percentile(values, 0.95) == 19.0
    assert percentile(values, 0.5) == 10.0
    assert percentile([5.0], 0.95) == 5.0


def test_bad_cases_are_refused_with_their_line(tmp_path: Path) -> None:
    good = {"id": "a", "messages": ["hi"], "expect": {"outcome": "refuse"}}
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(good) + "\n\n", encoding="utf-8")
    (loaded,) = load_cases(path)
    assert (loaded.role, loaded.category, loaded.cite) == ("crew", "uncategorised", None)
    for bad, why in [
        ({**good, "expect": {"outcome": "answered"}}, "outcome"),
        ({**good, "messages": []}, "messages"),
        ({**good, "expect": {"outcome": "answer", "facts": ["(unclosed"]}}, "regular"),
    ]:
        path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
        with pytest.raises(SystemExit, match=f"line 2: .*{why}"):
            load_cases(path)
    path.write_text(json.dumps(good) + "\n" + json.dumps(good) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="duplicate"):
        load_cases(path)
