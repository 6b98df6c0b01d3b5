"""Tenant isolation through the API: another organization's ids are 404, lists never leak."""

from __future__ import annotations

from fastapi.testclient import TestClient

from records import Role
from tests.api.conftest import Tenant, assert_problem

MISSING = 987_654_321


def _seed(client: TestClient, org: Tenant) -> dict[str, int]:
    crew, officer = org.auth(Role.crew), org.auth(Role.officer)
    fault = client.post(
        "/v1/faults",
        json={"equipment_id": org.equipment_ids["601.1"], "title": "Exhaust leak"},
        headers=crew,
    )
    assert fault.status_code == 201, fault.text
    wo = client.post(
        "/v1/work-orders",
        json={
            "equipment_id": org.equipment_ids["601.1"],
            "title": "Fix exhaust leak",
            "fault_id": fault.json()["id"],
        },
        headers=officer,
    )
    assert wo.status_code == 201, wo.text
    part = client.post(
        "/v1/parts", json={"number": "P-1", "name": "Gasket"}, headers=org.auth(Role.admin)
    )
    assert part.status_code == 201, part.text
    return {"fault": fault.json()["id"], "work_order": wo.json()["id"], "part": part.json()["id"]}


def test_cross_tenant_ids_are_404_like_missing_ones(
    client: TestClient, org_a: Tenant, org_b: Tenant
) -> None:
    ids = _seed(client, org_a)
    _seed(client, org_b)
    for role in (Role.admin, Role.crew):
        b = org_b.auth(role)
        for path in (
            "/v1/vessels/{}",
            "/v1/vessels/{}/equipment/tree",
            "/v1/vessels/{}/stock",
        ):
            theirs = client.get(path.format(org_a.vessel_id), headers=b)
            missing = client.get(path.format(MISSING), headers=b)
            assert_problem(theirs, 404, "not_found")
            assert_problem(missing, 404, "not_found")
            assert theirs.json()["detail"].replace(str(org_a.vessel_id), "X") == missing.json()[
                "detail"
            ].replace(str(MISSING), "X")
        for path, ident in (
            ("/v1/equipment/{}", org_a.equipment_ids["601.1"]),
            ("/v1/sensors/{}", org_a.sensor_id),
            ("/v1/sensors/{}/readings", org_a.sensor_id),
            ("/v1/faults/{}", ids["fault"]),
            ("/v1/work-orders/{}", ids["work_order"]),
            ("/v1/work-orders/{}/parts", ids["work_order"]),
            ("/v1/parts/{}", ids["part"]),
        ):
            assert_problem(client.get(path.format(ident), headers=b), 404, "not_found")
            assert_problem(client.get(path.format(MISSING), headers=b), 404, "not_found")

    admin_b = org_b.auth(Role.admin)
    # Writes aimed at A's rows are 404 too, and change nothing; a body naming one of A's
    # rows is a 422 naming the field.
    assert_problem(
        client.post(
            f"/v1/faults/{ids['fault']}/transition",
            json={"status": "acknowledged"},
            headers=admin_b,
        ),
        404,
        "not_found",
    )
    assert_problem(
        client.post(
            "/v1/faults",
            json={"equipment_id": org_a.equipment_ids["601.1"], "title": "x"},
            headers=admin_b,
        ),
        422,
        "invalid",
    )
    assert_problem(
        client.patch(
            f"/v1/work-orders/{ids['work_order']}", json={"status": "done"}, headers=admin_b
        ),
        404,
        "not_found",
    )
    assert_problem(
        client.patch(
            f"/v1/users/{org_a.user_ids[Role.crew]}", json={"active": False}, headers=admin_b
        ),
        404,
        "not_found",
    )
    assert_problem(
        client.post(
            "/v1/readings",
            json=[{"sensor_id": org_a.sensor_id, "time": "2026-01-01T00:00:00Z", "value": 1.0}],
            headers=admin_b,
        ),
        422,
        "invalid",
    )
    assert_problem(
        client.post(
            "/v1/work-orders",
            json={
                "equipment_id": org_b.equipment_ids["601.1"],
                "title": "x",
                "assignee_id": org_a.user_ids[Role.crew],
            },
            headers=admin_b,
        ),
        422,
        "invalid",
    )
    fault = client.get(f"/v1/faults/{ids['fault']}", headers=org_a.auth(Role.admin)).json()
    assert fault["status"] == "open"


def test_lists_never_include_other_tenants_rows(
    client: TestClient, org_a: Tenant, org_b: Tenant
) -> None:
    a_ids = _seed(client, org_a)
    _seed(client, org_b)
    b = org_b.auth(Role.admin)
    a = org_a.auth(Role.admin)

    def ids(path: str, headers: dict[str, str]) -> set[int]:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.text
        return {row["id"] for row in response.json()["items"]}

    assert ids("/v1/vessels", b) == {org_b.vessel_id, org_b.other_vessel_id}
    assert not ids("/v1/equipment?limit=500", b) & set(org_a.equipment_ids.values())
    assert not ids("/v1/equipment/search?q=ME1", b) & set(org_a.equipment_ids.values())
    assert ids("/v1/equipment/search?q=ME1", b) == {org_b.equipment_ids["601.1"]}
    assert org_a.sensor_id not in ids("/v1/sensors?limit=500", b)
    assert a_ids["fault"] not in ids("/v1/faults?limit=500", b)
    assert a_ids["work_order"] not in ids("/v1/work-orders?limit=500", b)
    assert a_ids["part"] not in ids("/v1/parts?limit=500", b)
    assert not ids("/v1/users?limit=500", b) & set(org_a.user_ids.values())
    assert not ids("/v1/api-keys", b) & ids("/v1/api-keys", a)
    assert not ids("/v1/audit-log?limit=500", b) & ids("/v1/audit-log?limit=500", a)
    # A list filtered by another tenant's vessel is a 404, not an empty page of their data.
    assert_problem(
        client.get(f"/v1/faults?vessel_id={org_a.vessel_id}", headers=b), 404, "not_found"
    )


def test_crew_sees_only_their_vessels(client: TestClient, org_a: Tenant) -> None:
    crew = org_a.auth(Role.crew)
    listed = client.get("/v1/vessels", headers=crew).json()["items"]
    assert [v["id"] for v in listed] == [org_a.vessel_id]
    assert_problem(
        client.get(f"/v1/vessels/{org_a.other_vessel_id}", headers=crew), 404, "not_found"
    )
