"""What ``condition_error`` reports (the engine's write-time rules) and the operator metadata it shares."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.factories import condition_of
from vexil.engine import (
    LIST_OPERATORS,
    NO_VALUE_OPERATORS,
    OPERATOR_SPECS,
    OPERATORS,
    SEGMENT_OPERATORS,
    Operator,
    Takes,
    compile_condition,
    condition_error,
)


def condition(operator: str, value: Any) -> dict[str, Any]:
    spec = OPERATOR_SPECS[Operator(operator)]
    return {"operator": operator, "value": value, **({} if spec.takes is Takes.SEGMENT else {"field": "x"})}


def test_operator_specs__every_operator__described_once() -> None:
    # Given the engine's operator vocabulary
    # When its metadata is read
    # Then every operator has one spec, and the operator sets are derived from it
    assert list(OPERATOR_SPECS) == list(Operator)
    assert set(OPERATORS) == set(OPERATOR_SPECS)
    assert {Operator.IN_SEGMENT, Operator.NOT_IN_SEGMENT} == SEGMENT_OPERATORS
    assert {Operator.EXISTS, Operator.NOT_EXISTS} == NO_VALUE_OPERATORS
    assert {Operator.IN, Operator.NOT_IN} == LIST_OPERATORS
    for spec in OPERATOR_SPECS.values():
        assert spec.description
        assert (spec.reads is None) == (spec.takes in (Takes.NONE, Takes.SEGMENT))


@pytest.mark.parametrize("operator", list(Operator), ids=str)
def test_condition_error__unusable_condition__names_the_key_and_compiles_to_false(operator: Operator) -> None:
    # Given a condition of the operator that can never match
    bad = condition_of(operator, usable=False)
    # When validated and compiled
    problem = condition_error(bad)
    plain, negated = compile_condition(bad), compile_condition({**bad, "negate": True})
    # Then the value (or the field) is at fault, and compiling gives false (negated: true)
    assert problem is not None
    assert problem.key == ("field" if OPERATOR_SPECS[operator].takes is Takes.NONE else "value")
    assert plain({"x": "anything"}) is False
    assert negated({"x": "anything"}) is True


@pytest.mark.parametrize("operator", [op for op, spec in OPERATOR_SPECS.items() if spec.reads is not None], ids=str)
def test_condition_error__unreadable_value__says_what_the_operator_expects(operator: Operator) -> None:
    # Given a condition whose value the operator cannot read
    # When validated
    problem = condition_error(condition_of(operator, usable=False))
    # Then the message starts with the operator and what it expects
    assert problem is not None
    assert problem.message.startswith(f"{operator} ")


@pytest.mark.parametrize("operator", list(Operator), ids=str)
def test_condition_error__usable_condition__is_none(operator: Operator) -> None:
    # Given a condition with a value of the type the operator reads (or none, or a segment's name)
    # When validated
    # Then there is nothing to report
    assert condition_error(condition_of(operator, usable=True)) is None


@pytest.mark.parametrize(
    ("bad", "key", "message"),
    [
        (condition("gt", "abc"), "value", 'gt compares numbers; "abc" is not a number'),
        (
            condition("semver_gt", "banana"),
            "value",
            'semver_gt compares SemVer 2.0.0 versions such as "1.2.3"; "banana" is not a version',
        ),
        (
            condition("before", "yesterday"),
            "value",
            'before compares ISO 8601 instants such as "2026-01-01T00:00:00Z"; "yesterday" is not an instant',
        ),
        (
            condition("in_cidr", "not-a-cidr"),
            "value",
            'in_cidr takes a CIDR range such as "10.0.0.0/8" or an IP address, or a list of them; '
            '"not-a-cidr" is not one',
        ),
        (condition("in", "pro"), "value", 'in takes a list of strings, numbers or booleans; "pro" is not a list'),
        (condition("in", []), "value", "in takes a list of strings, numbers or booleans; the list is empty"),
        (
            condition("not_in", [["a"]]),
            "value",
            'not_in takes a list of strings, numbers or booleans; ["a"] in the list is not a string, number or boolean',
        ),
        (condition("starts_with", 5), "value", "starts_with compares text; 5 is not a string"),
        (
            condition("eq", None),
            "value",
            "eq compares a string, number or boolean; the value is missing",
        ),
        (condition("in_segment", 5), "value", "in_segment takes a segment's name; 5 is not a string"),
        (
            {"operator": "eq", "value": 1},
            "field",
            'eq needs a field; use a dotted path such as "plan" or "attributes.plan"',
        ),
        (
            {"field": "a..b", "operator": "eq", "value": 1},
            "field",
            '"a..b" is not a field path; use a dotted path such as "plan" or "attributes.plan"',
        ),
        ({"field": "x", "operator": ["eq"], "value": 1}, "operator", '["eq"] is not an operator; use one of eq, neq'),
        (["eq"], None, "a condition must be an object"),
    ],
)
def test_condition_error__invalid__names_the_key_and_says_what_is_expected(
    bad: Any, key: str | None, message: str
) -> None:
    # Given an invalid condition
    # When validated
    problem = condition_error(bad)
    # Then the key at fault is named and the message is plain
    assert problem is not None
    assert problem.key == key
    assert problem.message.startswith(message)


def test_condition_error__bad_regex__says_why_it_does_not_compile() -> None:
    # Given a pattern RE2 refuses
    # When validated
    problem = condition_error(condition("matches", "([a-z"))
    # Then RE2's reason is given
    assert problem is not None
    assert problem.message.startswith('matches takes an RE2 regular expression; "([a-z" does not compile: missing ]')


def test_compile_condition__empty_lists__in_never_matches_and_not_in_matches_every_scalar() -> None:
    # Given `in []` (refused at write time) and `not_in []` (accepted)
    # When compiled and matched
    # Then evaluation is as it always was: in [] is false (negated: true), not_in [] matches any scalar
    assert compile_condition(condition("in", []))({"x": "a"}) is False
    assert compile_condition({**condition("in", []), "negate": True})({"x": "a"}) is True
    assert compile_condition(condition("not_in", []))({"x": "a"}) is True
    assert compile_condition(condition("not_in", []))({"x": ["a"]}) is False
    assert condition_error(condition("not_in", [])) is None


def test_condition_error__eq_with_a_list_or_object__refused() -> None:
    # Given eq and neq with a JSON container: one value is compared, never a list or an object
    # When validated
    problems = [condition_error(condition("eq", [1, "a"])), condition_error(condition("neq", {"a": 1}))]
    # Then the value is at fault
    assert [(p.key, p.message) for p in problems if p is not None] == [
        ("value", 'eq compares a string, number or boolean; [1, "a"] is not one'),
        ("value", 'neq compares a string, number or boolean; {"a": 1} is not one'),
    ]
