"""Shared fixtures: databases on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

from records import (
    Caller,
    Database,
    Role,
    migrate,
    register,
    system_caller,
    users,
)

PG_ADMIN_URL = os.environ.get(
    "BOSUN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRED = {s.strip() for s in os.environ.get("BOSUN_TEST_REQUIRE", "").split(",") if s.strip()}


def conninfo(url: str = PG_ADMIN_URL, **parts: Any) -> str:
    """Return the libpq URL psycopg takes for a SQLAlchemy URL, with ``parts`` replaced."""
    return make_url(url).set(drivername="postgresql", **parts).render_as_string(hide_password=False)


def _postgres_problem() -> str | None:
    try:
        import psycopg

        with psycopg.connect(conninfo(), connect_timeout=3):
            return None
    except Exception as err:  # any failure means: no usable server
        return f"PostgreSQL not reachable at {PG_ADMIN_URL} ({err.__class__.__name__}: {err})"


def skip_or_fail(service: str, reason: str) -> None:
    """Skip a test whose server is missing, or fail when CI said the server must be there."""
    if service in REQUIRED:
        pytest.fail(f"{reason} — BOSUN_TEST_REQUIRE lists {service}, so this may not be skipped")
    pytest.skip(reason)


def require_postgres() -> None:
    """Skip (fail in CI) unless the PostgreSQL server answers."""
    problem = _postgres_problem()
    if problem:
        skip_or_fail("postgres", problem)


@contextmanager
def fresh_postgres_database(prefix: str = "bosun_test") -> Iterator[str]:
    """Create an empty PostgreSQL database, yield its URL, drop it afterwards.

    The one way tests get a PostgreSQL database: skips (fails in CI) without a server.
    """
    import psycopg

    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database for this test session (skips without a server)."""
    with fresh_postgres_database() as url:
        migrate(url)
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite database file for this test session."""
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'bosun.db'}"
    migrate(url)
    return url


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """The application's database on each backend (PostgreSQL through the RLS app role)."""
    if request.param == "sqlite":
        database = Database.from_url(request.getfixturevalue("sqlite_url"))
    else:
        database = Database.from_url(request.getfixturevalue("postgres_url"), app_role="bosun_app")
    yield database
    database.dispose()


@dataclass
class Tenant:
    """An organization with a vessel, one user per role, and their callers."""

    org_id: int
    vessel_id: int
    callers: dict[Role, Caller]

    @property
    def admin(self) -> Caller:
        return self.callers[Role.admin]

    def __getitem__(self, role: Role) -> Caller:
        return self.callers[role]


@pytest.fixture
def make_tenant(db: Database) -> Callable[..., Tenant]:
    """Create a fresh organization (tests stay independent through tenant isolation)."""
    from records import ALL_TENANTS

    def factory(name: str | None = None) -> Tenant:
        name = name or f"Org {uuid.uuid4().hex[:8]}"
        with db.transaction(ALL_TENANTS) as s:
            org = register.get_or_create_organization(s, name)
            org_id = org.id
        system = system_caller(org_id)
        with db.transaction(org_id) as s:
            vessel, _ = register.upsert_vessel(
                s, system, name=f"MV {name}", imo=str(9_000_000 + org_id), type="PSV"
            )
            s.flush()
            callers = {}
            for role in Role:
                user = users.create_user(
                    s,
                    system,
                    name=f"{role.value} user",
                    email=f"{role.value}@{org_id}.example",
                    role=role,
                    vessel_ids=[vessel.id],
                )
                s.flush()
                callers[role] = users.caller_for(user, "test")
            return Tenant(org_id, vessel.id, callers)

    return factory


@pytest.fixture
def tenant(make_tenant: Callable[..., Tenant]) -> Tenant:
    """One fresh organization."""
    return make_tenant()


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
