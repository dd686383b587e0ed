"""`SqlStore`: the store in SQLite or PostgreSQL, joined from its parts over `StoreBase`
(`_base.py`); this module holds opening it, flags, environments and segments. The other parts:
change requests (`_change_request_store.py`), schedules and release plans (`_schedule_store.py`),
export and import (`_state_store.py`), tokens (`_token_store.py`), the audit log
(`_audit_store.py`), people (`_people_store.py`), webhooks (`_webhook_store.py`) and what clients
report (`_reported_store.py`); the flag write they share is `_flag_writer.py`'s.

Documents go in and come out as the plain dicts of docs/model.md. Every write is one
transaction that also records its audit event, and returns only once committed (on SQLite:
fsynced, see `_engine.py`). Driver errors come out as `vexil.store.errors` exceptions. What a
database cannot hold (a NUL character, NaN, an instant outside years 1 to 9999, ...) is refused
before any SQL runs, on every backend alike (`InvalidValue`, see `_values.py`).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping
from copy import deepcopy
from typing import Any, Self

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from vexil.store._audit_store import AuditStore
from vexil.store._change_request_store import ChangeRequestStore
from vexil.store._docs import (
    Doc,
    FlagParts,
    environment_doc,
    flag_doc,
    later_than,
    segment_columns,
    segment_doc,
    utcnow,
)
from vexil.store._engine import db_errors, make_engine
from vexil.store._environments import (
    environment_row,
    environment_usage,
    overriding_flags,
    renamed_environment,
    without_environment,
)
from vexil.store._flag_writer import By, Mutate
from vexil.store._order import USUAL_ORDER, moved, ordered
from vexil.store._people_store import PeopleStore
from vexil.store._queries import (
    FLAG_PAGE,
    all_flag_docs,
    check_version,
    flag_docs_after,
    flag_row,
    insert_flag_children,
    load_flag_doc,
    record,
    reverted,
    segment_row,
    segment_users,
)
from vexil.store._reported_store import ReportedStore
from vexil.store._schedule_store import ScheduleStore
from vexil.store._state import ImportedState
from vexil.store._state_store import EXPORT_FORMAT_VERSION, StateStore, imported_documents, imported_environments
from vexil.store._token_store import TokenStore
from vexil.store._values import check_document, check_text
from vexil.store._versions import StoredVersions, stored_versions
from vexil.store._webhook_store import WebhookStore
from vexil.store._webhooks import TEST_ACTION, WEBHOOK_ENTITY, Attempted, Claim
from vexil.store.errors import Conflict, NotFound
from vexil.store.migrate import run_migrations
from vexil.store.tables import (
    AuditRow,
    EnvironmentRow,
    FlagRow,
    SegmentRow,
    TokenRow,
)

__all__ = [
    "DEFAULT_ENVIRONMENTS",
    "EXPORT_FORMAT_VERSION",
    "TEST_ACTION",
    "WEBHOOK_ENTITY",
    "Attempted",
    "Claim",
    "ImportedState",
    "SqlStore",
    "imported_documents",
    "imported_environments",
]

DEFAULT_ENVIRONMENTS = USUAL_ORDER


class SqlStore(
    ChangeRequestStore, ScheduleStore, StateStore, TokenStore, AuditStore, PeopleStore, ReportedStore, WebhookStore
):
    """The persistent store, over one SQLAlchemy async engine.

    >>> store = await SqlStore.open(sqlite_url(Path("vexil-data")))
    >>> await store.create_flag({"name": "new_checkout"}, actor="admin")
    {'name': 'new_checkout', 'enabled': False, 'variants': [...], 'version': 1, ...}
    >>> await store.update_flag("new_checkout", lambda f: {**f, "enabled": True}, actor="admin", action="toggle")
    >>> await store.close()
    """

    @classmethod
    async def open(cls, url: str) -> Self:
        """Connect to `url`, bring the schema up to date and seed the default environments.

        `url` is a SQLAlchemy URL; `postgresql://` and `sqlite://` get their async drivers.
        """
        async with db_errors():  # e.g. the SQLite file's directory cannot be created
            engine = make_engine(url)
        try:
            await run_migrations(engine)
            store = cls(engine)
            await store._seed_environments()
        except BaseException:
            await engine.dispose()
            raise
        return store

    async def close(self) -> None:
        await self._engine.dispose()

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def ping(self) -> None:
        """Raise `StoreUnavailable` unless the database answers."""
        async with self._read() as session:
            await session.execute(text("SELECT 1"))

    async def change_marker(self) -> int:
        """A number that changes on every write (the newest audit id): replicas compare it."""
        async with self._read() as session:
            return await session.scalar(select(func.coalesce(func.max(AuditRow.id), 0))) or 0

    async def stored_versions(self) -> StoredVersions:
        """Every flag's and segment's version (the periodic check of `vexil.bus` compares them)."""
        return await stored_versions(self._engine)

    # --- flags ---------------------------------------------------------------------------------

    async def list_flags(self) -> list[Doc]:
        """Every flag document, sorted by name."""
        async with self._read() as session:
            return await all_flag_docs(session)

    async def flag_pages(self, size: int = FLAG_PAGE) -> AsyncGenerator[list[Doc]]:
        """Every flag document, sorted by name, `size` at a time, all from one read transaction: a
        reader in the event loop lets other work run between pages (use `contextlib.aclosing`)."""
        async with self._read() as session:
            after: str | None = None
            while page := await flag_docs_after(session, after, size):
                yield page
                after = page[-1]["name"]

    async def get_flag(self, name: str) -> Doc:
        async with self._read() as session:
            return await load_flag_doc(session, await flag_row(session, name))

    async def create_flag(
        self, doc: Mapping[str, Any], *, actor: str, reverts: int | None = None, new_environments: bool = True
    ) -> Doc:
        """Create a flag from a validated document (only `name` is required; defaults per docs/model.md);
        `reverts`: the audit event whose `before` this puts back (every write method takes it);
        `new_environments`: an override may name an environment not yet known, which is created
        (else `InvalidValue` naming the known ones, docs/environments.md)."""
        check_document(doc)
        parts = FlagParts(doc)
        async with self._write() as session, db_errors():
            if await session.scalar(select(FlagRow.id).where(FlagRow.name == parts.name)) is not None:
                raise Conflict(f"flag {parts.name!r} already exists")
            now = utcnow()
            await self._register_environments(session, parts.overrides, actor=actor, at=now, create=new_environments)
            row = FlagRow(**parts.columns, created_at=now, updated_at=now, version=1)
            session.add(row)
            await session.flush()
            await insert_flag_children(session, row.id, parts)
            after = flag_doc(row, parts.overrides, parts.apps)
            reverted(record(session, actor, "create", ("flag", parts.name), None, after), reverts)
            await session.commit()
        return after

    async def update_flag(  # noqa: PLR0913 (keywords: who, how, since when, what it may create)
        self,
        name: str,
        mutate: Mutate,
        *,
        actor: str,
        action: str = "update",
        expected_version: int | None = None,
        reverts: int | None = None,
        new_environments: bool = True,
    ) -> Doc:
        """Replace a flag by `mutate(copy of the current document)`, atomically.

        The flag row is locked while `mutate` runs; whatever `mutate` raises rolls the
        transaction back and comes out unchanged. `name`, `created_at`, `updated_at` and
        `version` in the returned document are ignored: the name is immutable and the store
        moves the others. `action` names the change in the audit log (`toggle`, `override`, ...).
        `new_environments` as in `create_flag`.
        """
        async with self._write() as session:
            after = await self._replace_flag(
                session,
                name,
                mutate,
                by=By(actor, action, reverts=reverts),
                expected_version=expected_version,
                new_environments=new_environments,
            )
            async with db_errors():
                await session.commit()
        return after

    async def delete_flag(
        self, name: str, *, actor: str, expected_version: int | None = None, reverts: int | None = None
    ) -> Doc:
        """Delete a flag with its overrides and app scopes; returns what was deleted."""
        async with self._write() as session, db_errors():
            row = await flag_row(session, name, lock=True)
            before = await load_flag_doc(session, row)
            check_version("flag", name, before["version"], expected_version)
            await session.delete(row)  # overrides and apps go by ON DELETE CASCADE
            reverted(record(session, actor, "delete", ("flag", name), before, None), reverts)
            await session.commit()
        return before

    # --- environments --------------------------------------------------------------------------

    async def list_environments(self) -> list[Doc]:
        """`[{name, created_at, order}]` in the team's order (store/_order.py), `order` from 0."""
        async with self._read() as session:
            rows = ordered(await session.scalars(select(EnvironmentRow)))
            return [
                {
                    **environment_doc(row),
                    "order": index,
                    "protected": row.protected,
                    "required_approvals": row.required_approvals,
                }
                for index, row in enumerate(rows)
            ]

    async def protect_environment(
        self, name: str, *, protected: bool | None, required_approvals: int | None, actor: str
    ) -> Doc:
        """Protect an environment or not, and set how many approvals its change requests need (None:
        as it is); audited as an update of the environment. Returns its listing."""
        async with self._write() as session, db_errors():
            row = await session.get(EnvironmentRow, check_text(name, "name"), with_for_update=True)
            if row is None:
                raise NotFound(f"environment {name!r} not found")
            before = {"name": name, "protected": row.protected, "required_approvals": row.required_approvals}
            if protected is not None:
                row.protected = protected
            if required_approvals is not None:
                row.required_approvals = required_approvals
            after = {"name": name, "protected": row.protected, "required_approvals": row.required_approvals}
            record(session, actor, "update", ("environment", name), before, after)
            await session.commit()
        return next(doc for doc in await self.list_environments() if doc["name"] == name)

    async def order_environment(self, name: str, place: int, *, actor: str) -> list[Doc]:
        """Move `name` to index `place` (clamped) and store every environment's place; audited as
        an update of that environment with its place before and after. Returns the new listing."""
        async with self._write() as session, db_errors():
            rows = ordered(await session.scalars(select(EnvironmentRow)))
            names = [row.name for row in rows]
            if name not in names:
                raise NotFound(f"environment {name!r} not found")
            after = moved(names, name, place)
            for row in rows:
                row.position = after.index(row.name)
            record(
                session,
                actor,
                "update",
                ("environment", name),
                {"name": name, "order": names.index(name)},
                {"name": name, "order": after.index(name)},
            )
            await session.commit()
        return await self.list_environments()

    async def create_environment(self, name: str, *, actor: str) -> Doc:
        check_text(name, "name")
        async with self._write() as session, db_errors():
            created = await self._register_environments(session, [name], actor=actor, at=utcnow())
            if not created:
                raise Conflict(f"environment {name!r} already exists")
            await session.commit()
        return next(doc for doc in await self.list_environments() if doc["name"] == name)

    async def _seed_environments(self) -> None:
        async with self._write() as session, db_errors():
            if await session.scalar(select(func.count()).select_from(EnvironmentRow)) == 0:
                now = utcnow()
                rows = [{"name": name, "created_at": now} for name in DEFAULT_ENVIRONMENTS]
                await session.execute(self._insert_environments(rows))
                await session.commit()

    async def environment_usage(self, name: str) -> Doc:
        """What deleting environment `name` would take with it: `{"name", "protected", "flags"
        (those with an override there), "tokens" (those bound to it, not revoked)}`."""
        async with self._read() as session:
            return await environment_usage(session, await environment_row(session, name))

    async def delete_environment(self, name: str, *, actor: str, may_delete: Callable[[Doc], None]) -> dict[str, Doc]:
        """Delete environment `name` with its overrides, in one transaction: each flag that had one
        is written without it (audited as `override`, its version moved), then the environment
        (audited as `delete`). `may_delete(its usage)` refuses by raising. Returns the flags written."""
        async with self._write() as session:
            async with db_errors():
                row = await environment_row(session, name, lock=True)
                usage = await environment_usage(session, row)
            may_delete(usage)
            written = {
                flag: await self._replace_flag(
                    session,
                    flag,
                    lambda doc: without_environment(doc, name),
                    by=By(actor, "override"),
                    expected_version=None,
                )
                for flag in usage["flags"]
            }
            async with db_errors():
                before = {**environment_doc(row), "protected": row.protected}
                await session.delete(row)
                record(session, actor, "delete", ("environment", name), before, None)
                await session.commit()
        return written

    async def rename_environment(self, name: str, new: str, *, actor: str) -> dict[str, Doc]:
        """Rename environment `name` to `new` in one transaction: its place, protection, overrides
        (each flag written with the override under the new name, audited as `override`) and the
        tokens bound to it move along; audited as an update of the environment. Returns the flags
        written."""
        check_text(new, "name")
        async with self._write() as session:
            async with db_errors():
                row = await environment_row(session, name, lock=True)
                if await session.get(EnvironmentRow, new) is not None:
                    raise Conflict(f"environment {new!r} already exists")
                session.add(
                    EnvironmentRow(
                        name=new,
                        created_at=row.created_at,
                        position=row.position,
                        protected=row.protected,
                        required_approvals=row.required_approvals,
                    )
                )
                await session.flush()
                flags = await overriding_flags(session, name)
            written = {
                flag: await self._replace_flag(
                    session,
                    flag,
                    lambda doc: renamed_environment(doc, name, new),
                    by=By(actor, "override"),
                    expected_version=None,
                )
                for flag in flags
            }
            async with db_errors():
                await session.execute(update(TokenRow).where(TokenRow.environment == name).values(environment=new))
                await session.delete(row)
                record(session, actor, "update", ("environment", name), {"name": name}, {"name": new})
                await session.commit()
        return written

    async def update_flags(self, mutations: Mapping[str, tuple[str, Mutate]], *, actor: str) -> dict[str, Doc]:
        """Several flags written in one transaction, all or nothing: each by its `(audit action,
        mutate)` as `update_flag` would, one audit event each (what a mutation raises rolls them all
        back). Returns the flags as committed."""
        async with self._write() as session:
            written = {
                name: await self._replace_flag(session, name, mutate, by=By(actor, action), expected_version=None)
                for name, (action, mutate) in mutations.items()
            }
            async with db_errors():
                await session.commit()
        return written

    # --- segments ------------------------------------------------------------------------------

    async def list_segments(self) -> list[Doc]:
        async with self._read() as session:
            rows = await session.scalars(select(SegmentRow).order_by(SegmentRow.name))
            return [segment_doc(row) for row in rows]

    async def get_segment(self, name: str) -> Doc:
        async with self._read() as session:
            return segment_doc(await segment_row(session, name))

    async def create_segment(self, doc: Mapping[str, Any], *, actor: str, reverts: int | None = None) -> Doc:
        check_document(doc)
        name = str(doc["name"])
        async with self._write() as session, db_errors():
            if await session.get(SegmentRow, name) is not None:
                raise Conflict(f"segment {name!r} already exists")
            now = utcnow()
            row = SegmentRow(name=name, **segment_columns(doc), created_at=now, updated_at=now, version=1)
            session.add(row)
            after = segment_doc(row)
            reverted(record(session, actor, "create", ("segment", name), None, after), reverts)
            await session.commit()
        return after

    async def update_segment(
        self, name: str, mutate: Mutate, *, actor: str, expected_version: int | None = None, reverts: int | None = None
    ) -> Doc:
        """Like `update_flag`, for a segment."""
        async with self._write() as session:
            async with db_errors():
                row = await segment_row(session, name, lock=True)
            before = segment_doc(row)
            check_version("segment", name, row.version, expected_version)
            changed = mutate(deepcopy(before))
            check_document(changed)
            columns = segment_columns(changed)
            async with db_errors():
                for column, value in columns.items():
                    setattr(row, column, value)
                row.updated_at = later_than(row.updated_at)
                row.version += 1
                after = segment_doc(row)
                reverted(record(session, actor, "update", ("segment", name), before, after), reverts)
                await session.commit()
        return after

    async def delete_segment(
        self, name: str, *, actor: str, expected_version: int | None = None, reverts: int | None = None
    ) -> Doc:
        """Delete a segment no flag (or other segment) refers to; `Conflict` names the users."""
        async with self._write() as session, db_errors():
            row = await segment_row(session, name, lock=True)
            check_version("segment", name, row.version, expected_version)
            users = await segment_users(session, name)
            if users:
                raise Conflict(f"segment {name!r} is in use by {', '.join(users)}")
            before = segment_doc(row)
            await session.delete(row)
            reverted(record(session, actor, "delete", ("segment", name), before, None), reverts)
            await session.commit()
        return before
