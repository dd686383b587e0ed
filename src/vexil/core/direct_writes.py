"""The writes that no change request can hold, with protected environments enforced
(`core/protection.py`, docs/change-requests.md): creating, deleting, archiving and restoring a flag,
changing a segment's conditions, importing an Unleash export (new flags and segments), the
seed-compatible writes (whose clients cannot read a 202), and pausing, resuming or cancelling a release
plan whose pending steps touch a protected environment (a plan is an admin's there, from its making on).

Each applies directly, through the `FlagService`, for whoever may bypass protection, or where it
touches no protected environment; anyone else is refused with `Forbidden` (403) naming the protected
environments, and nothing changes.
"""

from __future__ import annotations

import copy
from typing import Any

from vexil.core.auth import Principal
from vexil.core.edits import apply_edit
from vexil.core.protection import (
    arrival_touches,
    may_bypass,
    needs_request,
    protected,
    refuse_unless_direct,
    segment_touches,
    touched,
)
from vexil.core.service import FlagService, flag_from_input
from vexil.core.validation import InvalidInput
from vexil.store.errors import NotFound

__all__ = [
    "add_documents",
    "create_flag",
    "delete_flag",
    "edit_directly",
    "move_plan",
    "set_archived",
    "update_segment",
]

Doc = dict[str, Any]

SEED_ROUTE = (
    "this seed-compatible route cannot answer with a change request; Vexil's own PATCH /flags/{name}, "
    "POST /flags/{name}/toggle or POST /flags/{name}/environments makes one"
)


async def _guarded(service: FlagService) -> dict[str, int]:
    """The protected environments now, with their required approvals."""
    return protected(await service.store.list_environments())


async def create_flag(service: FlagService, fields: Doc, *, principal: Principal, reverts: int | None = None) -> Doc:
    """`FlagService.create_flag`, refused where the new flag is on in a protected environment."""
    if not may_bypass(principal):
        touches = arrival_touches(None, flag_from_input(dict(fields)), await _guarded(service))
        refuse_unless_direct(touches, principal, doing=f"creating flag {fields['name']!r} switched on")
    return await service.create_flag(fields, actor=principal.name, reverts=reverts)


async def add_documents(service: FlagService, flags: list[Doc], segments: list[Doc], *, principal: Principal) -> Doc:
    """`FlagService.add_documents` (new flags and segments, as an Unleash import makes them), refused
    where one of the new flags is on in a protected environment."""
    if not may_bypass(principal):
        guarded = await _guarded(service)
        on = sorted(doc["name"] for doc in flags if arrival_touches(None, doc, guarded))
        touches = set().union(*(arrival_touches(None, doc, guarded) for doc in flags))
        s = "s" if len(on) > 1 else ""
        refuse_unless_direct(touches, principal, doing=f"importing flag{s} {', '.join(on)} switched on")
    return await service.add_documents(flags, segments, actor=principal.name)


async def delete_flag(
    service: FlagService,
    name: str,
    *,
    principal: Principal,
    expected_version: int | None = None,
    reverts: int | None = None,
) -> Doc:
    """`FlagService.delete_flag`, refused wherever an environment is protected (the flag leaves them all)."""
    if not may_bypass(principal):
        await service.store.get_flag(name)  # 404 before 403: there is nothing to delete
        refuse_unless_direct(await _guarded(service), principal, doing=f"deleting flag {name!r}")
    return await service.delete_flag(name, actor=principal.name, expected_version=expected_version, reverts=reverts)


async def set_archived(service: FlagService, name: str, archived: bool, *, principal: Principal) -> Doc:
    """`FlagService.set_archived`, refused where the flag leaves (archived: every environment) or
    arrives (restored: where it is on) in a protected environment."""
    guarded = await _guarded(service)

    def guard(before: Doc, after: Doc) -> None:
        doing = f"{'archiving' if archived else 'restoring'} flag {name!r}"
        refuse_unless_direct(arrival_touches(before, after, guarded), principal, doing=doing)

    return await service.set_archived(name, archived, actor=principal.name, guard=guard)


async def edit_directly(service: FlagService, edit: Doc, *, principal: Principal) -> Doc:
    """Apply one edit (`core/edits.py`) now, or refuse it where it would need a change request: for
    the seed-compatible writes, whose clients read the flag in the answer and cannot read a 202."""
    environments = await service.store.list_environments()

    def guard(before: Doc, after: Doc) -> None:
        needed = needs_request(before, after, environments, principal)
        refuse_unless_direct(needed, principal, doing=f"this write to flag {edit['flag']!r}", why=SEED_ROUTE)

    return await service.edit(edit, actor=principal.name, guard=guard)


async def update_segment(
    service: FlagService,
    name: str,
    fields: Doc,
    *,
    principal: Principal,
    expected_version: int | None,
    reverts: int | None = None,
) -> Doc:
    """`FlagService.update_segment`, refused when it changes the conditions of a segment that a flag
    evaluates in a protected environment."""
    if not may_bypass(principal) and "conditions" in fields:
        current = await service.store.get_segment(name)
        if fields["conditions"] != current["conditions"]:
            segments = {segment["name"]: segment["conditions"] for segment in service.segments}
            users = segment_touches(name, await service.store.list_flags(), segments, await _guarded(service))
            flags = sorted(set().union(*users.values()))
            s = "s" if len(flags) > 1 else ""
            doing = f"changing the conditions of segment {name!r} (used by flag{s} {', '.join(flags)})"
            refuse_unless_direct(users, principal, doing=doing)
    return await service.update_segment(
        name, fields, actor=principal.name, expected_version=expected_version, reverts=reverts
    )


PLAN_STATES = {"paused": "pausing", "active": "resuming", "cancelled": "cancelling"}


async def move_plan(service: FlagService, plan_id: int, state: str, *, principal: Principal) -> Doc:
    """Pause, resume or cancel a release plan (`state`: paused, active, cancelled), refused where its
    pending steps touch a protected environment: making such a plan is an admin's
    (`FlagService.create_plan`), and so is steering it, since resuming lets its steps apply there."""
    if not may_bypass(principal):
        plan = await service.store.get_plan(plan_id)  # 404 before 403
        touches = await _plan_touches(service, plan)
        refuse_unless_direct(touches, principal, doing=f"{PLAN_STATES[state]} release plan {plan_id}")
    return await service.store.move_plan(plan_id, state, actor=principal.name, now=service.clock())


async def _plan_touches(service: FlagService, plan: Doc) -> set[str]:
    """The protected environments whose evaluation of the plan's flag its pending steps change,
    against the flag as it is now; when they no longer apply to it (the flag was deleted or changed
    since), every protected environment the plan may reach: its own, or all for a flag-wide plan."""
    guarded = await _guarded(service)
    pending = [edit for step in plan["steps"] if step["state"] == "pending" for edit in step["changes"]]
    if not pending or not guarded:
        return set()
    try:
        before = await service.store.get_flag(plan["flag"])
        after = copy.deepcopy(before)
        for edit in pending:
            after = apply_edit(edit, after)
    except (InvalidInput, NotFound, KeyError, TypeError):
        environment = plan.get("environment")
        return set(guarded) if environment is None else {environment} & set(guarded)
    return touched(before, after, guarded)
