"""/healthz, /readyz, /metrics and the OpenAPI docs."""

from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from channels.app.runtime import Bosun, Startup
from channels.http.app import create_app
from records import Role
from tests.api.conftest import Tenant


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_healthz_needs_no_key(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_follows_startup(bosun: Bosun) -> None:
    starting = dataclasses.replace(bosun, startup=Startup())
    starting.startup.step("migrated the database")
    starting.startup.step("seeding the demo")
    with TestClient(create_app(starting)) as client:
        waiting = client.get("/readyz")
        assert waiting.status_code == 503
        assert waiting.json() == {
            "ready": False,
            "steps": ["migrated the database", "seeding the demo"],
            "error": None,
            "warnings": [],
        }
        assert client.get("/healthz").status_code == 200
        starting.startup.step("ready")
        starting.startup.ready.set()
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["ready"] is True and ready.json()["steps"][-1] == "ready"


LOOPBACK = ("127.0.0.1", 50000)


def test_metrics(bosun: Bosun, org_a: Tenant) -> None:
    with TestClient(create_app(bosun), client=LOOPBACK) as client:
        _check_metrics(client, bosun, org_a)


def _check_metrics(client: TestClient, bosun: Bosun, org_a: Tenant) -> None:
    crew = org_a.auth(Role.crew)
    for _ in range(3):
        assert client.get(f"/v1/vessels/{org_a.vessel_id}", headers=crew).status_code == 200
    client.get("/v1/vessels/987654")  # 401
    client.get("/v1/nowhere")
    client.get("/openapi.json")

    extra = client.app.state.metrics.gauge("bosun_index_chunks", "Chunks in the index.")  # type: ignore[attr-defined]
    extra.set(42)

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    key = (
        "bosun_http_requests_total",
        (("method", "GET"), ("route", "/v1/vessels/{vessel_id}"), ("status", "200")),
    )
    assert samples[key] == 3.0
    assert (
        samples[
            (
                "bosun_http_requests_total",
                (("method", "GET"), ("route", "/v1/vessels/{vessel_id}"), ("status", "401")),
            )
        ]
        == 1.0
    )
    assert (
        samples[
            (
                "bosun_http_requests_total",
                (("method", "GET"), ("route", "unmatched"), ("status", "404")),
            )
        ]
        == 1.0
    )
    assert (
        samples[
            (
                "bosun_http_requests_total",
                (("method", "GET"), ("route", "/openapi.json"), ("status", "200")),
            )
        ]
        == 1.0
    )
    count = (
        "bosun_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "/v1/vessels/{vessel_id}")),
    )
    assert samples[count] == 4.0
    assert samples[("bosun_jobs_submitted_total", ())] == bosun.runner.stats.submitted
    assert ("bosun_jobs_failed_total", ()) in samples
    assert samples[("bosun_ready", ())] == 1.0
    assert samples[("bosun_index_chunks", ())] == 42.0


def test_apps_have_their_own_registries(bosun: Bosun) -> None:
    first, second = create_app(bosun), create_app(bosun)
    first.state.metrics.gauge("bosun_thing", "A thing.").set(1)
    second.state.metrics.gauge("bosun_thing", "A thing.").set(2)
    with TestClient(first, client=LOOPBACK) as a, TestClient(second, client=LOOPBACK) as b:
        a.get("/healthz")
        a.get("/healthz")
        assert _samples(a.get("/metrics").text)[("bosun_thing", ())] == 1.0
        second_samples = _samples(b.get("/metrics").text)
    assert second_samples[("bosun_thing", ())] == 2.0
    healthz = (
        "bosun_http_requests_total",
        (("method", "GET"), ("route", "/healthz"), ("status", "200")),
    )
    assert healthz not in second_samples


def test_openapi_and_docs(client: TestClient) -> None:
    spec = client.get("/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    for path in (
        "/v1/vessels",
        "/v1/equipment/search",
        "/v1/vessels/{vessel_id}/equipment/tree",
        "/v1/readings",
        "/v1/faults/{fault_id}/transition",
        "/v1/work-orders",
        "/v1/api-keys",
        "/v1/pending-actions",
        "/v1/audit-log",
        "/healthz",
        "/metrics",
    ):
        assert path in paths, path
    schemes = spec.json()["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
