"""Webhooks: `webhooks` (subscriptions), `webhook_deliveries` (one event to one webhook),
`webhook_attempts` (the delivery log) and `audit_events.outbox` (true until the event's deliveries
are made). Events recorded before this revision are not in the outbox: no webhook existed.

Revision ID: 8d3f1a6c2b94
Revises: 8d3f6a2c5e91
Create Date: 2026-12-07 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d3f1a6c2b94"
down_revision: str | Sequence[str] | None = "8d3f6a2c5e91"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EventId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("outbox", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("audit_events") as batch:
        batch.alter_column("outbox", server_default=sa.true(), existing_type=sa.Boolean(), existing_nullable=False)
    op.create_index(
        "ix_audit_events_outbox",
        "audit_events",
        ["id"],
        postgresql_where=sa.text("outbox"),
        sqlite_where=sa.text("outbox"),
    )
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("format", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", EventId, autoincrement=True, nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("event_id", EventId, nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["webhook_id"], ["webhooks.id"], name=op.f("fk_webhook_deliveries_webhook_id_webhooks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index(
        op.f("ix_webhook_deliveries_webhook_id_event_id"), "webhook_deliveries", ["webhook_id", "event_id"], unique=True
    )
    op.create_index(op.f("ix_webhook_deliveries_state_next_at"), "webhook_deliveries", ["state", "next_at"])
    op.create_table(
        "webhook_attempts",
        sa.Column("id", EventId, autoincrement=True, nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("event_id", EventId, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["webhook_id"], ["webhooks.id"], name=op.f("fk_webhook_attempts_webhook_id_webhooks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index(op.f("ix_webhook_attempts_webhook_id_id"), "webhook_attempts", ["webhook_id", "id"])


def downgrade() -> None:
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
    op.drop_index("ix_audit_events_outbox", table_name="audit_events")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("outbox")
