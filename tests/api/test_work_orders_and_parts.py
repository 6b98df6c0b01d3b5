"""Work orders, parts used and stock through the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from records import Role
from tests.api.conftest import Tenant, assert_problem


def test_work_order_flow_with_parts(client: TestClient, org_a: Tenant) -> None:
    admin, officer, crew = (org_a.auth(r) for r in (Role.admin, Role.officer, Role.crew))
    part = client.post(
        "/v1/parts",
        json={"number": "FLT-100", "name": "Lube oil filter", "equipment_codes": ["601.1"]},
        headers=admin,
    ).json()
    assert_problem(
        client.post("/v1/parts", json={"number": "FLT-100", "name": "dup"}, headers=admin),
        409,
        "conflict",
    )
    stock_path = f"/v1/vessels/{org_a.vessel_id}/stock/{part['id']}"
    stock = client.put(
        stock_path, json={"quantity": 5, "minimum": 4, "location": "Store A"}, headers=officer
    )
    assert stock.status_code == 200, stock.text
    assert stock.json()["below_minimum"] is False
    assert_problem(client.put(stock_path, json={"quantity": 1}, headers=crew), 403, "forbidden")

    wo = client.post(
        "/v1/work-orders",
        json={
            "equipment_id": org_a.equipment_ids["601.1"],
            "title": "Replace filter",
            "priority": "high",
            "assignee_id": org_a.user_ids[Role.crew],
            "due": "2026-12-01T12:00:00Z",
        },
        headers=officer,
    )
    assert wo.status_code == 201, wo.text
    wo_id = wo.json()["id"]
    assert wo.json()["status"] == "open" and wo.json()["kind"] == "corrective"
    assert wo.json()["due"].startswith("2026-12-01T12:00:00")

    used = client.post(
        f"/v1/work-orders/{wo_id}/parts",
        json={"part_id": part["id"], "quantity": 2},
        headers=officer,
    )
    assert used.status_code == 201, used.text
    too_many = client.post(
        f"/v1/work-orders/{wo_id}/parts",
        json={"part_id": part["id"], "quantity": 10},
        headers=officer,
    )
    assert_problem(too_many, 409, "conflict")
    listed = client.get(f"/v1/work-orders/{wo_id}/parts", headers=crew).json()["items"]
    assert [(u["part_id"], u["quantity"]) for u in listed] == [(part["id"], 2.0)]

    low = client.get(f"/v1/vessels/{org_a.vessel_id}/stock?below_minimum=true", headers=crew)
    assert [(s["part"]["number"], s["quantity"]) for s in low.json()["items"]] == [("FLT-100", 3.0)]

    updated = client.patch(
        f"/v1/work-orders/{wo_id}",
        json={"status": "done", "hours": 1.5, "note": "Filter changed"},
        headers=officer,
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert body["status"] == "done" and body["hours"] == 1.5 and body["completed_at"]
    assert body["notes"][-1]["text"] == "Filter changed"
    assert_problem(
        client.patch(f"/v1/work-orders/{wo_id}", json={"status": "in_progress"}, headers=officer),
        409,
        "invalid_transition",
    )
    assert_problem(
        client.patch(f"/v1/work-orders/{wo_id}", json={"hours": -1}, headers=officer),
        422,
        "invalid",
    )
    done = client.get(f"/v1/work-orders?status=done&vessel_id={org_a.vessel_id}", headers=crew)
    assert [w["id"] for w in done.json()["items"]] == [wo_id]


def test_parts_catalogue_search_and_update(client: TestClient, org_a: Tenant) -> None:
    admin = org_a.auth(Role.admin)
    for number, name in (("IMP-1", "Impeller"), ("GSK-2", "Gasket set")):
        assert (
            client.post(
                "/v1/parts", json={"number": number, "name": name}, headers=admin
            ).status_code
            == 201
        )
    found = client.get("/v1/parts?q=impel", headers=org_a.auth(Role.crew)).json()["items"]
    assert [p["number"] for p in found] == ["IMP-1"]
    patched = client.patch(f"/v1/parts/{found[0]['id']}", json={"unit": "set"}, headers=admin)
    assert patched.json()["unit"] == "set" and patched.json()["name"] == "Impeller"
