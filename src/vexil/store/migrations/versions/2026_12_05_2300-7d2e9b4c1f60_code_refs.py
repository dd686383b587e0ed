"""Code references: `code_refs`, the latest upload of `vexil refs --upload` per repository and branch.

Revision ID: 7d2e9b4c1f60
Revises: 3f8a1c6d2e47
Create Date: 2026-12-05 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d2e9b4c1f60"
down_revision: str | Sequence[str] | None = "3f8a1c6d2e47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "code_refs",
        sa.Column("repository", sa.String(), nullable=False),
        sa.Column("branch", sa.String(), nullable=False),
        sa.Column("commit", sa.String(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refs", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("repository", "branch", name=op.f("pk_code_refs")),
    )


def downgrade() -> None:
    op.drop_table("code_refs")
