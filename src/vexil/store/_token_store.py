"""Tokens in the database: created by the hash of their secret, listed, revoked (never the last
way in as an admin, `_people.py`), and read by the auth cache; the part of `SqlStore` that
docs/spec.md (Token) describes."""

from __future__ import annotations

from sqlalchemy import func, select

from vexil.store import _people as people
from vexil.store._base import StoreBase
from vexil.store._docs import Doc, token_doc, utcnow
from vexil.store._engine import db_errors
from vexil.store._queries import record
from vexil.store._values import check_document, check_text
from vexil.store.errors import Conflict, InvalidValue, NotFound
from vexil.store.tables import EnvironmentRow, TokenRow


class TokenStore(StoreBase):
    # --- tokens --------------------------------------------------------------------------------

    async def create_token(
        self, *, name: str, role: str, secret_hash: str, prefix: str, actor: str, environment: str | None = None
    ) -> Doc:
        """Store a token by the hash of its secret, bound to `environment` if given (it must be one of
        the environments); the returned document has no hash."""
        check_document({"name": name, "role": role, "prefix": prefix, "environment": environment})
        async with self._write() as session, db_errors():
            if await session.scalar(select(TokenRow.id).where(TokenRow.name == name)) is not None:
                raise Conflict(f"token {name!r} already exists")
            if environment is not None:
                known = list(await session.scalars(select(EnvironmentRow.name).order_by(EnvironmentRow.name)))
                if environment not in known:
                    raise InvalidValue(
                        f"environment: {environment!r} is not an environment (there are: {', '.join(known)})"
                    )
            now = utcnow()
            row = TokenRow(
                name=name, role=role, secret_hash=secret_hash, prefix=prefix, environment=environment, created_at=now
            )
            session.add(row)
            await session.flush()
            after = token_doc(row)
            record(session, actor, "create", ("token", name), None, after)
            await session.commit()
        return after

    async def list_tokens(self) -> list[Doc]:
        """Every token, revoked ones included (`revoked: true`), sorted by name; never a hash."""
        async with self._read() as session:
            return [token_doc(row) for row in await session.scalars(select(TokenRow).order_by(TokenRow.name))]

    async def revoke_token(self, name: str, *, actor: str, configured_admin: bool = False) -> Doc:
        """Revoke a token for good; `Conflict` if it already is, or if it is the last admin token
        while no person is an admin and no admin token is `configured_admin` (`_people.py`)."""
        check_text(name, "name")
        async with self._write() as session, db_errors():
            row = (await session.scalars(select(TokenRow).where(TokenRow.name == name).with_for_update())).first()
            if row is None:
                raise NotFound(f"token {name!r} not found")
            if row.revoked_at is not None:
                raise Conflict(f"token {name!r} is already revoked")
            await people.check_token_revocable(session, row, configured_admin=configured_admin)
            before = token_doc(row)
            row.revoked_at = utcnow()
            after = token_doc(row)
            record(session, actor, "revoke", ("token", name), before, after)
            await session.commit()
        return after

    async def active_token_hashes(self) -> list[tuple[str, str, str, str | None]]:
        """`(secret_hash, name, role, environment)` of every token not revoked: the auth cache's source."""
        async with self._read() as session:
            rows = await session.execute(
                select(TokenRow.secret_hash, TokenRow.name, TokenRow.role, TokenRow.environment).where(
                    TokenRow.revoked_at.is_(None)
                )
            )
            return [(secret_hash, name, role, environment) for secret_hash, name, role, environment in rows]

    async def count_tokens(self) -> int:
        """How many tokens were ever created (revoked ones count): 0 means a new installation."""
        async with self._read() as session:
            return await session.scalar(select(func.count()).select_from(TokenRow)) or 0
