"""Condition operators: each compiles a condition dict into a fast matcher.

``OPERATORS`` maps an operator name to its compiler. Compiling does all the work that does not
depend on the context (casefolding, parsing numbers, versions, instants and networks, compiling
the RE2 pattern, splitting the field path, resolving segments), so a matcher is a closure that
reads one field and compares.

Semantics (docs/spec.md §1, docs/model.md):

- A missing field (or JSON ``null``) is false for every operator except the complements
  ``neq``, ``not_in``, ``not_contains``, ``not_exists`` and ``not_in_segment``, which it matches.
- A wrong-typed context value is false (docs/spec.md §1), for ``not_in`` (a list or object) and
  ``not_contains`` (anything but a string) as for the positive operators (``bool`` is never a
  number). ``neq`` compares any JSON values, so it has no wrong type: it is exactly ``not eq``.
- Numeric, SemVer, instant and CIDR operators also read strings that parse as their type; so
  does ``eq``/``in`` when the condition's value is a number (query-string attributes are text).
- An invalid condition (unknown operator, bad field, missing or unparsable value, bad regex)
  is false; ``negate`` inverts every final result, that false included. Nothing raises.

>>> matcher = compile_condition({"field": "plan", "operator": "in", "value": ["pro", "team"]})
>>> matcher({"attributes": {"plan": "pro"}})
True
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from vexil.engine._fields import Fallback, compile_field
from vexil.engine._matchers import (
    FieldCompiler,
    InvalidConditionError,
    always,
    eq,
    exists,
    in_cidr,
    invert,
    matches,
    member_of,
    never,
    number_compare,
    parsed_compare,
    text_test,
)
from vexil.engine._values import is_scalar, parse_instant, parse_semver
from vexil.engine.types import Context, Matcher, Operator

__all__ = [
    "LIST_OPERATORS",
    "NO_VALUE_OPERATORS",
    "OPERATORS",
    "SEGMENT_OPERATORS",
    "Compiler",
    "compile_condition",
    "compile_conditions",
    "condition_error",
]

# How each operator takes its value: a segment's name (and no field), nothing, a list, else one value.
SEGMENT_OPERATORS = frozenset({Operator.IN_SEGMENT, Operator.NOT_IN_SEGMENT})
NO_VALUE_OPERATORS = frozenset({Operator.EXISTS, Operator.NOT_EXISTS})
LIST_OPERATORS = frozenset({Operator.IN, Operator.NOT_IN})

Segments = Mapping[str, Sequence[Mapping[str, Any]]]
_NO_SEGMENTS: Segments = {}


class CompileScope:
    """What compiling a condition can see: the segments, and which of them it used."""

    __slots__ = ("segments", "stack", "used")

    def __init__(self, segments: Segments, used: set[str] | None = None, stack: tuple[str, ...] = ()) -> None:
        self.segments = segments
        self.used: set[str] = set() if used is None else used
        self.stack = stack


Compiler = Callable[[Mapping[str, Any], CompileScope], Matcher]


# --- the table -----------------------------------------------------------------------------------


def _field_operator(compile_field_matcher: FieldCompiler, *, complement: bool = False) -> Compiler:
    """A compiler that reads ``field``, ``value``, ``negate``, ``case_insensitive`` around an operator."""

    def compile_(condition: Mapping[str, Any], scope: CompileScope) -> Matcher:
        path = condition.get("field")
        field = compile_field(path) if isinstance(path, str) else None
        if field is None:
            raise InvalidConditionError("a condition needs a field: a dotted path such as 'attributes.plan'")
        key, fallback = field
        matcher = compile_field_matcher(
            key, fallback, condition.get("value"), condition.get("case_insensitive") is True
        )
        return invert(matcher) if complement != (condition.get("negate") is True) else matcher

    return compile_


def _segment_operator(*, complement: bool) -> Compiler:
    def compile_(condition: Mapping[str, Any], scope: CompileScope) -> Matcher:
        name = condition.get("value")
        if not isinstance(name, str):
            raise InvalidConditionError("in_segment/not_in_segment need the segment's name as value")
        scope.used.add(name)
        conditions = scope.segments.get(name)
        matcher: Matcher = never  # an unknown segment contains no one; so does one that contains itself
        if conditions is not None and name not in scope.stack:
            matcher = _compile_all(conditions, CompileScope(scope.segments, scope.used, (*scope.stack, name)))
        return invert(matcher) if complement != (condition.get("negate") is True) else matcher

    return compile_


_text_starts = text_test(str.startswith)
_text_contains = text_test(str.__contains__)


def _typed_complement(positive: FieldCompiler, accepts: Callable[[Any], bool]) -> FieldCompiler:
    """``not positive`` for a value of the operator's type; a missing field matches, a wrong type does not."""

    def compile_complement(key: Any, fallback: Fallback, value: Any, folded: bool) -> Matcher:
        matcher = positive(key, fallback, value, folded)

        def complement(context: Context) -> bool:
            found = context.get(key)
            if found is None:
                found = fallback(context)
            if found is None:
                return True
            return accepts(found) and not matcher(context)

        return complement

    return compile_complement


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


