"""Protected environments and change requests: `environments.protected` and `required_approvals`,
the tables `change_requests`, `change_request_changes` and `change_request_reviews`, and
`audit_events.via` (the change request a write applied).

Revision ID: 4c8e2b7f9a13
Revises: 7a2c9e4b1d58
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4c8e2b7f9a13"
down_revision: str | Sequence[str] | None = "7a2c9e4b1d58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("environments") as batch:
        batch.add_column(sa.Column("protected", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("required_approvals", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("via", sa.JSON(none_as_null=True), nullable=True))
    op.create_table(
        "change_requests",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("requester", sa.String(), nullable=False),
        sa.Column("environments", sa.JSON(), nullable=False),
        sa.Column("required_approvals", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_by", sa.String(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_requests")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_change_requests_state"), "change_requests", ["state"], unique=False)
    op.create_table(
        "change_request_changes",
        sa.Column("request_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("flag", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("edit", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["change_requests.id"],
            name=op.f("fk_change_request_changes_request_id_change_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", "position", name=op.f("pk_change_request_changes")),
    )
    op.create_table(
        "change_request_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["change_requests.id"],
            name=op.f("fk_change_request_reviews_request_id_change_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_request_reviews")),
    )
    op.create_index(
        op.f("ix_change_request_reviews_request_id"), "change_request_reviews", ["request_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_change_request_reviews_request_id"), table_name="change_request_reviews")
    op.drop_table("change_request_reviews")
    op.drop_table("change_request_changes")
    op.drop_index(op.f("ix_change_requests_state"), table_name="change_requests")
    op.drop_table("change_requests")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("via")
    with op.batch_alter_table("environments") as batch:
        batch.drop_column("required_approvals")
        batch.drop_column("protected")
