"""Fault history by equipment and kind of event: 'last trip of BT1', 'DG2 history'.

A history question names a machine (resolved to a register subtree) and often a kind of
event ("trip", "leak", "alarm") or just asks for the history ("last time", "history",
"breakdown"). Faults are matched on those, not only on the symptom words of the question,
and the most relevant come first, newest first among equals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.text import content_tokens
from records import Fault, WorkOrder

EVENTS: dict[str, re.Pattern[str]] = {
    "trip": re.compile(
        r"\btrip\w*|\bshut ?downs?\b|\bshutdowns?\b|\bshut (?:itself )?(?:down|off)\b|"
        r"\bblack ?outs?\b|\bcut(?:s|ting)? out\b|\bdropped (?:off|out)\b",
        re.IGNORECASE,
    ),
    "leak": re.compile(r"\bleak\w*|\bweep\w*|\bdrip\w*|\bseep\w*", re.IGNORECASE),
    "alarm": re.compile(r"\balarms?\b|\balrm\b", re.IGNORECASE),
    "temperature": re.compile(
        r"\b(?:hi|high)\b.{0,12}\btemp\w*|\btemp\w*\b.{0,12}\b(?:hi|high)\b|\boverheat\w*|"
        r"\brunning hot\b",
        re.IGNORECASE,
    ),
    "pressure": re.compile(
        r"\blow\b.{0,14}\bpress\w*|\bpress\w*\b.{0,14}\b(?:low|drop\w*|falling)\b",
        re.IGNORECASE,
    ),
    "vibration": re.compile(r"\bvibrat\w*", re.IGNORECASE),
    "noise": re.compile(r"\bnois\w*|\bknock\w*|\brattl\w*|\bgrind\w*|\bsqueal\w*", re.IGNORECASE),
    "start": re.compile(
        r"\bfail\w* to start|\bwo?n'?t start|\bwont start|\bno start\b|\bnot start\w*|"
        r"\bstart(?:ing)? fail\w*|\bdid ?n'?t start",
        re.IGNORECASE,
    ),
    "smoke": re.compile(r"\bsmok\w*", re.IGNORECASE),
}
"""Kinds of event a question may ask about, matched the same way in faults."""

_GENERIC = frozenset(
    """history historic historical last time times before previous previously past ago
    breakdown breakdowns broke broken down failure failures fail failed fault faults problem
    problems issue issues defect defects record records happened happen happens ever recurring
    again when did what which fixed fix fixes repair repaired repairs cause causes caused root
    how many often much long show list tell give find check any all our we us it its this that
    has have had was were been the a an of on for to in at with from about recent recently
    latest newest lately occurred occur occurrence event events day days week weeks month
    months year years since this past done""".split()  # noqa: SIM905
)


@dataclass(frozen=True, slots=True)
class Selection:
    """The faults a history question is about, and whether any matched it."""

    faults: list[Fault]
    matched: bool
    events: list[str]


def events_in(text: str) -> list[str]:
    """Return the kinds of event a question asks about ('last trip of BT1' -> ['trip'])."""
    return [kind for kind, pattern in EVENTS.items() if pattern.search(text)]


def fault_text(fault: Fault) -> str:
    """Everything said about a fault: title, description, cause and notes."""
    notes = " ".join(str(n.get("text", "")) for n in fault.notes or [] if isinstance(n, dict))
    return f"{fault.title} {fault.description} {fault.root_cause or ''} {notes}"


def _stem(tok: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if tok.endswith(suffix) and len(tok) - len(suffix) >= 3:
            return tok[: -len(suffix)]
    return tok


_GENERIC_STEMS = frozenset(_stem(w) for w in _GENERIC)  # "this" -> "thi", "times" -> "tim"


def _words(text: str) -> set[str]:
    return {_stem(t) for t in content_tokens(text)}


def select_faults(
    question: str,
    rows: Sequence[Fault],
    *,
    equipment_words: Iterable[str] = (),
    scoped: bool,
    limit: int = 5,
) -> Selection:
    """Pick the faults a history question asks about from ``rows`` (newest first).

    ``scoped`` says the rows are already those of the machine the question names; then a
    question without an event or symptom ('DG2 history') gets its latest faults.
    """
    events = events_in(question)
    skip = _GENERIC | _GENERIC_STEMS | {_stem(w) for w in equipment_words} | set(equipment_words)
    event_words = {
        _stem(t) for e in events for t in content_tokens(question) if EVENTS[e].search(t)
    }
    terms = {
        t
        for t in _words(question)
        if t not in skip and t not in event_words and not re.fullmatch(r"[a-z]{1,4}\d{1,2}|\d+", t)
    }
    kept: list[tuple[int, int, int, Fault]] = []
    for pos, fault in enumerate(rows):
        text = fault_text(fault)
        hit = any(EVENTS[e].search(text) for e in events)
        overlap = len(terms & _words(text))
        if events:
            keep = hit or overlap >= 2
        elif terms:
            keep = overlap >= (1 if scoped else min(2, len(terms)))
        else:
            keep = scoped
        if keep:
            kept.append((int(hit), min(overlap, 3), pos, fault))
    kept.sort(key=lambda k: (-k[0], -k[1], k[2]))
    if kept:
        return Selection([k[3] for k in kept[:limit]], True, events)
    if scoped and rows:
        return Selection(list(rows[: min(limit, 3)]), False, events)
    return Selection([], False, events)


def summarise(fault: Fault, code: str, name: str, repairs: Sequence[WorkOrder]) -> dict[str, Any]:
    """Return one fault as history data: date, symptom, cause, fix and hours."""
    done = [w for w in repairs if w.completed_at is not None or w.status.value == "done"]
    chosen = done or list(repairs)
    notes = [str(n.get("text", "")) for n in fault.notes or [] if isinstance(n, dict)]
    fix = chosen[-1].title if chosen else (notes[-1] if notes else None)
    hours = round(sum(w.hours or 0.0 for w in repairs), 1)
    symptom = " ".join(str(fault.description or "").split())
    if len(symptom) > 160:
        symptom = symptom[:157].rsplit(" ", 1)[0] + "..."
    return {
        "fault_id": fault.id,
        "equipment": code,
        "equipment_name": name,
        "title": fault.title,
        "symptom": symptom,
        "status": fault.status.value,
        "opened": fault.opened_at.date().isoformat(),
        "resolved": fault.resolved_at.date().isoformat() if fault.resolved_at else None,
        "root_cause": fault.root_cause,
        "fix": fix,
        "hours": hours or None,
        "notes": notes[-2:],
    }
