"""Readings: batch insert, range queries with pagination, latest values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from records import Role
from tests.api.conftest import Tenant, assert_problem

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _batch(sensor_id: int, n: int, start: datetime = T0) -> list[dict[str, object]]:
    return [
        {
            "sensor_id": sensor_id,
            "time": (start + timedelta(minutes=i)).isoformat(),
            "value": 300.0 + i,
            "quality": 0 if i % 10 else 1,
        }
        for i in range(n)
    ]


def test_batch_insert_and_range_query(client: TestClient, org_a: Tenant) -> None:
    chief = org_a.auth(Role.chief_engineer)
    sid = org_a.sensor_id
    written = client.post("/v1/readings", json=_batch(sid, 120), headers=chief)
    assert written.status_code == 200, written.text
    assert written.json() == {"received": 120}
    # repeats of (sensor, time) are ignored
    again = client.post("/v1/readings", json=_batch(sid, 5), headers=chief)
    assert again.status_code == 200

    start, end = T0 + timedelta(minutes=10), T0 + timedelta(minutes=20)
    ranged = client.get(
        f"/v1/sensors/{sid}/readings",
        params={"start": start.isoformat(), "end": end.isoformat()},
        headers=org_a.auth(Role.crew),
    )
    assert ranged.status_code == 200, ranged.text
    items = ranged.json()["items"]
    assert [r["value"] for r in items] == [310.0 + i for i in range(10)]  # [start, end)
    assert items[0]["quality"] == 1 and items[1]["quality"] == 0
    assert datetime.fromisoformat(items[0]["time"]) == start
    assert ranged.json()["next_cursor"] is None

    # all 120, 50 at a time: no duplicates, no gaps
    values: list[float] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 50}
        if cursor:
            params["cursor"] = cursor
        page = client.get(f"/v1/sensors/{sid}/readings", params=params, headers=chief).json()
        values.extend(r["value"] for r in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert values == [300.0 + i for i in range(120)]

    latest = client.get(f"/v1/sensors/{sid}/readings/latest", headers=chief)
    assert latest.status_code == 200
    assert latest.json()["value"] == 419.0
    many = client.get("/v1/readings/latest", params={"sensor_id": [sid]}, headers=chief)
    assert [r["value"] for r in many.json()["items"]] == [419.0]


def test_readings_validation_and_roles(client: TestClient, org_a: Tenant) -> None:
    sid = org_a.sensor_id
    naive = [{"sensor_id": sid, "time": "2026-03-01T00:00:00", "value": 1.0}]
    assert_problem(
        client.post("/v1/readings", json=naive, headers=org_a.auth(Role.chief_engineer)),
        422,
        "invalid",
    )
    not_a_list = {"sensor_id": sid, "time": "2026-03-01T00:00:00Z", "value": 1.0}
    assert_problem(
        client.post("/v1/readings", json=not_a_list, headers=org_a.auth(Role.chief_engineer)),
        422,
        "invalid",
    )
    assert_problem(
        client.post("/v1/readings", json=_batch(sid, 2), headers=org_a.auth(Role.crew)),
        403,
        "forbidden",
    )
    assert_problem(
        client.get(
            f"/v1/sensors/{sid}/readings?start=2026-03-01T00:00:00", headers=org_a.auth(Role.crew)
        ),
        422,
        "invalid",
    )
    assert_problem(
        client.get(f"/v1/sensors/{sid}/readings/latest", headers=org_a.auth(Role.crew)),
        404,
        "not_found",
    )
    assert_problem(
        client.get(f"/v1/sensors/{sid}/readings?cursor=bad", headers=org_a.auth(Role.crew)),
        422,
        "invalid",
    )
