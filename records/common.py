"""Helpers shared by the services: tenant-checked fetches, snapshots, audit rows, pages."""

from __future__ import annotations

import base64
import enum
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from records.context import Caller
from records.errors import BosunError, ErrorCode, invalid, not_found
from records.models import AuditLog, Base

M = TypeVar("M", bound=Base)
T = TypeVar("T")
S = TypeVar("S", bound=Select[Any])

MAX_PAGE = 500
MAX_ID = 2**63 - 1
"""The largest id (and 64-bit integer) the databases store; ids start at 1."""


def get_owned(session: Session, caller: Caller, model: type[M], ident: int) -> M:
    """Fetch a row of the caller's organization (and visible vessel), else ``not_found``."""
    if not 1 <= ident <= MAX_ID:
        raise not_found(model.__name__.lower(), ident)
    row = session.get(model, ident)
    if row is None or getattr(row, "org_id", None) != caller.org_id:
        raise not_found(model.__name__.lower(), ident)
    vessel_id = getattr(row, "vessel_id", None)
    if vessel_id is not None and not caller.sees_vessel(vessel_id):
        raise not_found(model.__name__.lower(), ident)
    return row


@contextmanager
def referenced(field: str) -> Iterator[None]:
    """Report a referenced row the caller cannot see as bad input naming ``field``.

    A path's own id that is missing is a 404; an id given in a body to point at another
    row (``equipment_id`` of a new fault) is a 422 that says which field is wrong.
    """
    try:
        yield
    except BosunError as err:
        if err.code is not ErrorCode.not_found:
            raise
        raise invalid(f"{field}: {err.message}", field=field) from err


def scoped(stmt: S, model: type[Base], caller: Caller) -> S:
    """Restrict a select to the caller's organization and visible vessels."""
    stmt = stmt.where(model.org_id == caller.org_id)  # type: ignore[attr-defined]
    if hasattr(model, "vessel_id") and not caller.all_vessels:
        column = model.vessel_id
        visible = column.in_(caller.vessel_ids)
        # Rows with no vessel (organization-wide documents, actions) are visible to all.
        stmt = stmt.where(visible | column.is_(None) if column.nullable else visible)
    return stmt


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(row: Base) -> dict[str, Any]:
    """Return a row's column values as JSON-safe data."""
    return {c.key: _jsonable(getattr(row, c.key)) for c in row.__mapper__.column_attrs}


SECRET_FIELDS = frozenset({"password_hash", "key_hash", "code_hash", "token", "secret"})
"""Columns whose values never reach the audit log (it shows that they changed, not to what)."""
REDACTED = "[redacted]"


def is_secret_field(name: str) -> bool:
    """Tell whether a column holds a secret or a secret's hash."""
    lowered = name.lower()
    return lowered in SECRET_FIELDS or lowered.endswith(("_hash", "_token", "_secret"))


def redact(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return ``values`` with every secret column's value replaced by ``[redacted]``."""
    if values is None:
        return None
    return {
        k: (REDACTED if v is not None else None) if is_secret_field(k) else v
        for k, v in values.items()
    }


def audit(
    session: Session,
    caller: Caller,
    action: str,
    row: Base,
    before: dict[str, Any] | None = None,
) -> None:
    """Add an audit-log row for a change to ``row`` (call after the change, before flush)."""
    session.flush()
    after = snapshot(row) if action != "delete" else None
    if before is not None and after is not None:
        changed = {k for k in after if before.get(k) != after.get(k)} - {"updated_at"}
        before = {k: before[k] for k in changed}
        after = {k: after[k] for k in changed}
    session.add(
        AuditLog(
            org_id=caller.org_id,
            user_id=caller.user_id,
            channel=caller.channel,
            action=action,
            entity=row.__tablename__,
            entity_id=getattr(row, "id", None),
            before=redact(before),
            after=redact(after),
        )
    )


def audit_event(
    session: Session,
    caller: Caller,
    action: str,
    entity: str,
    entity_id: int | None,
    after: dict[str, Any],
) -> None:
    """Add an audit-log row for an event that changes no row (e.g. a chat token issued)."""
    session.add(
        AuditLog(
            org_id=caller.org_id,
            user_id=caller.user_id,
            channel=caller.channel,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=None,
            after=redact(after),
        )
    )


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing, with the cursor of the next page (None at the end)."""

    items: Sequence[T]
    next_cursor: str | None


_FORWARD, _BACKWARD = "id", "before"
"""Cursor kinds: a page of ascending ids goes on after the id; a newest-first one, before it."""


def encode_cursor(last_id: int, kind: str = _FORWARD) -> str:
    """Encode the last id of a page as an opaque cursor."""
    return base64.urlsafe_b64encode(f"{kind}:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, kind: str = _FORWARD) -> int | None:
    """Decode a cursor made by ``encode_cursor``; a malformed one is an ``invalid`` error."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        found, _, value = raw.partition(":")
        if found != kind:
            raise ValueError(raw)
        return int(value)
    except (ValueError, UnicodeDecodeError) as err:
        raise invalid("malformed cursor: pass the next_cursor of the previous page") from err


def paginate(
    session: Session,
    stmt: Select[Any],
    model: type[M],
    cursor: str | None,
    limit: int,
    *,
    newest_first: bool = False,
) -> Page[M]:
    """Run ``stmt`` ordered by id from ``cursor``, returning at most ``limit`` rows.

    ``newest_first`` orders by descending id (its cursors say "before", not "after").
    """
    if not 1 <= limit <= MAX_PAGE:
        raise invalid(f"limit must be between 1 and {MAX_PAGE}")
    kind = _BACKWARD if newest_first else _FORWARD
    bound = decode_cursor(cursor, kind)
    id_col = model.id  # type: ignore[attr-defined]
    if bound is not None:
        stmt = stmt.where(id_col < bound if newest_first else id_col > bound)
    order = id_col.desc() if newest_first else id_col
    rows = list(session.scalars(stmt.order_by(order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(rows[-1].id, kind) if more and rows else None)


def all_rows(session: Session, stmt: Select[Any]) -> list[Any]:
    """Return every row of a select as a list."""
    return list(session.scalars(stmt))


__all__ = [
    "MAX_ID",
    "REDACTED",
    "SECRET_FIELDS",
    "Page",
    "audit",
    "audit_event",
    "get_owned",
    "is_secret_field",
    "paginate",
    "redact",
    "referenced",
    "scoped",
    "select",
    "snapshot",
]
