"""Imports you can undo: `audit_events.previous_state`, the state an import replaced (compressed JSON).

Revision ID: 3f8a1c6d2e47
Revises: 3f6b8d1a7c52
Create Date: 2026-12-05 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f8a1c6d2e47"
down_revision: str | Sequence[str] | None = "3f6b8d1a7c52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("previous_state", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("previous_state")
