"""Maintenance plans: when each is next due, by date or running hours, and which are overdue."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from channels.http.api.deps import CallerDep, SessionDep
from channels.http.api.routes.common import v1_router
from channels.http.api.schemas import Page, PlanDueRead
from channels.http.api.schemas.common import Id
from records import plans

router = v1_router(tags=["maintenance plans"])


@router.get("/plans")
def plans_due(
    session: SessionDep,
    caller: CallerDep,
    vessel_id: Id | None = None,
    equipment_id: Annotated[
        Id | None, Query(description="Only plans on this item and everything below it.")
    ] = None,
    due_within_days: Annotated[
        float | None, Query(ge=0, description="Only plans due within this many days (or overdue).")
    ] = None,
    overdue: Annotated[bool, Query(description="Only overdue plans.")] = False,
) -> Page[PlanDueRead]:
    """List active plans with their next due date or running hours, overdue and soonest first."""
    rows = plans.plans_due(
        session,
        caller,
        vessel_id=vessel_id,
        equipment_id=equipment_id,
        due_within_days=due_within_days,
        overdue=overdue,
    )
    items = [
        PlanDueRead(
            plan_id=d.plan.id,
            vessel_id=d.plan.vessel_id,
            equipment_id=d.plan.equipment_id,
            equipment_code=d.equipment_code,
            equipment_name=d.equipment_name,
            title=d.plan.title,
            kind=d.plan.kind,
            every_hours=d.plan.every_hours,
            every_days=d.plan.every_days,
            last_done_at=d.plan.last_done_at,
            last_done_hours=d.plan.last_done_hours,
            next_due_at=d.next_due_at,
            next_due_hours=d.next_due_hours,
            running_hours=d.hours_now,
            hours_left=d.hours_left,
            days_left=d.days_left,
            estimated_due_at=d.estimated_due_at,
            overdue=d.overdue,
            open_work_order_id=d.open_work_order_id,
        )
        for d in rows
    ]
    return Page[PlanDueRead](items=items, next_cursor=None)
