"""Row-level security on PostgreSQL, checked with raw SQL under the application's role."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from sqlalchemy.engine import make_url

from records import Database, faults, readings, register
from records.models import utcnow
from records.readings import ReadingIn
from tests.conftest import Tenant
from tests.records.helpers import import_for_tenant

pytestmark = pytest.mark.postgres


def _raw(url: str) -> psycopg.Connection:
    u = make_url(url)
    conn = psycopg.connect(
        host=u.host, port=u.port or 5432, user=u.username, dbname=u.database, autocommit=True
    )
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
