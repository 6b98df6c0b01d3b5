"""The glossary service: one entry per term per organization, admins only, walled per tenant."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from records import BosunError, Database, Role, glossary
from tests.conftest import Tenant
from tests.records.test_rls import _raw


def test_entries_are_per_organization_and_admin_only(
    db: Database, make_tenant: Callable[..., Tenant]
) -> None:
    a, b = make_tenant(), make_tenant()
    with db.transaction(a.admin) as s:
        entry, created = glossary.set_entry(s, a.admin, "PMS", " planned maintenance ;  PM system ")
        assert created and entry.expansion == "planned maintenance; PM system"
        again, created = glossary.set_entry(s, a.admin, "pms", "planned maintenance system")
        assert not created and again.id == entry.id and again.term == "pms"
        assert glossary.expansions(again) == ("planned maintenance system",)
        entry_id = entry.id
    with db.transaction(b.admin) as s:
        assert glossary.list_entries(s, b.admin) == []
        assert glossary.find_entry(s, b.admin, "PMS") is None
        with pytest.raises(BosunError) as err:
            glossary.delete_entry(s, b.admin, entry_id)
        assert err.value.code == "not_found"
    with db.transaction(a[Role.crew]) as s:
        assert [e.term for e in glossary.list_entries(s, a[Role.crew])] == ["pms"]
        with pytest.raises(BosunError) as err:
            glossary.set_entry(s, a[Role.crew], "GS", "general service")
        assert err.value.code == "forbidden"
    with db.transaction(a.admin) as s:
        assert glossary.delete_term(s, a.admin, " PMS ").id == entry_id
        assert glossary.list_entries(s, a.admin) == []


def test_rls_walls_off_glossary_entries(
    postgres_url: str, make_tenant: Callable[..., Tenant], db: Database
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("RLS exists only on PostgreSQL")
    import psycopg

    a, b = make_tenant(), make_tenant()
    with db.transaction(a.admin) as s:
        glossary.set_entry(s, a.admin, "GS", "general service")
    with _raw(postgres_url) as conn:
        assert conn.execute("SELECT count(*) FROM glossary_entries").fetchone() == (0,)
        conn.execute("SELECT set_config('bosun.org_id', %s, false)", (str(b.org_id),))
        assert conn.execute("SELECT count(*) FROM glossary_entries").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO glossary_entries (org_id, term, term_key, expansion, created_at) "
                "VALUES (%s, 'X', 'x', 'y', now())",
                (a.org_id,),
            )
        conn.execute("SELECT set_config('bosun.org_id', %s, false)", (str(a.org_id),))
        assert conn.execute("SELECT term FROM glossary_entries").fetchall() == [("GS",)]
