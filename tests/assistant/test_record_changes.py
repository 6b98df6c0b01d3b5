"""Changes to existing records in crew words: notes, bare numbers after a list, due dates."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from assistant.dates import due_phrase, parse_due
from assistant.intents import names_record, recognise
from assistant.retriever import Retriever
from records import (
    Fault,
    FaultStatus,
    Role,
    User,
    WorkOrder,
    WorkOrderStatus,
    faults,
    users,
    utcnow,
    work_orders,
)
from tests.assistant.conftest import Say, World
from tests.assistant.test_tools import tools_for

# --- notes ------------------------------------------------------------------------------------


NOTES = [
    ("its already fault 74, just add a note its still alarming", "fault", 74, "still alarming"),
    ("add a note to fault 74 that the float is stuck", "fault", 74, "the float is stuck"),
    ("fault 74 add a comment - alarm reset, level ok", "fault", 74, "alarm reset, level ok"),
    ("put in the note for WO 12 that spares are on order", "work_order", 12, "spares are on order"),
    ("note: waiting for spares on WO 12", "work_order", 12, "waiting for spares"),
    ("update fault 74 with pump tripped again at 0300", "fault", 74, "pump tripped again at 0300"),
    ("still alarming, add a note to fault 74", "fault", 74, "still alarming"),
    ("add note to fault 145: seal renewed", "fault", 145, "seal renewed"),
    (
        "WO 12 in progress - started stripping the pump",
        "work_order",
        12,
        "started stripping the pump",
    ),
]


@pytest.mark.parametrize(("text", "kind", "ref", "note"), NOTES)
def test_notes_in_crew_words(text: str, kind: str, ref: int, note: str) -> None:
    intent = recognise(text)
    assert intent.kind == "update_work_order"
    assert (intent.ref_kind, intent.ref_id) == (kind, ref)
    assert intent.note == note


def test_update_with_a_change_is_no_note() -> None:
    intent = recognise("update WO 12 with 3 hrs and close it")
    assert (intent.status, intent.hours) == ("done", 3.0)


def test_a_note_says_nothing_about_status_or_due_date() -> None:
    intent = recognise("add a note to WO 12: pump done, spares due friday")
    assert intent.note == "pump done, spares due friday"
    assert intent.status is None and intent.due is None


def test_a_note_to_a_fault_after_a_fault_proposal(world: World, say: Say) -> None:
    with world.db.transaction(world.chief) as s:
        fault = faults.report_fault(
            s, world.chief, equipment_id=world.codes["701.2"], title="Purifier overflow alarm"
        )
        s.flush()
        fault_id = fault.id
    first = say("purifier overflow alarm again")
    assert first.proposed_action is not None
    out = say(f"its already fault {fault_id}, just add a note its still alarming")
    assert out.proposed_action is not None and out.proposed_action.kind == "update_work_order"
    assert out.proposed_action.arguments["fault_id"] == fault_id
    assert out.proposed_action.arguments["note"] == "still alarming"
    assert "status" not in out.proposed_action.arguments


# --- a number said without its kind -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number", "status"),
    [
        ("close 318, T/C washed and mat renewed", 318, "done"),
        ("318 done", 318, "done"),
        ("mark 318 as done", 318, "done"),
        ("pls close out 318 - filter mat renewed", 318, "done"),
        ("ack 74", 74, "acknowledged"),
        ("update 74 with still alarming", 74, None),
        ("add a note to 318 that mat is renewed", 318, None),
    ],
)
def test_a_change_to_a_bare_number(text: str, number: int, status: str | None) -> None:
    intent = recognise(text)
    assert intent.kind == "update_work_order" and intent.ref_kind is None
    assert intent.ref_id == number and intent.status == status
    assert intent.update_args()["number"] == number
    assert names_record(text)


@pytest.mark.parametrize(
    "text",
    [
        "close 2 valves on the FO line",
        "set 2 to auto",
        "start 2",
        "ME1 at 318 rpm",
        "close 3 and 4",
    ],
)
def test_a_number_that_is_no_record(text: str) -> None:
    assert recognise(text).kind != "update_work_order"


def test_close_a_number_after_a_list(world: World, say: Say) -> None:
    with world.db.transaction(world.chief) as s:
        wo = work_orders.create_work_order(
            s, world.chief, equipment_id=world.codes["601.1"], title="Water wash ME1 T/C"
        )
        s.flush()
        wo_id = wo.id
    listing = say("show open WOs")
    assert f"WO #{wo_id}" in listing.reply
    out = say(f"close {wo_id}, T/C washed and mat renewed")
    assert out.proposed_action is not None
    assert out.proposed_action.arguments == {
        "work_order_id": wo_id,
        "equipment_code": "601.1",
        "status": "done",
        "note": "T/C washed and mat renewed",
    }
    say("yes")
    with world.db.transaction(world.chief) as s:
        row = s.get(WorkOrder, wo_id)
        assert row is not None and row.status is WorkOrderStatus.done
        assert row.notes[-1]["text"] == "T/C washed and mat renewed"


def _same_number(world: World) -> int:
    """A work order and a fault that share one number (both open), as on a real vessel."""
    number = 900_000 + uuid.uuid4().int % 90_000
    with world.db.transaction(world.chief) as s:
        wo = work_orders.create_work_order(
            s, world.chief, equipment_id=world.codes["651.1"], title="DG1 oil change"
        )
        fault = faults.report_fault(
            s, world.chief, equipment_id=world.codes["701.2"], title="Purifier overflow"
        )
        s.flush()
        s.execute(update(WorkOrder).where(WorkOrder.id == wo.id).values(id=number))
        s.execute(update(Fault).where(Fault.id == fault.id).values(id=number))
    return number


def test_a_number_both_records_carry_is_asked_then_follows_status(
    world: World, retriever: Retriever
) -> None:
    number = _same_number(world)
    with tools_for(world, world.chief, retriever) as (_, call):
        out = call("update_work_order", number=number, status="done")
        assert out["ok"] is False
        assert f"Work order #{number} 'DG1 oil change'" in out["error"]
        assert f"fault #{number} 'Purifier overflow'" in out["error"]
        acked = call("update_work_order", number=number, status="acknowledged")
        assert f"On fault #{number}" in acked["display"]  # only a fault is acknowledged
    with world.db.transaction(world.chief) as s:
        fault = faults.get_fault(s, world.chief, number)
        faults.transition_fault(s, world.chief, fault, FaultStatus.resolved)
    with tools_for(world, world.chief, retriever) as (_, call):
        out = call("update_work_order", number=number, status="done")
        assert f"On work order #{number}" in out["display"]  # the open one of the two
        missing = call("update_work_order", number=number + 100_000, status="done")
        assert missing["ok"] is False and "no open work order or fault" in missing["error"]


def test_the_listed_record_wins_for_a_shared_number(world: World, say: Say) -> None:
    number = _same_number(world)
    listing = say("list open faults")
    assert f"Fault #{number}" in listing.reply and f"WO #{number}" not in listing.reply
    out = say(f"update {number} with overflow stopped after bowl clean")
    assert out.proposed_action is not None
    assert out.proposed_action.arguments["fault_id"] == number
    assert out.proposed_action.arguments["note"] == "overflow stopped after bowl clean"


# --- due dates -----------------------------------------------------------------------------


TUESDAY = date(2026, 12, 8)
MONDAY_AFTER = date(2026, 12, 14)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("push wo 334 due date to friday", date(2026, 12, 18)),  # later than its due date
        ("bring WO 334 forward to friday", date(2026, 12, 11)),
        ("WO 334 due this friday", date(2026, 12, 11)),
        ("due date WO 334 next friday", date(2026, 12, 18)),
        ("change due date of WO 334 to tomorrow", date(2026, 12, 9)),
        ("move WO 334 to next week", date(2026, 12, 15)),
        ("WO 334 due in 3 days", date(2026, 12, 11)),
        ("WO 12 due 15 dec", date(2026, 12, 15)),
        ("reschedule wo 334 for 20/12", date(2026, 12, 20)),
        ("push wo 334 to jan 5", date(2027, 1, 5)),
        ("postpone WO 334 a week", date(2026, 12, 21)),
        ("push WO 334 back 3 days", date(2026, 12, 17)),
        ("extend WO 334 by 2 weeks", date(2026, 12, 28)),
        ("WO 334 new due date 2027-01-05", date(2027, 1, 5)),
        ("set due date on WO 334 to the 20th", date(2026, 12, 20)),
        ("deadline for WO 334 is end of month", date(2026, 12, 31)),
        ("move WO 334 to monday week", date(2026, 12, 21)),
    ],
)
def test_due_dates_in_crew_words(text: str, expected: date) -> None:
    intent = recognise(text)
    assert intent.kind == "update_work_order" and intent.due is not None
    assert parse_due(intent.due, TUESDAY, MONDAY_AFTER) == expected


@pytest.mark.parametrize(
    "text", ["close WO 334 done", "WO 334 log 3 hrs", "close WO 12, done in 2 days", "WO 334 due"]
)
def test_no_due_date_without_one(text: str) -> None:
    assert recognise(text).due is None and due_phrase(text) is None


def test_parse_due_reads_iso_and_refuses_words_without_a_date() -> None:
    assert parse_due("2026-12-18", TUESDAY) == date(2026, 12, 18)
    assert parse_due("+2d", TUESDAY, MONDAY_AFTER) == date(2026, 12, 16)
    assert parse_due("a week later", TUESDAY) == date(2026, 12, 15)  # no due date: from today
    assert parse_due("whenever", TUESDAY) is None
    assert parse_due("", TUESDAY) is None


def _work_order(world: World, due: datetime | None) -> int:
    with world.db.transaction(world.chief) as s:
        wo = work_orders.create_work_order(
            s, world.chief, equipment_id=world.codes["651.1"], title="DG1 oil change", due=due
        )
        s.flush()
        return wo.id


def test_a_due_date_change_is_proposed_with_its_date(world: World, say: Say) -> None:
    current = utcnow() + timedelta(days=2)
    wo_id = _work_order(world, current)
    out = say(f"push wo {wo_id} due date to friday")
    assert out.proposed_action is not None
    due = datetime.fromisoformat(out.proposed_action.arguments["due"])
    assert due.weekday() == 4 and due.date() > current.date()  # the first friday after
    assert due.time() == current.astimezone(UTC).time().replace(tzinfo=None)  # same hour
    assert f"set due date to {due:%a %d %b %Y}" in out.reply
    assert f"(was {current:%a %d %b})" in out.reply
    say("yes")
    with world.db.transaction(world.chief) as s:
        row = s.get(WorkOrder, wo_id)
        assert row is not None and row.due == due


def test_due_date_changes_the_records_refuse(world: World, retriever: Retriever) -> None:
    wo_id = _work_order(world, utcnow() + timedelta(days=2))
    with tools_for(world, world.chief, retriever) as (_, call):
        past = call("update_work_order", work_order_id=wo_id, due="2020-01-01")
        assert past["ok"] is False and "in the past" in past["error"]
        vague = call("update_work_order", work_order_id=wo_id, due="whenever")
        assert vague["ok"] is False and "Which date is 'whenever'" in vague["error"]
        closing = call("update_work_order", work_order_id=wo_id, status="done", due="in 3 days")
        assert closing["ok"] is False and "reopen it" in closing["error"]
    with world.db.transaction(world.chief) as s:
        wo = work_orders.get_work_order(s, world.chief, wo_id)
        work_orders.update_work_order(s, world.chief, wo, status="done")
    with tools_for(world, world.chief, retriever) as (_, call):
        done = call("update_work_order", work_order_id=wo_id, due="tomorrow")
        assert done["ok"] is False and "is done" in done["error"]
        both = call("update_work_order", work_order_id=wo_id, status="open", due="tomorrow")
        assert both["ok"] is True and "set due date to" in both["display"]


def test_the_same_due_day_changes_nothing(world: World, retriever: Retriever) -> None:
    current = utcnow() + timedelta(days=3)
    wo_id = _work_order(world, current)
    with tools_for(world, world.chief, retriever) as (_, call):
        out = call("update_work_order", work_order_id=wo_id, due=f"{current:%Y-%m-%d}")
        assert out.get("unchanged") is True and "already due" in out["display"]


# --- assignees ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "who"),
    [
        ("assign WO 276 to 2nd eng", "2nd eng"),
        ("give WO 276 to the ETO pls", "ETO"),
        ("reassign 276 from Ola to Sarah", "Sarah"),
        ("WO 276 assignee: motorman", "motorman"),
        ("assign WO 276 to the 3/E, needs doing before arrival", "3/E"),
        ("assign WO 276 to me", "me"),
    ],
)
def test_assignees_in_crew_words(text: str, who: str) -> None:
    intent = recognise(text)
    assert intent.kind == "update_work_order" and intent.ref_id == 276
    assert intent.assignee == who and intent.note is None


def test_assign_to_a_rank(world: World, say: Say) -> None:
    wo_id = _work_order(world, None)
    officer_id = world.callers[Role.officer].user_id
    out = say(f"assign WO {wo_id} to 2nd eng")  # no positions recorded: the officer's role
    assert out.proposed_action is not None
    assert out.proposed_action.arguments["assignee_id"] == officer_id
    with world.db.transaction(world.admin_caller) as s:
        officer = s.get(User, officer_id)
        assert officer is not None
        users.update_user(s, world.admin_caller, officer, position="Second engineer")
        users.create_user(
            s,
            world.admin_caller,
            name="Per Olsen",
            email=f"per.{world.org_id}@example.test",
            role="officer",
            position="Third engineer",
        )
    out = say(f"give WO {wo_id} to the 2/E")
    assert out.proposed_action is not None
    assert out.proposed_action.arguments["assignee_id"] == officer_id
    assert "(Second engineer)" in out.reply
    say("yes")
    with world.db.transaction(world.chief) as s:
        row = s.get(WorkOrder, wo_id)
        assert row is not None and row.assignee_id == officer_id
    nobody = say(f"assign WO {wo_id} to the ETO")
    assert nobody.proposed_action is None
    assert "nobody by that name, position or role" in nobody.reply
