"""Unleash constraints as formulas: an OR (one strategy each) of ANDs (a strategy's constraints and
segments), and the algebra the translation of conditions needs (AND, NOT), bounded so that a flag
is left out rather than served as a wall of strategies. Private to `unleash/features.py`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from vexil.unleash.dialect import NotExpressibleError

Doc = dict[str, Any]
Constraint = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SegmentRef:
    """A strategy's reference to a global Unleash segment; `constraints` for when it must be inlined."""

    id: int
    constraints: tuple[Constraint, ...]


Literal = Constraint | SegmentRef
Term = tuple[Literal, ...]  # an AND: one strategy's constraints and segments
Formula = tuple[Term, ...]  # an OR of ANDs: as many strategies
TRUE: Formula = ((),)
FALSE: Formula = ()
# More alternatives than this in one formula (the negation of many conditions, say) and the flag is
# left out rather than served as an unreadable wall of strategies.
MAX_ALTERNATIVES = 32


def both(left: Formula, right: Formula) -> Formula:
    combined = tuple(a + b for a in left for b in right)
    if len(combined) > MAX_ALTERNATIVES:
        raise NotExpressibleError(f"would need more than {MAX_ALTERNATIVES} Unleash strategies")
    return combined


def all_of(formulas: Iterable[Formula]) -> Formula:
    result = TRUE
    for formula in formulas:
        result = both(result, formula)
        if not result:
            break
    return result


def _inverted(constraint: Constraint) -> Constraint:
    return {**constraint, "inverted": not constraint.get("inverted", False)}


def _negate_literal(literal: Literal) -> Formula:
    if isinstance(literal, SegmentRef):
        return tuple((_inverted(constraint),) for constraint in literal.constraints)
    return ((_inverted(literal),),)


def negated(formula: Formula) -> Formula:
    """NOT (T1 OR T2 ...) = (NOT T1) AND (NOT T2) ...; NOT (a AND b) = (NOT a) OR (NOT b)."""
    result = TRUE
    for term in formula:
        alternatives: Formula = ()
        for literal in term:
            alternatives += _negate_literal(literal)
        result = both(result, alternatives)
        if not result:
            break
    return result


def new_constraint(
    context_name: str, operator: str, *, values: Sequence[str] = (), value: str | None = None
) -> Constraint:
    constraint: Constraint = {
        "contextName": context_name,
        "operator": operator,
        "values": list(values),
        "inverted": False,
        "caseInsensitive": False,
    }
    if value is not None:
        constraint["value"] = value
    return constraint
