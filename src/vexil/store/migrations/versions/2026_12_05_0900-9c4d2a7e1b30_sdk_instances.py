"""Connected SDKs: `sdk_instances`, one row per app, instance and environment that registered or
posted metrics, with what it counted.

Revision ID: 9c4d2a7e1b30
Revises: 5b7e0f3c9a21
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9c4d2a7e1b30"
down_revision: str | Sequence[str] | None = "5b7e0f3c9a21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sdk_instances",
        sa.Column("app_name", sa.String(), nullable=False),
        sa.Column("instance_id", sa.String(), nullable=False),
        sa.Column("environment", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("sdk_name", sa.String(), nullable=True),
        sa.Column("sdk_version", sa.String(), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("usage", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("app_name", "instance_id", "environment", name=op.f("pk_sdk_instances")),
    )
    op.create_index(op.f("ix_sdk_instances_last_seen"), "sdk_instances", ["last_seen"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sdk_instances_last_seen"), table_name="sdk_instances")
    op.drop_table("sdk_instances")
