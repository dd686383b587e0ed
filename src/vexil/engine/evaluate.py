"""The hot path: closures that walk docs/spec.md §2's steps over a compiled flag.

``compile.py`` parses a flag document once and assembles these pieces into one ``FlagRun``
per environment; each piece is chosen at compile time for what the flag actually uses (no
allowlist stage when there is no allowlist, no hashing at 100 %, no split hash for a boolean
flag), and every result is a prebuilt, shared ``Evaluation``, so evaluating allocates nothing.

Shapes:

- ``FlagRun(context, resolve, depth)`` answers for one flag; ``resolve(name, context, depth)``
  evaluates a prerequisite (the ``Snapshot`` provides it) and raises ``PrerequisiteCycleError``
  past ``MAX_PREREQUISITE_DEPTH``.
- ``Decide(context, identifier, bucket)`` is steps 6-9; ``bucket`` is -1 until computed, so the
  rules and the rollout share one bucket (or one random draw when there is no identifier).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from random import random
from typing import Any

import mmh3

from vexil.engine.bucketing import BUCKETS, VARIANT_SEED, hash_key
from vexil.engine.types import Context, Evaluation, Matcher, Reason

__all__ = [
    "MAX_PREREQUISITE_DEPTH",
    "Decide",
    "FlagRun",
    "PrerequisiteCycleError",
    "Resolve",
    "Served",
    "flag_not_found",
    "identifier_of",
]

Resolve = Callable[[str, Context, int], Evaluation]
FlagRun = Callable[[Context, Resolve, int], Evaluation]
Decide = Callable[[Context, "str | None", int], Evaluation]
Picker = Callable[["str | None"], Evaluation]
# What a step serves: one fixed result, or a weighted split that picks one by identifier.
Served = Evaluation | Picker
# A prerequisite as compiled: (flag name, required active, allowed variants or None for any).
Prerequisite = tuple[str, bool, "frozenset[str] | None"]

# Deeper than this, a prerequisite chain is taken to be a cycle in stored data.
MAX_PREREQUISITE_DEPTH = 100

_hash = mmh3.hash


class PrerequisiteCycleError(Exception):
    """Raised by ``resolve`` past MAX_PREREQUISITE_DEPTH; the top-level flag answers ``prerequisite_failed``."""


def flag_not_found(name: str) -> Evaluation:
    return Evaluation(flag=name, active=False, variant=None, payload=None, reason=Reason.FLAG_NOT_FOUND)


def identifier_of(value: Any) -> str | None:
    """The targeting key from a context's ``identifier``: a non-empty string, or an integer as text."""
    if value.__class__ is str:
        return value or None
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        return (str.__str__(value) if isinstance(value, str) else str(value)) or None
    except ValueError:  # an integer too long to print
        return None


def _bucket(prefix: str, identifier: str | None) -> int:
    if identifier is None:
        return int(random() * BUCKETS)
    key = prefix + identifier
    h: int = _hash(key if key.isascii() else hash_key(key), 0, False)
    return h % 100 * 100 + h // 100 % 100


# --- serving -------------------------------------------------------------------------------------


def make_split(prefix: str, weights: Sequence[int], results: Sequence[Evaluation]) -> Served:
    """The weighted split over variants of positive ``weights`` (stored order), one result each.

    Serves the first variant whose running total of weights reaches ``v = variant_hash % total + 1``.
    """
    if len(results) == 1:
        return results[0]
    cumulative: list[int] = []
    for weight in weights:
        cumulative.append(weight + (cumulative[-1] if cumulative else 0))
    total = cumulative[-1]
    picks = tuple(results)

    def pick(identifier: str | None) -> Evaluation:
        if identifier is None:
            return picks[bisect_left(cumulative, int(random() * total) + 1)]
        key = prefix + identifier
        h: int = _hash(key if key.isascii() else hash_key(key), VARIANT_SEED, False)
        return picks[bisect_left(cumulative, h % total + 1)]

    return pick


def _served_decide(served: Served) -> Decide:
    if isinstance(served, Evaluation):

        def constant(context: Context, identifier: str | None, bucket: int) -> Evaluation:
            return served

        return constant

    def split(context: Context, identifier: str | None, bucket: int) -> Evaluation:
        return served(identifier)

    return split


# --- steps 6 to 9 --------------------------------------------------------------------------------


