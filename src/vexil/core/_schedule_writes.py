"""Scheduled changes and release plans, the part of `FlagService` that docs/schedules.md describes
(as data, pure: `core/schedules.py`; the background executor: `core/scheduler.py`)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime

from vexil.core._request_writes import ChangeRequestWrites
from vexil.core._service_base import Committed, Doc, log
from vexil.core.auth import Forbidden, Principal
from vexil.core.change_requests import edits_by_flag
from vexil.core.edits import action_of, resolved
from vexil.core.protection import needs_request
from vexil.core.schedules import VEXIL, check_future, plan_steps, schedule_title
from vexil.core.validation import InvalidInput
from vexil.store import check_known
from vexil.store.errors import Conflict, InvalidValue, NotFound


class ScheduleWrites(ChangeRequestWrites):
    """Scheduled changes and release plans: made (checked now, not when due), and applied when due."""

    async def _scheduled(self, changes: list[Doc], principal: Principal) -> tuple[list[Doc], set[str]]:
        """`changes` as a schedule keeps them (toggles as what they mean now, no versions: a scheduled
        change applies to the flag as it is when due), each checked against the flags as they are
        (400, 404 or 409 now rather than when due); and the protected environments they touch
        that `principal` may not change directly."""
        environments = await self.store.list_environments()
        kept: list[Doc] = []
        needed: set[str] = set()
        for name, edits in edits_by_flag(changes).items():
            current = await self.store.get_flag(name)
            doc = copy.deepcopy(current)
            for edit in edits:
                kept.append({key: value for key, value in resolved(edit, doc).items() if key != "version"})
                doc = self._after(doc, [kept[-1]])
            # An environment named by mistake is refused now, not when the change is due.
            check_known(set(doc["environments"]) - set(current["environments"]), [env["name"] for env in environments])
            needed |= needs_request(current, doc, environments, principal)
        return kept, needed

    async def create_schedule(
        self, at: datetime, changes: list[Doc], *, title: str | None, principal: Principal
    ) -> Doc:
        """Schedule `changes` (edits) for `at` (later than now). When they touch a protected
        environment that `principal` may not change directly, a change request holds them, and the
        schedule applies it once it is approved and due."""
        check_future(at, self.clock())
        kept, needed = await self._scheduled(changes, principal)
        title = title or schedule_title(kept)
        fields: Doc = {"title": title, "at": at, "changes": kept}
        if needed:
            held = await self.create_change_request(
                f"{title} (scheduled for {at.isoformat()})", kept, actor=principal.name
            )
            fields["change_request_id"] = held["id"]
        return await self.store.create_schedule(fields, actor=principal.name)

    async def create_plan(
        self, flag: str, environment: str | None, steps: list[Doc], *, title: str | None, principal: Principal
    ) -> Doc:
        """A release plan of `flag` (`core/schedules.py`), every step checked in turn against the flag
        as the steps before it leave it. A plan is not a change request: one whose steps touch a
        protected environment needs someone who may change it directly (403 otherwise)."""
        planned = plan_steps(steps, flag=flag, environment=environment, now=self.clock())
        kept, needed = await self._scheduled([step["changes"][0] for step in planned], principal)
        if needed:
            raise Forbidden(
                f"this plan changes protected environment {', '.join(sorted(needed))}: an admin must make it "
                "(or schedule each step as a change, which makes a change request)"
            )
        for step, edit in zip(planned, kept, strict=True):
            step["changes"] = [edit]
        where = f" in {environment}" if environment else ""
        fields = {"title": title or f"Release of {flag}{where}", "flag": flag, "environment": environment}
        return await self.store.create_plan(fields, planned, actor=principal.name)

    async def apply_due(self, now: datetime) -> Doc | None:
        """Claim and apply the next item due at `now` (`SqlStore.apply_due`), audited as `vexil`; one
        that cannot apply any more is marked failed (its plan paused) with the reason. The item as
        finished, or None when nothing is due here."""
        claimed: Doc = {}

        def decide(item: Doc) -> dict[str, tuple[str, Callable[[Doc], Doc]]]:
            claimed.update(item)
            return {
                name: (action_of(edits[0]) if len(edits) == 1 else "update", self._applying(edits))
                for name, edits in edits_by_flag(item["changes"]).items()
            }

        async with self._lock:
            try:
                result = await self.store.apply_due(now, decide, actor=VEXIL)
            except (InvalidInput, NotFound, Conflict, InvalidValue) as exc:
                if not claimed:
                    raise
                return await self.store.fail_due(claimed["id"], str(exc), actor=VEXIL, now=now) or claimed
            if result is None:
                return None
            item, written = result
            for name, doc in written.items():
                self.apply_flag(name, doc)
            self._committed(Committed(flags=written))
        return item

    async def apply_held(self, now: datetime) -> list[Doc]:
        """Apply the due change requests that schedules hold, once approved (exactly once: applying
        marks the request applied); a schedule whose request was applied or rejected is finished."""
        finished: list[Doc] = []
        for item in await self.store.held_due(now):
            request = await self.store.get_change_request(item["change_request"])
            if request["state"] == "approved":
                try:
                    await self.apply_change_request(request["id"], actor=VEXIL)
                except (Conflict, InvalidInput, NotFound) as exc:
                    log.warning("schedule %s: change request %s not applied: %s", item["id"], request["id"], exc)
                    continue
                request["state"] = "applied"
            if request["state"] in ("applied", "rejected"):
                error = None if request["state"] == "applied" else f"change request {request['id']} was rejected"
                state = "applied" if error is None else "failed"
                done = await self.store.finish_held(item["id"], state, actor=VEXIL, now=now, error=error)
                if done is not None:
                    finished.append(done)
        return finished
