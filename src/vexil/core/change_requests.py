"""The rules of change requests (docs/change-requests.md), pure: what each action does to a request
in each state, and what a request's changes make of its flags. The service reads and locks, these
decide, the store keeps the `Step` they return.

States: `draft` (being written, nobody reviews it yet) -> `open` (waiting for approvals) ->
`approved` (as many approvals as its environments require) -> `applied`; `rejected` from any of
the first three. A rebase (the flags moved since the changes were made) starts a new round: the
approvals start from none, the request is `open` again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from vexil.core.auth import Forbidden
from vexil.store import Conflict, Step

Doc = dict[str, Any]

STATES = ("draft", "open", "approved", "rejected", "applied")
REVIEWABLE = ("open", "approved")
PENDING = ("draft", "open", "approved")


class RequestNeeded(Exception):
    """A write needs a change request (core/protection.py): raised from inside the write, so that it
    is rolled back, with the flag as it was and the protected environments it touches."""

    def __init__(self, before: Doc, environments: set[str]) -> None:
        super().__init__(f"a change request is needed for {', '.join(sorted(environments))}")
        self.before = before
        self.environments = environments


def _refuse_unless(doc: Doc, states: Iterable[str], doing: str) -> None:
    if doc["state"] not in states:
        raise Conflict(f"change request {doc['id']} is {doc['state']}: it cannot be {doing}")


def comment(doc: Doc, text: str) -> Step:
    return Step("comment", doc["state"], text)


def submit(doc: Doc) -> Step:
    """A draft opened for review."""
    _refuse_unless(doc, ("draft",), "opened (only a draft can)")
    return Step("open", "open")


def approve(doc: Doc, actor: str, text: str, *, required: int) -> Step:
    """An approval by `actor`, never the requester; the request is approved once it has `required`
    approvals in this round."""
    _refuse_unless(doc, REVIEWABLE, "approved")
    if actor == doc["requester"]:
        raise Forbidden(f"{actor} made change request {doc['id']}: someone else must approve it")
    if actor in doc["approvals"]:
        raise Conflict(f"{actor} already approved change request {doc['id']}")
    approvals = len(doc["approvals"]) + 1
    return Step("approve", "approved" if approvals >= required else "open", text)


def reject(doc: Doc, text: str) -> Step:
    _refuse_unless(doc, PENDING, "rejected")
    return Step("reject", "rejected", text)


def rebase(doc: Doc, versions: Mapping[str, int]) -> Step:
    """The changes made again against the flags' current `versions`: a new round, approvals cleared."""
    _refuse_unless(doc, PENDING, "rebased")
    state = "draft" if doc["state"] == "draft" else "open"
    return Step("rebase", state, versions={flag: versions[flag] for flag in flags_of(doc)})


def check_applicable(doc: Doc, *, required: int) -> None:
    """`Conflict` unless the request is approved by at least `required` people (the environments'
    setting now, which may have been raised since it was approved)."""
    _refuse_unless(doc, ("approved",), "applied (only an approved one can)")
    missing = required - len(doc["approvals"])
    if missing > 0:
        raise Conflict(f"change request {doc['id']} needs {missing} more approval{'s' if missing > 1 else ''}")


def flags_of(doc: Doc) -> list[str]:
    """The flags a request changes, each once, in the order of its changes."""
    return list(dict.fromkeys(change["flag"] for change in doc["changes"]))


def edits_by_flag(changes: Iterable[Doc]) -> dict[str, list[Doc]]:
    """A request's changes per flag, in order, without the version they were made against."""
    grouped: dict[str, list[Doc]] = {}
    for change in changes:
        grouped.setdefault(change["flag"], []).append({k: v for k, v in change.items() if k != "version"})
    return grouped


def via(doc: Doc, applier: str) -> Doc:
    """What the audit events of an applied request's writes say about it."""
    return {
        "change_request": doc["id"],
        "requester": doc["requester"],
        "approvers": list(doc["approvals"]),
        "applied_by": applier,
    }


def diff(before: Any, after: Any, path: str = "") -> list[Doc]:
    """Where `after` differs from `before`: `[{"path", "before", "after"}]`, by key inside objects
    (`environments.production.enabled`, an absent object read as an empty one), whole values
    elsewhere (a list of rules is one value)."""
    if isinstance(before, Mapping) or isinstance(after, Mapping):
        if before is None:
            before = {}
        if after is None:
            after = {}
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        found: list[Doc] = []
        for key in [*before, *(k for k in after if k not in before)]:
            found += diff(before.get(key), after.get(key), f"{path}.{key}" if path else str(key))
        return found
    return [] if before == after else [{"path": path, "before": before, "after": after}]
