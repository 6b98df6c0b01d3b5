"""The equipment register, users and the audit log through the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from records import Role
from tests.api.conftest import Tenant, assert_problem


def test_equipment_tree_and_search(client: TestClient, org_a: Tenant) -> None:
    crew = org_a.auth(Role.crew)
    tree = client.get(f"/v1/vessels/{org_a.vessel_id}/equipment/tree", headers=crew)
    assert tree.status_code == 200, tree.text
    roots = tree.json()
    assert [n["code"] for n in roots] == ["601", "602"]
    child = roots[0]["children"][0]
    assert child["code"] == "601.1" and child["class"] == "main_engine"
    assert child["aliases"] == ["ME1", "port main engine"]

    by_alias = client.get("/v1/equipment/search", params={"q": "port main"}, headers=crew).json()
    assert [e["code"] for e in by_alias["items"]] == ["601.1"]
    by_code = client.get("/v1/equipment/search", params={"q": "602"}, headers=crew).json()
    assert [e["name"] for e in by_code["items"]] == ["Fire pump"]
    assert_problem(client.get("/v1/equipment/search?q=", headers=crew), 422, "invalid")

    one = client.get(f"/v1/equipment/{org_a.equipment_ids['601.1']}", headers=crew).json()
    assert one["parent_id"] == org_a.equipment_ids["601"] and one["running_hours"] == 0.0
    sensors = client.get(f"/v1/sensors?equipment_id={one['id']}", headers=crew).json()["items"]
    assert [s["tag"] for s in sensors] == ["ME1_EXH_T"]
    assert client.get(f"/v1/sensors/{org_a.sensor_id}", headers=crew).json()["high"] == 480.0


def test_equipment_create_update_and_running_hours(client: TestClient, org_a: Tenant) -> None:
    chief = org_a.auth(Role.chief_engineer)
    created = client.post(
        "/v1/equipment",
        json={
            "vessel_id": org_a.vessel_id,
            "code": "601.2",
            "name": "Main engine No. 2",
            "parent_id": org_a.equipment_ids["601"],
            "aliases": ["ME2"],
            "class": "main_engine",
            "criticality": "high",
        },
        headers=chief,
    )
    assert created.status_code == 201, created.text
    eq = created.json()
    assert eq["class"] == "main_engine" and eq["criticality"] == "high"
    assert_problem(
        client.post(
            "/v1/equipment",
            json={"vessel_id": org_a.vessel_id, "code": "601.2", "name": "again"},
            headers=chief,
        ),
        409,
        "conflict",
    )
    # a parent on another vessel is refused
    assert_problem(
        client.post(
            "/v1/equipment",
            json={
                "vessel_id": org_a.other_vessel_id,
                "code": "1",
                "name": "x",
                "parent_id": org_a.equipment_ids["601"],
            },
            headers=org_a.auth(Role.admin),
        ),
        422,
        "invalid",
    )
    patched = client.patch(
        f"/v1/equipment/{eq['id']}", json={"maker": "Bergen Engines"}, headers=chief
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["maker"] == "Bergen Engines"
    assert patched.json()["aliases"] == ["ME2"] and patched.json()["class"] == "main_engine"
    # a cycle is refused
    assert_problem(
        client.patch(
            f"/v1/equipment/{org_a.equipment_ids['601']}",
            json={"parent_id": eq["id"]},
            headers=chief,
        ),
        422,
        "invalid",
    )
    moved = client.patch(f"/v1/equipment/{eq['id']}", json={"parent_id": None}, headers=chief)
    assert moved.json()["parent_id"] is None

    hours = client.put(
        f"/v1/equipment/{eq['id']}/running-hours",
        json={"hours": 12500.5, "at": "2026-03-01T08:00:00Z"},
        headers=org_a.auth(Role.officer),
    )
    assert hours.status_code == 200, hours.text
    assert hours.json()["running_hours"] == 12500.5
    assert hours.json()["running_hours_at"].startswith("2026-03-01T08:00:00")
    assert_problem(
        client.put(
            f"/v1/equipment/{eq['id']}/running-hours",
            json={"hours": 1},
            headers=org_a.auth(Role.crew),
        ),
        403,
        "forbidden",
    )


def test_users_admin(client: TestClient, org_a: Tenant, org_b: Tenant) -> None:
    admin = org_a.auth(Role.admin)
    created = client.post(
        "/v1/users",
        json={
            "name": "Ana Silva",
            "email": "Ana@Example.test",
            "role": "officer",
            "vessel_ids": [org_a.vessel_id],
            "password": "long enough secret",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["email"] == "ana@example.test" and "password" not in created.text
    assert "password_hash" not in user
    listed = client.get("/v1/users?limit=500", headers=admin).json()["items"]
    assert user["id"] in {u["id"] for u in listed}
    patched = client.patch(
        f"/v1/users/{user['id']}", json={"role": "chief_engineer"}, headers=admin
    )
    assert patched.json()["role"] == "chief_engineer"
    assert_problem(
        client.patch(
            f"/v1/users/{user['id']}", json={"vessel_ids": [org_b.vessel_id]}, headers=admin
        ),
        422,
        "invalid",
    )
    key = client.post(
        "/v1/api-keys", json={"name": "for ana", "user_id": user["id"]}, headers=admin
    )
    assert key.status_code == 201
    me = client.get("/v1/me", headers={"X-API-Key": key.json()["secret"]}).json()
    assert me["user_id"] == user["id"] and me["role"] == "chief_engineer"
    # a user may read themself, not others
    own = client.get(f"/v1/users/{org_a.user_ids[Role.crew]}", headers=org_a.auth(Role.crew))
    assert own.status_code == 200
    assert_problem(
        client.get(f"/v1/users/{user['id']}", headers=org_a.auth(Role.crew)), 403, "forbidden"
    )
    assert_problem(
        client.post(
            "/v1/users",
            json={"name": "x", "email": "x@y.z", "role": "crew"},
            headers=org_a.auth(Role.chief_engineer),
        ),
        403,
        "forbidden",
    )


def test_audit_log_pages(client: TestClient, org_a: Tenant) -> None:
    admin = org_a.auth(Role.admin)
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 5}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/audit-log", params=params, headers=admin).json()
        seen.extend(row["id"] for row in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) > 10  # the tenant's setup wrote vessels, equipment, users, keys
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == len(seen)
    users_created = client.get("/v1/audit-log?entity=users", headers=admin).json()["items"]
    assert {row["action"] for row in users_created} == {"create"}
    assert all(row["channel"] == "system" for row in users_created)


def test_users_carry_their_position(client: TestClient, org_a: Tenant) -> None:
    admin = org_a.auth(Role.admin)
    created = client.post(
        "/v1/users",
        json={
            "name": "Per Olsen",
            "email": "per.olsen@example.test",
            "role": "officer",
            "position": "Third engineer",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["position"] == "Third engineer"
    moved = client.patch(f"/v1/users/{user['id']}", json={"position": "2/E"}, headers=admin)
    assert moved.json()["position"] == "2/E"
    cleared = client.patch(f"/v1/users/{user['id']}", json={"position": ""}, headers=admin)
    assert cleared.json()["position"] is None
    assert_problem(
        client.patch(f"/v1/users/{user['id']}", json={"position": "x" * 101}, headers=admin),
        422,
        "invalid",
    )
