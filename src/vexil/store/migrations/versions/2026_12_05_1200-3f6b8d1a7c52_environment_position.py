"""Environments in the team's order: `environments.position`, empty until the environments are
ordered (then development, staging, production come first, the others after by name).

Revision ID: 3f6b8d1a7c52
Revises: 9c4d2a7e1b30
Create Date: 2026-12-05 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f6b8d1a7c52"
down_revision: str | Sequence[str] | None = "9c4d2a7e1b30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("environments") as batch:
        batch.add_column(sa.Column("position", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("environments") as batch:
        batch.drop_column("position")
