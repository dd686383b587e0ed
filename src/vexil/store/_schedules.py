"""Scheduled changes and release plans in the database (docs/schedules.md): rows to documents and
back, in the caller's transaction, and the query by which a replica claims the next due item.

Exactly once across replicas: the executor selects the next due item `FOR UPDATE SKIP LOCKED` (on
PostgreSQL; SQLite has one writer at a time) in the transaction that applies its edits and marks it
done, so a second replica either skips the locked row or, once it is committed, no longer finds it
pending. A plan's step is due only when no earlier step of its plan is still pending (a locked one
included), so steps apply in order even when several are overdue at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from vexil.store._docs import Doc, format_time
from vexil.store._queries import record
from vexil.store.errors import NotFound
from vexil.store.tables import ReleasePlanRow, ScheduleRow

SCHEDULE = "schedule"
PLAN = "release_plan"
PENDING = "pending"


def _time(value: datetime | None) -> str | None:
    return None if value is None else format_time(value)


def schedule_doc(row: ScheduleRow) -> Doc:
    """A scheduled change or plan step as the API shows it (`step` counts from 1)."""
    return {
        "id": row.id,
        "title": row.title,
        "state": row.state,
        "at": format_time(row.at),
        "changes": list(row.changes),
        "created_by": row.created_by,
        "created_at": format_time(row.created_at),
        "plan": row.plan_id,
        "step": None if row.position is None else row.position + 1,
        "change_request": row.change_request_id,
        "done_at": _time(row.done_at),
        "late_seconds": row.late_seconds,
        "error": row.error,
    }


def plan_doc(row: ReleasePlanRow, steps: Iterable[ScheduleRow]) -> Doc:
    return {
        "id": row.id,
        "title": row.title,
        "flag": row.flag,
        "environment": row.environment,
        "state": row.state,
        "created_by": row.created_by,
        "created_at": format_time(row.created_at),
        "updated_at": format_time(row.updated_at),
        "note": row.note,
        "steps": [schedule_doc(step) for step in sorted(steps, key=lambda step: step.position or 0)],
    }


def _summary(doc: Doc) -> Doc:
    """What the audit log keeps of a schedule's or plan's event."""
    return {key: doc[key] for key in ("title", "state") if key in doc} | {
        key: doc[key] for key in ("at", "flag", "environment") if key in doc
    }


def _schedule_row(fields: Mapping[str, Any], *, actor: str, at: datetime) -> ScheduleRow:
    return ScheduleRow(
        title=fields["title"],
        state=PENDING,
        at=fields["at"],
        changes=list(fields["changes"]),
        created_by=actor,
        created_at=at,
        plan_id=fields.get("plan_id"),
        position=fields.get("position"),
        change_request_id=fields.get("change_request_id"),
    )


async def insert_schedule(session: AsyncSession, fields: Mapping[str, Any], *, actor: str, at: datetime) -> Doc:
    """Add a scheduled change (`title`, `at`, `changes`, `change_request_id`?), audited as created."""
    row = _schedule_row(fields, actor=actor, at=at)
    session.add(row)
    await session.flush()
    doc = schedule_doc(row)
    record(session, actor, "create", (SCHEDULE, str(row.id)), None, _summary(doc))
    return doc


async def insert_plan(
    session: AsyncSession, fields: Mapping[str, Any], steps: Sequence[Mapping[str, Any]], *, actor: str, at: datetime
) -> Doc:
    """Add a release plan (`title`, `flag`, `environment`) and its steps (`title`, `at`, `changes`)."""
    plan = ReleasePlanRow(
        title=fields["title"],
        flag=fields["flag"],
        environment=fields.get("environment"),
        state="active",
        created_by=actor,
        created_at=at,
        updated_at=at,
    )
    session.add(plan)
    await session.flush()
    rows = [
        _schedule_row({**step, "plan_id": plan.id, "position": i}, actor=actor, at=at) for i, step in enumerate(steps)
    ]
    session.add_all(rows)
    await session.flush()
    doc = plan_doc(plan, rows)
    record(session, actor, "create", (PLAN, str(plan.id)), None, _summary(doc))
    return doc


Row = TypeVar("Row", ScheduleRow, ReleasePlanRow)


async def _by_id(session: AsyncSession, table: type[Row], row_id: int, what: str, *, lock: bool) -> Row:
    query = select(table).where(table.id == row_id)
    row = (await session.scalars(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound(f"{what} {row_id} not found")
    return row


async def schedule_row(session: AsyncSession, schedule_id: int, *, lock: bool = False) -> ScheduleRow:
    return await _by_id(session, ScheduleRow, schedule_id, "schedule", lock=lock)


async def plan_row(session: AsyncSession, plan_id: int, *, lock: bool = False) -> ReleasePlanRow:
    return await _by_id(session, ReleasePlanRow, plan_id, "release plan", lock=lock)


async def plan_steps(session: AsyncSession, plan_ids: list[int]) -> dict[int, list[ScheduleRow]]:
    steps: dict[int, list[ScheduleRow]] = {plan_id: [] for plan_id in plan_ids}
    if plan_ids:
        for step in await session.scalars(select(ScheduleRow).where(ScheduleRow.plan_id.in_(plan_ids))):
            steps[step.plan_id or 0].append(step)
    return steps


async def load_plan(session: AsyncSession, row: ReleasePlanRow) -> Doc:
    return plan_doc(row, (await plan_steps(session, [row.id]))[row.id])


def due(now: datetime, *, held: bool, skip_locked: bool) -> Select[ScheduleRow]:
    """The next pending item due at `now` (earliest first) whose plan, if any, is active and has no
    earlier step pending; `held`: those held by a change request (else those that are not)."""
    earlier = aliased(ScheduleRow)
    active = select(ReleasePlanRow.id).where(ReleasePlanRow.state == "active")
    query = (
        select(ScheduleRow)
        .where(
            ScheduleRow.state == PENDING,
            ScheduleRow.at <= now,
            ScheduleRow.change_request_id.is_not(None) if held else ScheduleRow.change_request_id.is_(None),
            or_(ScheduleRow.plan_id.is_(None), ScheduleRow.plan_id.in_(active)),
            ~exists().where(
                and_(
                    earlier.plan_id == ScheduleRow.plan_id,
                    earlier.position < ScheduleRow.position,
                    earlier.state == PENDING,
                )
            ),
        )
        .order_by(ScheduleRow.at, ScheduleRow.id)
        .limit(1)
    )
    return query.with_for_update(skip_locked=True, of=ScheduleRow) if skip_locked else query


def late_seconds(row: ScheduleRow, now: datetime) -> int:
    """How many whole seconds after its time an item is applied at `now`."""
    return max(0, int((now - row.at).total_seconds()))


def finish(
    session: AsyncSession, row: ScheduleRow, state: str, *, now: datetime, actor: str, error: str | None = None
) -> Doc:
    """Mark the locked `row` done (`applied`, `failed`, `cancelled`) at `now`, audited by `actor`."""
    before = schedule_doc(row)
    row.state = state
    row.done_at = now
    row.error = error
    if state != "cancelled":
        row.late_seconds = late_seconds(row, now)
    after = schedule_doc(row)
    action = {"applied": "apply", "failed": "fail", "cancelled": "cancel"}[state]
    record(session, actor, action, (SCHEDULE, str(row.id)), _summary(before), _summary(after) | {"error": error})
    return after


def set_plan_state(
    session: AsyncSession, row: ReleasePlanRow, state: str, *, now: datetime, actor: str, note: str | None = None
) -> None:
    """Move the locked plan `row` to `state` (active, paused, done, cancelled), audited."""
    action = {"active": "resume", "paused": "pause", "done": "finish", "cancelled": "cancel"}[state]
    before = {"state": row.state}
    row.state, row.updated_at, row.note = state, now, note
    record(session, actor, action, (PLAN, str(row.id)), before, {"state": state, "note": note})
