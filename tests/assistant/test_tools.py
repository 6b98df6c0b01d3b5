"""Each tool, acting for the caller's organization, vessel and role only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from assistant import AssistantSettings, InMemoryRetriever, ToolContext, build_tools, load_index
from assistant.retriever import Retriever
from records import (
    Caller,
    Fault,
    PendingAction,
    ReadingIn,
    Role,
    faults,
    model_registry,
    parts,
    readings,
    register,
    utcnow,
    work_orders,
)
from tests.assistant.conftest import World, passages_for


@contextmanager
def tools_for(
    world: World, caller: Caller, retriever: Retriever
) -> Iterator[tuple[ToolContext, Any]]:
    with world.db.transaction(caller) as s:
        ctx = ToolContext(
            session=s,
            caller=caller,
            vessel_id=world.vessel_id,
            index=load_index(s, caller, world.vessel_id),
            retriever=retriever,
            settings=AssistantSettings(),
        )
        tools = {t.name: t for t in build_tools(ctx)}

        def call(name: str, **args: Any) -> dict[str, Any]:
            return dict(json.loads(tools[name].invoke(args)))

        yield ctx, call


def _count(world: World, model: type[Any]) -> int:
    with world.db.transaction(world.chief) as s:
        return int(
            s.scalar(select(func.count()).select_from(model).where(model.org_id == world.org_id))
            or 0
        )


def test_lookup_equipment(world: World, retriever: Retriever) -> None:
    with tools_for(world, world.chief, retriever) as (_, call):
        out = call("lookup_equipment", query="stbd main fuel pump")
        assert out["resolved"]["code"] == "601.2.10"
        out = call("lookup_equipment", query="fuel pump")
        assert out["resolved"] is None
        assert {c["code"] for c in out["candidates"]} == {"601.1.10", "601.2.10"}
        assert out["common_parent"] == "601"


def test_search_manuals_numbers_passages(world: World, retriever: Retriever) -> None:
    with tools_for(world, world.chief, retriever) as (ctx, call):
        out = call("search_manuals", query="change over duplex filter", equipment="601.1")
        assert out["passages"][0]["ref"] == 1
        assert "duplex filter" in out["passages"][0]["text"]
        assert ctx.hits[0].citation.page == 42
        assert all(p["kind"] != "fault_history" for p in out["passages"])


def test_search_fault_history_uses_passages_and_records(world: World, retriever: Retriever) -> None:
    with world.db.transaction(world.chief) as s:
        f = faults.report_fault(
            s,
            world.chief,
            equipment_id=world.codes["601.2.10"],
            title="Fuel pump leaking at barrel",
            priority="high",
        )
        s.flush()
        faults.transition_fault(s, world.chief, f, "resolved", root_cause="worn o-rings")
    with tools_for(world, world.chief, retriever) as (_, call):
        out = call("search_fault_history", query="fuel pump leaking", equipment="601.2.10")
        assert out["passages"] and out["passages"][0]["kind"] == "fault_history"
        assert out["faults"][0]["root_cause"] == "worn o-rings"


def test_equipment_health_reads_limits_trend_and_prediction(
    world: World, retriever: Retriever
) -> None:
    now = utcnow()
    with world.db.transaction(world.chief) as s:
        sensors = register.sensors_by_tag(s, world.chief, world.vessel_id)
        exh, lo = sensors["ME1_EXH_T"], sensors["ME1_LO_P"]
        rows = [ReadingIn(exh.id, now - timedelta(hours=5 - i), 400.0 + 20 * i) for i in range(6)]
        rows += [ReadingIn(lo.id, now - timedelta(minutes=5), 4.2)]
        readings.insert_readings(s, world.chief, rows)
        mv = model_registry.register_model(
            s,
            world.chief,
            equipment_class="main_engine",
            artifact_path="/tmp/none",
            features=["exh_slope"],
            params={},
            metrics={},
            data_from=None,
            data_to=None,
        )
        s.flush()
        model_registry.add_prediction(
            s,
            world.chief,
            equipment_id=world.codes["601.1"],
            model_version_id=mv.id,
            as_of=now,
            risk=0.42,
            factors=[
                {"feature": "exh_slope", "weight": 0.3},
                {"feature": "lo_low", "text": "lube oil pressure below its low limit 20 %"},
            ],
        )
    with tools_for(world, world.chief, retriever) as (_, call):
        out = call("equipment_health", equipment="ME1")
    assert out["state"] == "alarm"
    by_tag = {x["tag"]: x for x in out["sensors"]}
    assert by_tag["ME1_EXH_T"]["state"] == "above high limit"
    assert by_tag["ME1_EXH_T"]["trend_per_hour"] > 10
    assert by_tag["ME1_LO_P"]["state"] == "ok"
    assert out["prediction"]["risk"] == 0.42 and "exh_slope" in out["display"]
    assert "lube oil pressure below its low limit" in out["display"]


def test_list_open_and_part_stock(world: World, retriever: Retriever) -> None:
    with world.db.transaction(world.chief) as s:
        faults.report_fault(
            s, world.chief, equipment_id=world.codes["601.2.10"], title="Weeping at barrel"
        )
        work_orders.create_work_order(
            s, world.chief, equipment_id=world.codes["651.1"], title="Oil change"
        )
        part = parts.upsert_part(
            s,
            world.chief,
            number="MAK-FP-ORK",
            name="O-ring kit fuel injection pump",
            equipment_codes=["601.1.10", "601.2.10"],
        )
        s.flush()
        parts.set_stock(s, world.chief, world.vessel_id, part, quantity=1, minimum=2)
    with tools_for(world, world.chief, retriever) as (_, call):
        out = call("list_open", equipment="601", what="both")
        assert len(out["faults"]) == 1 and out["work_orders"] == []
        out = call("list_open")
        assert len(out["faults"]) == 1 and len(out["work_orders"]) == 1
        out = call("part_stock", query="o-ring kit", equipment="601.2.10")
        assert out["lines"][0]["number"] == "MAK-FP-ORK"
        assert "BELOW MINIMUM" in out["display"]
        out = call("part_stock", query="MAK-FP-ORK")
        assert out["lines"][0]["quantity"] == 1


def test_write_tools_only_propose(world: World, retriever: Retriever) -> None:
    faults_before = _count(world, Fault)
    with tools_for(world, world.chief, retriever) as (ctx, call):
        out = call(
            "report_fault",
            equipment="ME2 fuel pump",
            title="leaking diesel onto the hot box",
            priority="high",
        )
        assert out["proposed"]["kind"] == "report_fault"
        assert out["display"].startswith(
            "File fault on 601.2.10 ME2 fuel injection pump (Main engine No. 2), "
            "priority high: as requested. Title: 'Leaking diesel"
        )
        out = call(
            "create_work_order",
            equipment="DG1",
            title="Change oil",
            kind="preventive",
            due_in_days=1,
        )
        assert out["proposed"]["kind"] == "create_work_order"
        assert len(ctx.proposals) == 2
    assert _count(world, Fault) == faults_before
    with world.db.transaction(world.chief) as s:
        kinds = [
            a.kind
            for a in s.scalars(select(PendingAction).where(PendingAction.org_id == world.org_id))
        ]
    assert kinds == ["report_fault", "create_work_order"]


def test_update_and_note_tools(world: World, retriever: Retriever) -> None:
    with world.db.transaction(world.chief) as s:
        wo = work_orders.create_work_order(
            s, world.chief, equipment_id=world.codes["651.1"], title="Oil change"
        )
        f = faults.report_fault(
            s, world.chief, equipment_id=world.codes["701.2"], title="Overflow alarm"
        )
        s.flush()
        wo_id, f_id = wo.id, f.id
    with tools_for(world, world.chief, retriever) as (_, call):
        out = call("update_work_order", work_order_id=wo_id, status="done", hours=2.5)
        assert "set status to done" in out["display"] and "2.5 h" in out["display"]
        out = call("update_work_order", fault_id=f_id, status="closed")
        assert out["proposed"]["kind"] == "update_work_order"
        assert "set status to resolved" in out["display"]
        assert "closing follows once verified" in out["display"]
        out = call("update_work_order", fault_id=f_id, status="cancelled")
        assert out["ok"] is False and "a fault cannot be 'cancelled'" in out["error"].lower()
        out = call("update_work_order", work_order_id=wo_id, status="finished")
        assert "set status to done" in out["display"]
        out = call("add_note", fault_id=f_id, text="bowl cleaned")
        assert out["proposed"]["kind"] == "update_work_order"
        out = call("update_work_order", work_order_id=999999, status="done")
        assert out["ok"] is False and "not found" in out["error"]


def test_role_limits_are_checked_before_proposing(world: World, retriever: Retriever) -> None:
    with world.db.transaction(world.chief) as s:
        wo = work_orders.create_work_order(
            s, world.chief, equipment_id=world.codes["651.1"], title="Oil change"
        )
        s.flush()
        wo_id = wo.id
    with tools_for(world, world.crew, retriever) as (ctx, call):
        # Crew may ask for a job or a change; an officer must confirm it.
        out = call("create_work_order", equipment="DG1", title="Change oil")
        assert out["proposed"]["kind"] == "create_work_order"
        out = call("update_work_order", work_order_id=wo_id, status="done")
        assert out["proposed"]["kind"] == "update_work_order"
        out = call("report_fault", equipment="DG1", title="Smoking")
        assert out["proposed"]["kind"] == "report_fault"  # crew may report faults
        assert [p.awaiting_role for p in ctx.proposals] == ["officer", "officer", None]
    with tools_for(world, world.callers[Role.shore], retriever) as (_, call):
        out = call("report_fault", equipment="DG1", title="Smoking")
        assert out["forbidden"]


def test_tenant_isolation_through_tools(make_world: Any) -> None:
    a, b = make_world(), make_world()
    retriever = InMemoryRetriever(passages_for(a.org_id))
    with a.db.transaction(a.chief) as s:
        f = faults.report_fault(s, a.chief, equipment_id=a.codes["601.1"], title="A's fault")
        s.flush()
        fault_id = f.id
    with tools_for(a, a.chief, retriever) as (_, call):
        assert call("search_manuals", query="duplex filter change over")["passages"]
    with tools_for(b, b.chief, retriever) as (ctx, call):
        out = call("update_work_order", fault_id=fault_id, note="hijack")
        assert out["ok"] is False and "not found" in out["error"]
        out = call("list_open")
        assert out["faults"] == []
        out = call("search_manuals", query="duplex filter change over")
        assert out["passages"] == []  # the knowledge base holds A's passages only
        # equipment ids resolve inside B's own register
        assert ctx.index.items["601.1"].id == b.codes["601.1"] != a.codes["601.1"]
