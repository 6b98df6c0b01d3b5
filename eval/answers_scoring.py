"""Cases, per-turn outcomes and figures of ``eval.answers`` (issue 13, item 6); no I/O here.

A case is one JSON object per line::

    {"id": "...", "category": "manual|fault_history|state|action|tricky",
     "messages": ["...", "..."], "role": "crew",
     "expect": {"outcome": "...", "equipment": "433.1", "priority": "high",
                "facts": ["20 ?min"], "cite": [{"document": "FILE_STEM", "page": 10}]}}

Only the last turn is judged; a write proposed in any turn of a case that expects neither
``propose`` nor ``change`` is a wrong write. A last turn that carries out a proposal ("yes")
is judged as that proposal (its kind, equipment and priority).
"""

from __future__ import annotations

import json
import math
import re
import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUTCOMES = frozenset(
    {"answer", "state", "history", "nothing_found", "propose", "change", "clarify", "refuse"}
)
WRITE_EXPECTED = frozenset({"propose", "change"})
PROPOSAL_OUTCOME = {
    "report_fault": "propose",
    "create_work_order": "propose",
    "update_work_order": "change",
    "add_note": "change",
}
"""Kind of a proposed action -> the outcome it counts as."""
WRITE_KINDS = frozenset(PROPOSAL_OUTCOME)
TURN_OUTCOMES = frozenset({"clarify", "refuse", "nothing_found"})
"""Turn outcomes that are the judged outcome as they are."""
SKIPPED_TOOLS = frozenset({"lookup_equipment", *WRITE_KINDS})
"""Tools that never decide a question's outcome (a write tool counts only by its proposal)."""

TOOL_OUTCOME: dict[str, str] = {
    "search_manuals": "answer",
    "search_fault_history": "history",
    "fault_statistics": "history",
    "equipment_health": "state",
    "list_open": "state",
    "part_stock": "state",
    "plans_due": "state",
    "running_hours": "state",
    "overdue_work_orders": "state",
    "spares_at_minimum": "state",
}
"""Read tools -> outcome; a tool not listed is mapped by ``NAME_RULES``."""
NAME_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"statistic|(?:^|_)stats?(?:_|$)|histor|failure|breakdown"), "history"),
    (re.compile(r"manual|document|procedure|search_docs"), "answer"),
    (
        re.compile(
            r"plan|hours|stock|part|spare|list|health|reading|overdue|due|open|status|state"
        ),
        "state",
    ),
)
DEFAULT_TOOL_OUTCOME = "state"
"""A read tool no rule recognises reports the vessel's records: a state question."""


def tool_outcome(name: str) -> str:
    """Return the outcome a question answered with tool ``name`` counts as."""
    if name in TOOL_OUTCOME:
        return TOOL_OUTCOME[name]
    low = name.lower()
    for pattern, outcome in NAME_RULES:
        if pattern.search(low):
            return outcome
    return DEFAULT_TOOL_OUTCOME


@dataclass(frozen=True, slots=True)
class Cite:
    """A (document file stem, page) pair an answer may cite."""

    document: str
    page: int | None


@dataclass(frozen=True, slots=True)
class Case:
    """One evaluation case."""

    id: str
    category: str
    messages: tuple[str, ...]
    role: str
    outcomes: tuple[str, ...]
    equipment: str | None = None
    priority: str | None = None
    facts: tuple[str, ...] = ()
    cite: tuple[Cite, ...] | None = None

    @property
    def expects_write(self) -> bool:
        """Whether the case expects a proposal (so a write is not wrong)."""
        return bool(WRITE_EXPECTED & set(self.outcomes))


def parse_case(obj: dict[str, Any]) -> Case:
    """Build a case from its JSON object; raises ValueError on a malformed one."""
    expect = obj.get("expect")
    if not isinstance(expect, dict):
        raise ValueError("no 'expect' object")
    raw_outcome = expect.get("outcome")
    outcomes = tuple(raw_outcome) if isinstance(raw_outcome, list) else (raw_outcome,)
    unknown = [o for o in outcomes if o not in OUTCOMES]
    if unknown or not outcomes:
        raise ValueError(f"outcome {raw_outcome!r} is not one of {sorted(OUTCOMES)}")
    messages = obj.get("messages")
    if (
        not isinstance(messages, list)
        or not messages
        or not all(isinstance(m, str) and m.strip() for m in messages)
    ):
        raise ValueError("'messages' must be a non-empty list of texts")
    facts = tuple(str(f) for f in expect.get("facts") or ())
    for fact in facts:
        try:
            re.compile(fact)
        except re.error as err:
            raise ValueError(f"fact {fact!r} is not a regular expression: {err}") from err
    cite_raw = expect.get("cite")
    cite = (
        None
        if cite_raw is None
        else tuple(
            Cite(str(c["document"]), None if c.get("page") is None else int(c["page"]))
            for c in cite_raw
        )
    )
    return Case(
        id=str(obj["id"]),
        category=str(obj.get("category") or "uncategorised"),
        messages=tuple(messages),
        role=str(obj.get("role") or "crew"),
        outcomes=outcomes,
        equipment=None if expect.get("equipment") is None else str(expect["equipment"]),
        priority=None if expect.get("priority") is None else str(expect["priority"]),
        facts=facts,
        cite=cite,
    )


