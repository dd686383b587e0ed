"""The database schema, as SQLAlchemy 2 `Mapped[]` classes.

Documents (docs/model.md) are split into a flag row plus one row per environment override and
per app; the nested, free-form parts (variants, rules, conditions, allowlists) are JSON columns.
Rollout percentages are stored exactly, as integer basis points (25.5 % -> 2550).

Changing anything here needs a migration in `migrations/versions/` (see `migrate.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.expression import false, true

__all__ = [
    "AuditRow",
    "Base",
    "ChangeRequestChangeRow",
    "ChangeRequestReviewRow",
    "ChangeRequestRow",
    "CodeRefsRow",
    "EnvironmentRow",
    "FlagAppRow",
    "FlagOverrideRow",
    "FlagRow",
    "FlagUsageLogRow",
    "FlagUsageRow",
    "PersonRow",
    "ReleasePlanRow",
    "ScheduleRow",
    "SdkInstanceRow",
    "SegmentRow",
    "SessionRow",
    "TokenRow",
    "UtcDateTime",
    "WebhookAttemptRow",
    "WebhookDeliveryRow",
    "WebhookRow",
]

# Explicit constraint names keep migrations reproducible on both SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite has no time zones: SQLAlchemy stores the wall time as text and reads it back naive.
    Binding UTC and tagging naive results as UTC makes both backends behave like `timestamptz`.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# SQL NULL (not the JSON text 'null') for absent values, so that "IS NULL" means "not set".
NullableJSON = JSON(none_as_null=True)
# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
AuditId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


class EnvironmentRow(Base):
    __tablename__ = "environments"

    name: Mapped[str] = mapped_column(String, primary_key=True)
    created_at: Mapped[datetime]
    # The team's place for it (0 first); None until someone orders the environments: then the
    # usual order applies (store/_order.py).
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # A protected environment's writes need a change request with this many approvals, unless made
    # by someone who may bypass it (core/protection.py, docs/change-requests.md).
    protected: Mapped[bool] = mapped_column(default=False, server_default=false())
    required_approvals: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class FlagRow(Base):
    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String, unique=True)
    description: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[Any]]
    enabled: Mapped[bool]
    rollout_bp: Mapped[int] = mapped_column(Integer)
    variants: Mapped[list[Any]]
    default_variant: Mapped[str] = mapped_column(String)
    prerequisites: Mapped[list[Any]]
    allowlist: Mapped[dict[str, Any]]
    rules: Mapped[list[Any]]
    salt: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)
    # Lifecycle (docs/lifecycle.md): what the flag is for (its expected lifetime), who answers for
    # it, whether a person marked it stale, and whether it is archived (kept, but out of the snapshot).
    kind: Mapped[str] = mapped_column(String, default="release", server_default="release")
    owner: Mapped[str] = mapped_column(Text, default="", server_default="")
    stale: Mapped[bool] = mapped_column(default=False, server_default=false())
    archived: Mapped[bool] = mapped_column(default=False, server_default=false())


class FlagOverrideRow(Base):
    """One environment's override of a flag; a NULL column inherits the flag's own field."""

    __tablename__ = "flag_overrides"

    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id", ondelete="CASCADE"), primary_key=True)
    environment: Mapped[str] = mapped_column(
        ForeignKey("environments.name", ondelete="CASCADE"), primary_key=True, index=True
    )
    enabled: Mapped[bool | None]
    rollout_bp: Mapped[int | None] = mapped_column(Integer)
    rules: Mapped[list[Any] | None] = mapped_column(NullableJSON)
    allowlist: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)


class FlagAppRow(Base):
    __tablename__ = "flag_apps"

    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id", ondelete="CASCADE"), primary_key=True)
    app_name: Mapped[str] = mapped_column(String, primary_key=True)


class SegmentRow(Base):
    __tablename__ = "segments"

    name: Mapped[str] = mapped_column(String, primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    conditions: Mapped[list[Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)


class TokenRow(Base):
    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String, unique=True)
    role: Mapped[str] = mapped_column(String)
    secret_hash: Mapped[str] = mapped_column(String, unique=True)
    prefix: Mapped[str] = mapped_column(String)
    # The environment every evaluation made with this token happens in; NULL: unbound.
    environment: Mapped[str | None] = mapped_column(String, nullable=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class PersonRow(Base):
    """A person who signs in to the admin UI (docs/people.md). `email` is kept lowercased, so the
    unique index makes it unique whatever its case; `password_hash` (argon2id) is NULL for a person
    who cannot sign in with a password."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String, unique=True)
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String)
    password_hash: Mapped[str | None] = mapped_column(String, nullable=True)
    disabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SessionRow(Base):
    """A signed-in browser: the SHA-256 of its cookie's secret (never the secret), whose person,
    and the times its idle and absolute lifetimes count from (`core/sessions.py`). Kept in the
    database so that every replica knows it, and signing out anywhere ends it everywhere."""

    __tablename__ = "sessions"

    secret_hash: Mapped[str] = mapped_column(String, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class AuditRow(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index(None, "entity", "entity_id"),
        Index(None, "at"),
        Index("ix_audit_events_outbox", "id", postgresql_where=text("outbox"), sqlite_where=text("outbox")),
        # Ids are never reused, so "newest first" paging by id stays stable.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(AuditId, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String)
    action: Mapped[str] = mapped_column(String)
    entity: Mapped[str] = mapped_column(String)
    entity_id: Mapped[str] = mapped_column(String)
    before: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    # The id of the event this one reverts (its `before` put back), else NULL.
    reverts: Mapped[int | None] = mapped_column(AuditId, nullable=True)
    # An import's event keeps the whole state it replaced, compressed (`store/_kept.py`), so that it
    # can be restored; deferred, so that reading the log never loads it.
    previous_state: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    # A write made by applying a change request: `{"change_request", "requester", "approvers"}`.
    via: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    # The webhooks' outbox (core/webhooks.py): true until the deliverer has made this event's
    # deliveries. A server default, so that every insert of an event, whatever the path, is in the
    # outbox, in the transaction of its change; a partial index keeps finding them cheap.
    outbox: Mapped[bool] = mapped_column(server_default=true())


class ChangeRequestRow(Base):
    """A change request (docs/change-requests.md): changes to flags waiting for approval. `round`
    counts rebases: only the approvals of the current round count."""

    __tablename__ = "change_requests"
    __table_args__ = (Index(None, "state"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(AuditId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String)
    requester: Mapped[str] = mapped_column(String)
    # The environments its changes touch, and how many approvals it needs (the most they require).
    environments: Mapped[list[Any]]
    required_approvals: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    applied_by: Mapped[str | None] = mapped_column(String, nullable=True)
    applied_at: Mapped[datetime | None]


class ChangeRequestChangeRow(Base):
    """One change of a change request: an edit of one flag (core/edits.py), and the flag's version
    it was made against (apply refuses it if the flag has moved since)."""

    __tablename__ = "change_request_changes"

    request_id: Mapped[int] = mapped_column(
        AuditId, ForeignKey("change_requests.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    flag: Mapped[str] = mapped_column(String)
    version: Mapped[int] = mapped_column(Integer)
    edit: Mapped[dict[str, Any]]


class ChangeRequestReviewRow(Base):
    """What someone did to a change request: comment, approve, reject, rebase, open, apply."""

    __tablename__ = "change_request_reviews"
    __table_args__ = (Index(None, "request_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(AuditId, ForeignKey("change_requests.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String)
    kind: Mapped[str] = mapped_column(String)
    round: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)


class SdkInstanceRow(Base):
    """One SDK instance that told Vexil about itself (register, metrics), and what it counted
    (docs/unleash-frontend.md, "Connected SDKs"). `environment` is '' when none is known: it is part
    of the key, and NULLs would not make duplicates conflict."""

    __tablename__ = "sdk_instances"
    __table_args__ = (Index(None, "last_seen"),)

    app_name: Mapped[str] = mapped_column(String, primary_key=True)
    instance_id: Mapped[str] = mapped_column(String, primary_key=True)
    environment: Mapped[str] = mapped_column(String, primary_key=True)
    kind: Mapped[str] = mapped_column(String)
    sdk_name: Mapped[str | None] = mapped_column(String, nullable=True)
    sdk_version: Mapped[str | None] = mapped_column(String, nullable=True)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    # {flag: {"yes", "no", "variants": {name: count}, "last_seen"}}: totals since first seen.
    usage: Mapped[dict[str, Any]]


class CodeRefsRow(Base):
    """The latest code references uploaded by `vexil refs --upload` for one repository and branch
    (docs/code-refs.md): an upload replaces the row of its repository and branch."""

    __tablename__ = "code_refs"

    repository: Mapped[str] = mapped_column(String, primary_key=True)
    branch: Mapped[str] = mapped_column(String, primary_key=True)
    commit: Mapped[str] = mapped_column(String)
    uploaded_at: Mapped[datetime]
    # {flag: [{"path", "line", "text"}]}: every flag found, with the lines it was found on.
    refs: Mapped[dict[str, Any]]


class FlagUsageRow(Base):
    """How often a flag was evaluated in one hour (`period` 'hour') or day ('day'), per environment,
    app, variant and source ('' for none: part of the key, where NULLs would not conflict). Replicas
    add their counts with increment-upserts (`_usage.py`, docs/usage.md)."""

    __tablename__ = "flag_usage"
    __table_args__ = (Index(None, "period", "at"),)

    flag: Mapped[str] = mapped_column(String, primary_key=True)
    period: Mapped[str] = mapped_column(String, primary_key=True)
    at: Mapped[datetime] = mapped_column(primary_key=True)
    environment: Mapped[str] = mapped_column(String, primary_key=True)
    app: Mapped[str] = mapped_column(String, primary_key=True)
    variant: Mapped[str] = mapped_column(String, primary_key=True)
    source: Mapped[str] = mapped_column(String, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    last_seen: Mapped[datetime]


class FlagUsageLogRow(Base):
    """Counts flushed but not merged into `flag_usage` yet (PostgreSQL): each flush appends one row
    per hourly bucket with `COPY`, which costs a fraction of an increment-upsert per row, and a merge
    (every minute, and before usage is read) moves them into `flag_usage`'s hour and day rows
    (`_usage.py`). No key: two flushes of one bucket are two rows, added up by the merge."""

    __tablename__ = "flag_usage_log"
    # Nothing is ever loaded by identity; the mapper wants a key, the table has none. (Not a ClassVar:
    # SQLAlchemy's declarative base declares it as an instance variable, which mypy will not let be
    # overridden by one.)
    __mapper_args__ = {"primary_key": ["flag", "at", "environment", "app", "variant", "source", "last_seen"]}  # noqa: RUF012

    flag: Mapped[str] = mapped_column(String)
    at: Mapped[datetime]
    environment: Mapped[str] = mapped_column(String)
    app: Mapped[str] = mapped_column(String)
    variant: Mapped[str] = mapped_column(String)
    source: Mapped[str] = mapped_column(String)
    count: Mapped[int] = mapped_column(BigInteger)
    last_seen: Mapped[datetime]


class ReleasePlanRow(Base):
    """A release plan (docs/schedules.md): steps of one flag at given times, as `schedules` rows
    with its id; `state` active, paused, done or cancelled. A paused plan's steps wait."""

    __tablename__ = "release_plans"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(AuditId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text)
    flag: Mapped[str] = mapped_column(String)
    environment: Mapped[str | None] = mapped_column(String, nullable=True)
    state: Mapped[str] = mapped_column(String)
    created_by: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Why a plan stopped by itself (a step that could not apply), else NULL.
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class ScheduleRow(Base):
    """A scheduled change, or one step of a release plan (`plan_id`, `position`): edits
    (core/edits.py) to apply at `at`, exactly once (the executor claims the row with `FOR UPDATE
    SKIP LOCKED` in the transaction that applies it). One held by a change request
    (`change_request_id`) applies that request once it is approved and due."""

    __tablename__ = "schedules"
    __table_args__ = (Index(None, "state", "at"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(AuditId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String)
    at: Mapped[datetime]
    changes: Mapped[list[Any]]
    created_by: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime]
    plan_id: Mapped[int | None] = mapped_column(
        AuditId, ForeignKey("release_plans.id", ondelete="CASCADE"), nullable=True, index=True
    )
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    change_request_id: Mapped[int | None] = mapped_column(AuditId, nullable=True)
    done_at: Mapped[datetime | None]
    late_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class WebhookRow(Base):
    """A webhook subscription (docs/webhooks.md): where events go, signed with `secret` (stored as
    given: it signs every delivery), which events (`events`: {"flags", "environments", "actions"},
    each a list or absent for all) and in which `format` ("vexil" or "slack")."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(Text)
    events: Mapped[dict[str, Any]]
    format: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String)


class WebhookDeliveryRow(Base):
    """One event to deliver to one webhook: `pending` until a 2xx (`delivered`) or 24 hours of
    retries (`failed`). `next_at` is when it is due; a replica that claims it moves `next_at` past
    its own attempt (a lease), so that another replica retries it only if that one died."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index(None, "webhook_id", "event_id", unique=True), Index(None, "state", "next_at"))

    id: Mapped[int] = mapped_column(AuditId, primary_key=True, autoincrement=True)
    webhook_id: Mapped[int] = mapped_column(Integer, ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(AuditId)
    state: Mapped[str] = mapped_column(String)
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    next_at: Mapped[datetime]


class WebhookAttemptRow(Base):
    """The delivery log: one row per attempt, with the receiver's status code or the error, and
    when the next attempt is due (None: delivered, or given up)."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index(None, "webhook_id", "id"),)

    id: Mapped[int] = mapped_column(AuditId, primary_key=True, autoincrement=True)
    webhook_id: Mapped[int] = mapped_column(Integer, ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(AuditId)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_at: Mapped[datetime | None]
