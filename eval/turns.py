"""Turn evaluation: does the assistant take the right decision on a crew member's first message?

    python -m eval.turns --register REGISTER.yaml --cases CASES.jsonl

Imports the register into a temporary embedded store, runs each case as the first turn of a
fresh conversation as a chief_engineer of that vessel through the real assistant (with an
empty knowledge base), judges the decision (issue 4, item 8), prints one line per case and
the totals, and as the last line one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

WRITES = frozenset({"report_fault", "create_work_order", "update_work_order"})
SEARCHES = frozenset({"search_manuals", "search_fault_history"})
TOOL_ACTION = {
    "search_manuals": "answer",
    "search_fault_history": "answer",
    "add_note": "update_work_order",
    "fault_statistics": "answer",
    "plans_due": "equipment_health",
    "running_hours": "equipment_health",
    "overdue_work_orders": "list_open",
}


@dataclass(frozen=True, slots=True)
class Case:
    """One evaluation case."""

    line: int
    text: str
    voice: bool
    actions: tuple[str, ...]
    equipment: str | None
    priority: str | None


@dataclass(frozen=True, slots=True)
class Judged:
    """What the assistant decided for a case and whether it was right."""

    case: Case
    action: str
    equipment: str | None
    priority: str | None
    wrote: bool
    ms: float
    reply: str

    @property
    def action_ok(self) -> bool:
        """Whether the decision is one of the acceptable ones."""
        return self.action in self.case.actions

    @property
    def equipment_ok(self) -> bool | None:
        """Whether the equipment matches (None when the case gives none)."""
        return None if self.case.equipment is None else self.equipment == self.case.equipment

    @property
    def priority_ok(self) -> bool | None:
        """Whether the priority matches (None when the case gives none)."""
        return None if self.case.priority is None else self.priority == self.case.priority

    @property
    def wrong_write(self) -> bool:
        """Whether a write was proposed where none was expected."""
        return self.wrote and not (set(self.case.actions) & WRITES)


def load_cases(path: Path) -> list[Case]:
    """Read the cases file (one JSON object per line)."""
    cases = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
            expect = obj["expect"]
            action = expect["action"]
            actions = tuple(action) if isinstance(action, list) else (action,)
            cases.append(
                Case(
                    n,
                    str(obj["text"]),
                    bool(obj.get("voice", False)),
                    actions,
                    expect.get("equipment"),
                    expect.get("priority"),
                )
            )
        except (ValueError, KeyError, TypeError) as err:
            raise SystemExit(f"{path}, line {n}: not a valid case ({err})") from err
    return cases


def judge(case: Case, result: Any, ms: float, codes: dict[str, str]) -> Judged:
    """Derive the decision of one turn as issue 4 defines it."""
    proposed = result.proposed_action
    equipment: str | None = None
    priority: str | None = None
    if proposed is not None:
        action = proposed.kind
        args = proposed.arguments
        equipment = args.get("equipment_code") or codes.get(str(args.get("equipment_id")))
        priority = args.get("priority")
    else:
        first = next((c for c in result.tool_calls if c.name != "lookup_equipment"), None)
        if first is not None:
            action = TOOL_ACTION.get(first.name, first.name)
            raw = first.args.get("equipment")
            equipment = str(raw) if raw else None
            priority = first.args.get("priority")
        else:
            action = "clarify" if result.outcome == "clarify" else "refuse"
    return Judged(case, action, equipment, priority, proposed is not None, ms, result.reply)


def _rate(values: list[bool]) -> float:
    return round(sum(values) / len(values), 4) if values else 1.0


def run(register_path: Path, cases_path: Path, *, quiet: bool = False) -> dict[str, Any]:
    """Run the evaluation and return the figures."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sqlalchemy import select

    from assistant import Assistant, AssistantSettings, EmptyRetriever
    from records import (
        ALL_TENANTS,
        Database,
        Equipment,
        Role,
        migrate,
        register_import,
        system_caller,
        users,
    )

    cases = load_cases(cases_path)
    with tempfile.TemporaryDirectory(prefix="bosun-eval-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'eval.db'}"
        migrate(url)
        db = Database.from_url(url)
        spec = register_import.load_file(register_path)
        with db.transaction(ALL_TENANTS) as s:
            org_id = register_import.resolve_organization(s, spec.organization).id
        with db.transaction(org_id) as s:
            report = register_import.import_register(s, spec)
            vessel_id = report.vessel_id
            user = users.create_user(
                s,
                system_caller(org_id),
                name="Eval Chief",
                email="chief@eval.example",
                role=Role.chief_engineer,
                vessel_ids=[vessel_id],
            )
            s.flush()
            caller = users.caller_for(user, "eval")
            codes = {
                str(e.id): e.code
                for e in s.scalars(select(Equipment).where(Equipment.vessel_id == vessel_id))
            }
        assistant = Assistant(retriever=EmptyRetriever(), settings=AssistantSettings())
        judged: list[Judged] = []
        for i, case in enumerate(tqdm(cases, desc="turns", file=sys.stderr, disable=quiet)):
            start = time.perf_counter()
            with db.transaction(caller) as s:
                result = assistant.turn(
                    s,
                    caller,
                    case.text,
                    channel="eval",
                    conversation_key=f"case-{i}",
                    voice=case.voice,
                    vessel_id=vessel_id,
                )
            ms = (time.perf_counter() - start) * 1000
            j = judge(case, result, ms, codes)
            judged.append(j)
            mark = (
                "ok  "
                if j.action_ok and j.equipment_ok is not False and j.priority_ok is not False
                else "FAIL"
            )
            expect = "/".join(case.actions)
            detail = f"{j.action} {j.equipment or '-'} {j.priority or '-'}"
            want = f"{expect} {case.equipment or '-'} {case.priority or '-'}"
            tqdm.write(
                f"{mark} {case.line:>4} {ms:6.1f} ms  got {detail:<34} want {want:<34} "
                f"| {case.text}"
            )
        db.dispose()
    lat = sorted(j.ms for j in judged)
    p95 = lat[min(len(lat) - 1, max(0, round(0.95 * len(lat)) - 1))] if lat else 0.0
    by_action: Counter[str] = Counter()
    ok_by_action: Counter[str] = Counter()
    for j in judged:
        key = "/".join(j.case.actions)
        by_action[key] += 1
        ok_by_action[key] += int(j.action_ok)
    print("per expected action:")
    for key, n in sorted(by_action.items()):
        print(f"  {key:<28} {ok_by_action[key]:>4}/{n}")
    non_write = [j for j in judged if not set(j.case.actions) & WRITES]
    figures = {
        "n": len(judged),
        "action_accuracy": _rate([j.action_ok for j in judged]),
        "equipment_accuracy": _rate(
            [bool(j.equipment_ok) for j in judged if j.equipment_ok is not None]
        ),
        "priority_accuracy": _rate(
            [bool(j.priority_ok) for j in judged if j.priority_ok is not None]
        ),
        "wrong_write_rate": _rate([j.wrong_write for j in non_write]) if non_write else 0.0,
        "latency_p50_ms": round(statistics.median(lat), 1) if lat else 0.0,
        "latency_p95_ms": round(p95, 1),
    }
    n_eq = sum(1 for j in judged if j.equipment_ok is not None)
    n_pr = sum(1 for j in judged if j.priority_ok is not None)
    print(
        f"cases {figures['n']}, with equipment {n_eq}, with priority {n_pr}, "
        f"non-write {len(non_write)}"
    )
    return figures


def main(argv: list[str] | None = None) -> None:
    """Run the turn evaluation from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m eval.turns", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--register", required=True, type=Path, help="register YAML or CSV")
    parser.add_argument("--cases", required=True, type=Path, help="cases, one JSON per line")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    figures = run(args.register, args.cases, quiet=args.quiet)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
