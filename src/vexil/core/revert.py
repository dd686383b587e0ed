"""Revert: put a flag or a segment back as it was before one audit event, in one action.

The event's `before` is the state to restore: an update's is put back in place of the current
document, a deletion's is created again, and a creation (`before` null) is undone by deleting what
it created. The write goes through the service like any other, so every check applies (a
prerequisite or segment that no longer exists, a flag others require, a segment in use), and it is
audited as `revert`, with `reverts` naming the event (docs/audit.md).

Version check: by default the entity must still be as the event left it (the version of its
`after`, or absent after a deletion); otherwise later changes would be undone silently too, and the
revert is refused with 409, saying so. `force` restores the `before` whatever happened since.
Either way the write itself is conditional on the version just read, so a change made meanwhile
(another person, another replica) is never overwritten blindly.

In a protected environment a revert is a write like any other: by someone who may not change that
environment directly, putting a flag back becomes a change request (docs/change-requests.md); one
that deletes, re-creates, archives or restores a flag, or changes a segment's conditions, is
refused as that write is (`core/direct_writes.py`).
"""

from __future__ import annotations

from typing import Any

from vexil.core import direct_writes as direct
from vexil.core.auth import Principal
from vexil.core.edits import apply_edit
from vexil.core.protection import arrival_touches, may_bypass, needs_request, protected, refuse_unless_direct
from vexil.core.service import FlagService
from vexil.store import By
from vexil.store.errors import Conflict, NotFound

__all__ = ["RevertRequested", "revert"]

Doc = dict[str, Any]

# The fields of a stored document that Vexil sets, never put back by a revert.
STAMPS = ("name", "created_at", "updated_at", "version")
# The audit entities whose events a revert can put back.
REVERTIBLE = ("flag", "segment")


async def revert(service: FlagService, event_id: int, *, principal: Principal, force: bool = False) -> Doc:
    """Put back the state before audit event `event_id`; answers what changed, shaped like the
    audit event it makes (`NotFound` for an unknown event, `Conflict` for one that cannot be).

    Where putting a flag back would change what a protected environment evaluates and `principal`
    may not change it directly (`core/protection.py`), nothing changes: `RevertRequested` carries
    the change request made instead, which holds the flag's earlier fields as one patch."""
    actor = principal.name
    event = await service.store.get_audit(event_id)
    entity, name = event["entity"], event["entity_id"]
    before, after = event["before"], event["after"]
    if entity not in REVERTIBLE:
        hint = " (an import is undone with POST /import/restore)" if entity == "import" else ""
        raise Conflict(
            f"audit event {event_id} is a change of {_a(entity)} {entity}, which has no state to put back: "
            f"only changes of flags and segments can be reverted{hint}"
        )
    current = await _current(service, entity, name)
    if not force:
        _check_unchanged(event_id, entity, name, current, after)
    if before is None:
        if current is None:
            raise Conflict(f"{entity} {name!r} does not exist any more: there is nothing to revert")
        result = None
        if entity == "flag":
            await direct.delete_flag(
                service, name, principal=principal, expected_version=current["version"], reverts=event_id
            )
        else:
            await service.delete_segment(name, actor=actor, expected_version=current["version"], reverts=event_id)
    else:
        fields = {key: value for key, value in before.items() if key not in STAMPS}
        if entity == "flag" and current is not None:
            await _request_if_protected(service, event_id, fields, current, principal)
        result = await _restore(service, (entity, name), fields, current, event_id, principal)
    return {
        "reverts": event_id,
        "action": "revert",
        "entity": entity,
        "entity_id": name,
        "before": current,
        "after": result,
    }


async def _restore(
    service: FlagService, target: tuple[str, str], fields: Doc, current: Doc | None, event_id: int, by: Principal
) -> Doc:
    """`fields` put back as the document of `target` (entity, name): created again, or in place of `current`."""
    entity, name = target
    actor = by.name
    if entity == "flag":
        if current is None:
            return await direct.create_flag(service, {**fields, "name": name}, principal=by, reverts=event_id)

        def put_back(doc: Doc) -> Doc:
            if fields.get("archived") and not doc["archived"]:
                service.refuse_if_required(name)  # as archiving does: its dependents would fail closed
            return dict(fields)

        return await service.update_flag(
            name, put_back, by=By(actor, "update", reverts=event_id), expected_version=current["version"]
        )
    segment = {"description": fields.get("description") or "", "conditions": fields.get("conditions") or []}
    if current is None:
        return await service.create_segment({**segment, "name": name}, actor=actor, reverts=event_id)
    return await direct.update_segment(
        service, name, segment, principal=by, expected_version=current["version"], reverts=event_id
    )


class RevertRequested(Exception):
    """A revert that became a change request (`request`), as a write in a protected environment does."""

    def __init__(self, request: Doc) -> None:
        super().__init__(f"change request {request['id']}")
        self.request = request


async def _request_if_protected(
    service: FlagService, event_id: int, fields: Doc, current: Doc, principal: Principal
) -> None:
    """Raise `RevertRequested` with a new change request when putting `fields` back in place of
    `current` touches a protected environment that `principal` may not change directly."""
    if may_bypass(principal):
        return
    proposed = apply_edit({"kind": "patch", "flag": current["name"], "fields": fields}, dict(current))
    environments = await service.store.list_environments()
    if bool(proposed.get("archived")) != bool(current.get("archived")):
        # Archiving or restoring, which no change request holds (core/direct_writes.py).
        doing = f"{'archiving' if proposed.get('archived') else 'restoring'} flag {current['name']!r} by a revert"
        refuse_unless_direct(arrival_touches(current, proposed, protected(environments)), principal, doing=doing)
        return
    touched = needs_request(current, proposed, environments, principal)
    if touched:
        change = {"kind": "patch", "flag": current["name"], "fields": fields, "version": current["version"]}
        title = f"Revert audit event {event_id} of {current['name']} in {', '.join(sorted(touched))}"
        raise RevertRequested(await service.create_change_request(title, [change], actor=principal.name))


def _check_unchanged(event_id: int, entity: str, name: str, current: Doc | None, after: Doc | None) -> None:
    """409 unless `name` is still as event `event_id` left it (`after`)."""
    force = "revert anyway (force) to put back the state before the event, undoing those changes too"
    if after is None and current is not None:
        raise Conflict(
            f"{entity} {name!r} was created again after audit event {event_id}: revert that creation first, or {force}"
        )
    if after is not None and current is None:
        raise Conflict(
            f"{entity} {name!r} was deleted after audit event {event_id}: revert that deletion first, or {force}"
        )
    if after is not None and current is not None and current["version"] != after.get("version"):
        raise Conflict(
            f"{entity} {name!r} changed after audit event {event_id} (it is at version {current['version']}, "
            f"the event left it at version {after.get('version')}): revert the later changes first, or {force}"
        )


async def _current(service: FlagService, entity: str, name: str) -> Doc | None:
    try:
        if entity == "flag":
            return await service.store.get_flag(name)
        return await service.store.get_segment(name)
    except NotFound:
        return None


def _a(noun: str) -> str:
    return "an" if noun[:1] in "aeiou" else "a"
