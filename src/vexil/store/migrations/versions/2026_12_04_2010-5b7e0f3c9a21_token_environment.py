"""Tokens bound to an environment: `tokens.environment` (NULL: unbound, as every token before).

Revision ID: 5b7e0f3c9a21
Revises: e10c265921ea
Create Date: 2026-12-04 20:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b7e0f3c9a21"
down_revision: str | Sequence[str] | None = "e10c265921ea"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("environment", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("environment")
