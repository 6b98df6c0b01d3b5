"""API-key authentication, roles, and keys shown once."""

from __future__ import annotations

from fastapi.testclient import TestClient

from records import Role
from tests.api.conftest import Tenant, assert_problem


def test_no_key_is_401_problem(client: TestClient, org_a: Tenant) -> None:
    response = client.get(f"/v1/vessels/{org_a.vessel_id}")
    body = assert_problem(response, 401, "unauthorized")
    assert "API key" in str(body["detail"])
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_unknown_and_malformed_keys_are_401(client: TestClient, org_a: Tenant) -> None:
    forged = org_a.keys[Role.admin][:-4] + "AAAA"
    assert_problem(client.get("/v1/vessels", headers={"X-API-Key": forged}), 401, "unauthorized")
    assert_problem(
        client.get("/v1/vessels", headers={"Authorization": "Bearer nonsense"}), 401, "unauthorized"
    )
    assert_problem(
        client.get("/v1/vessels", headers={"Authorization": "Basic dXNlcjpwYXNz"}),
        401,
        "unauthorized",
    )


def test_bearer_and_x_api_key_both_work(client: TestClient, org_a: Tenant) -> None:
    key = org_a.keys[Role.crew]
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200
    assert me.json()["role"] == "crew"
    assert me.json()["user_id"] == org_a.user_ids[Role.crew]
    assert me.json()["vessel_ids"] == [org_a.vessel_id]
    same = client.get("/v1/me", headers={"X-API-Key": key})
    assert same.json() == me.json()


def test_wrong_role_is_403(client: TestClient, org_a: Tenant) -> None:
    wo = {"equipment_id": org_a.equipment_ids["601.1"], "title": "Change filters"}
    assert_problem(
        client.post("/v1/work-orders", json=wo, headers=org_a.auth(Role.crew)), 403, "forbidden"
    )
    created = client.post("/v1/work-orders", json=wo, headers=org_a.auth(Role.officer))
    assert created.status_code == 201, created.text
    eq = {"vessel_id": org_a.vessel_id, "code": "700", "name": "Steering gear"}
    assert_problem(
        client.post("/v1/equipment", json=eq, headers=org_a.auth(Role.officer)), 403, "forbidden"
    )
    assert_problem(client.get("/v1/users", headers=org_a.auth(Role.officer)), 403, "forbidden")
    assert_problem(client.get("/v1/audit-log", headers=org_a.auth(Role.shore)), 403, "forbidden")


def test_key_shown_once_and_revoked_key_is_401(client: TestClient, org_a: Tenant) -> None:
    admin = org_a.auth(Role.admin)
    created = client.post("/v1/api-keys", json={"name": "laptop"}, headers=admin)
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    key_id = created.json()["id"]
    assert secret.startswith("bsn_")
    assert client.get("/v1/me", headers={"X-API-Key": secret}).status_code == 200

    listed = client.get("/v1/api-keys", headers=admin)
    assert listed.status_code == 200
    rows = listed.json()["items"]
    assert key_id in {k["id"] for k in rows}
    assert all("secret" not in k and "key_hash" not in k for k in rows)
    assert secret not in listed.text
    assert secret not in client.get("/v1/audit-log", headers=admin).text

    revoked = client.delete(f"/v1/api-keys/{key_id}", headers=admin)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert_problem(client.get("/v1/me", headers={"X-API-Key": secret}), 401, "unauthorized")


def test_crew_keys_for_themselves_only(client: TestClient, org_a: Tenant) -> None:
    crew = org_a.auth(Role.crew)
    own = client.post("/v1/api-keys", json={"name": "tablet"}, headers=crew)
    assert own.status_code == 201
    other = {"name": "x", "user_id": org_a.user_ids[Role.officer]}
    assert_problem(client.post("/v1/api-keys", json=other, headers=crew), 403, "forbidden")
    listed = client.get("/v1/api-keys", headers=crew).json()["items"]
    assert {k["user_id"] for k in listed} == {org_a.user_ids[Role.crew]}


def test_inactive_user_key_is_401(client: TestClient, org_a: Tenant) -> None:
    admin = org_a.auth(Role.admin)
    officer_id = org_a.user_ids[Role.officer]
    r = client.patch(f"/v1/users/{officer_id}", json={"active": False}, headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    assert_problem(client.get("/v1/me", headers=org_a.auth(Role.officer)), 401, "unauthorized")
