"""Redact secrets and their hashes from audit-log rows written before redaction at write time.

Revision ID: 0005_audit_redact_secrets
Revises: 0004_notification_routes
Create Date: 2026-12-07
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005_audit_redact_secrets"
down_revision = "0004_notification_routes"
branch_labels = None
depends_on = None

# The same rule as records.common.is_secret_field, frozen here: a migration must not change
# when application code does.
SECRET_FIELDS = frozenset({"password_hash", "key_hash", "code_hash", "token", "secret"})
SECRET_SUFFIXES = ("_hash", "_token", "_secret")
REDACTED = "[redacted]"

audit_log = sa.table(
    "audit_log",
    sa.column("id", sa.BigInteger()),
    sa.column("before", sa.JSON()),
    sa.column("after", sa.JSON()),
)


def _secret(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_FIELDS or lowered.endswith(SECRET_SUFFIXES)


def _redact(values: Any) -> tuple[Any, bool]:
    if not isinstance(values, dict):
        return values, False
    changed = False
    out: dict[str, Any] = {}
    for key, value in values.items():
        if _secret(key) and value is not None and value != REDACTED:
            out[key] = REDACTED
            changed = True
        else:
            out[key] = value
    return out, changed


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # audit_log has forced row-level security: see every organization's rows.
        op.execute("SELECT set_config('bosun.org_id', '*', true)")
    rows = bind.execute(sa.select(audit_log.c.id, audit_log.c.before, audit_log.c.after))
    updates = []
    for row_id, before, after in rows:
        new_before, b = _redact(before)
        new_after, a = _redact(after)
        if a or b:
            updates.append({"row_id": row_id, "before": new_before, "after": new_after})
    if updates:
        bind.execute(
            audit_log.update()
            .where(audit_log.c.id == sa.bindparam("row_id"))
            .values(before=sa.bindparam("before"), after=sa.bindparam("after")),
            updates,
        )


def downgrade() -> None:
    """Nothing to undo: redacted values are gone for good."""
