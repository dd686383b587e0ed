"""Condition operators: each compiles a condition dict into a fast matcher.

``OPERATORS`` maps an operator name to its compiler. Compiling does all the work that does not
depend on the context (casefolding, parsing numbers, versions, instants and networks, compiling
the RE2 pattern, splitting the field path, resolving segments), so a matcher is a closure that
reads one field and compares.

Semantics (PRODUCT.md §1, docs/model.md):

- A missing field (or JSON ``null``) is false for every operator except the complements
  ``neq``, ``not_in``, ``not_contains``, ``not_exists`` and ``not_in_segment``, each of which is
  exactly ``not`` of its positive operator, wrong-typed values included.
- A wrong-typed context value is false for the positive operators (``bool`` is never a number).
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

import re2

from vexil.engine._fields import Fallback, compile_field
from vexil.engine._values import (
    in_networks,
    is_scalar,
    json_equal,
    parse_instant,
    parse_ip,
    parse_networks,
    parse_number,
    parse_semver,
)
from vexil.engine.types import Context, Matcher, Operator

__all__ = ["OPERATORS", "Compiler", "compile_condition", "compile_conditions", "condition_error"]

Segments = Mapping[str, Sequence[Mapping[str, Any]]]
# Builds the matcher of one operator: (key, fallback) read the field, then the condition's value and case_insensitive.
FieldCompiler = Callable[[Any, Fallback, Any, bool], Matcher]
_NO_SEGMENTS: Segments = {}


class InvalidConditionError(ValueError):
    """A condition that cannot match anything; compiled to a constant false, reported by condition_error."""


class CompileScope:
    """What compiling a condition can see: the segments, and which of them it used."""

    __slots__ = ("segments", "stack", "used")

    def __init__(self, segments: Segments, used: set[str] | None = None, stack: tuple[str, ...] = ()) -> None:
        self.segments = segments
        self.used: set[str] = set() if used is None else used
        self.stack = stack


Compiler = Callable[[Mapping[str, Any], CompileScope], Matcher]


def _never(context: Context) -> bool:
    return False


def _always(context: Context) -> bool:
    return True


def _invert(matcher: Matcher) -> Matcher:
    if matcher is _never:
        return _always
    if matcher is _always:
        return _never

    def inverted(context: Context) -> bool:
        return not matcher(context)

    return inverted


# --- eq ------------------------------------------------------------------------------------------


def _eq(key: Any, fallback: Fallback, value: Any, folded: bool) -> Matcher:
    if isinstance(value, bool):
        return _eq_bool(key, fallback, value)
    if isinstance(value, str):
        return _eq_text(key, fallback, value, folded)
    if isinstance(value, list | tuple | Mapping):
        return _eq_json(key, fallback, value)
    number = parse_number(value)
    if number is None:
        raise InvalidConditionError("eq/neq need a value: a string, number, boolean, list or object")
    return _eq_number(key, fallback, number)


def _eq_bool(key: Any, fallback: Fallback, value: bool) -> Matcher:
    def eq_bool(context: Context) -> bool:
        found = context.get(key)
        if found is None:
            found = fallback(context)
        return found is value

    return eq_bool


def _eq_json(key: Any, fallback: Fallback, value: Any) -> Matcher:
    def eq_json(context: Context) -> bool:
        found = context.get(key)
        if found is None:
            found = fallback(context)
        return json_equal(found, value)

    return eq_json


def _eq_number(key: Any, fallback: Fallback, number: float) -> Matcher:
    def eq_number(context: Context) -> bool:
        found = context.get(key)
        if found is None:
            found = fallback(context)
        cls = found.__class__
        return found == number if cls is int or cls is float else parse_number(found) == number

    return eq_number


def _eq_text(key: Any, fallback: Fallback, value: str, folded: bool) -> Matcher:
    if folded:
        value = value.casefold()

        def eq_folded(context: Context) -> bool:
            found = context.get(key)
            if found is None:
                found = fallback(context)
            return isinstance(found, str) and found.casefold() == value

        return eq_folded

    def eq_text(context: Context) -> bool:
        found = context.get(key)
        if found is None:
            found = fallback(context)
        return isinstance(found, str) and found == value

    return eq_text


# --- in ------------------------------------------------------------------------------------------


class _Members:
    """The list of an ``in`` condition, split by JSON type so that ``true`` never finds ``1``."""

    __slots__ = ("flags", "folded", "numbers", "texts")

    def __init__(self, value: Sequence[Any], folded: bool) -> None:
        self.folded = folded
        self.texts = frozenset(item.casefold() if folded else item for item in value if isinstance(item, str))
        self.flags = frozenset(item for item in value if isinstance(item, bool))
        self.numbers = frozenset(item for item in value if not isinstance(item, str | bool))

    def __contains__(self, found: Any) -> bool:
        if isinstance(found, bool):
            return found in self.flags
        if isinstance(found, str):
            return (found.casefold() if self.folded else found) in self.texts or parse_number(found) in self.numbers
        return parse_number(found) in self.numbers


def _in(key: Any, fallback: Fallback, value: Any, folded: bool) -> Matcher:
    if not isinstance(value, list | tuple) or not all(is_scalar(item) for item in value):
        raise InvalidConditionError("in/not_in need a list of strings, numbers or booleans")
    members = _Members(value, folded)
    if folded or members.numbers:

        def in_any(context: Context) -> bool:
            found = context.get(key)
            if found is None:
                found = fallback(context)
            return found is not None and found in members

        return in_any
    texts = members.texts

    def in_texts(context: Context) -> bool:
        found = context.get(key)
        if found is None:
            found = fallback(context)
        if found.__class__ is str:
            return found in texts
        return found is not None and found in members

    return in_texts


# --- strings -------------------------------------------------------------------------------------


def _text_test(test: Callable[[str, str], bool]) -> FieldCompiler:
    def compile_text(key: Any, fallback: Fallback, value: Any, folded: bool) -> Matcher:
        if not isinstance(value, str):
            raise InvalidConditionError("string operators need a string value")
        if folded:
            value = value.casefold()

            def text_folded(context: Context) -> bool:
                found = context.get(key)
                if found is None:
                    found = fallback(context)
                return isinstance(found, str) and test(found.casefold(), value)

            return text_folded

        def text(context: Context) -> bool:
            found = context.get(key)
            if found is None:
                found = fallback(context)
            return isinstance(found, str) and test(found, value)

        return text

    return compile_text


def _matches(key: Any, fallback: Fallback, value: Any, folded: bool) -> Matcher:
    if not isinstance(value, str):
        raise InvalidConditionError("matches needs a string pattern")
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = not folded
    try:
        search = re2.compile(value, options).search
    except (re2.error, UnicodeError, TypeError) as exc:
        raise InvalidConditionError(f"matches: invalid RE2 pattern: {exc}") from exc

    def matches(context: Context) -> bool:
        found = context.get(key)
        if found is None:
            found = fallback(context)
        if not isinstance(found, str):
            return False
        try:
            return search(found) is not None
        except UnicodeError:  # a lone surrogate cannot be encoded for RE2
            return False

    return matches


# --- numbers, versions, instants, networks -------------------------------------------------------


def _parsed_compare(parse: Callable[[Any], Any], compare: Callable[[Any, Any], bool], kind: str) -> FieldCompiler:
    def compile_compare(key: Any, fallback: Fallback, value: Any, folded: bool) -> Matcher:
        bound = parse(value)
        if bound is None:
            raise InvalidConditionError(f"this operator needs {kind} value")

        def compare_parsed(context: Context) -> bool:
            found = context.get(key)
            if found is None:
                found = fallback(context)
            parsed = parse(found)
            return parsed is not None and compare(parsed, bound)

        return compare_parsed

    return compile_compare


def _number_compare(compare: Callable[[Any, Any], bool]) -> FieldCompiler:
    def compile_compare(key: Any, fallback: Fallback, value: Any, folded: bool) -> Matcher:
        bound = parse_number(value)
        if bound is None:
            raise InvalidConditionError("numeric operators need a number value")

        def compare_number(context: Context) -> bool:
            found = context.get(key)
            if found is None:
                found = fallback(context)
            cls = found.__class__
            if cls is int or cls is float:
                return compare(found, bound)
            parsed = parse_number(found)
            return parsed is not None and compare(parsed, bound)

        return compare_number

    return compile_compare


def _in_cidr(key: Any, fallback: Fallback, value: Any, folded: bool) -> Matcher:
    networks = parse_networks(value)
    if networks is None:
        raise InvalidConditionError("in_cidr needs a CIDR or address, or a list of them")

    def in_cidr(context: Context) -> bool:
        found = context.get(key)
        if found is None:
            found = fallback(context)
        address = parse_ip(found)
        return address is not None and in_networks(address, networks)

    return in_cidr


def _exists(key: Any, fallback: Fallback, value: Any, folded: bool) -> Matcher:
    def exists(context: Context) -> bool:
        return context.get(key) is not None or fallback(context) is not None

    return exists


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
        return _invert(matcher) if complement != (condition.get("negate") is True) else matcher

    return compile_


def _segment_operator(*, complement: bool) -> Compiler:
    def compile_(condition: Mapping[str, Any], scope: CompileScope) -> Matcher:
        name = condition.get("value")
        if not isinstance(name, str):
            raise InvalidConditionError("in_segment/not_in_segment need the segment's name as value")
        scope.used.add(name)
        conditions = scope.segments.get(name)
        matcher: Matcher = _never  # an unknown segment contains no one; so does one that contains itself
        if conditions is not None and name not in scope.stack:
            matcher = _compile_all(conditions, CompileScope(scope.segments, scope.used, (*scope.stack, name)))
        return _invert(matcher) if complement != (condition.get("negate") is True) else matcher

    return compile_


_text_starts = _text_test(str.startswith)
_text_contains = _text_test(str.__contains__)

OPERATORS: Mapping[str, Compiler] = {
    Operator.EQ: _field_operator(_eq),
    Operator.NEQ: _field_operator(_eq, complement=True),
    Operator.IN: _field_operator(_in),
    Operator.NOT_IN: _field_operator(_in, complement=True),
    Operator.STARTS_WITH: _field_operator(_text_starts),
    Operator.ENDS_WITH: _field_operator(_text_test(str.endswith)),
    Operator.CONTAINS: _field_operator(_text_contains),
    Operator.NOT_CONTAINS: _field_operator(_text_contains, complement=True),
    Operator.MATCHES: _field_operator(_matches),
    Operator.GT: _field_operator(_number_compare(operator.gt)),
    Operator.GTE: _field_operator(_number_compare(operator.ge)),
    Operator.LT: _field_operator(_number_compare(operator.lt)),
    Operator.LTE: _field_operator(_number_compare(operator.le)),
    Operator.SEMVER_EQ: _field_operator(_parsed_compare(parse_semver, operator.eq, "a SemVer 2.0.0")),
    Operator.SEMVER_GT: _field_operator(_parsed_compare(parse_semver, operator.gt, "a SemVer 2.0.0")),
    Operator.SEMVER_LT: _field_operator(_parsed_compare(parse_semver, operator.lt, "a SemVer 2.0.0")),
    Operator.BEFORE: _field_operator(_parsed_compare(parse_instant, operator.lt, "an ISO 8601")),
    Operator.AFTER: _field_operator(_parsed_compare(parse_instant, operator.gt, "an ISO 8601")),
    Operator.IN_CIDR: _field_operator(_in_cidr),
    Operator.EXISTS: _field_operator(_exists),
    Operator.NOT_EXISTS: _field_operator(_exists, complement=True),
    Operator.IN_SEGMENT: _segment_operator(complement=False),
    Operator.NOT_IN_SEGMENT: _segment_operator(complement=True),
}


# --- compiling -----------------------------------------------------------------------------------


def _compile_one(condition: Any, scope: CompileScope) -> Matcher:
    if not isinstance(condition, Mapping):
        return _never
    try:
        compiler = OPERATORS.get(condition.get("operator"))  # type: ignore[arg-type]
        if compiler is None:
            raise InvalidConditionError(f"unknown operator {condition.get('operator')!r}")
        return compiler(condition, scope)
    except (InvalidConditionError, TypeError):  # TypeError: an unhashable operator
        return _always if condition.get("negate") is True else _never


def _compile_all(conditions: Any, scope: CompileScope) -> Matcher:
    if not isinstance(conditions, list | tuple):
        return _never
    matchers = [_compile_one(condition, scope) for condition in conditions]
    if _never in matchers:
        return _never
    return all_of([matcher for matcher in matchers if matcher is not _always])


def all_of(matchers: Sequence[Matcher]) -> Matcher:
    """The AND of ``matchers``, without a loop for the usual one to three."""
    if not matchers:
        return _always
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
