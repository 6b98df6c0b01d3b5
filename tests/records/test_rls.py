"""Row-level security on PostgreSQL, checked with raw SQL under the application's role."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from sqlalchemy.engine import make_url

from records import Database, faults, readings, register
from records.models import utcnow
from records.readings import ReadingIn
from tests.conftest import Tenant, conninfo
from tests.records.helpers import import_for_tenant

pytestmark = pytest.mark.postgres


def _raw(url: str) -> psycopg.Connection:
    conn = psycopg.connect(conninfo(url), autocommit=True)
    conn.execute("SET ROLE bosun_app")
    assert conn.execute("SELECT current_user").fetchone() == ("bosun_app",)
    return conn


def test_rls_walls_off_tenants_in_raw_sql(
    postgres_url: str, make_tenant: Callable[..., Tenant], db: Database
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("RLS exists only on PostgreSQL")
    a, b = make_tenant(), make_tenant()
    eq = import_for_tenant(db, a.org_id)
    with db.transaction(a.admin) as s:
        faults.report_fault(s, a.admin, equipment_id=eq["601.1"], title="secret")
        sensor = register.sensors_by_tag(s, a.admin, a.vessel_id)["ME1_EXH_T"]
        readings.insert_readings(s, a.admin, [ReadingIn(sensor.id, utcnow(), 401.5)])
    with _raw(postgres_url) as conn:
        # No tenant set: nothing is visible.
        assert conn.execute("SELECT count(*) FROM faults").fetchone() == (0,)
        conn.execute("SELECT set_config('bosun.org_id', %s, false)", (str(b.org_id),))
        assert conn.execute(
            "SELECT count(*) FROM faults WHERE org_id = %s", (a.org_id,)
        ).fetchone() == (0,)
        assert conn.execute(
            "SELECT count(*) FROM tenant_readings WHERE sensor_id = %s", (sensor.id,)
        ).fetchone() == (0,)
        # Writing a row for another tenant is refused by the policy's WITH CHECK.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO parts (org_id, number, name, unit, equipment_codes) "
                "VALUES (%s, 'P1', 'p', 'pcs', '[]')",
                (a.org_id,),
            )
        conn.execute("SELECT set_config('bosun.org_id', %s, false)", (str(a.org_id),))
        assert conn.execute(
            "SELECT title FROM faults WHERE org_id = %s", (a.org_id,)
        ).fetchall() == [("secret",)]
        assert conn.execute(
            "SELECT value FROM tenant_readings WHERE sensor_id = %s", (sensor.id,)
        ).fetchall() == [(401.5,)]
        # The readings table itself is insert-only for the app role.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM readings")


def test_a_database_owner_that_is_no_superuser_migrates_and_serves() -> None:
    """The README's fleet setup: roles made once by a superuser, the rest by the owner."""
    import uuid

    from records import ALL_TENANTS, migrate, register_import, system_caller
    from tests.conftest import require_postgres
    from tests.records.helpers import import_test_register

    require_postgres()
    name = f"bosun_owner_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(conninfo(), autocommit=True) as admin:
        for role in ("bosun_app", "bosun_reader"):
            admin.execute(
                f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
                f"THEN CREATE ROLE {role} NOLOGIN; END IF; END $$"
            )
        admin.execute(f"CREATE ROLE {name} LOGIN PASSWORD 'owner-pw' NOSUPERUSER NOCREATEROLE")
        admin.execute(f"CREATE DATABASE {name} OWNER {name}")
        admin.execute(f"GRANT bosun_app, bosun_reader TO {name} WITH ADMIN OPTION")
    url = (
        make_url(conninfo())
        .set(drivername="postgresql+psycopg", username=name, password="owner-pw", database=name)
        .render_as_string(hide_password=False)
    )
    db = None
    try:
        migrate(url)
        db = Database.from_url(url, app_role="bosun_app")
        report = import_test_register(db, "Owner Test", "9100001")
        with db.transaction(ALL_TENANTS) as s:
            org_id = register_import.resolve_organization(s, "Owner Test").id
        caller = system_caller(org_id)
        with db.transaction(caller) as s:
            sensor = register.sensors_by_tag(s, caller, report.vessel_id)["ME1_EXH_T"]
            readings.insert_readings(s, caller, [ReadingIn(sensor.id, utcnow(), 399.0)])
        with db.transaction(caller) as s:
            latest = readings.latest_readings(s, caller, [sensor.id])
        assert latest[sensor.id].value == 399.0
        with psycopg.connect(conninfo(database=name)) as conn:
            owner = conn.execute(
                "SELECT viewowner FROM pg_views WHERE viewname = 'tenant_readings'"
            ).fetchone()
            can_create = conn.execute(
                "SELECT has_schema_privilege('bosun_reader', 'public', 'CREATE')"
            ).fetchone()
        assert owner == ("bosun_reader",) and can_create == (False,)
    finally:
        if db is not None:
            db.dispose()
        with psycopg.connect(conninfo(), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"DROP ROLE IF EXISTS {name}")
