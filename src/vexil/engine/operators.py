"""Condition operators: each compiles a condition dict into a fast matcher.

``OPERATOR_SPECS`` is the one definition of the operators: for each, a few words of what it does,
what value it takes (``Takes``: none, a single value, a list, a segment's name), what it reads that
value as (``Reads``: a scalar, text, number, SemVer, instant, CIDR, regex) and its compiler. The API
serves it as ``GET /operators``, its input schema and the admin UI take the operators from it, and
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
  ``condition_error`` says why such a condition can never match, for write-time validation.

>>> matcher = compile_condition({"field": "plan", "operator": "in", "value": ["pro", "team"]})
>>> matcher({"attributes": {"plan": "pro"}})
True
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
    show_value,
    text_test,
)
from vexil.engine._values import is_scalar, parse_instant, parse_semver
from vexil.engine.types import Context, Matcher, Operator, Reads, Takes

__all__ = [
    "LIST_OPERATORS",
    "NO_VALUE_OPERATORS",
    "OPERATORS",
    "OPERATOR_SPECS",
    "SEGMENT_OPERATORS",
    "Compiler",
    "InvalidConditionError",
    "OperatorSpec",
    "compile_condition",
    "compile_conditions",
    "condition_error",
]

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


@dataclass(frozen=True, slots=True)
class OperatorSpec:
    """One operator: what it does, the value it takes and how it reads it, and its compiler."""

    description: str  # a few words for people: "is one of (list)"
    takes: Takes
    reads: Reads | None  # what the value (each item of a list) is read as; None: no value, or a segment's name
    or_list: bool  # a single value may also be given as a list of them (in_cidr)
    compile: Compiler


# What an operator does with what it reads, then what is wrong with a value: "gt compares numbers;
# "abc" is not a number".
_EXPECTS: Mapping[Reads, str] = {
    Reads.SCALAR: "compares a string, number or boolean",
    Reads.TEXT: "compares text",
    Reads.NUMBER: "compares numbers",
    Reads.SEMVER: 'compares SemVer 2.0.0 versions such as "1.2.3"',
    Reads.INSTANT: 'compares ISO 8601 instants such as "2026-01-01T00:00:00Z"',
    Reads.CIDR: 'takes a CIDR range such as "10.0.0.0/8" or an IP address, or a list of them',
    Reads.REGEX: "takes an RE2 regular expression",
}
_FIELD_RULE = 'use a dotted path such as "plan" or "attributes.plan"'


# --- the table -----------------------------------------------------------------------------------


def _expects(takes: Takes, reads: Reads | None) -> str:
    if takes is Takes.LIST:
        return "takes a list of strings, numbers or booleans"
    return _EXPECTS[reads] if reads is not None else "takes no value"


def _field_operator(
    compile_field_matcher: FieldCompiler, takes: Takes, reads: Reads | None, *, complement: bool
) -> Compiler:
    """A compiler that reads ``field``, ``value``, ``negate``, ``case_insensitive`` around an operator."""

    def compile_(condition: Mapping[str, Any], scope: CompileScope) -> Matcher:
        name = condition.get("operator")
        path = condition.get("field")
        field = compile_field(path) if isinstance(path, str) else None
        if field is None:
            wrong = f"{name} needs a field" if path is None else f"{show_value(path)} is not a field path"
            raise InvalidConditionError(f"{wrong}; {_FIELD_RULE}", key="field")
        key, fallback = field
        value = condition.get("value")
        try:
            if reads is not None and value is None:
                raise InvalidConditionError("the value is missing")
            matcher = compile_field_matcher(key, fallback, value, condition.get("case_insensitive") is True)
        except InvalidConditionError as exc:
            raise InvalidConditionError(f"{name} {_expects(takes, reads)}; {exc.message}") from None
        return invert(matcher) if complement != (condition.get("negate") is True) else matcher

    return compile_


def _segment_operator(*, complement: bool) -> Compiler:
    def compile_(condition: Mapping[str, Any], scope: CompileScope) -> Matcher:
        name = condition.get("value")
        if not isinstance(name, str):
            wrong = "the value is missing" if name is None else f"{show_value(name)} is not a string"
            raise InvalidConditionError(f"{condition.get('operator')} takes a segment's name; {wrong}")
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


def _non_empty(positive: FieldCompiler) -> FieldCompiler:
    """``positive``, refusing an empty list: ``in []`` can never match (``not_in []`` can)."""

    def compile_non_empty(key: Any, fallback: Fallback, value: Any, folded: bool) -> Matcher:
        if isinstance(value, list | tuple) and not value:
            raise InvalidConditionError("the list is empty")
        return positive(key, fallback, value, folded)

    return compile_non_empty


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _on_field(
    description: str,
    takes: Takes,
    reads: Reads | None,
    compile_field_matcher: FieldCompiler,
    *,
    complement: bool = False,
    or_list: bool = False,
) -> OperatorSpec:
    compiler = _field_operator(compile_field_matcher, takes, reads, complement=complement)
    return OperatorSpec(description, takes, reads, or_list, compiler)


def _on_segment(description: str, *, complement: bool = False) -> OperatorSpec:
    return OperatorSpec(description, Takes.SEGMENT, None, False, _segment_operator(complement=complement))


def _semver(compare: Callable[[Any, Any], bool]) -> FieldCompiler:
    return parsed_compare(parse_semver, compare, "a version")


def _instant(compare: Callable[[Any, Any], bool]) -> FieldCompiler:
    return parsed_compare(parse_instant, compare, "an instant")


_SINGLE, _LIST, _NONE = Takes.SINGLE, Takes.LIST, Takes.NONE

OPERATOR_SPECS: Mapping[Operator, OperatorSpec] = {
    Operator.EQ: _on_field("equals", _SINGLE, Reads.SCALAR, eq),
    Operator.NEQ: _on_field("does not equal", _SINGLE, Reads.SCALAR, eq, complement=True),
    Operator.IN: _on_field("is one of (list)", _LIST, Reads.SCALAR, _non_empty(member_of)),
    Operator.NOT_IN: _on_field("is not one of (list)", _LIST, Reads.SCALAR, _typed_complement(member_of, is_scalar)),
    Operator.STARTS_WITH: _on_field("starts with", _SINGLE, Reads.TEXT, _text_starts),
    Operator.ENDS_WITH: _on_field("ends with", _SINGLE, Reads.TEXT, text_test(str.endswith)),
    Operator.CONTAINS: _on_field("contains", _SINGLE, Reads.TEXT, _text_contains),
    Operator.NOT_CONTAINS: _on_field(
        "does not contain", _SINGLE, Reads.TEXT, _typed_complement(_text_contains, _is_text)
    ),
    Operator.MATCHES: _on_field("matches regex (RE2)", _SINGLE, Reads.REGEX, matches),
    Operator.GT: _on_field("> (number)", _SINGLE, Reads.NUMBER, number_compare(operator.gt)),
    Operator.GTE: _on_field("≥ (number)", _SINGLE, Reads.NUMBER, number_compare(operator.ge)),
    Operator.LT: _on_field("< (number)", _SINGLE, Reads.NUMBER, number_compare(operator.lt)),
    Operator.LTE: _on_field("≤ (number)", _SINGLE, Reads.NUMBER, number_compare(operator.le)),
    Operator.SEMVER_EQ: _on_field("= (SemVer)", _SINGLE, Reads.SEMVER, _semver(operator.eq)),
    Operator.SEMVER_GT: _on_field("> (SemVer)", _SINGLE, Reads.SEMVER, _semver(operator.gt)),
    Operator.SEMVER_LT: _on_field("< (SemVer)", _SINGLE, Reads.SEMVER, _semver(operator.lt)),
    Operator.BEFORE: _on_field("before (ISO 8601)", _SINGLE, Reads.INSTANT, _instant(operator.lt)),
    Operator.AFTER: _on_field("after (ISO 8601)", _SINGLE, Reads.INSTANT, _instant(operator.gt)),
    Operator.IN_CIDR: _on_field("in CIDR range", _SINGLE, Reads.CIDR, in_cidr, or_list=True),
    Operator.EXISTS: _on_field("exists", _NONE, None, exists),
    Operator.NOT_EXISTS: _on_field("does not exist", _NONE, None, exists, complement=True),
    Operator.IN_SEGMENT: _on_segment("in segment"),
    Operator.NOT_IN_SEGMENT: _on_segment("not in segment", complement=True),
}
OPERATORS: Mapping[str, Compiler] = {name: spec.compile for name, spec in OPERATOR_SPECS.items()}

# How each operator takes its value: a segment's name (and no field), nothing, a list, else one value.
SEGMENT_OPERATORS = frozenset(name for name, spec in OPERATOR_SPECS.items() if spec.takes is Takes.SEGMENT)
NO_VALUE_OPERATORS = frozenset(name for name, spec in OPERATOR_SPECS.items() if spec.takes is Takes.NONE)
LIST_OPERATORS = frozenset(name for name, spec in OPERATOR_SPECS.items() if spec.takes is Takes.LIST)


# --- compiling -----------------------------------------------------------------------------------


def _compiler(condition: Mapping[str, Any]) -> Compiler:
    name = condition.get("operator")
    compiler = OPERATORS.get(name) if isinstance(name, str) else None
    if compiler is None:
        known = ", ".join(OPERATOR_SPECS)
        raise InvalidConditionError(f"{show_value(name)} is not an operator; use one of {known}", key="operator")
    return compiler


def _compile_one(condition: Any, scope: CompileScope) -> Matcher:
    if not isinstance(condition, Mapping):
        return never
    try:
        return _compiler(condition)(condition, scope)
    except (InvalidConditionError, TypeError):  # TypeError: an unhashable value where a key was expected
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


def condition_error(condition: Any) -> InvalidConditionError | None:
    """Why ``condition`` can never match as written, or ``None`` if it is valid (for write-time validation).

    The answer names the condition's key at fault (``.key``: field, operator or value; ``None``:
    the whole condition) and says, in plain words, what is wrong and what is expected. It is what
    compiling finds: an invalid condition compiles to false and is reported here, the same rules.
    Segment names are not checked here: whether a segment exists is the store's business.
    """
    if not isinstance(condition, Mapping):
        return InvalidConditionError("a condition must be an object", key=None)
    try:
        _compiler(condition)(condition, CompileScope(_NO_SEGMENTS))
    except InvalidConditionError as exc:
        return exc
    return None
