"""Fixtures: a migrated database on SQLite and on PostgreSQL, the app, tenants with keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from channels.app.runtime import Bosun, open_bosun
from channels.app.settings import Settings
from channels.http.app import create_app
from records import Role, register, system_caller
from tests import factories
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
class Tenant(factories.Tenant):
    """A tenant with a second vessel and a small register: main engines, a pump, a sensor."""

    other_vessel_id: int = 0
    sensor_id: int = 0


def make_tenant(bosun: Bosun) -> Tenant:
    """Create an organization with a user and an API key per role, and a small register."""
    name = factories.unique_name()
    base = factories.tenant(
        bosun.db,
        name=name,
        vessel_name="MV Test",
        imo="9700001",
        roles=ROLES,
        fleet_wide=factories.SHORE_SIDE,
        with_keys=True,
        email=f"{{role}}@{name[4:]}.test",
    )
    tenant = Tenant(**{f.name: getattr(base, f.name) for f in fields(base)})
    system = system_caller(tenant.org_id)
    tenant.other_vessel_id = factories.vessel(
        bosun.db, tenant.org_id, name="MV Other", imo="9700002"
    )
    with bosun.db.transaction(tenant.org_id) as session:
        engines, _ = register.upsert_equipment(
            session,
            system,
            tenant.vessel_id,
            code="601",
            parent_id=None,
            fields={"name": "Main engines", "aliases": ["mains"]},
        )
        session.flush()
        me1, _ = register.upsert_equipment(
            session,
            system,
            tenant.vessel_id,
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
            tenant.vessel_id,
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
        tenant.equipment_ids = {"601": engines.id, "601.1": me1.id, "602": pump.id}
        tenant.sensor_id = sensor.id
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


def module_home(folder: str) -> tuple[Any, Any, Any]:
    """Return fixtures for a test module with its own home: ``home_bosun``, ``client``, ``org``.

    One ready Bosun on a fresh home named ``folder``, its API, and one organization, each
    made once for the module: ``home_bosun, client, org = module_home("scans_home")``.
    """

    @pytest.fixture(scope="module")
    def home_bosun(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bosun]:
        with factories.ready_bosun(tmp_path_factory.mktemp(folder)) as running:
            yield running

    @pytest.fixture(scope="module")
    def client(home_bosun: Bosun) -> Iterator[TestClient]:
        with TestClient(create_app(home_bosun)) as c:
            yield c

    @pytest.fixture(scope="module")
    def org(home_bosun: Bosun) -> Tenant:
        return make_tenant(home_bosun)

    return home_bosun, client, org
