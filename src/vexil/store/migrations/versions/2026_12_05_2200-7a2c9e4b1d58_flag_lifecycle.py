"""A flag's lifecycle: `kind`, `owner`, `stale` (marked by a person) and `archived` (docs/lifecycle.md).

Revision ID: 7a2c9e4b1d58
Revises: 7a2e5c9d4b18
Create Date: 2026-12-05 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a2c9e4b1d58"
down_revision: str | Sequence[str] | None = "7a2e5c9d4b18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("flags") as batch:
        batch.add_column(sa.Column("kind", sa.String(), nullable=False, server_default="release"))
        batch.add_column(sa.Column("owner", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("stale", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("flags") as batch:
        for column in ("archived", "stale", "owner", "kind"):
            batch.drop_column(column)
