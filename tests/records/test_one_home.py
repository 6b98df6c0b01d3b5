"""The services that took over queries and rules channels/ used to hold (issue 18, item 3)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from records import (
    ALL_TENANTS,
    BosunError,
    Caller,
    Database,
    ErrorCode,
    Permission,
    Priority,
    Role,
    activity,
    audit_log,
    confirming_role,
    documents,
    faults,
    glossary,
    register,
    users,
    utcnow,
    vessel_history,
)
from tests.conftest import Tenant
from tests.records.helpers import import_for_tenant


def test_an_upload_is_checked_in_one_place() -> None:
    assert documents.check_upload("dir/Manual.PDF", "manual", 10, 100) == "Manual.PDF"
    for name, kind, size, code in [
        ("tool.exe", "manual", 10, ErrorCode.invalid),
        (None, "manual", 10, ErrorCode.invalid),
        ("a.md", "novel", 10, ErrorCode.invalid),
        ("a.md", "manual", 101, ErrorCode.too_large),
    ]:
        with pytest.raises(BosunError) as err:
            documents.check_upload(name, kind, size, 100)
        assert err.value.code is code, (name, kind, size)


def test_the_audit_log_pages_newest_first(db: Database, tenant: Tenant) -> None:
    with db.transaction(tenant.org_id) as s:
        for n in range(5):
            glossary.set_entry(s, tenant.admin, f"T{n}", f"term {n}", None)
    seen: list[int] = []
    cursor = None
    with db.transaction(tenant.org_id) as s:
        while True:
            page = audit_log.list_audit_log(s, tenant.admin, cursor=cursor, limit=2)
            seen += [e.id for e in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) >= 5
        only = audit_log.list_audit_log(s, tenant.admin, entity="glossary_entries", limit=500)
        assert len(only.items) == 5
        forward = users.list_users(s, tenant.admin, limit=1).next_cursor
        with pytest.raises(BosunError):  # a cursor of an oldest-first listing does not fit
            audit_log.list_audit_log(s, tenant.admin, cursor=forward)
        with pytest.raises(BosunError) as err:
            audit_log.list_audit_log(s, tenant[Role.officer])
        assert err.value.code is ErrorCode.forbidden


def test_a_vessels_history_reads_whole_and_in_order(db: Database, tenant: Tenant) -> None:
    ids = import_for_tenant(db, tenant.org_id)
    with db.transaction(tenant.org_id) as s:
        vessel_id = register.get_equipment(s, tenant.admin, ids["601.1"]).vessel_id
        at = utcnow() - timedelta(days=3)
        fault = faults.report_fault(
            s, tenant.admin, equipment_id=ids["601.1"], title="LO pressure low", priority="high"
        )
        fault.opened_at = at
        s.flush()
        equipment = vessel_history.vessel_equipment(s, tenant.admin, vessel_id)
        assert {e.code for e in equipment} == set(ids)
        assert [e.id for e in equipment] == sorted(e.id for e in equipment)
        tags = {x.tag for x in vessel_history.vessel_sensors(s, tenant.admin, vessel_id)}
        assert tags == {"ME1_EXH_T", "ME1_LO_P", "ME1_RH"}
        assert vessel_history.equipment_classes(s, tenant.admin, vessel_id) == ["main_engine"]
        mine = vessel_history.vessel_faults(s, tenant.admin, vessel_id)
        assert [f.id for f in mine] == [fault.id]
        assert vessel_history.vessel_faults(s, tenant.admin, vessel_id, equipment_ids=[0]) == []
        assert vessel_history.has_fault_at(s, tenant.admin, ids["601.1"], fault.opened_at)
        assert not vessel_history.has_fault_at(s, tenant.admin, ids["601.2"], fault.opened_at)


def test_activity_reads_what_is_new_since_a_watermark(db: Database, tenant: Tenant) -> None:
    ids = import_for_tenant(db, tenant.org_id)
    with db.transaction(ALL_TENANTS) as s:
        last = activity.last_fault_id(s)
    with db.transaction(tenant.org_id) as s:
        made = faults.report_fault(s, tenant.admin, equipment_id=ids["601.2"], title="Leak")
        made_id = made.id
    with db.transaction(ALL_TENANTS) as s:
        assert [f.id for f in activity.faults_after(s, last)] == [made_id]
        assert activity.last_fault_id(s) == made_id
        assert activity.equipment_labels(s)[ids["601.2"]] == "601.2 Main engine No. 2"
        assert tenant.vessel_id in {v.id for v in register.all_vessels(s)}
        assert register.has_organizations(s)


def test_users_found_and_keys_revoked_by_secret(db: Database, tenant: Tenant) -> None:
    with db.transaction(tenant.org_id) as s:
        chief = users.first_user_with_role(s, Role.chief_engineer, org_id=tenant.org_id)
        assert chief is not None and chief.id == tenant[Role.chief_engineer].user_id
        everyone = users.organization_users(s, tenant.admin)
        assert {u.role for u in everyone} == set(Role)
        admin = users.get_user(s, tenant.admin, tenant.admin.user_id or 0)
        issued = users.create_api_key(s, tenant.admin, user=admin, name="old")
    with db.transaction(ALL_TENANTS) as s:
        assert users.any_user_with_email(s, admin.email) is not None
        assert users.revoke_key_with_secret(s, issued.secret)
        assert not users.revoke_key_with_secret(s, issued.secret)  # no longer a valid key


def test_one_order_for_roles_and_priorities() -> None:
    assert sorted(Priority, key=lambda p: p.rank) == [
        Priority.low,
        Priority.medium,
        Priority.high,
        Priority.critical,
    ]
    crew = Caller(org_id=1, role=Role.crew, user_id=None, channel="test")
    assert confirming_role(crew, Permission.create_work_order) is Role.officer
    assert confirming_role(crew, Permission.close_fault) is Role.chief_engineer
    assert confirming_role(crew, Permission.manage_users) is Role.admin
    shore = Caller(org_id=1, role=Role.shore, user_id=None, channel="test")
    assert confirming_role(shore, Permission.close_fault) is None
