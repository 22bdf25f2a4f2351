"""Platform: persisted scheduled tasks.

Revision ID: platform_0002
Revises: platform_0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision = "platform_0002"
down_revision = "platform_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_task",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.String(80), nullable=False),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("station_id", sa.String(20), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False, index=True),
        sa.Column("state", sa.String(30), nullable=False, index=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("done_at", UtcDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("scheduled_task")
