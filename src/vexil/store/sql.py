"""`SqlStore`: flags, environments, segments, tokens and the audit log in SQLite or PostgreSQL.

Documents go in and come out as the plain dicts of docs/model.md. Every write is one
transaction that also records its audit event, and returns only once committed (on SQLite:
fsynced, see `_engine.py`). Driver errors come out as `vexil.store.errors` exceptions. What a
database cannot hold (a NUL character, NaN, an instant outside years 1 to 9999, ...) is refused
before any SQL runs, on every backend alike (`InvalidValue`, see `_values.py`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Mapping
from copy import deepcopy
from datetime import datetime
from typing import Any, Self

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from vexil.store import _people as people
from vexil.store._change_request_store import ChangeRequestStore
from vexil.store._docs import (
    Doc,
    FlagParts,
    audit_doc,
    environment_doc,
    flag_doc,
    format_time,
    later_than,
    segment_columns,
    segment_doc,
    token_doc,
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
from vexil.store._flag_writes import By, Mutate
from vexil.store._kept import IMPORT_ENTITY, KEPT_STATES, forget_older, kept_state, pack, unpack
from vexil.store._order import USUAL_ORDER, moved, ordered
from vexil.store._people_store import PeopleStore
from vexil.store._queries import (
    all_flag_docs,
    check_version,
    counts,
    flag_docs_after,
    flag_row,
    insert_flag_children,
    insert_flags,
    load_flag_doc,
    record,
    reverted,
    segment_row,
    segment_users,
)
from vexil.store._reported_store import ReportedStore
from vexil.store._schedule_store import ScheduleStore
from vexil.store._state import ImportedState, parse_state
from vexil.store._values import check_document, check_instant, check_text
from vexil.store._versions import StoredVersions, stored_versions
from vexil.store._webhook_store import WebhookStore
from vexil.store._webhooks import TEST_ACTION, WEBHOOK_ENTITY, Attempted, Claim
from vexil.store.errors import Conflict, InvalidValue, NotFound
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
EXPORT_FORMAT_VERSION = 1
IMPORT_BATCH = 500
FLAG_PAGE = 250


def imported_documents(parsed: ImportedState) -> tuple[list[Doc], list[Doc]]:
    """The flag and segment documents that `import_state(parsed)` stores, as the store will read them
    back (sorted by name), without reading them: what the server's snapshot is built from. Pure."""
    flags = [
        flag_doc(FlagRow(**flag.columns()), flag.parts.overrides, flag.parts.apps)
        for flag in sorted(parsed.flags, key=lambda flag: flag.parts.name)
    ]
    segments = [segment_doc(SegmentRow(**values)) for values in sorted(parsed.segments, key=lambda v: v["name"])]
    return flags, segments


def exported_environment(row: EnvironmentRow) -> Doc:
    """An environment as an export lists it: with `order`, the team's place, only once someone
    ordered the environments (else the usual order applies, store/_order.py); with `protected` and
    `required_approvals` only when protected (docs/change-requests.md)."""
    protection = {"protected": True, "required_approvals": row.required_approvals} if row.protected else {}
    return environment_doc(row) | ({} if row.position is None else {"order": row.position}) | protection


def imported_environments(parsed: ImportedState) -> list[Doc]:
    """The environments `import_state(parsed)` stores, as an export would list them. Pure."""
    return [exported_environment(row) for row in ordered(EnvironmentRow(**values) for values in parsed.environments)]


async def _state_docs(session: AsyncSession) -> Doc:
    """Environments, flags and segments as an export document, without its moment. Flags are read
    `FLAG_PAGE` at a time, so that the event loop runs between pages of a large state."""
    environments = ordered(await session.scalars(select(EnvironmentRow)))
    segments = await session.scalars(select(SegmentRow).order_by(SegmentRow.name))
    flags: list[Doc] = []
    while page := await flag_docs_after(session, flags[-1]["name"] if flags else None, FLAG_PAGE):
        flags += page
    return {
        "version": EXPORT_FORMAT_VERSION,
        "environments": [exported_environment(row) for row in environments],
        "flags": flags,
        "segments": [segment_doc(row) for row in segments],
    }


