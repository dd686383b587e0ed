"""People and their sessions (docs/people.md); each function runs inside the caller's transaction.

A person's document never holds the password hash: only `person_for_sign_in` reads it. Changes to
people are audited (entity `person`, id the email); sessions are not (signing in changes nothing).
The rules that keep an installation manageable (the last admin person, the last admin token) are
checked here, inside the write's transaction, with the rows they count locked on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vexil.store._docs import Doc, format_time
from vexil.store._queries import record
from vexil.store.errors import Conflict, NotFound
from vexil.store.tables import PersonRow, SessionRow, TokenRow

ADMIN = "admin"
LAST_ADMIN = "is the last admin: make another person admin first, so that someone can still manage Vexil"
LAST_ADMIN_TOKEN = (
    "is the last admin token and no person is an admin: create an admin person first "
    "(vexil user create EMAIL --admin, on the server), so that someone can still manage Vexil"
)


def person_doc(row: PersonRow) -> Doc:
    """A person without the password hash: safe to return, log and audit."""
    return {
        "id": row.id,
        "email": row.email,
        "name": row.name,
        "role": row.role,
        "disabled": row.disabled,
        "has_password": row.password_hash is not None,
        "created_at": format_time(row.created_at),
        "updated_at": format_time(row.updated_at),
    }


async def person_row(session: AsyncSession, person_id: int, *, lock: bool = False) -> PersonRow:
    query = select(PersonRow).where(PersonRow.id == person_id)
    if lock:
        query = query.with_for_update()
    row = (await session.scalars(query)).first()
    if row is None:
        raise NotFound(f"person {person_id} not found")
    return row


async def admin_people(session: AsyncSession) -> int:
    """How many people are admins and not disabled (locked on PostgreSQL, for the write counting them)."""
    ids = await session.scalars(
        select(PersonRow.id).where(PersonRow.role == ADMIN, PersonRow.disabled.is_(False)).with_for_update()
    )
    return len(list(ids))


async def create_person(session: AsyncSession, fields: Mapping[str, Any], now: datetime, actor: str) -> Doc:
    if await session.scalar(select(PersonRow.id).where(PersonRow.email == fields["email"])) is not None:
        raise Conflict(f"a person with the email {fields['email']!r} already exists")
    row = PersonRow(
        email=fields["email"],
        name=fields["name"],
        role=fields["role"],
        password_hash=fields.get("password_hash"),
        disabled=False,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    after = person_doc(row)
    record(session, actor, "create", ("person", row.email), None, after)
    return after


async def update_person(
    session: AsyncSession, person_id: int, changes: Mapping[str, Any], now: datetime, actor: str
) -> Doc:
    """Apply `changes` (name, role, password_hash, disabled); a disabled person's sessions, and
    every session of a person whose password changed, end with it."""
    row = await person_row(session, person_id, lock=True)
    before = person_doc(row)
    stays_admin = changes.get("role", row.role) == ADMIN and not changes.get("disabled", row.disabled)
    if row.role == ADMIN and not row.disabled and not stays_admin and await admin_people(session) <= 1:
        raise Conflict(f"{row.email} {LAST_ADMIN}")
    for key in ("name", "role", "password_hash", "disabled"):
        if key in changes:
            setattr(row, key, changes[key])
    row.updated_at = now
    if row.disabled or "password_hash" in changes:
        await session.execute(delete(SessionRow).where(SessionRow.person_id == row.id))
    after = person_doc(row)
    action = "disable" if row.disabled and not before["disabled"] else "update"
    record(session, actor, action, ("person", row.email), before, _audited(after, changes))
    return after


async def delete_person(session: AsyncSession, person_id: int, actor: str) -> Doc:
    row = await person_row(session, person_id, lock=True)
    if row.role == ADMIN and not row.disabled and await admin_people(session) <= 1:
        raise Conflict(f"{row.email} {LAST_ADMIN}")
    before = person_doc(row)
    await session.execute(delete(SessionRow).where(SessionRow.person_id == row.id))
    await session.delete(row)
    record(session, actor, "delete", ("person", row.email), before, None)
    return before


async def check_token_revocable(session: AsyncSession, row: TokenRow, *, configured_admin: bool) -> None:
    """`Conflict` when revoking `row` would leave no admin: it is the last active admin token, no
    admin token is configured (VEXIL_ADMIN_TOKEN), and no person is an admin."""
    if row.role != ADMIN or configured_admin:
        return
    others = await session.scalar(
        select(func.count())
        .select_from(TokenRow)
        .where(TokenRow.role == ADMIN, TokenRow.revoked_at.is_(None), TokenRow.id != row.id)
    )
    if not others and not await admin_people(session):
        raise Conflict(f"token {row.name!r} {LAST_ADMIN_TOKEN}")


def _audited(after: Doc, changes: Mapping[str, Any]) -> Doc:
    """The event's `after`, saying that the password changed (never what it is)."""
    return {**after, "password_changed": True} if "password_hash" in changes else after


async def person_for_sign_in(session: AsyncSession, email: str) -> tuple[Doc, str | None] | None:
    row = (await session.scalars(select(PersonRow).where(PersonRow.email == email))).first()
    return None if row is None else (person_doc(row), row.password_hash)


async def session_person(session: AsyncSession, secret_hash: str) -> tuple[Doc, datetime, datetime] | None:
    """The person of a session, and the session's creation and last-seen times; None when the
    session is unknown (signed out, expired and removed) or its person is disabled."""
    found = (
        await session.execute(
            select(PersonRow, SessionRow.created_at, SessionRow.last_seen_at)
            .join(SessionRow, SessionRow.person_id == PersonRow.id)
            .where(SessionRow.secret_hash == secret_hash)
        )
    ).first()
    if found is None or found[0].disabled:
        return None
    return person_doc(found[0]), found[1], found[2]


async def start_session(
    session: AsyncSession, secret_hash: str, person_id: int, now: datetime, oldest: datetime
) -> None:
    """Store a new session, and drop the person's sessions created before `oldest` (expired)."""
    await session.execute(delete(SessionRow).where(SessionRow.person_id == person_id, SessionRow.created_at < oldest))
    session.add(SessionRow(secret_hash=secret_hash, person_id=person_id, created_at=now, last_seen_at=now))


async def touch_session(session: AsyncSession, secret_hash: str, now: datetime) -> None:
    await session.execute(update(SessionRow).where(SessionRow.secret_hash == secret_hash).values(last_seen_at=now))


async def end_session(session: AsyncSession, secret_hash: str) -> None:
    await session.execute(delete(SessionRow).where(SessionRow.secret_hash == secret_hash))
