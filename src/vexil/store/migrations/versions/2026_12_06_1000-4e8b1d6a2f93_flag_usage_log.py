"""Flag usage log: `flag_usage_log`, counts flushed but not merged into `flag_usage` yet (appended
with COPY on PostgreSQL, merged every minute and before a read; docs/usage.md).

Revision ID: 4e8b1d6a2f93
Revises: 4e1b7c9d2a63
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4e8b1d6a2f93"
down_revision: str | Sequence[str] | None = "4e1b7c9d2a63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flag_usage_log",
        sa.Column("flag", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("environment", sa.String(), nullable=False),
        sa.Column("app", sa.String(), nullable=False),
        sa.Column("variant", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("flag_usage_log")
