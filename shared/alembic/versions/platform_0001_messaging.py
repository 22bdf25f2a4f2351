"""Platform tables: outbox, outbox lanes, inbox, dead letters.

Revision ID: platform_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime
from shared.tables import OUTBOX_LANES

revision = "platform_0001"
down_revision = None
branch_labels = ("platform",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_message",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("event_id", sa.Uuid(), nullable=False, unique=True),
        sa.Column("event_type", sa.String(120), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("lane", sa.Integer(), nullable=False, index=True),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("state", sa.String(30), nullable=False, index=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_table("outbox_lane", sa.Column("lane", sa.Integer(), primary_key=True))
    op.bulk_insert(
        sa.table("outbox_lane", sa.column("lane", sa.Integer())),
        [{"lane": lane} for lane in range(OUTBOX_LANES)],
    )
    op.create_table(
        "processed_event",
        sa.Column("event_id", sa.Uuid(), primary_key=True),
        sa.Column("event_type", sa.String(120), nullable=False),
        sa.Column("processed_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "dead_letter",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("topic", sa.String(200), nullable=False, index=True),
        sa.Column("partition", sa.Integer(), nullable=True),
        sa.Column("offset", sa.BigInteger(), nullable=True),
        sa.Column("key", sa.String(200), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("event_type", sa.String(120), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(30), nullable=False, index=True),
        sa.Column("failed_at", UtcDateTime(), nullable=False),
        sa.Column("redriven_at", UtcDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("dead_letter")
    op.drop_table("processed_event")
    op.drop_table("outbox_lane")
    op.drop_table("outbox_message")
