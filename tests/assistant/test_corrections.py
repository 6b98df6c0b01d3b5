"""Corrections, 'both' answers and note targets in a conversation (issue 13, item 2)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assistant import Assistant, Item, RegisterIndex
from assistant.corrections import corrected_code, focus, parse_correction, swap_designators
from assistant.intents import recognise
from records import (
    AuditLog,
    Fault,
    PendingAction,
    PendingStatus,
    WorkOrder,
    work_orders,
)
from tests.assistant.conftest import Say, World


def _faults(world: World) -> list[Fault]:
    with world.db.transaction(world.chief) as s:
        return list(s.scalars(select(Fault).where(Fault.org_id == world.org_id)))


def _actions(world: World) -> list[PendingAction]:
    with world.db.transaction(world.chief) as s:
        return list(
            s.scalars(
                select(PendingAction)
                .where(PendingAction.org_id == world.org_id)
                .order_by(PendingAction.id)
            )
        )


def _audit(world: World, action_id: int) -> list[str]:
    with world.db.transaction(world.chief) as s:
        return list(
            s.scalars(
                select(AuditLog.action)
                .where(
                    AuditLog.org_id == world.org_id,
                    AuditLog.entity == "pending_actions",
                    AuditLog.entity_id == action_id,
                )
                .order_by(AuditLog.id)
            )
        )


@pytest.mark.parametrize(
    "correction",
    [
        "not ME1, it's ME2",
        "sorry I meant ME2",
        "no, ME2 not ME1",
        "ME2 not ME1",
        "actually it's the stbd one",
        "make it the starboard one",
        "wrong one, should be ME2",
        "not that one, the other one",
    ],
)
def test_a_correction_replaces_the_pending_proposal(
    world: World, say: Say, correction: str
) -> None:
    first = say("ME1 fuel pump leaking at the barrel")
    assert first.proposed_action is not None
    assert first.proposed_action.arguments["equipment_code"] == "601.1.10"
    moved = say(correction)
    assert moved.outcome == "proposed" and moved.proposed_action is not None
    args = moved.proposed_action.arguments
    assert args["equipment_code"] == "601.2.10"
    assert args["title"] == "ME2 fuel pump leaking at the barrel"
    assert "cancelled" in moved.reply and "601.2.10" in moved.reply
    # The old proposal is withdrawn in the records, audited as superseded; the new one waits.
    old, new = _actions(world)
    assert (old.id, new.id) == (first.proposed_action.id, moved.proposed_action.id)
    assert old.status is PendingStatus.rejected and new.status is PendingStatus.proposed
    assert _audit(world, old.id) == ["propose", "supersede"]
    done = say("yes")
    assert done.outcome == "done"
    assert say("yes").executed is None  # nothing more to confirm
    fs = _faults(world)
    assert len(fs) == 1 and fs[0].equipment_id == world.codes["601.2.10"]
    assert "correct" not in fs[0].title.lower() and "meant" not in fs[0].title.lower()


def test_no_with_the_right_one_and_the_wrong_one(world: World, say: Say) -> None:
    first = say("ME2 fuel pump weeping")
    assert first.proposed_action is not None
    out = say("no, ME1 not ME2")
    assert out.proposed_action is not None
    assert out.proposed_action.arguments["equipment_code"] == "601.1.10"
    say("yes")
    fs = _faults(world)
    assert [f.equipment_id for f in fs] == [world.codes["601.1.10"]]


def test_port_one_moves_to_the_counterpart(say: Say) -> None:
    say("ME2 fuel pump weeping")
    out = say("make it the port one")
    assert out.proposed_action is not None
    assert out.proposed_action.arguments["equipment_code"] == "601.1.10"


def test_correcting_to_the_same_equipment_keeps_the_proposal(world: World, say: Say) -> None:
    first = say("ME1 fuel pump leaking")
    assert first.proposed_action is not None
    out = say("sorry I meant ME1")
    assert out.proposed_action is not None and out.proposed_action.id == first.proposed_action.id
    assert "already on 601.1.10" in out.reply
    assert [a.status for a in _actions(world)] == [PendingStatus.proposed]


def test_a_new_report_is_not_taken_for_a_correction(world: World, say: Say) -> None:
    first = say("ME1 fuel pump leaking")
    assert first.proposed_action is not None
    out = say("DG1 not starting on the first attempt")
    assert out.proposed_action is not None
    assert out.proposed_action.arguments["equipment_code"] == "651.1"
    statuses = {a.id: a.status for a in _actions(world)}
    assert statuses[first.proposed_action.id] is PendingStatus.proposed  # not superseded


def test_correction_after_a_question_reruns_the_question(world: World, say: Say) -> None:
    r = say("How do I change over the ME1 fuel filter?")
    assert r.outcome == "answer" and r.proposed_action is None
    out = say("sorry I meant ME2")
    assert out.proposed_action is None and out.outcome == "answer"
    search = next(c for c in out.tool_calls if c.name == "search_manuals")
    assert search.args["equipment"] == "601.2"
    assert _actions(world) == []  # a correction is never filed as a fault


def test_correction_after_a_filed_fault_proposes_anew(world: World, say: Say) -> None:
    say("ME1 fuel pump leaking")
    assert say("yes").outcome == "done"
    out = say("sorry, I meant ME2")
    assert out.proposed_action is not None
    assert out.proposed_action.arguments["equipment_code"] == "601.2.10"
    assert out.proposed_action.arguments["title"] == "ME2 fuel pump leaking"


def test_both_for_a_report_files_one_fault_per_candidate_once(
    world: World, say: Say, assistant: Assistant
) -> None:
    r = say("the fuel pump is leaking")
    assert r.outcome == "clarify"
    out = say("both")
    assert out.outcome == "proposed" and out.proposed_action is not None
    args = out.proposed_action.arguments
    assert out.proposed_action.kind == "report_fault"
    assert args["equipment_codes"] == ["601.1.10", "601.2.10"]
    assert args["equipment_code"] == "601.1.10"
    assert args["equipment_ids"] == [world.codes["601.1.10"], world.codes["601.2.10"]]
    assert "601.1.10" in out.reply and "601.2.10" in out.reply
    assert len(_actions(world)) == 1  # one proposal, one confirmation
    done = say("yes")
    assert done.outcome == "done" and done.executed is not None
    assert len(done.executed["fault_ids"]) == 2
    assert "faults #" in done.reply
    # Confirming again, in words or with the button, files nothing more.
    say("yes")
    with world.db.transaction(world.chief) as s:
        assistant.decide(s, world.chief, out.proposed_action.id, approve=True)
    fs = _faults(world)
    assert sorted(f.equipment_id for f in fs) == sorted(
        [world.codes["601.1.10"], world.codes["601.2.10"]]
    )
    assert {f.title for f in fs} == {"Fuel pump is leaking"}


def test_all_of_them_for_a_group(world: World, say: Say) -> None:
    r = say("main engine lube oil pressure low")
    assert {c["code"] for c in r.candidates} == {"601.1", "601.2"}
    out = say("all of them")
    assert out.proposed_action is not None
    assert out.proposed_action.arguments["equipment_codes"] == ["601.1", "601.2"]
    assert out.proposed_action.arguments["priority"] == "high"  # low lube-oil pressure
    say("yes")
    assert len(_faults(world)) == 2


def test_both_for_a_question_answers_each(world: World, say: Say) -> None:
    r = say("how is the fuel pump doing")
    assert r.outcome == "clarify"
    out = say("both please")
    assert out.proposed_action is None and out.outcome == "answer"
    health = [c.args["equipment"] for c in out.tool_calls if c.name == "equipment_health"]
    assert health == ["601.1.10", "601.2.10"]
    first, second = out.reply.split("\n\n")
    assert first.startswith("601.1.10 ME1 fuel injection pump")
    assert second.startswith("601.2.10 ME2 fuel injection pump")
    assert _actions(world) == []


def _work_order(world: World, code: str) -> int:
    with world.db.transaction(world.chief) as s:
        wo = work_orders.create_work_order(
            s, world.chief, equipment_id=world.codes[code], title="Overhaul", kind="corrective"
        )
        s.flush()
        return wo.id


def test_a_note_goes_to_the_record_named_not_equipment_in_its_text(world: World, say: Say) -> None:
    wo = _work_order(world, "651.1")
    first = say("ME1 fuel pump leaking")
    assert first.proposed_action is not None
    out = say(f"add note to WO {wo}: finished after DP ops, ME2 fuel pump checked")
    assert out.proposed_action is not None
    assert out.proposed_action.kind == "update_work_order"
    args = out.proposed_action.arguments
    assert args["work_order_id"] == wo and args["equipment_code"] == "651.1"  # the WO's item
    assert "status" not in args  # a note's words change no status
    assert args["note"] == "finished after DP ops, ME2 fuel pump checked"
    statuses = {a.id: a.status for a in _actions(world)}
    assert statuses[first.proposed_action.id] is PendingStatus.proposed  # not re-targeted
    say("yes")
    with world.db.transaction(world.chief) as s:
        row = s.get(WorkOrder, wo)
        assert row is not None and row.equipment_id == world.codes["651.1"]
    assert _faults(world) == []


def test_a_note_answering_which_one_is_still_a_note(world: World, say: Say) -> None:
    wo = _work_order(world, "651.2")
    assert say("the fuel pump is leaking").outcome == "clarify"
    out = say(f"note WO {wo}: ME2 pump ok")
    assert out.proposed_action is not None
    assert out.proposed_action.kind == "update_work_order"
    assert out.proposed_action.arguments["work_order_id"] == wo
    assert out.proposed_action.arguments["note"] == "ME2 pump ok"
    assert _faults(world) == []


def test_details_after_naming_a_record_go_to_that_record(world: World, say: Say) -> None:
    wo = _work_order(world, "651.1")
    r = say(f"add note to WO {wo}")
    assert r.proposed_action is None and "What should change" in r.reply
    out = say("ME2 was at idle, DG1 on the board")
    assert out.proposed_action is not None
    assert out.proposed_action.kind == "update_work_order"
    assert out.proposed_action.arguments["work_order_id"] == wo
    assert out.proposed_action.arguments["note"] == "ME2 was at idle, DG1 on the board"
    assert _faults(world) == []


def test_and_another_after_a_proposal_covers_both_on_one_yes(world: World, say: Say) -> None:
    first = say("ME1 fuel pump leaking")
    assert first.proposed_action is not None
    out = say("and ME2")
    assert out.proposed_action is not None
    assert out.proposed_action.arguments["equipment_codes"] == ["601.1.10", "601.2.10"]
    say("yes")
    assert sorted(f.equipment_id for f in _faults(world)) == sorted(
        [world.codes["601.1.10"], world.codes["601.2.10"]]
    )


def test_and_another_after_a_question_asks_it_again(world: World, say: Say) -> None:
    _work_order(world, "651.2")
    r = say("open work orders on DG1")
    assert r.proposed_action is None
    out = say("and DG2?")
    assert out.proposed_action is None and out.outcome == "answer"
    listing = next(c for c in out.tool_calls if c.name == "list_open")
    assert listing.args["equipment"] == "651.2"
    assert _actions(world) == []


def test_a_note_without_text_asks_and_the_next_message_is_the_note(world: World, say: Say) -> None:
    # A many-digit number does not lose its last digit to the note.
    assert recognise("add note to fault 145").note is None
    assert recognise("add note to fault 145: seal renewed").note == "seal renewed"
    wo = _work_order(world, "651.1")
    r = say(f"add note to WO {wo}")
    assert r.proposed_action is None and "What should change" in r.reply
    out = say("ME2 was at idle, DG1 on the board")
    assert out.proposed_action is not None
    assert out.proposed_action.arguments == {
        "work_order_id": wo,
        "equipment_code": "651.1",  # the work order's own item, not ME2 or DG1
        "note": "ME2 was at idle, DG1 on the board",
    }


def _index() -> RegisterIndex:
    rows = [
        ("431", "Steering gear", (), None),
        ("431.1", "Steering gear port", ("port steering gear",), "431"),
        ("431.2", "Steering gear starboard", ("stbd steering gear",), "431"),
        ("601", "Main engines", (), None),
        ("601.1", "Main engine No. 1", ("ME1", "port main engine"), "601"),
        ("601.2", "Main engine No. 2", ("ME2", "stbd main engine"), "601"),
        ("701", "Fuel oil system", (), None),
        ("701.2", "Fuel oil purifier", ("FO purifier",), "701"),
        ("711", "Lube oil system", (), None),
        ("711.1", "Lube oil purifier ME1", ("LO purifier 1", "LO purifier"), "711"),
    ]
    return RegisterIndex.build(
        Item(id=i, code=c, name=n, aliases=a, parent_code=p, is_machine="." in c)
        for i, (c, n, a, p) in enumerate(rows, 1)
    )


@pytest.mark.parametrize(
    ("old", "text", "new"),
    [
        ("431.1", "make it the stbd one", "431.2"),  # the twin, not the stbd main engine
        ("431.2", "not that one, the other one", "431.1"),
        ("601.1", "not ME1, it's ME2", "601.2"),
        ("711.1", "no the FO one", "701.2"),  # the FO purifier: the old item's noun
    ],
)
def test_corrected_code_looks_near_the_old_item(old: str, text: str, new: str) -> None:
    corr = parse_correction(text)
    assert corr is not None
    assert corrected_code(_index(), old, corr) == new


@pytest.mark.parametrize(
    ("text", "moved"),
    [
        ("ME1 LO pressure low", "ME2 LO pressure low"),
        ("main engine 1 LO pressure low", "main engine 2 LO pressure low"),
        ("Main engine No. 1 smoking", "Main engine No. 2 smoking"),
        ("port main engine smoking", "stbd main engine smoking"),
        ("main engine 12 cylinders", "main engine 12 cylinders"),  # another number
    ],
)
def test_a_moved_title_names_the_new_item(text: str, moved: str) -> None:
    """'sorry BT2 not BT1' must not leave 'Bow thruster 1 tripped' as BT2's title."""
    assert swap_designators(_index(), "601.1", "601.2", text) == moved


