"""People and their sessions in the database (`_people.py` holds the queries): the part of
`SqlStore` that docs/people.md describes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from vexil.store import _people as people
from vexil.store._base import StoreBase
from vexil.store._docs import (
    Doc,
    utcnow,
)
from vexil.store._engine import db_errors
from vexil.store._values import check_document, check_text
from vexil.store.tables import (
    PersonRow,
)


class PeopleStore(StoreBase):
    # --- people and sessions (`_people.py`) -----------------------------------------------------

    async def create_person(self, fields: Mapping[str, Any], *, actor: str) -> Doc:
        """Store a person from checked fields (`email` lowercased, `name`, `role`, `password_hash`
        or None); `Conflict` if the email is taken."""
        check_document({k: v for k, v in fields.items() if k != "password_hash"})
        async with self._write() as session, db_errors():
            after = await people.create_person(session, fields, utcnow(), actor)
            await session.commit()
        return after

    async def list_people(self) -> list[Doc]:
        """Every person, sorted by email; never a password hash."""
        async with self._read() as session:
            rows = await session.scalars(select(PersonRow).order_by(PersonRow.email))
            return [people.person_doc(row) for row in rows]

    async def get_person(self, person_id: int) -> Doc:
        async with self._read() as session:
            return people.person_doc(await people.person_row(session, person_id))

    async def update_person(self, person_id: int, changes: Mapping[str, Any], *, actor: str) -> Doc:
        """Change a person's `name`, `role`, `password_hash` or `disabled`; `Conflict` for a change
        that would leave no admin person."""
        check_document({k: v for k, v in changes.items() if k != "password_hash"})
        async with self._write() as session, db_errors():
            after = await people.update_person(session, person_id, changes, utcnow(), actor)
            await session.commit()
        return after

    async def delete_person(self, person_id: int, *, actor: str) -> Doc:
        async with self._write() as session, db_errors():
            before = await people.delete_person(session, person_id, actor)
            await session.commit()
        return before

    async def person_for_sign_in(self, email: str) -> tuple[Doc, str | None] | None:
        """A person by (lowercased) email, with the password hash; None for an unknown email."""
        async with self._read() as session:
            return await people.person_for_sign_in(session, check_text(email, "email"))

    async def start_session(self, secret_hash: str, person_id: int, *, now: datetime, oldest: datetime) -> None:
        async with self._write() as session, db_errors():
            await people.start_session(session, secret_hash, person_id, now, oldest)
            await session.commit()

    async def session_person(self, secret_hash: str) -> tuple[Doc, datetime, datetime] | None:
        async with self._read() as session:
            return await people.session_person(session, secret_hash)

    async def touch_session(self, secret_hash: str, *, now: datetime) -> None:
        async with self._write() as session, db_errors():
            await people.touch_session(session, secret_hash, now)
            await session.commit()

    async def end_session(self, secret_hash: str) -> None:
        async with self._write() as session, db_errors():
            await people.end_session(session, secret_hash)
            await session.commit()
