"""Notification routes per organization (Slack channel / Telegram chat per vessel IMO or ``*``).

Revision ID: 0004_notification_routes
Revises: 0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_notification_routes"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TENANT = "NULLIF(current_setting('bosun.org_id', true), '')"


def upgrade() -> None:
    op.create_table(
        "notification_routes",
        sa.Column("id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("vessel", sa.String(length=20), nullable=False),
        sa.Column("destination", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_notification_routes_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_routes")),
        sa.UniqueConstraint(
            "org_id",
            "platform",
            "vessel",
            name=op.f("uq_notification_routes_org_id_platform_vessel"),
        ),
    )
    with op.batch_alter_table("notification_routes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_routes_org_id"), ["org_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON notification_routes TO bosun_app")
        op.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO bosun_app")
        op.execute("ALTER TABLE notification_routes ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE notification_routes FORCE ROW LEVEL SECURITY")
        op.execute(
            f"""CREATE POLICY tenant_isolation ON notification_routes
                USING ({TENANT} = '*' OR org_id = NULLIF({TENANT}, '*')::bigint)
                WITH CHECK ({TENANT} = '*' OR org_id = NULLIF({TENANT}, '*')::bigint)"""
        )


def downgrade() -> None:
    with op.batch_alter_table("notification_routes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_routes_org_id"))
    op.drop_table("notification_routes")
