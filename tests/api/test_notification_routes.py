"""``GET|PUT /v1/notifications/routes``: each organization's own notice routes (issue 15, 1)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from records import Role
from tests.api.conftest import Tenant, assert_problem

ROUTES = "/v1/notifications/routes"


def test_routes_belong_to_one_organization(
    client: TestClient, org_a: Tenant, org_b: Tenant
) -> None:
    admin_a, admin_b = org_a.auth(Role.admin), org_b.auth(Role.admin)
    assert client.get(ROUTES, headers=admin_a).json() == {"slack": {}, "telegram": {}}
    # Both tenants have a vessel with IMO 9700001: each routes its own.
    put = client.put(
        ROUTES,
        json={"slack": {"9700001": "C0A", "*": "CALL"}, "telegram": {"*": "-100123"}},
        headers=admin_a,
    )
    assert put.status_code == 200, put.text
    assert put.json() == {
        "slack": {"9700001": "C0A", "*": "CALL"},
        "telegram": {"*": "-100123"},
    }
    assert client.get(ROUTES, headers=admin_b).json() == {"slack": {}, "telegram": {}}
    client.put(ROUTES, json={"slack": {"9700001": "C0B"}}, headers=admin_b)
    assert client.get(ROUTES, headers=admin_a).json()["slack"] == {"9700001": "C0A", "*": "CALL"}

    # PUT replaces: a platform left out has no routes any more.
    replaced = client.put(ROUTES, json={"slack": {"*": "CNEW"}}, headers=admin_a)
    assert replaced.json() == {"slack": {"*": "CNEW"}, "telegram": {}}
    audit = client.get(
        "/v1/audit-log", params={"entity": "notification_routes"}, headers=admin_a
    ).json()["items"]
    assert {row["action"] for row in audit} == {"create", "update", "delete"}


def test_routes_are_for_admins_and_known_vessels(client: TestClient, org_a: Tenant) -> None:
    for role in (Role.crew, Role.officer, Role.chief_engineer, Role.shore):
        assert_problem(client.get(ROUTES, headers=org_a.auth(role)), 403, "forbidden")
        assert_problem(
            client.put(ROUTES, json={"slack": {"*": "C1"}}, headers=org_a.auth(role)),
            403,
            "forbidden",
        )
    admin = org_a.auth(Role.admin)
    unknown = assert_problem(
        client.put(ROUTES, json={"slack": {"1234567": "C1"}}, headers=admin), 422, "invalid"
    )
    assert "1234567" in unknown["detail"]
    assert client.put(ROUTES, json={"teams": {"*": "x"}}, headers=admin).status_code == 422
    assert client.put(ROUTES, json={"slack": {"*": "bad id\n"}}, headers=admin).status_code == 422
    assert client.put(ROUTES, json={"slack": {"*": ""}}, headers=admin).status_code == 422
    assert client.get(ROUTES).status_code == 401
