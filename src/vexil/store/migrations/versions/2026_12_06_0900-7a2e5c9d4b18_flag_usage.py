"""Flag usage: `flag_usage`, evaluation counts per flag, hour or day, environment, app, variant and
source.

Revision ID: 7a2e5c9d4b18
Revises: 7d2e9b4c1f60
Create Date: 2026-12-06 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a2e5c9d4b18"
down_revision: str | Sequence[str] | None = "7d2e9b4c1f60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flag_usage",
        sa.Column("flag", sa.String(), nullable=False),
        sa.Column("period", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("environment", sa.String(), nullable=False),
        sa.Column("app", sa.String(), nullable=False),
        sa.Column("variant", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "flag", "period", "at", "environment", "app", "variant", "source", name=op.f("pk_flag_usage")
        ),
    )
    op.create_index(op.f("ix_flag_usage_period_at"), "flag_usage", ["period", "at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_flag_usage_period_at"), table_name="flag_usage")
    op.drop_table("flag_usage")
