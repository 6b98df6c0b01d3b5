"""Tools for questions about the vessel's state, and changes to records named by description."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from assistant.figures import num, qty
from assistant.intents import state_question
from assistant.retriever import Retriever
from assistant.text import stated_value
from records import (
    Fault,
    FaultStatus,
    PendingAction,
    ReadingIn,
    WorkOrderStatus,
    faults,
    parts,
    pending,
    plans,
    readings,
    register,
    trends,
    utcnow,
    work_orders,
)
from tests.assistant.conftest import World
from tests.assistant.test_tools import tools_for


def _me1_counter(world: World, points: list[tuple[datetime, float]]) -> None:
    with world.db.transaction(world.admin_caller) as s:
        me1 = register.get_equipment(s, world.admin_caller, world.codes["601.1"])
        sensor, _ = register.upsert_sensor(
            s,
            world.admin_caller,
            me1,
            tag="ME1_RH",
            fields={"name": "Running hours", "unit": "h", "counter": "running_hours"},
        )
        s.flush()
        rows = [ReadingIn(sensor.id, t, h) for t, h in points]
        readings.insert_readings(s, world.admin_caller, rows)


def test_running_hours_counter_below_register(world: World, retriever: Retriever) -> None:
    now = utcnow()
    with world.db.transaction(world.chief) as s:
        me1 = register.get_equipment(s, world.chief, world.codes["601.1"])
        register.set_running_hours(s, world.chief, me1, 32_277.0, now - timedelta(days=1))
    _me1_counter(world, [(now - timedelta(days=29), 13_348.0), (now, 13_638.04)])
    with tools_for(world, world.crew, retriever) as (_, call):
        out = call("running_hours", equipment="ME1")
        assert out["hours"] == 13_638.0 and out["counter"] == "ME1_RH"
        assert out["display"].startswith("601.1 Main engine No. 1: 13,638 running hours")
        assert "About 10 h a day" in out["display"]
        assert "register still says 32,277 h" in out["display"]
        pump = call("running_hours", equipment="ME1 fuel pump")
        assert pump["hours"] == 13_638.0 and "runs on the hours of 601.1" in pump["display"]
        none = call("running_hours", equipment="DG1")
        assert none["hours"] is None and "no running hours" in none["display"]


def test_plans_due_answers_the_asked_plan_first(world: World, retriever: Retriever) -> None:
    now = utcnow()
    with world.db.transaction(world.chief) as s:
        me1 = register.get_equipment(s, world.chief, world.codes["601.1"])
        register.set_running_hours(s, world.chief, me1, 1_000.0, now)
        plans.create_plan(
            s,
            world.chief,
            equipment_id=me1.id,
            title="ME1 lube oil filter change",
            every_hours=500,
            last_done_hours=600.0,
        )
        plans.create_plan(
            s,
            world.chief,
            equipment_id=me1.id,
            title="ME1 crankcase inspection",
            every_days=90,
            last_done_at=now - timedelta(days=100),
        )
        plans.create_plan(
            s,
            world.chief,
            equipment_id=world.codes["651.1"],
            title="DG1 service",
            every_days=30,
            last_done_at=now - timedelta(days=27),
        )
    with tools_for(world, world.crew, retriever) as (_, call):
        one = call("plans_due", equipment="ME1", plan="LO filter change")
        assert one["plans"][0]["title"] == "ME1 lube oil filter change"
        assert one["display"].startswith(
            "ME1 lube oil filter change (601.1 Main engine No. 1): due at 1,100 running hours, "
            "100 h to go"
        )
        assert "1 other plan on 601.1" in one["display"]
        late = call("plans_due", overdue=True)
        assert [p["title"] for p in late["plans"]] == ["ME1 crankcase inspection"]
        assert late["display"].startswith("1 overdue plan:") and "OVERDUE since" in late["display"]
        week = call("plans_due", due_within_days=7)
        assert [p["title"] for p in week["plans"]] == ["ME1 crankcase inspection", "DG1 service"]
        assert "2 plans due within 7 days (1 overdue)" in week["display"]
        assert "No maintenance plans" in call("plans_due", equipment="ME2")["display"]
        # a part's job ('ME1 fuel pump ...') is planned on its machine
        part = call("lookup_equipment", query="601.1.10")["resolved"]
        assert part["code"] == "601.1.10" and part["plans_on"] == "601.1"


def test_plans_due_shows_the_asked_plan_on_each_item_of_a_group(
    world: World, retriever: Retriever
) -> None:
    now = utcnow()
    with world.db.transaction(world.chief) as s:
        for code, hours in (("601.1", 1_000.0), ("601.2", 2_000.0)):
            engine = register.get_equipment(s, world.chief, world.codes[code])
            register.set_running_hours(s, world.chief, engine, hours, now)
            name = f"ME{code[-1]}"
            for title, done in (
                (f"{name} lube oil filter change", hours - 400),
                (f"{name} overhaul", 0.0),
            ):
                plans.create_plan(
                    s,
                    world.chief,
                    equipment_id=engine.id,
                    title=title,
                    every_hours=500 if "filter" in title else 24_000,
                    last_done_hours=done,
                )
    with tools_for(world, world.crew, retriever) as (_, call):
        both = call("plans_due", equipment="601", plan="LO filter change")
        titles = [p["title"] for p in both["plans"]]
        assert titles == ["ME1 lube oil filter change", "ME2 lube oil filter change"]
        lines = both["display"].splitlines()
        assert (
            lines[0].startswith("ME1 lube oil filter change (601.1") and "100 h to go" in lines[0]
        )
        assert (
            lines[1].startswith("ME2 lube oil filter change (601.2") and "100 h to go" in lines[1]
        )
        assert lines[2] == "(2 other plans on 601 Main engines: ask to list them.)"


def _fault(s: Any, world: World, code: str, at: datetime, hours: float | None) -> None:
    s.add(
        Fault(
            org_id=world.org_id,
            vessel_id=world.vessel_id,
            equipment_id=world.codes[code],
            title=f"{code} trouble {at:%m-%d}",
            status=FaultStatus.resolved if hours else FaultStatus.open,
            opened_at=at,
            resolved_at=at + timedelta(hours=hours) if hours else None,
            notes=[],
            attachments=[],
        )
    )


def test_fault_statistics_tool(world: World, retriever: Retriever) -> None:
    now = utcnow()
    with world.db.transaction(world.chief) as s:
        _fault(s, world, "601.1", now - timedelta(days=40), 2.0)
        _fault(s, world, "601.1.10", now - timedelta(days=20), 4.5)
        _fault(s, world, "601.1", now - timedelta(days=10), None)
        _fault(s, world, "651.1", now - timedelta(days=5), 1.0)
        _fault(s, world, "601.2", now - timedelta(days=400), 1.0)
    with tools_for(world, world.crew, retriever) as (_, call):
        most = call("fault_statistics", period="last 3 months")
        assert most["total"] == 4 and most["groups"][0]["key"] == "601.1"
        assert most["display"].startswith("Faults on the vessel last 3 months: 4 in 2 machines.")
        assert "1. 601.1 Main engine No. 1: 3 faults" in most["display"]
        assert "MTBF 15 days" in most["display"] and "MTTR 3.25 h" in most["display"]
        me1 = call("fault_statistics", equipment="ME1", period="this year")
        assert me1["display"].startswith("601.1 Main engine No. 1 (with its parts), this year: ")
        all_time = call("fault_statistics")
        assert all_time["total"] == 5 and "in the recorded history" in all_time["display"]
        by_class = call("fault_statistics", group_by="class", period="last 3 months")
        assert [g["key"] for g in by_class["groups"]] == ["main_engine", "generator"]
        none = call("fault_statistics", equipment="DG2", period="last 2 weeks")
        assert none["display"].startswith("No faults recorded on 651.2")


def test_overdue_work_orders_and_list_counts(world: World, retriever: Retriever) -> None:
    now = utcnow()
    with world.db.transaction(world.chief) as s:
        late = work_orders.create_work_order(
            s,
            world.chief,
            equipment_id=world.codes["601.1"],
            title="Late job",
            due=now - timedelta(days=3),
        )
        work_orders.create_work_order(
            s,
            world.chief,
            equipment_id=world.codes["651.1"],
            title="Future job",
            due=now + timedelta(days=3),
        )
        for i in range(5):
            faults.report_fault(
                s, world.chief, equipment_id=world.codes["651.2"], title=f"Fault {i}"
            )
    with tools_for(world, world.crew, retriever) as (_, call):
        out = call("overdue_work_orders")
        assert out["work_orders"] == [late.id]
        assert out["display"].startswith("1 overdue work order:\n- WO #")
        assert "3 days overdue" in out["display"]
        assert call("overdue_work_orders", equipment="DG1")["work_orders"] == []
        listed = call("list_open", what="work_orders")
        assert listed["overdue"] == [late.id]
        assert listed["display"].startswith("2 open work orders (1 overdue):")
        assert "OVERDUE" in listed["display"] and "open fault" not in listed["display"]
        both = call("list_open")
        assert both["display"].startswith("5 open faults, 2 open work orders (1 overdue):")


def test_part_stock_at_or_below_minimum(world: World, retriever: Retriever) -> None:
    with world.db.transaction(world.chief) as s:
        for number, have, minimum, fits in (
            ("AT-1", 2, 2, ["601.1.10"]),
            ("LOW-1", 1, 3, ["651.1"]),
            ("OK-1", 9, 2, ["601.1.10"]),
        ):
            part = parts.upsert_part(
                s, world.chief, number=number, name=f"{number} part", equipment_codes=fits
            )
            s.flush()
            parts.set_stock(s, world.chief, world.vessel_id, part, quantity=have, minimum=minimum)
    with tools_for(world, world.crew, retriever) as (_, call):
        out = call("part_stock", at_or_below_minimum=True)
        assert [ln["level"] for ln in out["lines"]] == ["at minimum", "below minimum"]
        assert out["display"].startswith("2 spares at or below minimum: 1 below, 1 at minimum:")
        assert "AT MINIMUM" in out["display"] and "BELOW MINIMUM" in out["display"]
        me1 = call("part_stock", at_or_below_minimum=True, equipment="ME1")
        assert [ln["number"] for ln in me1["lines"]] == ["AT-1"]
        one = call("part_stock", query="AT-1")
        assert one["lines"][0]["number"] == "AT-1" and "AT MINIMUM" in one["display"]
    with world.db.transaction(world.chief) as s:
        for number, name in (("FF-1", "Fuel filter element"), ("FF-2", "Fuel filter gasket")):
            part = parts.upsert_part(s, world.chief, number=number, name=name)
            s.flush()
            parts.set_stock(s, world.chief, world.vessel_id, part, quantity=5, minimum=1)
    with tools_for(world, world.crew, retriever) as (_, call):
        asked = call("part_stock", query="fuel filter element")
        assert [ln["number"] for ln in asked["lines"]] == ["FF-1", "FF-2"]
        assert asked["display"].startswith("FF-1 Fuel filter element: 5 pcs on board (min 1)")
        assert "FF-2" not in asked["display"]
        assert "1 other part matched: ask to list them" in asked["display"]
    with world.db.transaction(world.chief) as s:
        for number, name in (("HO-46", "Hydraulic oil ISO VG 46"), ("EOF-1", "Engine oil filter")):
            part = parts.upsert_part(s, world.chief, number=number, name=name)
            s.flush()
            parts.set_stock(s, world.chief, world.vessel_id, part, quantity=5, minimum=1)
    with tools_for(world, world.crew, retriever) as (_, call):
        # crew shorthand meets the part's name in canonical words ("hyd" is "hydraulic")
        hyd = call("part_stock", query="hyd oil")
        assert hyd["lines"][0]["number"] == "HO-46"
        assert hyd["display"].startswith("HO-46 Hydraulic oil ISO VG 46: 5 pcs on board")


def _open_orders(world: World) -> dict[str, int]:
    made = {}
    with world.db.transaction(world.chief) as s:
        for code, title in (
            ("601.1", "Water wash ME1 T/C and renew filter mat"),
            ("601.1", "ME1 fuel filter change"),
            ("601.2", "Water wash ME2 T/C and renew filter mat"),
            ("651.1", "DG1 fuel filter change"),
        ):
            wo = work_orders.create_work_order(
                s, world.chief, equipment_id=world.codes[code], title=title
            )
            made[title] = wo.id
        part = parts.upsert_part(
            s,
            world.chief,
            number="ABB-TPL61-FLT",
            name="Turbocharger air filter silencer mat",
            equipment_codes=["601.1", "601.2"],
        )
        s.flush()
        parts.set_stock(s, world.chief, world.vessel_id, part, quantity=4, minimum=2)
    return made


def test_update_by_description_one_fit_proposes_and_executes(
    world: World, retriever: Retriever
) -> None:
    made = _open_orders(world)
    wash = made["Water wash ME1 T/C and renew filter mat"]
    with tools_for(world, world.chief, retriever) as (_, call):
        out = call(
            "update_work_order",
            equipment="ME1",
            title_words="T/C water wash",
            status="closed",
            hours=1.5,
            parts=[{"part": "filter mat", "quantity": 1}],
            note="new filter mat",
        )
        assert out["ok"], out
        assert out["proposed"]["kind"] == "update_work_order"
        assert f"work order #{wash}" in out["display"] and "log 1.5 h" in out["display"]
        assert "use 1 pcs ABB-TPL61-FLT" in out["display"]
        action_id = out["proposed"]["id"]
    with world.db.transaction(world.chief) as s:
        action = s.get(PendingAction, action_id)
        assert action is not None and action.arguments["work_order_id"] == wash
        pending.confirm(s, world.chief, action_id)
    with world.db.transaction(world.chief) as s:
        wo = work_orders.get_work_order(s, world.chief, wash)
        assert wo.status is WorkOrderStatus.done and wo.hours == 1.5
        assert wo.notes[-1]["text"] == "new filter mat"
        line = parts.vessel_stock(s, world.chief, world.vessel_id, query="ABB-TPL61-FLT")[0]
        assert line.stock.quantity == 3


def test_crew_may_ask_for_an_assignment_an_officer_confirms(
    world: World, retriever: Retriever
) -> None:
    made = _open_orders(world)
    wash = made["Water wash ME1 T/C and renew filter mat"]
    with tools_for(world, world.crew, retriever) as (_, call):
        out = call("update_work_order", work_order_id=wash, assignee="chief engineer")
        assert out["ok"], out
        assert out["proposed"]["kind"] == "update_work_order"
        assert "assign to" in out["display"]


def test_update_by_description_several_and_none(world: World, retriever: Retriever) -> None:
    made = _open_orders(world)
    with tools_for(world, world.chief, retriever) as (_, call):
        several = call("update_work_order", title_words="fuel filter change", status="done")
        assert not several["ok"] and "Several open work orders fit" in several["display"]
        assert sorted(several["matches"]) == sorted(
            [made["ME1 fuel filter change"], made["DG1 fuel filter change"]]
        )
        assert f"#{made['ME1 fuel filter change']}" in several["display"]
        none = call("update_work_order", equipment="ME2", title_words="fuel filter change")
        assert not none["ok"] and "found no open work order" in none["display"]
        started = call(
            "update_work_order", equipment="ME2", title_words="T/C wash", status="in_progress"
        )
        assert started["ok"] and "set status to in_progress" in started["display"]
        # Words no open title has ('assign it to Ian pls') leave the equipment to decide.
        only = call("update_work_order", equipment="DG1", title_words="Ian pls", note="on it")
        assert only["ok"] and f"work order #{made['DG1 fuel filter change']}" in only["display"]
        assert only["proposed"]["kind"] == "update_work_order"
    with world.db.transaction(world.chief) as s:
        kinds = list(
            s.scalars(select(PendingAction.kind).where(PendingAction.org_id == world.org_id))
        )
        assert kinds == ["update_work_order", "update_work_order"]


def test_update_by_description_of_a_fault(world: World, retriever: Retriever) -> None:
    with world.db.transaction(world.chief) as s:
        fault = faults.report_fault(
            s, world.chief, equipment_id=world.codes["701.2"], title="Purifier bowl not opening"
        )
    with tools_for(world, world.chief, retriever) as (_, call):
        out = call(
            "update_work_order",
            record="fault",
            equipment="purifier",
            title_words="bowl",
            status="fixed",
            note="new bowl seal",
        )
        assert out["ok"] and f"fault #{fault.id}" in out["display"]


def test_trend_rate_against_a_known_slope(world: World, retriever: Retriever) -> None:
    """Lube oil pressure falling 0.02 bar/h, read every minute for 10 hours."""
    now = utcnow().replace(microsecond=0)
    with world.db.transaction(world.chief) as s:
        lo = register.sensors_by_tag(s, world.chief, world.vessel_id)["ME1_LO_P"]
        rows = [
            ReadingIn(lo.id, now - timedelta(minutes=m), 4.8 + 0.02 * m / 60) for m in range(600)
        ]
        readings.insert_readings(s, world.chief, rows)
        trend = trends.sensor_trend(s, world.chief, lo.id, window=timedelta(hours=6), now=now)
        assert trend is not None
        assert trend.per_hour == pytest.approx(-0.02, rel=1e-6)
        assert trend.span_hours == pytest.approx(6.0, abs=0.02) and trend.readings == 361
    with tools_for(world, world.chief, retriever) as (_, call):
        out = call("equipment_health", equipment="ME1")
    lo_line = next(x for x in out["sensors"] if x["tag"] == "ME1_LO_P")
    assert lo_line["trend_per_hour"] == pytest.approx(-0.02, rel=1e-6)
    assert "Lube oil pressure: 4.8 bar (limits low 3.5)" in out["display"]
    assert "falling 0.02 bar/h over the last 6 h" in out["display"]


def test_trend_weighs_the_window_not_a_burst_at_its_end(world: World) -> None:
    """Hourly readings rising 0.1 bar/h, then 200 readings in the last minute falling 1 bar."""
    now = utcnow().replace(microsecond=0)
    with world.db.transaction(world.chief) as s:
        lo = register.sensors_by_tag(s, world.chief, world.vessel_id)["ME1_LO_P"]
        rows = [ReadingIn(lo.id, now - timedelta(hours=6 - h), 4.0 + 0.1 * h) for h in range(6)]
        rows += [
            ReadingIn(lo.id, now - timedelta(seconds=60 - 0.3 * i), 4.5 - i / 200)
            for i in range(200)
        ]
        readings.insert_readings(s, world.chief, rows)
        trend = trends.sensor_trend(s, world.chief, lo.id, window=timedelta(hours=6), now=now)
    assert trend is not None and trend.readings == 206
    # Bins by time: six hourly points and one slice for the burst (its mean 4.0).
    assert -0.2 < trend.per_hour < 0.1


def test_slope_per_hour_ignores_spacing_and_units() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    uneven = [(t0 + timedelta(seconds=s), 100.0 + 3.0 * s / 3600) for s in (0, 5, 65, 3600, 7300)]
    assert trends.slope_per_hour(uneven) == pytest.approx(3.0)
    assert trends.slope_per_hour(uneven[:2]) is None


def test_figures_have_sensible_precision() -> None:
    assert [num(x) for x in (32_277.4, 480.24, 12.53, 3.256, 0.001234, 0)] == [
        "32,277",
        "480",
        "12.5",
        "3.26",
        "0.0012",
        "0",
    ]
    assert qty(1.5, "h") == "1.5 h" and qty(3, None) == "3"


def test_health_answers_the_asked_reading_first(world: World, retriever: Retriever) -> None:
    now = utcnow()
    with world.db.transaction(world.chief) as s:
        sensors = register.sensors_by_tag(s, world.chief, world.vessel_id)
        rows = [
            ReadingIn(sensors["ME1_LO_P"].id, now - timedelta(minutes=2), 4.23456),
            ReadingIn(sensors["ME1_EXH_T"].id, now - timedelta(minutes=2), 412.3456),
        ]
        readings.insert_readings(s, world.chief, rows)
    with tools_for(world, world.crew, retriever) as (_, call):
        one = call("equipment_health", equipment="ME1", reading="ME1 LO pressure?")
        assert one["asked"] == "ME1_LO_P"
        assert one["display"].startswith("601.1 Main engine No. 1: Lube oil pressure: 4.23 bar")
        assert "Exhaust" not in one["display"] and "1 other reading" in one["display"]
        every = call("equipment_health", equipment="ME1", reading="how is ME1 doing")
        assert every["asked"] is None and "Exhaust gas temperature: 412 degC" in every["display"]


def test_a_part_without_sensors_is_read_on_its_machine(world: World, retriever: Retriever) -> None:
    """'ME1 fuel pump' has no sensor; ME1's sensor named for it answers, others stay out."""
    with tools_for(world, world.crew, retriever) as (_, call):
        none = call("equipment_health", equipment="ME1 fuel pump", reading="ME1 fuel pump")
        assert "no sensors are registered" in none["display"]  # none of ME1's is about it
    now = utcnow()
    with world.db.transaction(world.admin_caller) as s:
        me1 = register.get_equipment(s, world.admin_caller, world.codes["601.1"])
        inj, _ = register.upsert_sensor(
            s,
            world.admin_caller,
            me1,
            tag="ME1_INJ_P",
            fields={"name": "Fuel injection pressure", "unit": "bar", "high": 1600},
        )
        s.flush()
        readings.insert_readings(
            s, world.admin_caller, [ReadingIn(inj.id, now - timedelta(minutes=3), 1234.5)]
        )
    with tools_for(world, world.crew, retriever) as (_, call):
        out = call("equipment_health", equipment="ME1 fuel pump", reading="how is it")
        assert out["equipment"] == "601.1.10" and out["read_on"] == "601.1"
        assert out["display"].startswith(
            "601.1.10 ME1 fuel injection pump (Main engine No. 1) has no sensor of its own; "
            "601.1 Main engine No. 1 reads:"
        )
        assert "Fuel injection pressure: 1,234 bar" in out["display"]
        assert "Lube oil" not in out["display"] and "Exhaust" not in out["display"]


