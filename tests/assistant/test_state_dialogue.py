"""The offline engine sends state questions and described changes to their tools."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assistant import Assistant, AssistantSettings, InMemoryRetriever, TurnResult
from assistant.intents import state_question
from records import (
    Database,
    Fault,
    FaultStatus,
    ReadingIn,
    WorkOrderStatus,
    parts,
    plans,
    readings,
    register,
    utcnow,
    work_orders,
)
from tests.assistant.conftest import REGISTER, Say, World, make_world_in


def _tools(result: object) -> list[str]:
    return [c.name for c in result.tool_calls if c.name != "lookup_equipment"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "tool"),
    [
        ("BT2 running hrs", "running_hours"),
        ("how many hours has DG1 done", "running_hours"),
        ("when is the ME1 LO filter change next due", "plans_due"),
        ("what PMs are due this week", "plans_due"),
        ("any overdue PMs", "plans_due"),
        ("which work orders are overdue", "overdue_work_orders"),
        ("how many faults has DG2 had this year", "fault_statistics"),
        ("which machine breaks down most", "fault_statistics"),
        ("MTBF of the FO purifier", "fault_statistics"),
        ("which spares are at or below minimum", "part_stock"),
        ("close the ME1 T/C water wash WO, done 1.5 h, new filter mat", "update_by_description"),
        ("started on the OWS cell clean WO, set it in progress", "update_by_description"),
        ("DG1 500 hr service when", "plans_due"),
        ("next crankcase inspection ME1", "plans_due"),
        ("is the emcy gen weekly test overdue", "plans_due"),
        ("ME2 faults last 6 months how many", "fault_statistics"),
        ("worst genny for breakdowns", "fault_statistics"),
        ("parts that fit the FO purifier", "part_stock"),
        ("hyd oil 46 how much on board", "part_stock"),
        ("set the OWS WO to high prio", "update_by_description"),
        ("when is its 500h valve inspection", "plans_due"),
        ("when's the DG2 air filter change", "plans_due"),
        ("how many hrs left on the harbour genny service", "plans_due"),
    ],
)
def test_state_question_kinds(text: str, tool: str) -> None:
    ask = state_question(text)
    assert ask is not None and ask.tool == tool


@pytest.mark.parametrize(
    "text",
    [
        "how often should the purifier bowl be cleaned",
        "how many oil filters do we have for generator number one",
        "ME2 exhaust temp high",
        "raise a wo to change the ME1 LO filter",
        "close WO 45, done",
        "what is the LO pressure trip setpoint on DG2",
        "when should the ME1 LO filter be changed",
    ],
)
def test_other_messages_are_left_to_recognition(text: str) -> None:
    assert state_question(text) is None


def test_running_hours_question_is_answered_not_filed(world: World, say: Say) -> None:
    with world.db.transaction(world.chief) as s:
        dg1 = register.get_equipment(s, world.chief, world.codes["651.1"])
        register.set_running_hours(s, world.chief, dg1, 13_638.37)
    r = say("DG1 running hrs")
    assert r.proposed_action is None and _tools(r) == ["running_hours"]
    assert r.reply.startswith("651.1 Diesel generator No. 1: 13,638 running hours")


def test_plans_statistics_overdue_and_spares_through_the_engine(world: World, say: Say) -> None:
    now = utcnow()
    with world.db.transaction(world.chief) as s:
        plans.create_plan(
            s,
            world.chief,
            equipment_id=world.codes["651.1"],
            title="DG1 500 h service",
            every_days=30,
            last_done_at=now - timedelta(days=40),
        )
        work_orders.create_work_order(
            s,
            world.chief,
            equipment_id=world.codes["601.2"],
            title="Late one",
            due=now - timedelta(days=2),
        )
        for days in (50, 20):
            s.add(
                Fault(
                    org_id=world.org_id,
                    vessel_id=world.vessel_id,
                    equipment_id=world.codes["651.2"],
                    title=f"DG2 trip {days}",
                    status=FaultStatus.closed,
                    opened_at=now - timedelta(days=days),
                    resolved_at=now - timedelta(days=days, hours=-3),
                    notes=[],
                    attachments=[],
                )
            )
        part = parts.upsert_part(
            s, world.chief, number="CAT-1", name="Oil filter", equipment_codes=["651.1"]
        )
        s.flush()
        parts.set_stock(s, world.chief, world.vessel_id, part, quantity=2, minimum=2)
    r = say("when is the DG1 service next due")
    assert _tools(r) == ["plans_due"] and "DG1 500 h service" in r.reply and "OVERDUE" in r.reply
    r = say("how many faults has DG2 had in the last 3 months")
    assert _tools(r) == ["fault_statistics"]
    assert "last 3 months: 2 faults" in r.reply and "MTBF 30 days" in r.reply
    r = say("which work orders are overdue")
    assert _tools(r) == ["overdue_work_orders"] and r.reply.startswith("1 overdue work order")
    r = say("which spares are at or below minimum")
    assert _tools(r) == ["part_stock"] and "AT MINIMUM" in r.reply
    assert all(x.proposed_action is None for x in [r])


def test_described_change_proposes_update_then_executes(world: World, say: Say) -> None:
    with world.db.transaction(world.chief) as s:
        wash = work_orders.create_work_order(
            s,
            world.chief,
            equipment_id=world.codes["601.1"],
            title="Water wash ME1 T/C and renew filter mat",
        )
        part = parts.upsert_part(
            s,
            world.chief,
            number="ABB-TPL61-FLT",
            name="Turbocharger air filter silencer mat",
            equipment_codes=["601.1"],
        )
        s.flush()
        parts.set_stock(s, world.chief, world.vessel_id, part, quantity=4, minimum=2)
    r = say("close the ME1 T/C water wash WO, done 1.5 h, new filter mat")
    action = r.proposed_action
    assert action is not None and action.kind == "update_work_order"
    assert action.arguments["work_order_id"] == wash.id
    assert action.arguments["status"] == "done" and action.arguments["hours"] == 1.5
    assert [p["number"] for p in action.arguments["parts"]] == ["ABB-TPL61-FLT"]
    done = say("yes")
    assert done.executed and done.executed["work_order_id"] == wash.id
    with world.db.transaction(world.chief) as s:
        wo = work_orders.get_work_order(s, world.chief, wash.id)
        assert wo.status is WorkOrderStatus.done and wo.hours == 1.5


def test_described_change_several_fits_asks_which(world: World, say: Say) -> None:
    with world.db.transaction(world.chief) as s:
        ids = [
            work_orders.create_work_order(
                s, world.chief, equipment_id=world.codes[code], title="Fuel filter change"
            ).id
            for code in ("601.1", "651.1")
        ]
    r = say("close the fuel filter change job")
    assert r.proposed_action is None and r.outcome == "clarify"
    assert all(f"#{i}" in r.reply for i in ids)
    none = say("started on the OWS cell clean WO, set it in progress")
    assert none.proposed_action is None and "found no open work order" in none.reply


def test_counting_hours_is_no_stock_question() -> None:
    from assistant.intents import recognise

    assert recognise("how many hrs left").kind != "part_stock"
    assert recognise("how many filters left").kind == "part_stock"


def test_both_named_after_a_question_answers_each(world: World, say: Say) -> None:
    with world.db.transaction(world.chief) as s:
        for code, hours in (("651.1", 13_638.0), ("651.2", 9_120.0)):
            item = register.get_equipment(s, world.chief, world.codes[code])
            register.set_running_hours(s, world.chief, item, hours)
    say("DG1 running hrs")
    r = say("sorry both DG1 and DG2")
    assert r.proposed_action is None
    asked = [c.args.get("equipment") for c in r.tool_calls if c.name == "running_hours"]
    assert asked == ["651.1", "651.2"]
    assert "13,638" in r.reply and "9,120" in r.reply


_TWO_PURIFIERS = (
    REGISTER
    + """
  - code: "711.1"
    name: Lube oil purifier
    aliases: [LO purifier, purifier]
    maker: Alfa Laval
