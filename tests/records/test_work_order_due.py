"""A work order's due date: when a new one can stand (records.work_orders.check_due)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from records import BosunError, Database, ErrorCode, Role, WorkOrderStatus, work_orders
from records.models import utcnow
from tests.conftest import Tenant
from tests.records.helpers import import_for_tenant


def test_a_new_due_date_is_today_or_later_on_an_open_work_order(
    db: Database, tenant: Tenant
) -> None:
    eq = import_for_tenant(db, tenant.org_id)
    officer = tenant[Role.officer]
    now = utcnow()
    with db.transaction(officer) as s:
        wo = work_orders.create_work_order(
            s, officer, equipment_id=eq["601.1"], title="Water wash", due=now - timedelta(days=5)
        )
        later = now + timedelta(days=4)
        work_orders.update_work_order(s, officer, wo, changes={"due": later.isoformat()})
        assert wo.due == later  # an ISO string (a confirmed proposal) is read as a date
        work_orders.update_work_order(s, officer, wo, changes={"due": now})  # today stands
        with pytest.raises(BosunError) as past:
            work_orders.update_work_order(s, officer, wo, changes={"due": now - timedelta(days=1)})
        assert past.value.code is ErrorCode.invalid and "in the past" in past.value.message
        with pytest.raises(BosunError) as naive:
            work_orders.update_work_order(s, officer, wo, changes={"due": datetime(2030, 1, 1)})
        assert "time zone" in naive.value.message
        with pytest.raises(BosunError):
            work_orders.update_work_order(s, officer, wo, changes={"due": "friday"})
        with pytest.raises(BosunError) as closing:
            work_orders.update_work_order(s, officer, wo, status="done", changes={"due": later})
        assert "reopen it" in closing.value.message
        work_orders.update_work_order(s, officer, wo, changes={"due": None})  # cleared
        assert wo.due is None
        work_orders.update_work_order(s, officer, wo, status="done")
        with pytest.raises(BosunError) as done:
            work_orders.update_work_order(s, officer, wo, changes={"due": later})
        assert "is done" in done.value.message
        # reopened in the same change, it takes a new due date
        work_orders.update_work_order(s, officer, wo, status="open", changes={"due": later})
        assert wo.status is WorkOrderStatus.open and wo.due == later


def test_an_unchanged_past_due_date_is_no_change(db: Database, tenant: Tenant) -> None:
    eq = import_for_tenant(db, tenant.org_id)
    officer = tenant[Role.officer]
    past = utcnow() - timedelta(days=3)
    with db.transaction(officer) as s:
        wo = work_orders.create_work_order(
            s, officer, equipment_id=eq["601.1"], title="Late job", due=past
        )
        # an edit that sends the whole record back keeps its overdue date
        work_orders.update_work_order(s, officer, wo, changes={"due": past, "title": "Late job 2"})
        assert wo.due == past and wo.title == "Late job 2"
