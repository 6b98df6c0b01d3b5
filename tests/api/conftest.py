"""Fixtures: a migrated database on SQLite and on PostgreSQL, the app, tenants with keys."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from channels.api import create_app
from channels.runtime import Bosun, open_bosun
from channels.settings import Settings
from records import (
    ALL_TENANTS,
    Role,
    register,
    system_caller,
    users,
)
from tests.conftest import fresh_postgres_database

MAX_REQUEST_BYTES = 64_000


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def bosun(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Bosun]:
    """A running Bosun over a freshly migrated database (the app role on PostgreSQL)."""
    home = tmp_path_factory.mktemp(f"home_{request.param}")
    with ExitStack() as stack:
        url = None
        if request.param == "postgres":
            url = stack.enter_context(fresh_postgres_database("bosun_test_api"))
        settings = Settings(home=Path(home), database_url=url, max_request_bytes=MAX_REQUEST_BYTES)
        running = open_bosun(settings)
        stack.callback(running.close)
        running.startup.ready.set()
        yield running


@pytest.fixture(scope="session")
def client(bosun: Bosun) -> Iterator[TestClient]:
    """A test client over one app per backend (tests needing fresh metrics make their own)."""
    with TestClient(create_app(bosun)) as test_client:
        yield test_client


ROLES = (Role.crew, Role.officer, Role.chief_engineer, Role.shore, Role.admin)


@dataclass
class Tenant:
    """An organization with one vessel, a small register, and a user + key per role."""

    org_id: int
    vessel_id: int
    other_vessel_id: int
    equipment_ids: dict[str, int]
    sensor_id: int
    user_ids: dict[Role, int] = field(default_factory=dict)
    keys: dict[Role, str] = field(default_factory=dict)

    def auth(self, role: Role) -> dict[str, str]:
        """Headers carrying the key of the user with this role."""
        return {"Authorization": f"Bearer {self.keys[role]}"}


def make_tenant(bosun: Bosun) -> Tenant:
    """Create an organization through the records services."""
    name = f"Org {uuid.uuid4().hex[:8]}"
    with bosun.db.transaction(ALL_TENANTS) as session:
        org_id = register.get_or_create_organization(session, name).id
    system = system_caller(org_id)
    with bosun.db.transaction(org_id) as session:
        vessel, _ = register.upsert_vessel(
            session, system, name="MV Test", imo="9700001", type="PSV"
        )
        other, _ = register.upsert_vessel(session, system, name="MV Other", imo="9700002")
        session.flush()
        engines, _ = register.upsert_equipment(
            session,
            system,
            vessel.id,
            code="601",
            parent_id=None,
            fields={"name": "Main engines", "aliases": ["mains"]},
        )
        session.flush()
        me1, _ = register.upsert_equipment(
            session,
            system,
            vessel.id,
            code="601.1",
            parent_id=engines.id,
            fields={
                "name": "Main engine No. 1",
                "aliases": ["ME1", "port main engine"],
                "equipment_class": "main_engine",
            },
        )
        pump, _ = register.upsert_equipment(
            session,
            system,
            vessel.id,
            code="602",
            parent_id=None,
            fields={"name": "Fire pump", "aliases": ["FP"]},
        )
        session.flush()
        sensor, _ = register.upsert_sensor(
            session,
            system,
            me1,
            tag="ME1_EXH_T",
            fields={"name": "Exhaust gas temperature", "unit": "degC", "high": 480.0},
        )
        session.flush()
        tenant = Tenant(
            org_id=org_id,
            vessel_id=vessel.id,
            other_vessel_id=other.id,
            equipment_ids={"601": engines.id, "601.1": me1.id, "602": pump.id},
            sensor_id=sensor.id,
        )
        for role in ROLES:
            vessels = [] if role in (Role.shore, Role.admin) else [vessel.id]
            user = users.create_user(
                session,
                system,
                name=f"{role.value} user",
                email=f"{role.value}@{name[4:]}.test",
                role=role,
                vessel_ids=vessels,
            )
            session.flush()
            tenant.user_ids[role] = user.id
            tenant.keys[role] = users.create_api_key(session, system, user=user, name="test").secret
    return tenant


@pytest.fixture
def org_a(bosun: Bosun) -> Tenant:
    """Organization A."""
    return make_tenant(bosun)


@pytest.fixture
def org_b(bosun: Bosun) -> Tenant:
    """Organization B."""
    return make_tenant(bosun)


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """Check a response is problem+json with this status and code; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:bosun:problem:{code}"
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body
