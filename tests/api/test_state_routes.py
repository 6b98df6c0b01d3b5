"""Routes for crew questions about the vessel's state: plans, fault stats, overdue, stock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from channels.app.runtime import Bosun
from records import Fault, FaultStatus, Role, plans, system_caller
from tests.api.conftest import Tenant, assert_problem


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def test_plans_due_route(client: TestClient, bosun: Bosun, org_a: Tenant, org_b: Tenant) -> None:
    system = system_caller(org_a.org_id)
    now = datetime.now(UTC)
    with bosun.db.transaction(org_a.org_id) as s:
        late = plans.create_plan(
            s,
            system,
            equipment_id=org_a.equipment_ids["601.1"],
            title="Monthly",
            every_days=30,
            last_done_at=now - timedelta(days=40),
        )
        soon = plans.create_plan(
            s,
            system,
            equipment_id=org_a.equipment_ids["601.1"],
            title="Weekly",
            every_days=7,
            last_done_at=now - timedelta(days=5),
        )
        later = plans.create_plan(
            s,
            system,
            equipment_id=org_a.equipment_ids["602"],
            title="Yearly",
            every_days=365,
            last_done_at=now,
        )
        ids = late.id, soon.id, later.id
    crew = org_a.auth(Role.crew)
    every = client.get(f"/v1/plans?vessel_id={org_a.vessel_id}", headers=crew)
    assert every.status_code == 200, every.text
    items = every.json()["items"]
    assert [p["plan_id"] for p in items] == list(ids)
    assert items[0]["overdue"] is True and items[0]["next_due_at"]
    assert items[0]["equipment_code"] == "601.1" and round(items[0]["days_left"]) == -10
    week = client.get("/v1/plans?due_within_days=7", headers=crew).json()["items"]
    assert [p["plan_id"] for p in week] == [ids[0], ids[1]]
    late_only = client.get("/v1/plans?overdue=true", headers=crew).json()["items"]
    assert [p["plan_id"] for p in late_only] == [ids[0]]
    on = client.get(f"/v1/plans?equipment_id={org_a.equipment_ids['601']}", headers=crew)
    assert [p["plan_id"] for p in on.json()["items"]] == [ids[0], ids[1]]
    # Another organization sees none of them, and cannot name A's equipment or vessel.
    assert client.get("/v1/plans", headers=org_b.auth(Role.admin)).json()["items"] == []
    assert_problem(
        client.get(
            f"/v1/plans?equipment_id={org_a.equipment_ids['601.1']}", headers=org_b.auth(Role.admin)
        ),
        404,
        "not_found",
    )
    assert_problem(
        client.get(f"/v1/plans?vessel_id={org_a.other_vessel_id}", headers=crew), 404, "not_found"
    )
    assert client.get("/v1/plans?due_within_days=-1", headers=crew).status_code == 422


def test_fault_stats_route(client: TestClient, bosun: Bosun, org_a: Tenant, org_b: Tenant) -> None:
    t0 = datetime(2026, 6, 1, tzinfo=UTC)
    with bosun.db.transaction(org_a.org_id) as s:
        for code, days, repair in (("601.1", 0, 2.0), ("601.1", 4, 6.0), ("602", 10, None)):
            s.add(
                Fault(
                    org_id=org_a.org_id,
                    vessel_id=org_a.vessel_id,
                    equipment_id=org_a.equipment_ids[code],
                    title=f"{code} trouble",
                    status=FaultStatus.resolved if repair else FaultStatus.open,
                    opened_at=t0 + timedelta(days=days),
                    resolved_at=t0 + timedelta(days=days, hours=repair) if repair else None,
                    notes=[],
                    attachments=[],
                )
            )
    crew = org_a.auth(Role.crew)
    until = _iso(t0 + timedelta(days=30))
    url = f"/v1/faults/stats?vessel_id={org_a.vessel_id}&since={_iso(t0)}&until={until}"
    stats = client.get(url, headers=crew)
    assert stats.status_code == 200, stats.text
    body = stats.json()
    assert body["total"] == 3 and body["group_by"] == "equipment"
    first = body["groups"][0]
    assert (first["key"], first["count"]) == ("601.1", 2)
    assert first["mtbf"] == 4.0 and first["mtbf_unit"] == "days" and first["mttr_hours"] == 4.0
    by_class = client.get(url + "&group_by=class", headers=crew).json()
    assert {g["key"]: g["count"] for g in by_class["groups"]} == {
        "main_engine": 2,
        "unclassified": 1,
    }
    narrowed = client.get(
        f"/v1/faults/stats?equipment_id={org_a.equipment_ids['601.1']}", headers=crew
    ).json()
    assert narrowed["total"] == 2
    assert client.get("/v1/faults/stats", headers=org_b.auth(Role.admin)).json()["total"] == 0
    assert client.get(url + "&group_by=colour", headers=crew).status_code == 422
    assert_problem(
        client.get(f"/v1/faults/stats?since={_iso(t0)}&until={_iso(t0)}", headers=crew),
        422,
        "invalid",
    )


def test_overdue_work_orders_route(client: TestClient, org_a: Tenant, org_b: Tenant) -> None:
    officer = org_a.auth(Role.officer)
    now = datetime.now(UTC)
    made = []
    for title, due in (("late", now - timedelta(days=1)), ("fine", now + timedelta(days=3))):
        r = client.post(
            "/v1/work-orders",
            json={"equipment_id": org_a.equipment_ids["601.1"], "title": title, "due": _iso(due)},
            headers=officer,
        )
        assert r.status_code == 201, r.text
        made.append(r.json())
    assert made[0]["overdue"] is True and made[1]["overdue"] is False
    overdue = client.get("/v1/work-orders?overdue=true", headers=org_a.auth(Role.crew)).json()
    assert [w["id"] for w in overdue["items"]] == [made[0]["id"]]
    listed = client.get("/v1/work-orders?open_only=true", headers=officer).json()["items"]
    assert {w["id"]: w["overdue"] for w in listed} == {made[0]["id"]: True, made[1]["id"]: False}
    assert (
        client.get("/v1/work-orders?overdue=true", headers=org_b.auth(Role.admin)).json()["items"]
        == []
    )


def test_stock_at_or_below_minimum_route(client: TestClient, org_a: Tenant) -> None:
    admin, officer = org_a.auth(Role.admin), org_a.auth(Role.officer)
    for number, qty, minimum, fits in (
        ("AT-1", 2, 2, ["601.1"]),
        ("LOW-1", 1, 3, ["602"]),
        ("OK-1", 9, 2, ["601.1"]),
    ):
        part = client.post(
            "/v1/parts",
            json={"number": number, "name": number, "equipment_codes": fits},
            headers=admin,
        ).json()
        put = client.put(
            f"/v1/vessels/{org_a.vessel_id}/stock/{part['id']}",
            json={"quantity": qty, "minimum": minimum},
            headers=officer,
        )
        assert put.json()["at_minimum"] is (qty == minimum)
    base = f"/v1/vessels/{org_a.vessel_id}/stock"
    crew = org_a.auth(Role.crew)
    rows = client.get(base + "?at_or_below_minimum=true", headers=crew).json()["items"]
    assert [(r["part"]["number"], r["at_minimum"], r["below_minimum"]) for r in rows] == [
        ("AT-1", True, False),
        ("LOW-1", False, True),
    ]
    fits = client.get(base + "?equipment_code=601.1", headers=crew).json()["items"]
    assert [r["part"]["number"] for r in fits] == ["AT-1", "OK-1"]
