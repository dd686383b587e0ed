"""The impact preview: how many recently seen contexts a proposed change would flip, before it is made.

`impact(snapshot, proposal, sample)` evaluates the current configuration (`snapshot`) and the
proposed one (the same snapshot with the proposal's flags and segments put in place, every other
flag and segment as it is, prerequisites included) for each context of the sample
(`core/recent.py`), with the engine itself, and counts. It is pure: no I/O, nothing shared is
changed, so a worker thread may run it; a change request, a pending edit in the UI and
`POST /flags/{name}/impact` all call this one function (docs/impact.md).

- The flags compared are those the proposal changes, those that use a segment it changes, and
  every flag that requires one of them as a prerequisite, transitively, in either configuration.
- A context *flips* when, for at least one of those flags, the variant served or `active` differs.
  `by_change` counts, per flag, each move from one variant to another (`null`: no such flag);
  `by_environment` counts contexts and flips per context environment (`""`: none given).
- A context without an identifier gets a random draw where a rollout or a weighted split decides;
  comparing two draws would count noise as flips, so such a flag's answer is not compared for that
  context, and the context is counted in `drawn` instead (unless another flag flips it).
- Only counts come out, never a context.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vexil.core.changes import with_dependents
from vexil.engine import DRAWN_REASONS, Evaluation, Reason, Snapshot, identifier_of

__all__ = ["NO_ENVIRONMENT", "Proposal", "affected_flags", "impact"]

Doc = dict[str, Any]

# How `by_environment` names contexts that gave no environment (as usage counts do).
NO_ENVIRONMENT = ""


@dataclass(frozen=True, slots=True)
class Proposal:
    """Proposed documents by name, as they would be stored (`None`: deleted)."""

    flags: Mapping[str, Doc | None] = field(default_factory=dict)
    segments: Mapping[str, Doc | None] = field(default_factory=dict)


def affected_flags(current: Snapshot, proposed: Snapshot, proposal: Proposal) -> list[str]:
    """The flags whose answers the proposal may change, sorted (see the module's docstring)."""
    changed = set(proposal.flags)
    segments = set(proposal.segments)
    if segments:
        for snapshot in (current, proposed):
            for name in snapshot.names():
                compiled = snapshot.get_compiled(name)
                if compiled is not None and compiled.segments & segments:
                    changed.add(name)
    found = set(changed)
    for snapshot in (current, proposed):
        found |= with_dependents(snapshot.get_doc, snapshot.names(), changed)
    return sorted(found)


def impact(snapshot: Snapshot, proposal: Proposal, sample: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """What `proposal` would change for the contexts of `sample`: counts only."""
    proposed = snapshot.with_changes(proposal.flags, proposal.segments)
    names = affected_flags(snapshot, proposed, proposal)
    sampled = flipped = drawn = 0
    moves: Counter[tuple[str, str | None, str | None]] = Counter()
    environments: dict[str, list[int]] = {}
    for context in sample:
        sampled += 1
        environment = context.get("environment")
        counts = environments.setdefault(environment if isinstance(environment, str) else NO_ENVIRONMENT, [0, 0])
        counts[0] += 1
        if not names:
            continue
        anonymous = identifier_of(context.get("identifier")) is None
        before = snapshot.evaluate_many(names, context)
        after = proposed.evaluate_many(names, context)
        flips = False
        chance = False
        for old, new in zip(before, after, strict=True):
            if old.variant == new.variant and old.active is new.active:
                continue
            if anonymous and (_drawn(snapshot, old, context) or _drawn(proposed, new, context)):
                chance = True
                continue
            flips = True
            moves[old.flag, _served(old), _served(new)] += 1
        if flips:
            flipped += 1
            counts[1] += 1
        elif chance:
            drawn += 1
    return {
        "sampled": sampled,
        "flipped": flipped,
        "drawn": drawn,
        "flags": names,
        "by_change": [
            {"flag": flag, "from": old, "to": new, "count": count}
            for (flag, old, new), count in sorted(moves.items(), key=lambda item: (-item[1], item[0][0]))
        ],
        "by_environment": {
            environment: {"sampled": counts[0], "flipped": counts[1]}
            for environment, counts in sorted(environments.items())
        },
    }


def _served(result: Evaluation) -> str | None:
    return None if result.reason is Reason.FLAG_NOT_FOUND else result.variant


def _drawn(snapshot: Snapshot, result: Evaluation, context: Mapping[str, Any]) -> bool:
    """Whether, for a context without an identifier, `result` came from a random draw: a rollout's,
    or a weighted split's over more than one variant (served when the flag is on for everyone, or by
    a rule that serves the split)."""
    if result.reason in DRAWN_REASONS:
        return True
    compiled = snapshot.get_compiled(result.flag)
    if compiled is None or sum(1 for variant in compiled.variants if variant.weight > 0) < 2:
        return False
    if result.reason is Reason.ENABLED:
        return True
    if result.reason is Reason.RULE_MATCH:
        environment = context.get("environment")
        config = compiled.config(environment if isinstance(environment, str) else None)
        return any(rule.index == result.rule and rule.serve is None for rule in config.rules)
    return False
