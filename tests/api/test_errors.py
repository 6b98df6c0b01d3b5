"""Problem+json for every kind of error, request size limits."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

from channels.app.runtime import Bosun
from channels.http.app import create_app
from records import Role
from tests.api.conftest import MAX_REQUEST_BYTES, Tenant, assert_problem


def test_unknown_route_is_404_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/nowhere"), 404, "not_found")
    assert body["instance"] == "/v1/nowhere"
    assert_problem(client.get("/nowhere"), 404, "not_found")


def test_wrong_method_is_405_problem(client: TestClient, org_a: Tenant) -> None:
    assert_problem(
        client.delete("/v1/vessels", headers=org_a.auth(Role.admin)), 405, "method_not_allowed"
    )


def test_validation_error_is_422_with_field_errors(client: TestClient, org_a: Tenant) -> None:
    response = client.post(
        "/v1/faults",
        json={"equipment_id": "abc", "priority": "urgent"},
        headers=org_a.auth(Role.crew),
    )
    body = assert_problem(response, 422, "invalid")
    locations = {tuple(e["loc"]) for e in body["errors"]}
    assert ("body", "equipment_id") in locations
    assert ("body", "title") in locations
    assert ("body", "priority") in locations
    assert all("input" not in e for e in body["errors"])
    bad_json = client.post(
        "/v1/faults",
        content=b"{not json",
        headers={**org_a.auth(Role.crew), "content-type": "application/json"},
    )
    assert_problem(bad_json, 422, "invalid")
    extra = client.post(
        "/v1/faults",
        json={"equipment_id": org_a.equipment_ids["602"], "title": "t", "status": "closed"},
        headers=org_a.auth(Role.crew),
    )
    assert_problem(extra, 422, "invalid")
    crew = org_a.auth(Role.crew)
    assert_problem(client.get(f"/v1/vessels/{2**63}", headers=crew), 422, "invalid")
    # An id segment is digits: /v1/vessels/abc names no resource (and /faults/stats is no id).
    assert_problem(client.get("/v1/vessels/abc", headers=crew), 404, "not_found")


def test_service_errors_keep_their_code(client: TestClient, org_a: Tenant) -> None:
    admin = org_a.auth(Role.admin)
    user = {"name": "Dup", "email": "dup@example.test", "role": "crew"}
    assert client.post("/v1/users", json=user, headers=admin).status_code == 201
    assert_problem(client.post("/v1/users", json=user, headers=admin), 409, "conflict")
    bad = {"name": "Bad", "email": "not-an-email", "role": "crew"}
    assert_problem(client.post("/v1/users", json=bad, headers=admin), 422, "invalid")


def test_oversized_body_is_413_by_content_length(client: TestClient, org_a: Tenant) -> None:
    big = [{"sensor_id": org_a.sensor_id, "time": "2026-01-01T00:00:00Z", "value": 1.0}] * 2000
    response = client.post("/v1/readings", json=big, headers=org_a.auth(Role.chief_engineer))
    body = assert_problem(response, 413, "too_large")
    assert str(MAX_REQUEST_BYTES) in body["detail"]
    # the limit applies before authentication too
    assert_problem(client.post("/v1/readings", json=big), 413, "too_large")


def test_oversized_streamed_body_is_413(client: TestClient, org_a: Tenant) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"["
        for i in range(3000):
            sep = b"," if i else b""
            yield sep + b'{"sensor_id": 1, "time": "2026-01-01T00:00:00Z", "value": 1.0}'
        yield b"]"

    response = client.post(
        "/v1/readings",
        content=chunks(),
        headers={**org_a.auth(Role.chief_engineer), "content-type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413, "too_large")


def test_body_under_the_limit_passes(client: TestClient, org_a: Tenant) -> None:
    rows = [
        {"sensor_id": org_a.sensor_id, "time": f"2026-02-01T00:{m:02d}:00Z", "value": 1.0}
        for m in range(60)
    ]
    response = client.post("/v1/readings", json=rows, headers=org_a.auth(Role.chief_engineer))
    assert response.status_code == 200, response.text


def test_unexpected_error_is_500_without_internals(bosun: Bosun) -> None:
    app = create_app(bosun)

    @app.get("/v1/boom")
    def boom() -> None:
        raise RuntimeError("password=hunter2 at /secret/path.py line 42")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        response = test_client.get("/v1/boom")
    body = assert_problem(response, 500, "internal")
    assert "hunter2" not in response.text and "secret" not in response.text
    assert "Traceback" not in response.text
    assert body["title"] == "Internal Server Error"


def test_body_limit_override_for_a_prefix(bosun: Bosun, org_a: Tenant) -> None:
    app = create_app(bosun, body_limit_overrides=[("/v1/readings", MAX_REQUEST_BYTES * 4)])
    rows = [
        {"sensor_id": org_a.sensor_id, "time": f"2026-04-01T{h:02d}:{m:02d}:00Z", "value": 2.0}
        for h in range(24)
        for m in range(60)
    ]  # ~100 kB: over the default, under 4x
    with TestClient(app) as test_client:
        headers = org_a.auth(Role.chief_engineer)
        response = test_client.post("/v1/readings", json=rows, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"received": 1440}
        # other paths keep the default limit
        assert_problem(
            test_client.post("/v1/faults", json={"title": "x" * 100_000}, headers=headers),
            413,
            "too_large",
        )