def test_both_after_an_unclear_request_writes_nothing(world: World, say: Say) -> None:
    r = say("the fuel pump")
    assert r.outcome == "clarify"
    out = say("both")
    assert out.proposed_action is None and out.outcome == "clarify"
    assert "601.1.10" in out.reply and "601.2.10" in out.reply
    assert _actions(world) == []


def test_both_after_a_terse_state_question_answers_each(world: World, say: Say) -> None:
    # 'fuel pump hours' names no rule's keyword, but it asks (a state question): both get it.
    r = say("fuel pump hours")
    assert r.outcome == "clarify"
    out = say("both")
    assert out.proposed_action is None and out.outcome == "answer"
    asked = [c.args.get("equipment") for c in out.tool_calls if c.name != "lookup_equipment"]
    assert asked == ["601.1.10", "601.2.10"]
    assert _actions(world) == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("raise a WO to change ME2 fuel pump filter after DG1 ops", "601.2.10"),
        ("new WO for DG2: oil sample, ME1 style", "651.2"),
        ("DG1 knocking while ME1 at full load", "651.1"),
        ("ME1 fuel pump and ME2 fuel pump both weeping", None),  # two on purpose: unchanged
    ],
)
def test_equipment_in_an_aside_is_not_the_target(text: str, code: str | None) -> None:
    index = _index_for_focus()
    focused = focus(index, text)
    if code is None:
        assert focused == text
    else:
        assert index.resolve(focused).code == code


