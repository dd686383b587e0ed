"""The flag write that other writes share, in the caller's transaction: `_replace_flag` (what
`update_flag` does, uncommitted), and the registration of the environments a flag's overrides name.
Change requests, schedules and environment-wide writes (`_change_request_store.py`,
`_schedule_store.py`, `sql.py`) each write flags through this one implementation."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from vexil.store._base import StoreBase
from vexil.store._docs import Doc, FlagParts, flag_doc, format_time, later_than
from vexil.store._engine import db_errors
from vexil.store._environments import check_known
from vexil.store._order import ordered
from vexil.store._queries import check_version, flag_row, insert_flag_children, load_flag_doc, record, reverted
from vexil.store._values import check_document
from vexil.store.tables import EnvironmentRow, FlagAppRow, FlagOverrideRow

Mutate = Callable[[Doc], Doc]


@dataclass(frozen=True, slots=True)
class By:
    """Who made a write and how the audit log names it; `via`: the change request it applied;
    `reverts`: the audit event whose `before` it puts back."""

    actor: str
    action: str
    via: Doc | None = None
    reverts: int | None = None


class FlagWriter(StoreBase):
    """The flag write and the environment registration that several parts of `SqlStore` share."""

    def _insert_environments(self, rows: list[Doc]) -> ReturningInsert[str]:
        """INSERT ... ON CONFLICT DO NOTHING RETURNING name: the names actually created.

        Concurrent writers (replicas on one PostgreSQL) may register the same name at once.
        """
        if self._postgres:
            return (
                postgresql.insert(EnvironmentRow).values(rows).on_conflict_do_nothing().returning(EnvironmentRow.name)
            )
        return sqlite.insert(EnvironmentRow).values(rows).on_conflict_do_nothing().returning(EnvironmentRow.name)

    async def _replace_flag(
        self,
        session: AsyncSession,
        name: str,
        mutate: Mutate,
        *,
        by: By,
        expected_version: int | None,
        new_environments: bool = True,
    ) -> Doc:
        """`update_flag` in the caller's transaction, not committed, audited as `by` says."""
        async with db_errors():
            row = await flag_row(session, name, lock=True)
            before = await load_flag_doc(session, row)
        check_version("flag", name, before["version"], expected_version)
        changed = {**mutate(deepcopy(before)), "name": name}
        check_document(changed)
        parts = FlagParts(changed)
        async with db_errors():
            now = later_than(row.updated_at)
            await self._register_environments(session, parts.overrides, actor=by.actor, at=now, create=new_environments)
            for column, value in parts.columns.items():
                setattr(row, column, value)
            row.updated_at = now
            row.version += 1
            await session.execute(delete(FlagOverrideRow).where(FlagOverrideRow.flag_id == row.id))
            await session.execute(delete(FlagAppRow).where(FlagAppRow.flag_id == row.id))
            await insert_flag_children(session, row.id, parts)
            after = flag_doc(row, parts.overrides, parts.apps)
            event = record(session, by.actor, by.action, ("flag", name), before, after)
            event.via = by.via
            reverted(event, by.reverts)
            await session.flush()
        return after

    async def _register_environments(
        self, session: AsyncSession, names: Iterable[str], *, actor: str, at: datetime, create: bool = True
    ) -> list[Doc]:
        """Create the environments not yet known (audited), in the caller's transaction; unless
        `create`: then one not yet known is refused (`InvalidValue` naming the known ones)."""
        wanted = sorted(set(names))
        rows = [{"name": name, "created_at": at} for name in wanted]
        if not rows:
            return []
        if not create:
            known = [row.name for row in ordered(await session.scalars(select(EnvironmentRow)))]
            check_known(wanted, known)
            return []
        created: list[Doc] = []
        for name in await session.scalars(self._insert_environments(rows)):
            created.append({"name": name, "created_at": format_time(at)})
            record(session, actor, "create", ("environment", name), None, created[-1])
        return created
