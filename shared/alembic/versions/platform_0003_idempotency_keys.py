"""Platform: idempotency keys of writes (shared/idempotency.py).

Revision ID: platform_0003
Revises: platform_0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision = "platform_0003"
down_revision = "platform_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_key",
        sa.Column("principal", sa.String(80), primary_key=True),
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False, index=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("idempotency_key")
