"""Users carry their position on board (rank): 'Second engineer', 'Motorman', 'ETO'.

Revision ID: 0008_user_position
Revises: 0007_glossary
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_user_position"
down_revision = "0007_glossary"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("position")