"""
)


def test_a_question_about_several_items_in_the_plural_answers_each_and_adds_up(
    store: Database,
) -> None:
    world = make_world_in(store, _TWO_PURIFIERS)
    now = utcnow()
    with world.db.transaction(world.chief) as s:
        for code, n in (("701.2", 2), ("711.1", 1)):
            for i in range(n):
                s.add(
                    Fault(
                        org_id=world.org_id,
                        vessel_id=world.vessel_id,
                        equipment_id=world.codes[code],
                        title=f"{code} vibration {i}",
                        status=FaultStatus.open,
                        opened_at=now - timedelta(days=10 + i),
                    )
                )
    assistant = Assistant(retriever=InMemoryRetriever([]), settings=AssistantSettings())

    def say(text: str) -> TurnResult:
        with world.db.transaction(world.chief) as s:
            return assistant.turn(s, world.chief, text, channel="test", conversation_key=text)

    one = say("how many faults on the purifier")  # no common parent: the vessel is not asked
    assert one.outcome == "clarify" and not _tools(one)
    assert "701.2" in one.reply and "711.1" in one.reply
    r = say("how many faults on the purifiers")
    calls = [c for c in r.tool_calls if c.name == "fault_statistics"]
    assert [c.args["equipment"] for c in calls] == ["701.2", "711.1"]
    assert "2 faults" in r.reply and "1 fault" in r.reply
    assert r.reply.rstrip().endswith("In all: 3 faults on these 2.")
    assert r.proposed_action is None


def test_any_alarms_asks_the_whole_vessel(world: World, say: Say) -> None:
    with world.db.transaction(world.chief) as s:
        tags = register.sensors_by_tag(s, world.chief, world.vessel_id)
        readings.insert_readings(
            s,
            world.chief,
            [
                ReadingIn(tags["ME1_EXH_T"].id, utcnow() - timedelta(minutes=3), 495.0),
                ReadingIn(tags["ME1_LO_P"].id, utcnow() - timedelta(minutes=3), 4.6),
            ],
        )
    r = say("any alarms right now?")
    assert _tools(r) == ["equipment_health"] and r.tool_calls[-1].args.get("equipment") is None
    assert r.reply.startswith("Of 2 readings with limits, 1 outside and 0 near them:")
    assert "601.1 Main engine No. 1: Exhaust gas temperature 495 degC (limits high 480)" in r.reply
    assert "Lube oil pressure" not in r.reply