def load_cases(path: Path) -> list[Case]:
    """Read a cases file (one JSON object per line); exits with the line of a bad case."""
    cases = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            cases.append(parse_case(json.loads(raw)))
        except (ValueError, KeyError, TypeError) as err:
            raise SystemExit(f"{path}, line {n}: not a valid case ({err})") from err
    ids = [c.id for c in cases]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise SystemExit(f"{path}: duplicate case ids {', '.join(dupes)}")
    return cases


@dataclass(frozen=True, slots=True)
class TurnView:
    """What the judge needs of one turn (built from a ``TurnResult``)."""

    outcome: str
    """The turn's own outcome (answer, proposed, done, clarify, refuse, nothing_found, error)."""
    proposal_kind: str | None = None
    proposal_args: dict[str, Any] = field(default_factory=dict)
    tools: tuple[tuple[str, str | None], ...] = ()
    """(tool name, equipment code it resolved to or None), in call order."""
    executed_kind: str | None = None
    """Kind of the action a "yes" in this turn carried out."""
    executed_args: dict[str, Any] = field(default_factory=dict)
    """Arguments of that action (its equipment and priority are judged like a proposal's)."""


def judged_outcome(turn: TurnView) -> str:
    """The outcome of a turn as item 6 defines it."""
    if turn.outcome in TURN_OUTCOMES:
        return turn.outcome
    if turn.proposal_kind is not None:
        return PROPOSAL_OUTCOME.get(turn.proposal_kind, turn.proposal_kind)
    if turn.executed_kind is not None:
        return PROPOSAL_OUTCOME.get(turn.executed_kind, turn.executed_kind)
    first = next((name for name, _ in turn.tools if name not in SKIPPED_TOOLS), None)
    if first is not None:
        return tool_outcome(first)
    return turn.outcome


def judged_args(turn: TurnView) -> dict[str, Any] | None:
    """Arguments of the turn's proposal, or of the action it confirmed; None without either."""
    if turn.proposal_kind is not None:
        return turn.proposal_args
    if turn.executed_kind is not None:
        return turn.executed_args
    return None


def judged_equipment(turn: TurnView) -> str | None:
    """The proposal's ``equipment_code``, else the deciding tool's (or a lookup's) equipment."""
    args = judged_args(turn)
    if args is not None:
        code = args.get("equipment_code")
        return str(code) if code else None
    first = next(((n, c) for n, c in turn.tools if n not in SKIPPED_TOOLS), None)
    if first is not None and first[1]:
        return first[1]
    return next((c for n, c in turn.tools if n == "lookup_equipment" and c), None)


def normalise(text: str) -> str:
    """NFKC normal form (what facts are searched in)."""
    return unicodedata.normalize("NFKC", text)


def facts_found(facts: Sequence[str], reply: str) -> list[bool]:
    """For each fact (a regex), whether it occurs in the reply, ignoring case."""
    text = normalise(reply)
    return [re.search(f, text, re.IGNORECASE) is not None for f in facts]


