"""The audit log, for admins (read through ``records.audit_log``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from channels.http.api.deps import CallerDep, SessionDep
from channels.http.api.routes.common import page_of, v1_router
from channels.http.api.schemas import AuditEntryRead, Page
from channels.http.api.schemas.common import Id
from records import audit_log

router = v1_router(tags=["audit"])


@router.get("/audit-log")
def read_audit_log(
    session: SessionDep,
    caller: CallerDep,
    entity: Annotated[str | None, Query(max_length=40, description="Table, e.g. faults.")] = None,
    entity_id: Id | None = None,
    user_id: Id | None = None,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[AuditEntryRead]:
    """List audit-log entries, newest first (admin)."""
    page = audit_log.list_audit_log(
        session,
        caller,
        entity=entity,
        entity_id=entity_id,
        user_id=user_id,
        cursor=cursor,
        limit=limit,
    )
    return page_of(AuditEntryRead, page)