OPERATORS: Mapping[str, Compiler] = {
    Operator.EQ: _field_operator(eq),
    Operator.NEQ: _field_operator(eq, complement=True),
    Operator.IN: _field_operator(member_of),
    Operator.NOT_IN: _field_operator(_typed_complement(member_of, is_scalar)),
    Operator.STARTS_WITH: _field_operator(_text_starts),
    Operator.ENDS_WITH: _field_operator(text_test(str.endswith)),
    Operator.CONTAINS: _field_operator(_text_contains),
    Operator.NOT_CONTAINS: _field_operator(_typed_complement(_text_contains, _is_text)),
    Operator.MATCHES: _field_operator(matches),
    Operator.GT: _field_operator(number_compare(operator.gt)),
    Operator.GTE: _field_operator(number_compare(operator.ge)),
    Operator.LT: _field_operator(number_compare(operator.lt)),
    Operator.LTE: _field_operator(number_compare(operator.le)),
    Operator.SEMVER_EQ: _field_operator(parsed_compare(parse_semver, operator.eq, "a SemVer 2.0.0")),
    Operator.SEMVER_GT: _field_operator(parsed_compare(parse_semver, operator.gt, "a SemVer 2.0.0")),
    Operator.SEMVER_LT: _field_operator(parsed_compare(parse_semver, operator.lt, "a SemVer 2.0.0")),
    Operator.BEFORE: _field_operator(parsed_compare(parse_instant, operator.lt, "an ISO 8601")),
    Operator.AFTER: _field_operator(parsed_compare(parse_instant, operator.gt, "an ISO 8601")),
    Operator.IN_CIDR: _field_operator(in_cidr),
    Operator.EXISTS: _field_operator(exists),
    Operator.NOT_EXISTS: _field_operator(exists, complement=True),
    Operator.IN_SEGMENT: _segment_operator(complement=False),
    Operator.NOT_IN_SEGMENT: _segment_operator(complement=True),
}


# --- compiling -----------------------------------------------------------------------------------


def _compile_one(condition: Any, scope: CompileScope) -> Matcher:
    if not isinstance(condition, Mapping):
        return never
    try:
        compiler = OPERATORS.get(condition.get("operator"))  # type: ignore[arg-type]
        if compiler is None:
            raise InvalidConditionError(f"unknown operator {condition.get('operator')!r}")
        return compiler(condition, scope)
    except (InvalidConditionError, TypeError):  # TypeError: an unhashable operator
        return always if condition.get("negate") is True else never


def _compile_all(conditions: Any, scope: CompileScope) -> Matcher:
    if not isinstance(conditions, list | tuple):
        return never
    matchers = [_compile_one(condition, scope) for condition in conditions]
    if never in matchers:
        return never
    return all_of([matcher for matcher in matchers if matcher is not always])


def all_of(matchers: Sequence[Matcher]) -> Matcher:
    """The AND of ``matchers``, without a loop for the usual one to three."""
    if not matchers:
        return always
    if len(matchers) == 1:
        return matchers[0]
    if len(matchers) == 2:
        first, second = matchers

        def both(context: Context) -> bool:
            return first(context) and second(context)

        return both
    if len(matchers) == 3:
        first, second, third = matchers

        def all_three(context: Context) -> bool:
            return first(context) and second(context) and third(context)

        return all_three
    frozen = tuple(matchers)

    def every(context: Context) -> bool:
        return all(matcher(context) for matcher in frozen)

    return every


def compile_condition(
    condition: Mapping[str, Any], segments: Segments = _NO_SEGMENTS, *, used_segments: set[str] | None = None
) -> Matcher:
    """Compile one condition; never raises (an invalid one is false, then ``negate`` applies).

    ``used_segments``, when given, collects the segment names the condition refers to,
    known or not, so that a caller knows what to recompile when segments change.
    """
    return _compile_one(condition, CompileScope(segments, used_segments))


def compile_conditions(
    conditions: Sequence[Mapping[str, Any]], segments: Segments = _NO_SEGMENTS, *, used_segments: set[str] | None = None
) -> Matcher:
    """Compile a list of conditions into one matcher that is true when all match (true for none)."""
    return _compile_all(conditions, CompileScope(segments, used_segments))


def condition_error(condition: Any) -> str | None:
    """Why ``condition`` can never match as written, or ``None`` if it is valid (for write-time validation).

    Segment names are not checked here: whether a segment exists is the store's business.
    """
    if not isinstance(condition, Mapping):
        return "a condition must be an object"
    name = condition.get("operator")
    compiler = OPERATORS.get(name) if isinstance(name, str) else None
    if compiler is None:
        return f"unknown operator {name!r}"
    try:
        compiler(condition, CompileScope(_NO_SEGMENTS))
    except InvalidConditionError as exc:
        return str(exc)
    return None