def _pack_unless_moved(previous: Doc, expected: Doc | None) -> bytes:
    """`previous` packed (`_kept.py`); `Conflict` if `expected` is given and is another state.
    Both compare and pack 10,000 documents: a worker thread runs it."""
    if expected is not None and {k: v for k, v in expected.items() if k != "exported_at"} != previous:
        raise Conflict("the state changed while the import was being prepared: try again")
    return pack(previous)


class SqlStore(ChangeRequestStore, ScheduleStore, PeopleStore, ReportedStore, WebhookStore):
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

    # --- audit ---------------------------------------------------------------------------------

    async def get_audit(self, event_id: int) -> Doc:
        """One audit event by id (`NotFound` if there is none)."""
        async with self._read() as session:
            row = await session.get(AuditRow, event_id)
            if row is None:
                raise NotFound(f"audit event {event_id} not found")
            return audit_doc(row)

    async def list_audit(
        self,
        *,
        flag: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
        before_id: int | None = None,
    ) -> list[Doc]:
        """Audit events, newest first. Page with `before_id=<the last id of the previous page>`."""
        query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if flag is not None:
            query = query.where(AuditRow.entity == "flag", AuditRow.entity_id == check_text(flag, "flag"))
        if actor is not None:
            query = query.where(AuditRow.actor == check_text(actor, "actor"))
        if since is not None:
            query = query.where(AuditRow.at >= check_instant(since, "since"))
        if before_id is not None:
            query = query.where(AuditRow.id < before_id)
        async with self._read() as session:
            return [audit_doc(row) for row in await session.scalars(query)]

    # --- export / import -----------------------------------------------------------------------

    async def export_state(self) -> Doc:
        """Environments, flags and segments as one document (no tokens, no audit), from one snapshot."""
        async with self._read() as session:
            docs = await _state_docs(session)
        return {"version": docs.pop("version"), "exported_at": format_time(utcnow()), **docs}

    async def add_documents(self, parsed: ImportedState, *, actor: str) -> tuple[list[Doc], list[Doc]]:
        """Create the flags and segments of `parsed` (what `read_import` made of new documents) beside
        what is stored: all or nothing, in one transaction, each creation audited like `create_flag`'s.

        `Conflict` naming every flag and segment that already exists. Environments that the flags
        override and the store does not know are registered (audited). Flags are written
        `IMPORT_BATCH` at a time, as `import_state` writes them. Returns the created flag and
        segment documents, as stored.
        """
        flags, segments = imported_documents(parsed)
        async with self._write() as session:
            async with db_errors():
                if self._postgres:
                    await session.execute(text("LOCK TABLE flags, segments IN EXCLUSIVE MODE"))
                taken = [
                    f"flag {name}"
                    for name in await session.scalars(
                        select(FlagRow.name).where(FlagRow.name.in_([f["name"] for f in flags]))
                    )
                ] + [
                    f"segment {name}"
                    for name in await session.scalars(
                        select(SegmentRow.name).where(SegmentRow.name.in_([s["name"] for s in segments]))
                    )
                ]
            if taken:
                raise Conflict("already exists: " + ", ".join(sorted(taken)))
            async with db_errors():
                now = utcnow()
                overridden = {env for flag in parsed.flags for env in flag.parts.overrides}
                await self._register_environments(session, overridden, actor=actor, at=now)
                if parsed.segments:
                    await session.execute(insert(SegmentRow), parsed.segments)
                for segment in segments:
                    record(session, actor, "create", ("segment", segment["name"]), None, segment)
                for start in range(0, len(parsed.flags), IMPORT_BATCH):
                    batch = parsed.flags[start : start + IMPORT_BATCH]
                    await insert_flags(session, [(flag.columns(), flag.parts) for flag in batch])
                for flag in flags:
                    record(session, actor, "create", ("flag", flag["name"]), None, flag)
                await session.commit()
        return flags, segments

    @staticmethod
    def read_import(state: Mapping[str, Any]) -> ImportedState:
        """An export document (`export_state()`) as the rows `import_state` writes, checked for names
        that appear twice (`Conflict`) and for values no database holds. Pure: it may run in a worker thread."""
        check_document(state)
        return parse_state(state, utcnow())

    async def import_state(
        self,
        state: Mapping[str, Any] | ImportedState,
        *,
        actor: str,
        on_progress: Callable[[int, int], None] | None = None,
        expected: Doc | None = None,
        action: str = "import",
        details: Doc | None = None,
    ) -> dict[str, int]:
        """Replace every environment, flag and segment by those of `state` (an `export_state()`,
        or what `read_import` made of one).

        All or nothing, in one transaction; one audit event records the counts. Imported
        documents keep their `created_at`, `updated_at` and `version` when given. Environments
        that flags override but `state` does not list are created. Flags are written
        `IMPORT_BATCH` at a time, each batch in three multi-row INSERTs (flags, their overrides,
        their apps), so that the event loop is never held long. `on_progress(done, total)` is
        called as items are written (before the commit); what it raises aborts the import.

        The audit event (`action`, `details` added to its `after`) keeps the whole state it replaced
        (`_kept.py`), read in the import's own transaction; with `expected` (an `export_state()`),
        `Conflict` unless that state is still `expected` (what the caller planned against).
        """
        parsed = state if isinstance(state, ImportedState) else self.read_import(state)
        done = 0

        def progress(count: int) -> None:
            nonlocal done
            done += count
            if on_progress is not None and count:
                on_progress(done, parsed.total)

        async with self._write() as session:
            async with db_errors():
                if self._postgres:
                    # Other writers wait; readers see the old state until the commit.
                    await session.execute(text("LOCK TABLE flags, segments, environments IN EXCLUSIVE MODE"))
                previous = await _state_docs(session)
            packed = await asyncio.to_thread(_pack_unless_moved, previous, expected)
            async with db_errors():
                before = await counts(session)
                for table in (FlagRow, SegmentRow, EnvironmentRow):  # overrides and apps cascade
                    await session.execute(delete(table))
                if parsed.environments:
                    await session.execute(insert(EnvironmentRow), parsed.environments)
                if parsed.segments:
                    await session.execute(insert(SegmentRow), parsed.segments)
            progress(len(parsed.environments) + len(parsed.segments))
            for start in range(0, len(parsed.flags), IMPORT_BATCH):
                batch = parsed.flags[start : start + IMPORT_BATCH]
                async with db_errors():
                    await insert_flags(session, [(flag.columns(), flag.parts) for flag in batch])
                progress(len(batch))
            async with db_errors():
                after = await counts(session)
                session.add(
                    AuditRow(
                        at=utcnow(),
                        actor=actor,
                        action=action,
                        entity=IMPORT_ENTITY,
                        entity_id="state",
                        before=before,
                        after={**after, **(details or {})},
                        previous_state=packed,
                    )
                )
                await session.flush()  # the event has its id: the newest kept state is its own
                await forget_older(session)
                await session.commit()
        return after

    async def kept_state(self, event_id: int | None = None, *, action: str = "import") -> tuple[int, Doc]:
        """The state that import event `event_id` replaced (None: the newest event of `action`),
        as an export document, with the event's id. `NotFound` when there is no such event or its
        state is no longer kept (only the newest `KEPT_STATES` are)."""
        async with self._read() as session:
            try:
                found, packed = await kept_state(session, event_id, action=action)
            except LookupError:
                what = f"audit event {event_id} is not an import" if event_id is not None else f"no {action} to undo"
                raise NotFound(what) from None
        if packed is None:
            raise NotFound(
                f"the state before audit event {found} is no longer kept (only the newest {KEPT_STATES} are)"
            )
        return found, await asyncio.to_thread(unpack, packed)
