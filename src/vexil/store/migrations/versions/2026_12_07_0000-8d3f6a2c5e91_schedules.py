"""Scheduled changes and release plans (docs/schedules.md): the tables `release_plans` and
`schedules`.

Revision ID: 8d3f6a2c5e91
Revises: 4e8b1d6a2f93
Create Date: 2026-12-07 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d3f6a2c5e91"
down_revision: str | Sequence[str] | None = "4e8b1d6a2f93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "release_plans",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("flag", sa.String(), nullable=False),
        sa.Column("environment", sa.String(), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_plans")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "schedules",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("plan_id", ID, nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("change_request_id", ID, nullable=True),
        sa.Column("done_at", TIME, nullable=True),
        sa.Column("late_seconds", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["release_plans.id"], name=op.f("fk_schedules_plan_id_release_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_schedules_state_at"), "schedules", ["state", "at"], unique=False)
    op.create_index(op.f("ix_schedules_plan_id"), "schedules", ["plan_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_schedules_plan_id"), table_name="schedules")
    op.drop_index(op.f("ix_schedules_state_at"), table_name="schedules")
    op.drop_table("schedules")
    op.drop_table("release_plans")
