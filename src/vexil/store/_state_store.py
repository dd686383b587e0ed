"""Export and import in the database: the whole state as one document, an import that replaces it
(all or nothing, in batches, keeping what it replaced, `_kept.py`) or adds new flags and segments
beside it, and the state an import replaced, read back; the part of `SqlStore` that
docs/spec.md (Import) and docs/deployment.md describe."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from vexil.store._docs import Doc, environment_doc, flag_doc, format_time, segment_doc, utcnow
from vexil.store._engine import db_errors
from vexil.store._flag_writer import FlagWriter
from vexil.store._kept import IMPORT_ENTITY, KEPT_STATES, forget_older, kept_state, pack, unpack
from vexil.store._order import ordered
from vexil.store._queries import FLAG_PAGE, counts, flag_docs_after, insert_flags, record
from vexil.store._state import ImportedState, parse_state
from vexil.store._values import check_document
from vexil.store.errors import Conflict, NotFound
from vexil.store.tables import AuditRow, EnvironmentRow, FlagRow, SegmentRow

EXPORT_FORMAT_VERSION = 1
IMPORT_BATCH = 500


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


class StateStore(FlagWriter):
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
