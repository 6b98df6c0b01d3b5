"""Every route that takes an id, called with another organization's id: 404, nothing changed.

The routes come from the app's own route table, so a new route with an id in its path is
probed without editing this file (a new kind of id fails until ``_ids_of`` makes one).
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from channels.app.runtime import Bosun
from channels.http.api.routes import v1_routers
from records import (
    ALL_TENANTS,
    Base,
    Role,
    conversations,
    documents,
    glossary,
    model_registry,
    pending,
    system_caller,
)
from tests.api.conftest import Tenant, assert_problem

MISSING = 987_654_321
STRING_IDS = {"pin_id"}  # pins live in the knowledge index under string ids


def _routes() -> list[tuple[str, APIRoute]]:
    found = []
    for router in v1_routers():
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            names = {p.name for p in route.dependant.path_params} - STRING_IDS
            if any(name.endswith("_id") for name in names):
                found.extend((method, route) for method in sorted(route.methods))
    return found


ROUTES = _routes()


def _ids_of(client: TestClient, bosun: Bosun, org: Tenant) -> dict[str, int]:
    """Make one row of every kind a path names, in ``org``; return their ids by path name."""
    crew, officer, admin = org.auth(Role.crew), org.auth(Role.officer), org.auth(Role.admin)
    equipment = org.equipment_ids["601.1"]
    fault = client.post(
        "/v1/faults", json={"equipment_id": equipment, "title": "Leak"}, headers=crew
    )
    wo = client.post(
        "/v1/work-orders", json={"equipment_id": equipment, "title": "Fix"}, headers=officer
    )
    part = client.post("/v1/parts", json={"number": "X-1", "name": "Seal"}, headers=admin)
    keys = client.get("/v1/api-keys", headers=admin).json()["items"]
    system = system_caller(org.org_id)
    with bosun.db.transaction(org.org_id) as s:
        doc = documents.create_document(s, system, title="Manual")
        action = pending.propose(
            s,
            system,
            kind="report_fault",
            arguments={"equipment_id": equipment, "title": "Proposed leak"},
            summary="Report a leak",
            addressed_to_user_id=org.user_ids[Role.crew],
        )
        conv = conversations.get_or_start_conversation(
            s, system, channel="api", external_id=f"probe-{org.org_id}"
        )
        s.flush()
        message = conversations.add_message(s, system, conv, role="assistant", text="Hello")
        model = model_registry.register_model(
            s,
            system,
            equipment_class="main_engine",
            artifact_path="/nonexistent/model.json",
            features=["x"],
            params={},
            metrics={},
            data_from=None,
            data_to=None,
            activate=False,
        )
        entry, _ = glossary.set_entry(s, system, f"ME{org.org_id}", "main engine")
        s.flush()
        made = {
            "entry_id": entry.id,
            "document_id": doc.id,
            "action_id": action.id,
            "message_id": message.id,
            "model_id": model.id,
        }
    return {
        "vessel_id": org.vessel_id,
        "equipment_id": equipment,
        "sensor_id": org.sensor_id,
        "fault_id": fault.json()["id"],
        "work_order_id": wo.json()["id"],
        "part_id": part.json()["id"],
        "user_id": org.user_ids[Role.crew],
        "key_id": next(k["id"] for k in keys if k["user_id"] == org.user_ids[Role.crew]),
        **made,
    }


def _sample(schema: dict[str, Any], spec: dict[str, Any], own: dict[str, int]) -> Any:
    """Return the smallest value a JSON schema accepts (required fields only)."""
    if "$ref" in schema:
        return _sample(spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]], spec, own)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"]
            return _sample(options[0], spec, own)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {
            name: own.get(name, _sample(schema["properties"][name], spec, own))
            for name in schema.get("required", [])
        }
    if kind == "array":
        return [_sample(schema.get("items", {}), spec, own)] if schema.get("minItems") else []
    if kind == "string":
        return "x" * max(1, schema.get("minLength", 1))
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    return None


def _org_rows(bosun: Bosun, org_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every tenant table that belongs to ``org_id``."""
    rows = {}
    with bosun.db.transaction(ALL_TENANTS) as s:
        for table in Base.metadata.sorted_tables:
            if "org_id" in table.c:
                stmt = select(table).where(table.c.org_id == org_id)
                rows[table.name] = sorted(tuple(map(repr, r)) for r in s.execute(stmt))
    return rows


@pytest.fixture(scope="module")
def probe(
    client: TestClient, bosun: Bosun
) -> tuple[Tenant, Tenant, dict[str, int], dict[str, int]]:
    from tests.api.conftest import make_tenant

    owner, intruder = make_tenant(bosun), make_tenant(bosun)
    return owner, intruder, _ids_of(client, bosun, owner), _ids_of(client, bosun, intruder)


@pytest.mark.parametrize(
    ("method", "route"), ROUTES, ids=[f"{m} {r.path_format}" for m, r in ROUTES]
)
def test_another_organizations_id_is_404_and_changes_nothing(
    client: TestClient,
    bosun: Bosun,
    probe: tuple[Tenant, Tenant, dict[str, int], dict[str, int]],
    method: str,
    route: APIRoute,
) -> None:
    owner, intruder, theirs, own = probe
    url = missing = route.path_format
    for param in route.dependant.path_params:
        if param.name in STRING_IDS:
            continue
        assert param.name in theirs, f"make a row for {param.name} in _ids_of"
        url = url.replace("{" + param.name + "}", str(theirs[param.name]))
        missing = missing.replace("{" + param.name + "}", str(MISSING))
    spec = client.get("/openapi.json").json()
    operation = spec["paths"][route.path_format][method.lower()]
    content = operation.get("requestBody", {}).get("content", {})
    body = None
    if "application/json" in content:
        body = _sample(content["application/json"]["schema"], spec, own)
    before = _org_rows(bosun, owner.org_id)
    answer = client.request(method, url, json=body, headers=intruder.auth(Role.admin))
    assert_problem(answer, 404, "not_found")
    # A crew member may meet the role limit first; either way it answers exactly as for an
    # id that exists nowhere, so nothing tells another tenant's rows apart.
    crew = client.request(method, url, json=body, headers=intruder.auth(Role.crew))
    nowhere = client.request(method, missing, json=body, headers=intruder.auth(Role.crew))
    assert crew.status_code in (403, 404), crew.text
    assert (crew.status_code, crew.json()["code"]) == (nowhere.status_code, nowhere.json()["code"])
    assert _org_rows(bosun, owner.org_id) == before
