"""The audit log as read back: one event, or a page of them, newest first (each write records its
own event in its own transaction, `_queries.record`); the part of `SqlStore` that docs/audit.md
describes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from vexil.store._base import StoreBase
from vexil.store._docs import Doc, audit_doc
from vexil.store._values import check_instant, check_text
from vexil.store.errors import NotFound
from vexil.store.tables import AuditRow


class AuditStore(StoreBase):
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
