"""Revert from the audit log: `audit_events.reverts`, the event a revert puts back the state before.

Revision ID: 4b9e2d7c1a63
Revises: 4c8e2b7f9a13
Create Date: 2026-12-06 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4b9e2d7c1a63"
down_revision: str | Sequence[str] | None = "4c8e2b7f9a13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "audit_events", sa.Column("reverts", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("reverts")
