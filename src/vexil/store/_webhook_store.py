"""Webhooks in the database (`_webhooks.py` holds the queries): subscriptions, the outbox's fan-out
into deliveries, claims and the delivery log; the part of `SqlStore` that docs/webhooks.md
describes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from vexil.store import _webhooks as webhooks
from vexil.store._base import StoreBase
from vexil.store._docs import (
    Doc,
)
from vexil.store._engine import db_errors
from vexil.store._values import check_document
from vexil.store._webhooks import Attempted, Claim, Wants
from vexil.store.tables import (
    WebhookRow,
)


class WebhookStore(StoreBase):
    # --- webhooks (`_webhooks.py`) ---------------------------------------------------------------

    async def create_webhook(self, fields: Mapping[str, Any], *, at: datetime, actor: str) -> Doc:
        """Store a subscription from checked fields (`url`, `secret`, `events`, `format`)."""
        check_document(dict(fields))
        async with self._write() as session, db_errors():
            after = await webhooks.create_webhook(session, fields, at, actor)
            await session.commit()
        return after

    async def list_webhooks(self) -> list[Doc]:
        """Every subscription, oldest first; never a secret."""
        async with self._read() as session:
            rows = await session.scalars(select(WebhookRow).order_by(WebhookRow.id))
            return [webhooks.webhook_doc(row) for row in rows]

    async def delete_webhook(self, webhook_id: int, *, actor: str) -> Doc:
        """Delete a subscription, its pending deliveries and its log."""
        async with self._write() as session, db_errors():
            before = await webhooks.delete_webhook(session, webhook_id, actor)
            await session.commit()
        return before

    async def record_webhook_test(self, webhook_id: int, *, actor: str) -> int:
        """Record a test event sent only to webhook `webhook_id`; the event's id."""
        async with self._write() as session, db_errors():
            event_id = await webhooks.record_test(session, webhook_id, actor)
            await session.commit()
        return event_id

    async def webhook_work_waiting(self, *, at: datetime) -> bool:
        """Whether the deliverer has anything to do (`_webhooks.work_waiting`)."""
        async with self._read() as session:
            return await webhooks.work_waiting(session, at)

    async def fan_out_webhooks(self, wants: Wants, *, at: datetime, limit: int = 500) -> int:
        """Make the deliveries of up to `limit` events of the outbox; how many events it took."""
        async with self._write() as session, db_errors():
            taken = await webhooks.fan_out(session, at, wants, postgres=self._postgres, limit=limit)
            await session.commit()
        return taken

    async def claim_deliveries(self, *, at: datetime, lease: timedelta, limit: int) -> list[Claim]:
        """Take up to `limit` due deliveries, each for one attempt (`_webhooks.claim`)."""
        async with self._write() as session, db_errors():
            claims = await webhooks.claim(session, at, lease, limit)
            await session.commit()
        return claims

    async def finish_deliveries(self, attempts: Sequence[Attempted]) -> None:
        """Log attempts and settle their deliveries (`_webhooks.finish`), in one transaction."""
        async with self._write() as session, db_errors():
            for attempted in attempts:
                await webhooks.finish(session, attempted)
            await session.commit()

    async def webhook_attempts(self, webhook_id: int, *, limit: int = 200) -> list[Doc]:
        """A webhook's delivery log, newest first; `NotFound` for an unknown webhook."""
        async with self._read() as session:
            return await webhooks.attempts(session, webhook_id, limit)
