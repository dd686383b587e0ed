"""Scheduled changes and release plans in the database (`_schedules.py` holds the queries): kept,
listed, cancelled, paused and resumed; and the executor's side: the next due item claimed and
applied in one transaction, its flag writes through `_replace_flag`, or marked failed. The part of
`SqlStore` that docs/schedules.md describes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vexil.store._docs import Doc, utcnow
from vexil.store._engine import db_errors
from vexil.store._flag_writer import By, FlagWriter, Mutate
from vexil.store._schedules import (
    PENDING,
    due,
    finish,
    insert_plan,
    insert_schedule,
    load_plan,
    plan_doc,
    plan_row,
    plan_steps,
    schedule_doc,
    schedule_row,
    set_plan_state,
)
from vexil.store._values import check_document
from vexil.store.errors import Conflict
from vexil.store.tables import ReleasePlanRow, ScheduleRow


class ScheduleStore(FlagWriter):
    # --- scheduled changes and release plans (`_schedules.py`, docs/schedules.md) ----------------

    async def create_schedule(self, fields: Mapping[str, Any], *, actor: str) -> Doc:
        """Keep a scheduled change (`title`, `at`, `changes`, `change_request_id`?); its document."""
        check_document(fields)
        async with self._write() as session, db_errors():
            doc = await insert_schedule(session, fields, actor=actor, at=utcnow())
            await session.commit()
        return doc

    async def list_schedules(self) -> list[Doc]:
        """Every scheduled change that is not a plan's step, soonest first."""
        query = select(ScheduleRow).where(ScheduleRow.plan_id.is_(None)).order_by(ScheduleRow.at, ScheduleRow.id)
        async with self._read() as session:
            return [schedule_doc(row) for row in await session.scalars(query)]

    async def get_schedule(self, schedule_id: int) -> Doc:
        async with self._read() as session:
            return schedule_doc(await schedule_row(session, schedule_id))

    async def cancel_schedule(self, schedule_id: int, *, actor: str, now: datetime) -> Doc:
        """Cancel a pending scheduled change (409 once applied, failed or cancelled, or for a plan's step)."""
        async with self._write() as session, db_errors():
            row = await schedule_row(session, schedule_id, lock=True)
            if row.plan_id is not None:
                step = (row.position or 0) + 1
                raise Conflict(
                    f"schedule {schedule_id} is step {step} of release plan {row.plan_id}: pause or cancel the plan"
                )
            if row.state != PENDING:
                raise Conflict(f"schedule {schedule_id} is {row.state}: only a pending one can be cancelled")
            after = finish(session, row, "cancelled", now=now, actor=actor)
            await session.commit()
        return after

    async def create_plan(self, fields: Mapping[str, Any], steps: Sequence[Mapping[str, Any]], *, actor: str) -> Doc:
        """Keep a release plan and its steps; its document."""
        check_document({**fields, "steps": steps})
        async with self._write() as session, db_errors():
            doc = await insert_plan(session, fields, steps, actor=actor, at=utcnow())
            await session.commit()
        return doc

    async def list_plans(self) -> list[Doc]:
        """Every release plan with its steps, newest first."""
        async with self._read() as session:
            rows = list(await session.scalars(select(ReleasePlanRow).order_by(ReleasePlanRow.id.desc())))
            steps = await plan_steps(session, [row.id for row in rows])
            return [plan_doc(row, steps[row.id]) for row in rows]

    async def get_plan(self, plan_id: int) -> Doc:
        async with self._read() as session:
            return await load_plan(session, await plan_row(session, plan_id))

    async def move_plan(self, plan_id: int, state: str, *, actor: str, now: datetime) -> Doc:
        """Pause (from active), resume (from paused) or cancel (from either, its pending steps too).

        Rows are locked in the executor's order, steps before their plan, so that the two never wait
        for each other; a step being applied right now is left to finish (`SKIP LOCKED`)."""
        allowed = {"paused": ("active",), "active": ("paused",), "cancelled": ("active", "paused")}[state]
        async with self._write() as session, db_errors():
            await plan_row(session, plan_id)  # 404 before anything else
            if state == "cancelled":
                pending = select(ScheduleRow).where(ScheduleRow.plan_id == plan_id, ScheduleRow.state == PENDING)
                for step in await session.scalars(pending.with_for_update(skip_locked=True)):
                    finish(session, step, "cancelled", now=now, actor=actor)
            row = await plan_row(session, plan_id, lock=True)
            if row.state not in allowed:
                raise Conflict(f"release plan {plan_id} is {row.state}: it cannot be {state}")
            set_plan_state(session, row, state, now=now, actor=actor)
            await session.flush()
            doc = await load_plan(session, row)
            await session.commit()
        return doc

    async def apply_due(
        self, now: datetime, decide: Callable[[Doc], Mapping[str, tuple[str, Mutate]]], *, actor: str
    ) -> tuple[Doc, dict[str, Doc]] | None:
        """Claim the next item due at `now` (not held by a change request) and apply it in the same
        transaction: `decide(item)` gives each flag's audit action and mutation (or raises, and
        nothing is kept); each flag's write is audited as `actor`, with `via` naming the schedule or
        plan step and how late it is. None when nothing is due (or every due item is claimed)."""
        async with self._write() as session:
            async with db_errors():
                row = (await session.scalars(due(now, held=False, skip_locked=self._postgres))).first()
                if row is None:
                    return None
                item = schedule_doc(row)
            mutations = decide(item)
            after = finish(session, row, "applied", now=now, actor=actor)
            via = {key: after[key] for key in ("title", "at", "late_seconds")} | {
                "schedule": row.id,
                "scheduled_by": row.created_by,
            }
            if row.plan_id is not None:
                via |= {"release_plan": row.plan_id, "step": after["step"]}
            written: dict[str, Doc] = {}
            for name, (action, mutate) in mutations.items():
                written[name] = await self._replace_flag(
                    session, name, mutate, by=By(actor, action, via), expected_version=None
                )
            async with db_errors():
                await self._close_plan(session, row, now=now, actor=actor)
                await session.commit()
        return after, written

    async def _close_plan(self, session: AsyncSession, row: ScheduleRow, *, now: datetime, actor: str) -> None:
        """Mark the active plan of a finished step done once none of its steps is pending (a plan
        cancelled or paused meanwhile stays so)."""
        if row.plan_id is None:
            return
        await session.flush()
        left = select(ScheduleRow.id).where(ScheduleRow.plan_id == row.plan_id, ScheduleRow.state == PENDING)
        if (await session.scalars(left)).first() is None:
            plan = await plan_row(session, row.plan_id, lock=True)
            if plan.state == "active":
                set_plan_state(session, plan, "done", now=now, actor=actor)

    async def fail_due(self, schedule_id: int, error: str, *, actor: str, now: datetime) -> Doc | None:
        """Mark a due item that could not apply failed (if still pending and not claimed), pausing its
        plan with the reason; its document, or None if another replica has it."""
        async with self._write() as session, db_errors():
            query = select(ScheduleRow).where(ScheduleRow.id == schedule_id, ScheduleRow.state == PENDING)
            row = (await session.scalars(query.with_for_update(skip_locked=True))).first()
            if row is None:
                return None
            after = finish(session, row, "failed", now=now, actor=actor, error=error)
            if row.plan_id is not None:
                plan = await plan_row(session, row.plan_id, lock=True)
                set_plan_state(session, plan, "paused", now=now, actor=actor, note=f"step {after['step']}: {error}")
            await session.commit()
        return after

    async def held_due(self, now: datetime) -> list[Doc]:
        """The pending items held by a change request that are due at `now`."""
        async with self._read() as session:
            query = select(ScheduleRow).where(
                ScheduleRow.state == PENDING, ScheduleRow.at <= now, ScheduleRow.change_request_id.is_not(None)
            )
            return [schedule_doc(row) for row in await session.scalars(query.order_by(ScheduleRow.at))]

    async def finish_held(
        self, schedule_id: int, state: str, *, actor: str, now: datetime, error: str | None = None
    ) -> Doc | None:
        """Mark an item held by a change request done (once its request is applied or rejected)."""
        async with self._write() as session, db_errors():
            query = select(ScheduleRow).where(ScheduleRow.id == schedule_id, ScheduleRow.state == PENDING)
            row = (await session.scalars(query.with_for_update(skip_locked=True))).first()
            if row is None:
                return None
            after = finish(session, row, state, now=now, actor=actor, error=error)
            await session.commit()
        return after
