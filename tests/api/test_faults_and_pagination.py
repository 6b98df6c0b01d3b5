"""The fault lifecycle through the API, and cursor pagination over several pages."""

from __future__ import annotations

from fastapi.testclient import TestClient

from records import Role
from tests.api.conftest import Tenant, assert_problem


def test_fault_lifecycle(client: TestClient, org_a: Tenant) -> None:
    crew, chief = org_a.auth(Role.crew), org_a.auth(Role.chief_engineer)
    created = client.post(
        "/v1/faults",
        json={
            "equipment_id": org_a.equipment_ids["601.1"],
            "title": "Lube oil pressure low",
            "description": "Alarm at 3.2 bar",
            "priority": "high",
        },
        headers=crew,
    )
    assert created.status_code == 201, created.text
    fault = created.json()
    assert fault["status"] == "open"
    assert fault["priority"] == "high"
    assert fault["vessel_id"] == org_a.vessel_id
    assert fault["reported_by_id"] == org_a.user_ids[Role.crew]
    assert fault["reported_via"] == "api"
    path = f"/v1/faults/{fault['id']}"

    # crew may not acknowledge
    assert_problem(
        client.post(f"{path}/transition", json={"status": "acknowledged"}, headers=crew),
        403,
        "forbidden",
    )
    for step in ("acknowledged", "in_progress"):
        moved = client.post(f"{path}/transition", json={"status": step}, headers=chief)
        assert moved.status_code == 200, moved.text
        assert moved.json()["status"] == step
    assert client.get(path, headers=crew).json()["acknowledged_at"] is not None

    # in_progress cannot jump to closed
    bad = client.post(f"{path}/transition", json={"status": "closed"}, headers=chief)
    body = assert_problem(bad, 409, "invalid_transition")
    assert "in_progress" in body["detail"] and "closed" in body["detail"]
    assert body["current"] == "in_progress" and body["requested"] == "closed"
    assert client.get(path, headers=crew).json()["status"] == "in_progress"

    resolved = client.post(
        f"{path}/transition",
        json={"status": "resolved", "root_cause": "Clogged filter", "note": "Filter replaced"},
        headers=chief,
    )
    assert resolved.status_code == 200
    assert resolved.json()["root_cause"] == "Clogged filter"
    assert resolved.json()["notes"][-1]["text"] == "Filter replaced"

    noted = client.post(f"{path}/notes", json={"text": "Running fine since"}, headers=crew)
    assert noted.status_code == 201
    assert [n["text"] for n in noted.json()["notes"]] == ["Filter replaced", "Running fine since"]

    closed = client.post(f"{path}/transition", json={"status": "closed"}, headers=chief)
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"] is not None
    reopened = client.post(f"{path}/transition", json={"status": "open"}, headers=chief)
    assert reopened.json()["status"] == "open" and reopened.json()["closed_at"] is None

    patched = client.patch(path, json={"priority": "critical"}, headers=chief)
    assert patched.status_code == 200 and patched.json()["priority"] == "critical"

    # unknown status is a validation error
    assert_problem(
        client.post(f"{path}/transition", json={"status": "fixed"}, headers=chief), 422, "invalid"
    )

    audit = client.get(
        f"/v1/audit-log?entity=faults&entity_id={fault['id']}", headers=org_a.auth(Role.admin)
    )
    actions = [row["action"] for row in audit.json()["items"]]
    assert actions.count("transition") == 5
    assert "create" in actions and "note" in actions and "update" in actions
    assert {row["channel"] for row in audit.json()["items"]} == {"api"}


def test_fault_filters(client: TestClient, org_a: Tenant) -> None:
    crew, chief = org_a.auth(Role.crew), org_a.auth(Role.chief_engineer)
    ids = {}
    for code in ("601.1", "602"):
        r = client.post(
            "/v1/faults",
            json={"equipment_id": org_a.equipment_ids[code], "title": f"on {code}"},
            headers=crew,
        )
        ids[code] = r.json()["id"]
    client.post(f"/v1/faults/{ids['602']}/transition", json={"status": "resolved"}, headers=chief)

    def listed(query: str) -> list[int]:
        r = client.get(f"/v1/faults?{query}", headers=crew)
        assert r.status_code == 200, r.text
        return [f["id"] for f in r.json()["items"]]

    assert listed(f"equipment_id={org_a.equipment_ids['602']}") == [ids["602"]]
    assert listed("status=resolved") == [ids["602"]]
    assert listed("open_only=true") == [ids["601.1"]]
    assert listed("status=open&status=resolved") == [ids["601.1"], ids["602"]]
    assert listed(f"vessel_id={org_a.vessel_id}") == [ids["601.1"], ids["602"]]


def test_pagination_over_several_pages(client: TestClient, org_a: Tenant) -> None:
    crew = org_a.auth(Role.crew)
    created = []
    for i in range(23):
        r = client.post(
            "/v1/faults",
            json={"equipment_id": org_a.equipment_ids["601.1"], "title": f"Fault {i}"},
            headers=crew,
        )
        created.append(r.json()["id"])

    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        r = client.get("/v1/faults", params=params, headers=crew)
        assert r.status_code == 200, r.text
        page = r.json()
        pages += 1
        assert len(page["items"]) <= 10
        seen.extend(f["id"] for f in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(page["items"]) == 10
    assert pages == 3
    assert len(seen) == len(set(seen))  # no duplicates
    assert seen == sorted(created)  # no gaps, stable order
    assert_problem(client.get("/v1/faults?cursor=%%%", headers=crew), 422, "invalid")
    assert_problem(client.get("/v1/faults?limit=0", headers=crew), 422, "invalid")
    assert_problem(client.get("/v1/faults?limit=501", headers=crew), 422, "invalid")


def test_equipment_pagination(client: TestClient, org_a: Tenant) -> None:
    chief = org_a.auth(Role.chief_engineer)
    for i in range(7):
        r = client.post(
            "/v1/equipment",
            json={"vessel_id": org_a.vessel_id, "code": f"9{i:02d}", "name": f"Item {i}"},
            headers=chief,
        )
        assert r.status_code == 201, r.text
    seen: list[int] = []
    cursor = None
    while True:
        params = {
            "limit": 4,
            "vessel_id": org_a.vessel_id,
            **({"cursor": cursor} if cursor else {}),
        }
        page = client.get("/v1/equipment", params=params, headers=chief).json()
        seen.extend(e["id"] for e in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 10