def _index_for_focus() -> RegisterIndex:
    rows = [
        ("601", "Main engines", (), None),
        ("601.1", "Main engine No. 1", ("ME1",), "601"),
        ("601.1.10", "ME1 fuel injection pump", ("ME1 fuel pump",), "601.1"),
        ("601.2", "Main engine No. 2", ("ME2",), "601"),
        ("601.2.10", "ME2 fuel injection pump", ("ME2 fuel pump",), "601.2"),
        ("651", "Generators", (), None),
        ("651.1", "Diesel generator No. 1", ("DG1",), "651"),
        ("651.2", "Diesel generator No. 2", ("DG2",), "651"),
    ]
    return RegisterIndex.build(
        Item(id=i, code=c, name=n, aliases=a, parent_code=p, is_machine=True)
        for i, (c, n, a, p) in enumerate(rows, 1)
    )


def test_both_after_a_question_answered_for_what_fits_asks_each(world: World, say: Say) -> None:
    first = say("fuel pump overhaul interval")
    assert first.outcome != "clarify"
    out = say("both of them")
    assert out.proposed_action is None
    asked = [c.args.get("equipment") for c in out.tool_calls if c.name == "search_manuals"]
    assert "601.1.10" in asked and "601.2.10" in asked
    assert _actions(world) == []


def test_it_after_which_has_most_faults_is_the_one_that_leads(world: World, say: Say) -> None:
    for text in ("ME1 LO pressure low", "ME1 exhaust temp high on no 3", "ME2 fuel pump leaking"):
        say(text)
        say("yes")
    assert len(_faults(world)) == 3
    say("which main engine has the most faults")
    out = say("whats the usual problem on it")
    asked = [c.args.get("equipment") for c in out.tool_calls if c.name != "lookup_equipment"]
    assert asked and asked[0] == "601.1"


def test_a_pick_that_says_more_is_said_of_the_one_picked(world: World, say: Say) -> None:
    r = say("fuel pump")
    assert r.outcome == "clarify"
    out = say("the ME2 one is leaking badly at the fuel rail")
    assert out.proposed_action is not None
    assert out.proposed_action.arguments["equipment_code"] == "601.2.10"
