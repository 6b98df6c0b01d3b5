"""Glossary entries per organization: crew terms that override the shipped glossary.

Revision ID: 0007_glossary
Revises: 0006_ingest_attempts
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_glossary"
down_revision = "0006_ingest_attempts"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TENANT = "NULLIF(current_setting('bosun.org_id', true), '')"


def upgrade() -> None:
    op.create_table(
        "glossary_entries",
        sa.Column("id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("term", sa.String(length=60), nullable=False),
        sa.Column("term_key", sa.String(length=60), nullable=False),
        sa.Column("expansion", sa.String(length=300), nullable=False),
        sa.Column("notes", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_glossary_entries_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_glossary_entries")),
        sa.UniqueConstraint("org_id", "term_key", name=op.f("uq_glossary_entries_org_id_term_key")),
    )
    with op.batch_alter_table("glossary_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_glossary_entries_org_id"), ["org_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON glossary_entries TO bosun_app")
        op.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO bosun_app")
        op.execute("ALTER TABLE glossary_entries ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE glossary_entries FORCE ROW LEVEL SECURITY")
        op.execute(
            f"""CREATE POLICY tenant_isolation ON glossary_entries
                USING ({TENANT} = '*' OR org_id = NULLIF({TENANT}, '*')::bigint)
                WITH CHECK ({TENANT} = '*' OR org_id = NULLIF({TENANT}, '*')::bigint)"""
        )


def downgrade() -> None:
    with op.batch_alter_table("glossary_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_glossary_entries_org_id"))
    op.drop_table("glossary_entries")
