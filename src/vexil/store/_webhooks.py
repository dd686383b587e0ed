"""Webhooks' rows (docs/webhooks.md); each function runs inside the caller's transaction.

The outbox is the audit log itself: every event is inserted with `outbox` true (a server default,
so no path that records an event can skip it), in the transaction of its change. `fan_out` turns
outbox events into one delivery per webhook that wants it and clears their flag, in one
transaction; `claim` takes due deliveries and moves them out of reach (a lease) in another. On
PostgreSQL both lock with `FOR UPDATE SKIP LOCKED`, so replicas never take the same rows at once;
on SQLite the one writer does the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from vexil.store._docs import Doc, audit_doc, format_time
from vexil.store._queries import record
from vexil.store.errors import NotFound
from vexil.store.tables import AuditRow, WebhookAttemptRow, WebhookDeliveryRow, WebhookRow

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
# The audit entity of webhooks' own events; `POST /webhooks/{id}/test` records action `test`.
WEBHOOK_ENTITY = "webhook"
TEST_ACTION = "test"
# Whether webhook (id, events filter) is sent an event: `core/webhooks.py` decides.
Wants = Callable[[Mapping[str, Any], int, Doc], bool]


@dataclass(frozen=True, slots=True)
class Claim:
    """One attempt at one delivery, taken by this replica: what to send, and where."""

    delivery_id: int
    attempt: int
    created_at: datetime
    webhook_id: int
    url: str
    secret: str
    format: str
    event: Doc


@dataclass(frozen=True, slots=True)
class Attempted:
    """How an attempt went: the receiver's status or the error, when, and the next try (None:
    none, delivered or given up)."""

    claim: Claim
    result: tuple[int | None, str | None]
    at: datetime
    retry: datetime | None


def webhook_doc(row: WebhookRow) -> Doc:
    """A subscription without its secret: safe to return, log and audit."""
    return {
        "id": row.id,
        "url": row.url,
        "events": row.events,
        "format": row.format,
        "created_at": format_time(row.created_at),
        "created_by": row.created_by,
    }


def attempt_doc(row: WebhookAttemptRow) -> Doc:
    return {
        "event_id": row.event_id,
        "attempt": row.attempt,
        "at": format_time(row.at),
        "outcome": row.outcome,
        "status": row.status,
        "error": row.error,
        "next_retry": None if row.next_at is None else format_time(row.next_at),
    }


async def webhook_row(session: AsyncSession, webhook_id: int) -> WebhookRow:
    row = await session.get(WebhookRow, webhook_id)
    if row is None:
        raise NotFound(f"webhook {webhook_id} not found")
    return row


async def create_webhook(session: AsyncSession, fields: Mapping[str, Any], now: datetime, actor: str) -> Doc:
    row = WebhookRow(**fields, created_at=now, created_by=actor)
    session.add(row)
    await session.flush()
    after = webhook_doc(row)
    record(session, actor, "create", (WEBHOOK_ENTITY, str(row.id)), None, after)
    return after


async def delete_webhook(session: AsyncSession, webhook_id: int, actor: str) -> Doc:
    row = await webhook_row(session, webhook_id)
    before = webhook_doc(row)
    await session.execute(delete(WebhookRow).where(WebhookRow.id == webhook_id))
    record(session, actor, "delete", (WEBHOOK_ENTITY, str(webhook_id)), before, None)
    return before


async def record_test(session: AsyncSession, webhook_id: int, actor: str) -> int:
    """Record a test event for one webhook (only it is sent it); its id."""
    doc = webhook_doc(await webhook_row(session, webhook_id))
    row = record(session, actor, TEST_ACTION, (WEBHOOK_ENTITY, str(webhook_id)), doc, doc)
    await session.flush()
    return row.id


async def work_waiting(session: AsyncSession, now: datetime) -> bool:
    """Whether an event waits in the outbox or a delivery is due: a read, so that an idle
    deliverer's polls write nothing (on SQLite, every write transaction is an fsync)."""
    outbox = select(AuditRow.id).where(AuditRow.outbox).limit(1)
    due = select(WebhookDeliveryRow.id).where(WebhookDeliveryRow.state == PENDING, WebhookDeliveryRow.next_at <= now)
    return (await session.scalar(outbox)) is not None or (await session.scalar(due.limit(1))) is not None


