"""Answer evaluation: whole conversations on the seeded demo vessel, judged on the last turn.

    python -m eval.answers --cases FILE [--home DIR] [--json-cases OUT]

Seeds a demo home (register, users, parts, plans, six months of history and readings, the
fault history and the demo manuals indexed through the real pipeline; no live simulator, no
connectors) in a temporary folder, or reuses ``--home`` (seeding it when empty). Each case is
a new conversation of the demo user of the case's role, sent message by message through
``Assistant.turn``; confirmations are sent only when a message says so. Every case's writes
are rolled back (see ``eval.answers_home``). Prints one line per failed case, then, as the
last line, one JSON object with the figures (issue 13, item 6).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from sqlalchemy.orm import Session

from assistant import Assistant, AssistantSettings, RegisterIndex, TurnResult, load_index
from eval.answers_home import (
    DemoHome,
    caller_for_role,
    open_demo_home,
    rollback_engine,
    rolled_back,
)
from eval.answers_scoring import Case, CaseResult, Cite, TurnView, figures, load_cases
from knowledge import SearchScope
from records import BosunError, Caller, Fault, WorkOrder


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _code(index: RegisterIndex, value: object) -> str | None:
    """Resolve a tool's equipment argument to a register code (None when it names none)."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if value in index.items:
        return value
    return index.resolve(value).code


def _record_code(session: Session, index: RegisterIndex, args: dict[str, Any]) -> str | None:
    """The equipment of the work order or fault a change proposal targets."""
    codes = {item.id: code for code, item in index.items.items()}
    row: WorkOrder | Fault | None = None
    if args.get("work_order_id"):
        row = session.get(WorkOrder, int(args["work_order_id"]))
    elif args.get("fault_id"):
        row = session.get(Fault, int(args["fault_id"]))
    return codes.get(row.equipment_id) if row is not None else None


def view_of(
    result: TurnResult, session: Session, index: RegisterIndex, before: TurnView | None
) -> TurnView:
    """What the judge needs of a turn: outcome, proposal, tools and their equipment.

    ``before`` is the case's latest turn with a proposal: a "yes" that executes something
    executed that proposal.
    """
    proposed = result.proposed_action
    args: dict[str, Any] = dict(proposed.arguments) if proposed else {}
    if proposed is not None and not args.get("equipment_code"):
        code = _record_code(session, index, args)
        if code:
            args["equipment_code"] = code
    tools = tuple(
        (call.name, _code(index, call.args.get("equipment") or call.args.get("query")))
        if call.name == "lookup_equipment"
        else (call.name, _code(index, call.args.get("equipment")))
        for call in result.tool_calls
    )
    done = result.executed is not None
    return TurnView(
        outcome=result.outcome,
        proposal_kind=proposed.kind if proposed else None,
        proposal_args=args,
        tools=tools,
        executed_kind=before.proposal_kind if done and before else None,
        executed_args=dict(before.proposal_args) if done and before else {},
    )


def _citations(result: TurnResult, documents: dict[int, str]) -> tuple[Cite, ...]:
    pairs = (Cite(documents.get(c.document_id, c.title), c.page) for c in result.citations)
    return tuple(dict.fromkeys(pairs))


def run_case(
    home: DemoHome, assistant: Assistant, engine: Any, index: RegisterIndex, case: Case
) -> CaseResult:
    """Run one case in a new conversation; its writes are rolled back at the end."""
    caller: Caller = caller_for_role(home, case.role)
    key = f"eval-answers-{case.id}-{uuid.uuid4().hex[:8]}"
    views: list[TurnView] = []
    ms: list[float] = []
    reply = ""
    cites: tuple[Cite, ...] = ()
    proposal: TurnView | None = None
    with rolled_back(engine) as session_for:
        for text in case.messages:
            session = session_for(caller)
            start = time.perf_counter()
            try:
                result = assistant.turn(
                    session,
                    caller,
                    text,
                    channel="eval",
                    conversation_key=key,
                    vessel_id=home.vessel_id,
                )
                view = view_of(result, session, index, proposal)
                session.commit()
                reply, cites = result.reply, _citations(result, home.documents)
            except Exception as err:  # an engine error is a failed turn, not a stopped run
                session.rollback()
                if not isinstance(err, BosunError):
                    _say(f"case {case.id}: {type(err).__name__} in turn {len(views) + 1}")
                    _say(traceback.format_exc(limit=6))
                view = TurnView(outcome="error")
                reply, cites = f"{type(err).__name__}: {err}", ()
            finally:
                session.close()
            ms.append((time.perf_counter() - start) * 1000)
            if view.proposal_kind is not None:
                proposal = view
            views.append(view)
    return CaseResult(case, tuple(views), reply, cites, tuple(ms))


def evaluate(home_dir: Path, cases: list[Case]) -> list[CaseResult]:
    """Open (seeding when needed) the demo home and run every case."""
    started = time.perf_counter()
    home = open_demo_home(home_dir, _say)
    _say(f"home {home_dir} ready in {time.perf_counter() - started:.1f} s")
    engine = rollback_engine(home.bosun.settings.url)
    try:
        for case in cases:
            caller_for_role(home, case.role)  # an unknown role stops the run before it starts
        assistant = Assistant(retriever=home.knowledge, settings=AssistantSettings())
        with home.bosun.db.transaction(home.callers["crew"]) as s:
            index = load_index(s, home.callers["crew"], home.vessel_id)
        _say("loading the embedding model (not timed)")
        home.knowledge.search(
            "lube oil pressure", SearchScope(org_id=home.org_id, vessel_id=home.vessel_id), limit=1
        )
        results = []
        began = time.perf_counter()
        for n, case in enumerate(cases, 1):
            result = run_case(home, assistant, engine, index, case)
            results.append(result)
            mark = "ok" if not result.failures() else "FAIL"
            _say(f"case {n}/{len(cases)} {case.id}: {mark} ({sum(result.ms):.0f} ms)")
        if cases:
            per_case = (time.perf_counter() - began) / len(cases)
            _say(
                f"{len(cases)} cases in {time.perf_counter() - began:.1f} s ({per_case:.2f} s each)"
            )
        return results
    finally:
        engine.dispose()
        home.close()


def failure_line(result: CaseResult) -> str:
    """One line for a failed case: id, category, what was expected and what came."""
    said = " | ".join(result.case.messages)
    return (
        f"FAIL {result.case.id} [{result.case.category}] {'; '.join(result.failures())} :: {said}"
    )


def main(argv: list[str] | None = None) -> None:
    """Run the answer evaluation from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m eval.answers", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--cases", required=True, type=Path, help="cases, one JSON per line")
    parser.add_argument(
        "--home", type=Path, default=None, help="demo home to reuse (seeded when empty)"
    )
    parser.add_argument("--json-cases", type=Path, default=None, help="write per-case results")
    args = parser.parse_args(argv)
    cases = load_cases(args.cases)
    if args.home is not None:
        results = evaluate(args.home, cases)
    else:
        with tempfile.TemporaryDirectory(prefix="bosun-answers-") as tmp:
            results = evaluate(Path(tmp) / "home", cases)
    if args.json_cases is not None:
        args.json_cases.write_text(
            "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in results),
            encoding="utf-8",
        )
    for result in results:
        if result.failures():
            print(failure_line(result))
    print(json.dumps(figures(results)))


if __name__ == "__main__":
    main()