def make_rollout(prefix: str, threshold: int, *, included: Served, everyone: Served, excluded: Evaluation) -> Decide:
    """Steps 8-9: ``everyone`` at 100 %, nobody at 0, else ``included`` when the bucket is below ``threshold``."""
    if threshold >= BUCKETS:
        return _served_decide(everyone)
    if threshold <= 0:
        return _served_decide(excluded)
    if not isinstance(included, Evaluation):
        pick = included

        def rollout_split(context: Context, identifier: str | None, bucket: int) -> Evaluation:
            if bucket < 0:
                bucket = _bucket(prefix, identifier)
            return pick(identifier) if bucket < threshold else excluded

        return rollout_split
    result = included

    def rollout(context: Context, identifier: str | None, bucket: int) -> Evaluation:
        if bucket < 0:
            if identifier is None:
                bucket = int(random() * BUCKETS)
            else:
                key = prefix + identifier
                h: int = _hash(key if key.isascii() else hash_key(key), 0, False)
                bucket = h % 100 * 100 + h // 100 % 100
        return result if bucket < threshold else excluded

    return rollout


def make_rules(prefix: str, rules: Sequence[tuple[Matcher, int, Served]], otherwise: Decide) -> Decide:
    """Step 7: the first rule that matches and whose rollout includes the bucket decides."""
    if not rules:
        return otherwise
    prepared = tuple(
        (matcher, threshold, served if isinstance(served, Evaluation) else None, served)
        for matcher, threshold, served in rules
        if threshold > 0
    )

    def by_rules(context: Context, identifier: str | None, bucket: int) -> Evaluation:
        for matcher, threshold, result, served in prepared:
            if matcher(context):
                if threshold < BUCKETS:
                    if bucket < 0:
                        bucket = _bucket(prefix, identifier)
                    if bucket >= threshold:
                        continue
                return result if result is not None else served(identifier)  # type: ignore[operator]
        return otherwise(context, identifier, bucket)

    return by_rules


def make_allowlist(allowlist: Mapping[str, Evaluation], otherwise: Decide) -> Decide:
    """Step 6: an allowlisted identifier gets its variant."""
    if not allowlist:
        return otherwise
    listed = dict(allowlist)

    def by_allowlist(context: Context, identifier: str | None, bucket: int) -> Evaluation:
        if identifier is not None:
            result = listed.get(identifier)
            if result is not None:
                return result
        return otherwise(context, identifier, bucket)

    return by_allowlist


# --- steps 2 to 5 --------------------------------------------------------------------------------


def _constant_run(result: Evaluation) -> FlagRun:
    def constant(context: Context, resolve: Resolve, depth: int) -> Evaluation:
        return result

    return constant


def _identified(decide: Decide) -> FlagRun:
    def identified(context: Context, resolve: Resolve, depth: int) -> Evaluation:
        identifier = context.get("identifier")
        if identifier.__class__ is not str or not identifier:
            identifier = identifier_of(identifier)
        return decide(context, identifier, -1)

    return identified


def _with_prerequisites(prerequisites: Sequence[Prerequisite], failed: Evaluation, then: FlagRun) -> FlagRun:
    required = tuple(prerequisites)

    def gated(context: Context, resolve: Resolve, depth: int) -> Evaluation:
        for name, active, variants in required:
            result = resolve(name, context, depth + 1)
            if result.active is not active or (variants is not None and result.variant not in variants):
                return failed
        return then(context, resolve, depth)

    return gated


def _scoped(apps: frozenset[str], not_scoped: Evaluation, then: FlagRun) -> FlagRun:
    if not apps:
        return then

    def scoped(context: Context, resolve: Resolve, depth: int) -> Evaluation:
        app = context.get("app")
        if isinstance(app, str) and app in apps:
            return then(context, resolve, depth)
        return not_scoped

    return scoped


def make_run(
    decide: Decide,
    *,
    constant: Evaluation | None,
    enabled: bool,
    apps: frozenset[str],
    prerequisites: Sequence[Prerequisite],
    outcomes: Mapping[Reason, Evaluation],
) -> FlagRun:
    """Steps 2, 4 and 5 in front of ``decide``; ``constant`` is decide's answer when it needs no identifier.

    ``outcomes`` holds the default-variant results for APP_NOT_SCOPED, DISABLED and PREREQUISITE_FAILED.
    """
    if not enabled:
        run = _constant_run(outcomes[Reason.DISABLED])
    else:
        run = _constant_run(constant) if constant is not None else _identified(decide)
        if prerequisites:
            run = _with_prerequisites(prerequisites, outcomes[Reason.PREREQUISITE_FAILED], run)
    return _scoped(apps, outcomes[Reason.APP_NOT_SCOPED], run)


def make_dispatch(base: FlagRun, environments: Mapping[str, FlagRun]) -> FlagRun:
    """Step 3: the run of ``context["environment"]``'s override, or the flag's own."""
    if not environments:
        return base
    runs = dict(environments)

    def dispatch(context: Context, resolve: Resolve, depth: int) -> Evaluation:
        environment = context.get("environment")
        if isinstance(environment, str):
            return runs.get(environment, base)(context, resolve, depth)
        return base(context, resolve, depth)

    return dispatch