async def fan_out(session: AsyncSession, now: datetime, wants: Wants, *, postgres: bool, limit: int = 500) -> int:
    """Make the deliveries of up to `limit` outbox events (the oldest first); how many events."""
    events = list(
        await session.scalars(
            select(AuditRow).where(AuditRow.outbox).order_by(AuditRow.id).limit(limit).with_for_update(skip_locked=True)
        )
    )
    if not events:
        return 0
    webhooks = list(await session.execute(select(WebhookRow.id, WebhookRow.events)))
    rows = [
        {"webhook_id": webhook_id, "event_id": event.id, "state": PENDING, "attempts": 0, "created_at": now,
         "next_at": now}
        for event in events
        for webhook_id, filters in webhooks
        if wants(filters, webhook_id, audit_doc(event))
    ]  # fmt: skip
    if rows:
        insert = postgresql.insert if postgres else sqlite.insert
        await session.execute(insert(WebhookDeliveryRow).values(rows).on_conflict_do_nothing())
    await session.execute(update(AuditRow).where(AuditRow.id.in_([e.id for e in events])).values(outbox=False))
    return len(events)


async def claim(session: AsyncSession, now: datetime, lease: timedelta, limit: int) -> list[Claim]:
    """Take up to `limit` due deliveries for one attempt each: their attempt counted and their
    `next_at` moved `lease` ahead, so that no other replica takes them unless this one dies."""
    deliveries = list(
        await session.scalars(
            select(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.state == PENDING, WebhookDeliveryRow.next_at <= now)
            .order_by(WebhookDeliveryRow.next_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not deliveries:
        return []
    hooks = {row.id: row for row in await session.scalars(select(WebhookRow).where(WebhookRow.id.in_(
        {d.webhook_id for d in deliveries})))}  # fmt: skip
    events = {
        row.id: audit_doc(row)
        for row in await session.scalars(select(AuditRow).where(AuditRow.id.in_({d.event_id for d in deliveries})))
    }
    claims = []
    for delivery in deliveries:
        delivery.attempts += 1
        delivery.next_at = now + lease
        hook = hooks[delivery.webhook_id]
        claims.append(
            Claim(delivery.id, delivery.attempts, delivery.created_at, hook.id, hook.url, hook.secret, hook.format,
                  events[delivery.event_id])
        )  # fmt: skip
    return claims


async def finish(session: AsyncSession, attempted: Attempted) -> None:
    """Log one attempt and settle its delivery: delivered on a 2xx, else due again at `retry`, else
    (None) given up. A replica whose lease ran out (another took the delivery since) only logs."""
    done, now, retry = attempted.claim, attempted.at, attempted.retry
    status, error = attempted.result
    delivered = status is not None and 200 <= status < 300
    outcome = DELIVERED if delivered else ("retry" if retry is not None else FAILED)
    state = {DELIVERED: DELIVERED, FAILED: FAILED}.get(outcome, PENDING)
    await session.execute(
        update(WebhookDeliveryRow)
        .where(WebhookDeliveryRow.id == done.delivery_id, WebhookDeliveryRow.attempts == done.attempt)
        .values(state=state, next_at=retry if retry is not None else now)
    )
    session.add(
        WebhookAttemptRow(
            webhook_id=done.webhook_id,
            event_id=done.event["id"],
            attempt=done.attempt,
            at=now,
            outcome=outcome,
            status=status,
            error=error,
            next_at=None if delivered else retry,
        )
    )


async def attempts(session: AsyncSession, webhook_id: int, limit: int) -> list[Doc]:
    """The delivery log of a webhook, newest first."""
    await webhook_row(session, webhook_id)
    rows = await session.scalars(
        select(WebhookAttemptRow)
        .where(WebhookAttemptRow.webhook_id == webhook_id)
        .order_by(WebhookAttemptRow.id.desc())
        .limit(limit)
    )
    return [attempt_doc(row) for row in rows]
