"""probe note table

Revision ID: probe_0001
Revises: platform_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "probe_0001"
down_revision = "platform_0001"
branch_labels = ("probe",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "note",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("order_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("complaint", sa.String(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("note")