@dataclass(frozen=True, slots=True)
class CaseResult:
    """What the assistant did in one case."""

    case: Case
    turns: tuple[TurnView, ...]
    reply: str
    """The last turn's reply."""
    citations: tuple[Cite, ...]
    """The last turn's citations, deduplicated, in the reply's order."""
    ms: tuple[float, ...]
    """Latency of each message."""

    @property
    def last(self) -> TurnView:
        """The judged turn."""
        return self.turns[-1]

    @property
    def outcome(self) -> str:
        """The judged outcome."""
        return judged_outcome(self.last)

    @property
    def outcome_ok(self) -> bool:
        """Whether the outcome is one the case accepts."""
        return self.outcome in self.case.outcomes

    @property
    def equipment(self) -> str | None:
        """The judged equipment code."""
        return judged_equipment(self.last)

    @property
    def priority(self) -> str | None:
        """The priority of the last turn's proposal (or of the action it confirmed)."""
        value = (judged_args(self.last) or {}).get("priority")
        return str(value) if value else None

    @property
    def found(self) -> list[bool]:
        """Which expected facts the reply holds."""
        return facts_found(self.case.facts, self.reply)

    @property
    def wrote(self) -> bool:
        """Whether a write was proposed in any turn."""
        return any(t.proposal_kind in WRITE_KINDS for t in self.turns)

    @property
    def wrong_write(self) -> bool:
        """A write proposed in a case that expects neither propose nor change."""
        return self.wrote and not self.case.expects_write

    def cited_in(self) -> tuple[int, int]:
        """(cited pairs found in ``cite``, cited pairs); no citation counts 0 of 1."""
        want = set(self.case.cite or ())
        if not self.citations:
            return 0, 1
        return sum(c in want for c in self.citations), len(self.citations)

    @property
    def first_hit(self) -> bool:
        """Whether the first citation is one the case names."""
        return bool(self.citations) and self.citations[0] in set(self.case.cite or ())

    def failures(self) -> list[str]:
        """What went wrong, one phrase each (empty when the case passed)."""
        out = []
        case = self.case
        if not self.outcome_ok:
            out.append(f"outcome {'/'.join(case.outcomes)} got {self.outcome}")
        if case.equipment is not None and self.equipment != case.equipment:
            out.append(f"equipment {case.equipment} got {self.equipment or '-'}")
        if case.priority is not None and self.priority != case.priority:
            out.append(f"priority {case.priority} got {self.priority or '-'}")
        missed = [f for f, ok in zip(case.facts, self.found, strict=True) if not ok]
        if missed:
            out.append(f"facts missing {missed}")
        if case.cite is not None and not self.first_hit:
            want = ", ".join(f"{c.document} p.{c.page}" for c in case.cite)
            got = ", ".join(f"{c.document} p.{c.page}" for c in self.citations[:3]) or "none"
            out.append(f"cite {want} got {got}")
        if self.wrong_write:
            kinds = [t.proposal_kind for t in self.turns if t.proposal_kind]
            out.append(f"wrong write {kinds}")
        return out

    def to_dict(self) -> dict[str, Any]:
        """Per-case result for ``--json-cases``."""
        return {
            "id": self.case.id,
            "category": self.case.category,
            "messages": list(self.case.messages),
            "expected": {
                "outcome": list(self.case.outcomes),
                "equipment": self.case.equipment,
                "priority": self.case.priority,
            },
            "outcome": self.outcome,
            "turn_outcomes": [judged_outcome(t) for t in self.turns],
            "turns": [
                {
                    "outcome": t.outcome,
                    "tools": [{"name": n, "equipment": c} for n, c in t.tools],
                    "proposal": t.proposal_kind,
                    "arguments": t.proposal_args or None,
                    "executed": t.executed_kind,
                }
                for t in self.turns
            ],
            "equipment": self.equipment,
            "priority": self.priority,
            "facts": dict(zip(self.case.facts, self.found, strict=True)),
            "citations": [{"document": c.document, "page": c.page} for c in self.citations],
            "wrote": self.wrote,
            "ms": [round(m, 1) for m in self.ms],
            "reply": self.reply,
            "failures": self.failures(),
        }


def _share(values: Sequence[bool]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _fact_recall(results: Sequence[CaseResult]) -> float | None:
    found = [ok for r in results for ok in r.found]
    return _share(found)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(q * len(ordered))))
    return ordered[rank - 1]


def figures(results: Sequence[CaseResult]) -> dict[str, Any]:
    """The last line's figures; a share over no cases is null."""
    with_cite = [r for r in results if r.case.cite is not None]
    hits = [r.cited_in() for r in with_cite]
    cited = sum(n for _, n in hits)
    non_write = [r for r in results if not r.case.expects_write]
    latencies = [m for r in results for m in r.ms]
    categories: dict[str, list[CaseResult]] = {}
    for r in results:
        categories.setdefault(r.case.category, []).append(r)
    return {
        "n": len(results),
        "turns": len(latencies),
        "outcome_accuracy": _share([r.outcome_ok for r in results]),
        "equipment_accuracy": _share(
            [r.equipment == r.case.equipment for r in results if r.case.equipment is not None]
        ),
        "priority_accuracy": _share(
            [r.priority == r.case.priority for r in results if r.case.priority is not None]
        ),
        "fact_recall": _fact_recall(results),
        "citation_precision": round(sum(k for k, _ in hits) / cited, 4) if cited else None,
        "citation_first_hit": _share([r.first_hit for r in with_cite]),
        "wrong_write_rate": _share([r.wrong_write for r in non_write]),
        "latency_p50_ms": round(statistics.median(latencies), 1) if latencies else 0.0,
        "latency_p95_ms": round(percentile(latencies, 0.95), 1),
        "by_category": {
            cat: {
                "n": len(rs),
                "outcome_accuracy": _share([r.outcome_ok for r in rs]),
                "fact_recall": _fact_recall(rs),
            }
            for cat, rs in sorted(categories.items())
        },
    }
