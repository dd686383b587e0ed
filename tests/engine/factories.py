"""Types of the engine-test fixtures, and conditions of every operator; importable by test modules (conftest itself
should not be imported)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vexil.engine import OPERATOR_SPECS, Operator, Reads, Takes

# make_flag(**fields) -> an enabled boolean flag document named "f", with `fields` laid over it.
FlagFactory = Callable[..., dict[str, Any]]
# identifier_where(salt, predicate) -> the first "user-N" whose bucket satisfies predicate.
IdentifierFinder = Callable[[str, Callable[[int], bool]], str]

# For each way an operator reads its value: one value it can never match with, and one it reads.
UNUSABLE_VALUES: dict[Reads, Any] = {
    Reads.SCALAR: {"not": "a scalar, nor a list"},
    Reads.TEXT: 5,
    Reads.NUMBER: "abc",
    Reads.SEMVER: "banana",
    Reads.INSTANT: "yesterday",
    Reads.CIDR: "not-a-cidr",
    Reads.REGEX: "(unclosed",
}
USABLE_VALUES: dict[Reads, Any] = {
    Reads.SCALAR: 1.5,
    Reads.TEXT: "x",
    Reads.NUMBER: "1.5",
    Reads.SEMVER: "1.2.3-rc.1",
    Reads.INSTANT: "2026-01-01T00:00:00+02:00",
    Reads.CIDR: ["10.0.0.0/8", "::1"],
    Reads.REGEX: "^a+$",
}


def condition_of(operator: Operator, *, usable: bool) -> dict[str, Any]:
    """A condition of `operator` that can match (`usable`), or one that never can: a value the operator
    cannot read, a segment name that is not a string, or (exists, not_exists) a field that is no path.
    Segment operators name the segment "staff"."""
    spec = OPERATOR_SPECS[operator]
    if spec.takes is Takes.SEGMENT:
        return {"operator": operator.value, "value": "staff" if usable else 5}
    if spec.reads is None:
        return {"field": "x" if usable else "a..b", "operator": operator.value}
    value = (USABLE_VALUES if usable else UNUSABLE_VALUES)[spec.reads]
    return {
        "field": "x",
        "operator": operator.value,
        "value": ["pro", 1, True] if usable and spec.takes is Takes.LIST else value,
    }
