"""Reading the audit log (admins): newest first, always of the caller's organization."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.common import Page, paginate
from records.context import Caller
from records.models import AuditLog
from records.roles import Permission, require


def list_audit_log(
    session: Session,
    caller: Caller,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    user_id: int | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> Page[AuditLog]:
    """Return a page of the organization's audit-log entries, newest first (admins only)."""
    require(caller, Permission.manage_users)
    stmt = select(AuditLog).where(AuditLog.org_id == caller.org_id)
    if entity is not None:
        stmt = stmt.where(AuditLog.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditLog.entity_id == entity_id)
    if user_id is not None:
        stmt = stmt.where(AuditLog.user_id == user_id)
    return paginate(session, stmt, AuditLog, cursor, limit, newest_first=True)
