"""Protected environments: which writes become a change request instead of applying at once.

An environment can be protected (`PATCH /environments/{name} {"protected": true,
"required_approvals": 1}`). A write *touches* an environment when what that environment evaluates
changes: an override of that environment, or the flag's own configuration where the environment has
no override of that setting, or a toggle or kill switch that applies there (the flag's own `enabled`
reaches every environment that does not override it). What only describes a flag (description, tags,
owner, kind, the stale mark) touches no environment. A created or deleted flag touches them all.

Whoever `may_bypass` applies a write directly; anyone else gets a change request for it when the
write touches a protected environment (`needs_request`), and nothing changes until it is applied
(docs/change-requests.md). Pure: no I/O, the caller passes the documents and the environments.

A change request holds edits of flags that exist, so some writes cannot wait in one; for those,
anyone who may not bypass is refused (`refuse_unless_direct`, 403 naming the environments):

- a flag that *leaves* (deleted, archived) touches every environment: its callers lose it;
- a flag that *arrives* (created, restored, created again by a revert) touches the environments
  where it is on: where it is off, it answers off as its callers' own default did;
- a segment's conditions touch the environments where a flag evaluates the segment
  (`segment_touches`);
- the seed-compatible writes, whose clients cannot read a 202, are refused where they would
  need a change request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from vexil.core.auth import Forbidden, Principal, Role
from vexil.engine.compile import compile_flag, configuration
from vexil.engine.operators import Segments

Doc = dict[str, Any]

CANNOT_HOLD = "a change request holds edits of existing flags, not this"

# What a flag evaluates with besides its (overridable) configuration: changing one changes every
# environment's evaluation. The other keys describe the flag, or are moved by the store.
EVALUATED = ("variants", "default_variant", "prerequisites", "apps", "salt", "archived")


def may_bypass(principal: Principal) -> bool:
    """Whether `principal`'s writes apply directly in protected environments: an admin's do."""
    return principal.role is Role.ADMIN


def evaluated_in(doc: Mapping[str, Any] | None, environment: str) -> Doc | None:
    """Everything that decides what `doc` evaluates to in `environment` (None: no such flag)."""
    if doc is None:
        return None
    return {**{key: doc.get(key) for key in EVALUATED}, **configuration(doc, environment)}


def touched(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, environments: Iterable[str]) -> set[str]:
    """The environments among `environments` whose evaluation of the flag differs between `before`
    and `after` (None: the flag does not exist)."""
    return {env for env in environments if evaluated_in(before, env) != evaluated_in(after, env)}


def protected(environments: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """The protected environments among environment documents, with their required approvals."""
    return {env["name"]: int(env.get("required_approvals") or 1) for env in environments if env.get("protected")}


def needs_request(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    environments: Iterable[Mapping[str, Any]],
    principal: Principal,
) -> set[str]:
    """The protected environments a write from `before` to `after` touches, for which `principal`
    needs a change request; empty: the write applies directly."""
    if may_bypass(principal):
        return set()
    return touched(before, after, protected(environments))


def required_approvals(touched_environments: Iterable[str], environments: Iterable[Mapping[str, Any]]) -> int:
    """How many approvals a change request touching `touched_environments` needs: the most any of its
    protected environments requires, and at least one."""
    guarded = protected(environments)
    return max([guarded[env] for env in touched_environments if env in guarded], default=1)


def _present(doc: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """`doc` as the environments see it: None when it does not exist or is archived."""
    return None if doc is None or doc.get("archived") else doc


def arrival_touches(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, environments: Iterable[str]
) -> set[str]:
    """The environments among `environments` that a flag leaving (`after` absent or archived: every
    one) or arriving (`before` absent or archived: those where `after` is on) touches."""
    arrived = _present(after)
    if arrived is None:
        return set(environments)
    return {env for env in environments if configuration(arrived, env).get("enabled")}


def segment_touches(
    segment: str, flags: Iterable[Mapping[str, Any]], segments: Segments, environments: Iterable[str]
) -> dict[str, set[str]]:
    """For each environment among `environments`, the flags (not archived) whose evaluation there uses
    `segment`, directly or through another segment; environments none uses are left out."""
    used: dict[str, set[str]] = {}
    for doc in flags:
        if _present(doc) is None:
            continue
        for env in environments:
            there = {**doc, **configuration(doc, env), "environments": {}}
            if segment in compile_flag(there, segments).segments:
                used.setdefault(env, set()).add(doc["name"])
    return used


def refuse_unless_direct(
    touched_environments: Iterable[str], principal: Principal, *, doing: str, why: str = CANNOT_HOLD
) -> None:
    """`Forbidden` when `principal` may not bypass and `touched_environments` (protected ones) is not
    empty: for writes that cannot become a change request. `doing` says what, e.g. "deleting flag
    'checkout'", and `why` why no change request holds it."""
    guarded = sorted(touched_environments)
    if guarded and not may_bypass(principal):
        s = "s" if len(guarded) > 1 else ""
        raise Forbidden(f"{doing} changes protected environment{s} {', '.join(guarded)}: an admin must do it ({why})")
