"""Documents count their ingest attempts: one re-queue after a crash, then failed.

Revision ID: 0006_ingest_attempts
Revises: 0005_audit_redact_secrets
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_ingest_attempts"
down_revision = "0005_audit_redact_secrets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ingest_attempts", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("ingest_attempts")