def test_closing_a_job_already_done_changes_nothing(world: World, retriever: Retriever) -> None:
    """'close WO 5' on a job that is done: said plainly, not an error, and nothing proposed."""
    made = _open_orders(world)
    wash = made["Water wash ME1 T/C and renew filter mat"]
    with world.db.transaction(world.chief) as s:
        wo = work_orders.get_work_order(s, world.chief, wash)
        work_orders.update_work_order(s, world.chief, wo, status="done")
    with tools_for(world, world.chief, retriever) as (_, call):
        out = call("update_work_order", work_order_id=wash, status="close")
        assert out["ok"] and out["unchanged"] and "proposed" not in out
        assert out["display"].endswith("is already done; nothing to change.")
        noted = call("update_work_order", work_order_id=wash, status="closed", note="all good")
        assert noted["proposed"]["kind"] == "update_work_order"
        assert "status stays done, add note 'all good'" in noted["display"]
    with world.db.transaction(world.chief) as s:
        assert s.scalar(select(PendingAction).where(PendingAction.org_id == world.org_id))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("DG1 jacket water 92C normal?", 92.0),
        ("is 450 °C exhaust ok on ME2", 450.0),
        ("ME1 LO press 3,8 bar is that ok", 3.8),
        ("DG1 coolant temp 92 is that ok", 92.0),
        ("cyl 4 exhaust high on ME2, is that ok", None),  # a cylinder, not a value
        ("ME1 LO pressure 3.8 bar", None),  # states, does not ask
        ("WO 45 ok?", None),
    ],
)
def test_stated_value(text: str, value: float | None) -> None:
    assert stated_value(text) == value


def test_health_weighs_a_stated_value_against_the_limits(
    world: World, retriever: Retriever
) -> None:
    with tools_for(world, world.crew, retriever) as (_, call):
        out = call("equipment_health", equipment="ME1", reading="ME1 LO pressure 3.6 bar ok?")
        assert out["asked"] == "ME1_LO_P" and out["stated"] == 3.6
        assert out["state"] == "near low limit"
        assert out["display"] == (
            "601.1 Main engine No. 1: 3.6 bar of lube oil pressure is near low limit "
            "(limits low 3.5)."
        )
        low = call("equipment_health", equipment="ME1", reading="LO pressure 3.2 bar normal?")
        assert low["state"] == "below low limit"


def test_a_note_on_a_record_named_by_description_keeps_its_text_whole() -> None:
    ask = state_question("note on the sewage fault: membrane on order, ME2 spares came")
    assert ask is not None and ask.tool == "update_by_description"
    assert ask.args["record"] == "fault"
    assert ask.args["note"] == "membrane on order, ME2 spares came"
