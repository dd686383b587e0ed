"""The matcher factories behind each operator (see operators.py for the semantics).

Each factory takes the compiled field, ``(key, fallback)`` from ``_fields.compile_field``, the
condition's ``value`` and whether it is ``case_insensitive``, and returns a closure over
everything precomputed. A factory raises ``InvalidConditionError`` for a value it cannot use,
saying what is wrong with it (``"abc" is not a number``); operators.py adds what the operator
expects.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import re2

from vexil.engine._fields import Fallback
from vexil.engine._values import (
    in_networks,
    is_scalar,
    parse_ip,
    parse_networks,
    parse_number,
)
from vexil.engine.types import Context, Matcher

# Builds the matcher of one operator: (key, fallback) read the field, then the condition's value and case_insensitive.
FieldCompiler = Callable[[Any, Fallback, Any, bool], Matcher]


class InvalidConditionError(ValueError):
    """A condition that cannot match anything; compiled to a constant false, reported by condition_error.

    ``key`` names the condition's key at fault (``"field"``, ``"operator"`` or ``"value"``), or is
    ``None`` when the condition as a whole is not one; the message says what is wrong and what is
    expected, in plain words.
    """

    def __init__(self, message: str, key: str | None = "value") -> None:
        super().__init__(message)
        self.key = key

    @property
    def message(self) -> str:
        return str(self.args[0])


def show_value(value: Any, limit: int = 60) -> str:
    """``value`` as JSON, for a message (shortened past ``limit`` characters); never raises."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def never(context: Context) -> bool:
    return False


def always(context: Context) -> bool:
    return True


def invert(matcher: Matcher) -> Matcher:
    if matcher is never:
        return always
    if matcher is always:
        return never

    def inverted(context: Context) -> bool:
        return not matcher(context)

    return inverted


# --- eq ------------------------------------------------------------------------------------------


def eq(key: Any, fallback: Fallback, value: Any, folded: bool) -> Matcher:
    if isinstance(value, bool):
        return _eq_bool(key, fallback, value)
    if isinstance(value, str):
        return _eq_text(key, fallback, value, folded)
    number = parse_number(value)
    if number is None:  # a list or an object: one value is compared, never a container
        raise InvalidConditionError(f"{show_value(value)} is not one")
    return _eq_number(key, fallback, number)


def _eq_bool(key: Any, fallback: Fallback, value: bool) -> Matcher:
    def eq_bool(context: Context) -> bool:
        found = context.get(key)
        if found is None:
            found = fallback(context)
        return found is value

    return eq_bool


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


def member_of(key: Any, fallback: Fallback, value: Any, folded: bool) -> Matcher:
    if not isinstance(value, list | tuple):
        raise InvalidConditionError(f"{show_value(value)} is not a list")
    for item in value:
        if not is_scalar(item):
            raise InvalidConditionError(f"{show_value(item)} in the list is not a string, number or boolean")
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


def text_test(test: Callable[[str, str], bool]) -> FieldCompiler:
    def compile_text(key: Any, fallback: Fallback, value: Any, folded: bool) -> Matcher:
        if not isinstance(value, str):
            raise InvalidConditionError(f"{show_value(value)} is not a string")
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


def matches(key: Any, fallback: Fallback, value: Any, folded: bool) -> Matcher:
    if not isinstance(value, str):
        raise InvalidConditionError(f"{show_value(value)} is not a string")
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = not folded
    try:
        search = re2.compile(value, options).search
    except (re2.error, UnicodeError, TypeError) as exc:
        raise InvalidConditionError(f"{show_value(value)} does not compile: {_reason(exc)}") from exc

    def matches_pattern(context: Context) -> bool:
        found = context.get(key)
        if found is None:
            found = fallback(context)
        if not isinstance(found, str):
            return False
        try:
            return search(found) is not None
        except UnicodeError:  # a lone surrogate cannot be encoded for RE2
            return False

    return matches_pattern


def _reason(exc: Exception) -> str:
    reason = exc.args[0] if exc.args else exc
    return reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)


# --- numbers, versions, instants, networks -------------------------------------------------------


def parsed_compare(parse: Callable[[Any], Any], compare: Callable[[Any, Any], bool], kind: str) -> FieldCompiler:
    """Compares values that ``parse`` reads (``kind`` names one: "a version")."""

    def compile_compare(key: Any, fallback: Fallback, value: Any, folded: bool) -> Matcher:
        bound = parse(value)
        if bound is None:
            raise InvalidConditionError(f"{show_value(value)} is not {kind}")

        def compare_parsed(context: Context) -> bool:
            found = context.get(key)
            if found is None:
                found = fallback(context)
            parsed = parse(found)
            return parsed is not None and compare(parsed, bound)

        return compare_parsed

    return compile_compare


def number_compare(compare: Callable[[Any, Any], bool]) -> FieldCompiler:
    def compile_compare(key: Any, fallback: Fallback, value: Any, folded: bool) -> Matcher:
        bound = parse_number(value)
        if bound is None:
            raise InvalidConditionError(f"{show_value(value)} is not a number")

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


def in_cidr(key: Any, fallback: Fallback, value: Any, folded: bool) -> Matcher:
    networks = parse_networks(value)
    if networks is None:
        raise InvalidConditionError(f"{show_value(value)} is not one")

    def in_any_network(context: Context) -> bool:
        found = context.get(key)
        if found is None:
            found = fallback(context)
        address = parse_ip(found)
        return address is not None and in_networks(address, networks)

    return in_any_network


def exists(key: Any, fallback: Fallback, value: Any, folded: bool) -> Matcher:
    def present(context: Context) -> bool:
        return context.get(key) is not None or fallback(context) is not None

    return present
