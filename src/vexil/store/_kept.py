"""The state an import replaced, kept in the import's own audit event so that it can be restored.

An import is all or nothing and may replace thousands of flags; its audit event keeps the whole
state as it was just before (`audit_events.previous_state`), as compressed JSON: an export document
(`SqlStore.export_state()`) restores it as any export does. Only the newest `KEPT_STATES` import
events keep theirs: older ones are emptied in the transaction of the import that makes them older,
so the log's size is bounded by a few states, however many imports run. The events themselves (who,
when, what was created, changed and deleted) are never removed.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vexil.store._docs import Doc
from vexil.store.tables import AuditRow

# Import events whose previous state is kept (the newest ones); see docs/deployment.md.
KEPT_STATES = 10
# The audit entity of every event that replaces the state (an import, a merge or a restore).
IMPORT_ENTITY = "import"


def pack(state: Doc) -> bytes:
    """A state as compressed JSON (pure: a worker thread runs it)."""
    return zlib.compress(json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode("utf-8"), 6)


def unpack(data: bytes) -> Doc:
    value: Any = json.loads(zlib.decompress(data).decode("utf-8"))
    return value  # type: ignore[no-any-return]


async def forget_older(session: AsyncSession, keep: int = KEPT_STATES) -> None:
    """Empty the previous state of every import event but the newest `keep` that hold one."""
    newest = (
        select(AuditRow.id)
        .where(AuditRow.entity == IMPORT_ENTITY, AuditRow.previous_state.is_not(None))
        .order_by(AuditRow.id.desc())
        .limit(keep)
        .scalar_subquery()
    )
    await session.execute(
        update(AuditRow)
        .where(AuditRow.entity == IMPORT_ENTITY, AuditRow.previous_state.is_not(None), AuditRow.id.not_in(newest))
        .values(previous_state=None)
    )


async def kept_state(session: AsyncSession, event_id: int | None, *, action: str | None) -> tuple[int, bytes | None]:
    """The id of import event `event_id` (None: the newest whose action is `action`) and its
    packed previous state (None: no longer kept). `LookupError` when there is no such event."""
    query = select(AuditRow.id, AuditRow.previous_state).where(AuditRow.entity == IMPORT_ENTITY)
    if event_id is not None:
        query = query.where(AuditRow.id == event_id)
    else:
        query = query.where(AuditRow.action == action).order_by(AuditRow.id.desc()).limit(1)
    row = (await session.execute(query)).first()
    if row is None:
        raise LookupError(event_id)
    return row[0], row[1]
