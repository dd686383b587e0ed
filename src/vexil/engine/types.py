"""The engine's vocabulary: reasons, evaluation results and the context shape.

Flags travel through the engine as *flag documents*: the plain JSON objects described in
`docs/model.md` (what `GET /flags/{name}` returns). The engine compiles each document once
into prepared matchers; evaluating is a walk over that prepared data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# A flag document, a segment document, a condition: JSON objects as parsed by orjson/json.
FlagDoc = Mapping[str, Any]
# The evaluation context: {"identifier", "app", "environment", "attributes": {...}, ...any other attribute}.
Context = Mapping[str, Any]
# A compiled condition: called with the context, answers whether it matches. Never raises.
Matcher = Callable[[Context], bool]


class Reason(StrEnum):
    FLAG_NOT_FOUND = "flag_not_found"
    APP_NOT_SCOPED = "app_not_scoped"
    DISABLED = "disabled"
    PREREQUISITE_FAILED = "prerequisite_failed"
    ALLOWLIST = "allowlist"
    RULE_MATCH = "rule_match"
    ROLLOUT_INCLUDED = "rollout_included"
    ROLLOUT_EXCLUDED = "rollout_excluded"
    ENABLED = "enabled"
    # Never returned by the engine: what client surfaces say instead of any reason but the two
    # above it in `COARSE_REASONS`, with VEXIL_CLIENT_REASONS=coarse (docs/spec.md §2).
    TARGETING_MATCH = "targeting_match"


# The coarse reasons client surfaces give with VEXIL_CLIENT_REASONS=coarse: whether the flag exists
# and whether it is switched off, and nothing of how its targeting (app scope, prerequisites,
# allowlist, rules, rollout) chose the variant, which would tell a client who is on an allowlist.
COARSE_REASONS: Mapping[Reason, Reason] = {
    reason: reason if reason in (Reason.FLAG_NOT_FOUND, Reason.DISABLED) else Reason.TARGETING_MATCH
    for reason in Reason
}


class Operator(StrEnum):
    """The condition operators of docs/spec.md §1."""

    EQ = "eq"
    NEQ = "neq"
    IN = "in"
    NOT_IN = "not_in"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    MATCHES = "matches"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    SEMVER_EQ = "semver_eq"
    SEMVER_GT = "semver_gt"
    SEMVER_LT = "semver_lt"
    BEFORE = "before"
    AFTER = "after"
    IN_CIDR = "in_cidr"
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"
    IN_SEGMENT = "in_segment"
    NOT_IN_SEGMENT = "not_in_segment"


class Takes(StrEnum):
    """What value a condition operator takes."""

    NONE = "none"  # no value: the operator looks at the field alone
    SINGLE = "single"  # one value, read as the operator's ``Reads``
    LIST = "list"  # a list of values, each read as the operator's ``Reads``
    SEGMENT = "segment"  # a segment's name as value, and no field


class Reads(StrEnum):
    """What a condition's value (and the context's field) is read as."""

    SCALAR = "scalar"  # a string, number (compared numerically) or boolean
    TEXT = "text"
    NUMBER = "number"  # a JSON number or a string in decimal notation
    SEMVER = "semver"  # a SemVer 2.0.0 version such as "1.2.3"
    INSTANT = "instant"  # an ISO 8601 date and time; no offset means UTC
    CIDR = "cidr"  # a CIDR range such as "10.0.0.0/8", or one IP address
    REGEX = "regex"  # an RE2 regular expression


class OpenFeatureReason(StrEnum):
    ERROR = "ERROR"
    DISABLED = "DISABLED"
    TARGETING_MATCH = "TARGETING_MATCH"
    SPLIT = "SPLIT"
    STATIC = "STATIC"
    DEFAULT = "DEFAULT"


# Vexil's reasons as OpenFeature names them (docs/spec.md §2), for every OpenFeature surface: the
# Python provider and OFREP. `enabled` is STATIC: no targeting decided (the flag is on for everyone;
# several weighted variants still split by user, which neither reason tells); app scope and
# prerequisites fall back to the default variant: DEFAULT.
OPENFEATURE_REASONS: Mapping[Reason, OpenFeatureReason] = {
    Reason.FLAG_NOT_FOUND: OpenFeatureReason.ERROR,
    Reason.DISABLED: OpenFeatureReason.DISABLED,
    Reason.ALLOWLIST: OpenFeatureReason.TARGETING_MATCH,
    Reason.RULE_MATCH: OpenFeatureReason.TARGETING_MATCH,
    Reason.ROLLOUT_INCLUDED: OpenFeatureReason.SPLIT,
    Reason.ROLLOUT_EXCLUDED: OpenFeatureReason.SPLIT,
    Reason.ENABLED: OpenFeatureReason.STATIC,
    Reason.APP_NOT_SCOPED: OpenFeatureReason.DEFAULT,
    Reason.PREREQUISITE_FAILED: OpenFeatureReason.DEFAULT,
    Reason.TARGETING_MATCH: OpenFeatureReason.TARGETING_MATCH,
}

# The reasons of a percentage rollout's decision: without an identifier that decision is a random
# draw, different on every call, so OpenFeature surfaces answer TARGETING_KEY_MISSING instead.
DRAWN_REASONS: frozenset[Reason] = frozenset({Reason.ROLLOUT_INCLUDED, Reason.ROLLOUT_EXCLUDED})


@dataclass(frozen=True, slots=True, eq=False)
class Evaluation:
    """The answer for one flag and one context.

    Instances are immutable and shared: a compiled flag prebuilds the few results it can
    return, so evaluating allocates nothing. Being shared, a result is its own identity: it equals
    and hashes as itself (in C, so that usage counts results by the million); compare what a
    result says with `fields()`.
    """

    flag: str
    active: bool
    variant: str | None
    payload: Any
    reason: Reason
    rule: int | None = None
    # A slot for the serving layer's encoding of this (shared, immutable) result, filled on first
    # use; the engine never reads it and it takes no part in equality.
    wire: Any = field(default=None, compare=False, repr=False)

    def fields(self) -> tuple[str, bool, str | None, Any, Reason, int | None]:
        """What the result says: flag, active, variant, payload, reason and deciding rule."""
        return self.flag, self.active, self.variant, self.payload, self.reason, self.rule

    def client_reason(self, coarse: bool = False) -> Reason:
        """The reason a client surface shows: with `coarse`, as `COARSE_REASONS` puts it."""
        return COARSE_REASONS[self.reason] if coarse else self.reason

    def client_dict(self, coarse: bool = False) -> dict[str, Any]:
        """What client surfaces may see: never rules, percentages or allowlists; with `coarse`, the
        reason as `COARSE_REASONS` puts it."""
        reason = self.client_reason(coarse).value
        return {"active": self.active, "variant": self.variant, "payload": self.payload, "reason": reason}

    def admin_dict(self) -> dict[str, Any]:
        """The full result for admin and server surfaces, naming the deciding rule."""
        return {
            "flag": self.flag,
            "active": self.active,
            "variant": self.variant,
            "payload": self.payload,
            "reason": self.reason.value,
            "rule": self.rule,
        }
