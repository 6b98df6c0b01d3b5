"""The audit log, for admins.

records has no audit-log reading service yet, so this module reads ``AuditLog`` rows
itself, always restricted to the caller's organization (and by RLS on PostgreSQL).
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import Query
from sqlalchemy import select

from channels.http.api.deps import CallerDep, SessionDep
from channels.http.api.routes.common import invalid, v1_router
from channels.http.api.schemas import AuditEntryRead, Page
from channels.http.api.schemas.common import Id
from records import AuditLog, Permission, require

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
    require(caller, Permission.manage_users)
    stmt = select(AuditLog).where(AuditLog.org_id == caller.org_id)
    if entity is not None:
        stmt = stmt.where(AuditLog.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditLog.entity_id == entity_id)
    if user_id is not None:
        stmt = stmt.where(AuditLog.user_id == user_id)
    before = _decode(cursor)
    if before is not None:
        stmt = stmt.where(AuditLog.id < before)
    rows = list(session.scalars(stmt.order_by(AuditLog.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page[AuditEntryRead](
        items=[AuditEntryRead.model_validate(r) for r in rows],
        next_cursor=_encode(rows[-1].id) if more and rows else None,
    )


def _encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"before:{last_id}".encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind != "before":
            raise ValueError(raw)
        return int(value)
    except (ValueError, UnicodeDecodeError) as err:
        raise invalid("malformed cursor: pass the next_cursor of the previous page") from err
