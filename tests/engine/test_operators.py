"""Every operator: matching, not matching, missing field, wrong type, ``negate`` and ``case_insensitive``."""

from __future__ import annotations

import time
from typing import Any

import pytest

from vexil.engine import OPERATORS, Operator, compile_condition, compile_conditions, condition_error


def cond(field: str, operator: str, value: Any = None, **flags: bool) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value, **flags}


def case(condition: dict[str, Any], context: dict[str, Any], expected: bool, id: str) -> Any:
    return pytest.param(condition, context, expected, id=id)


CASES = [
    # eq / neq
    case(cond("plan", "eq", "pro"), {"plan": "pro"}, True, "eq-match"),
    case(cond("plan", "eq", "pro"), {"plan": "free"}, False, "eq-no-match"),
    case(cond("plan", "eq", "pro"), {}, False, "eq-missing"),
    case(cond("plan", "eq", "pro"), {"plan": None}, False, "eq-null-is-missing"),
    case(cond("plan", "eq", "pro"), {"plan": ["pro"]}, False, "eq-wrong-type"),
    case(cond("plan", "eq", "PRO", case_insensitive=True), {"plan": "pro"}, True, "eq-case-insensitive"),
    case(cond("plan", "eq", "PRO"), {"plan": "pro"}, False, "eq-case-sensitive-by-default"),
    case(cond("plan", "eq", "pro", negate=True), {"plan": "pro"}, False, "eq-negate"),
    case(cond("age", "eq", 30), {"age": 30.0}, True, "eq-numbers-numerically"),
    case(cond("age", "eq", 30), {"age": "30"}, True, "eq-number-reads-numeric-string"),
    case(cond("on", "eq", True), {"on": 1}, False, "eq-true-is-not-one"),
    case(cond("on", "eq", 1), {"on": True}, False, "eq-one-is-not-true"),
    case(cond("on", "eq", True), {"on": True}, True, "eq-bool"),
    case(cond("tags", "eq", ["a"]), {"tags": ["a"]}, False, "eq-list-value-is-invalid"),
    case(cond("o", "eq", {"a": 1}), {"o": {"a": 1}}, False, "eq-object-value-is-invalid"),
    case(cond("o", "neq", {"a": 1}), {"o": 2}, False, "neq-object-value-is-invalid"),
    case(cond("o", "neq", {"a": 1}, negate=True), {"o": 2}, True, "neq-object-value-is-invalid-then-negated"),
    case(cond("plan", "neq", "pro"), {"plan": "free"}, True, "neq-match"),
    case(cond("plan", "neq", "pro"), {"plan": "pro"}, False, "neq-no-match"),
    case(cond("plan", "neq", "pro"), {}, True, "neq-missing-matches"),
    case(cond("plan", "neq", "pro"), {"plan": 3}, True, "neq-wrong-type-is-not-eq"),
    case(cond("plan", "neq", "PRO", case_insensitive=True), {"plan": "pro"}, False, "neq-case-insensitive"),
    case(cond("plan", "neq", "pro", negate=True), {}, False, "neq-negate-missing"),
    # in / not_in
    case(cond("country", "in", ["US", "GB"]), {"country": "GB"}, True, "in-match"),
    case(cond("country", "in", ["US", "GB"]), {"country": "FR"}, False, "in-no-match"),
    case(cond("country", "in", ["US", "GB"]), {}, False, "in-missing"),
    case(cond("country", "in", ["US", "GB"]), {"country": ["US"]}, False, "in-wrong-type"),
    case(cond("country", "in", ["us"], case_insensitive=True), {"country": "US"}, True, "in-case-insensitive"),
    case(cond("country", "in", ["us"]), {"country": "US"}, False, "in-case-sensitive"),
    case(cond("country", "in", ["US"], negate=True), {"country": "US"}, False, "in-negate"),
    case(cond("n", "in", [1, 2]), {"n": 2.0}, True, "in-number"),
    case(cond("n", "in", [1, 2]), {"n": "2"}, True, "in-number-reads-numeric-string"),
    case(cond("n", "in", [1]), {"n": True}, False, "in-true-is-not-one"),
    case(cond("n", "in", [True]), {"n": 1}, False, "in-one-is-not-true"),
    case(cond("n", "in", [True]), {"n": True}, True, "in-bool"),
    case(cond("country", "in", "US"), {"country": "US"}, False, "in-value-not-a-list-is-invalid"),
    case(cond("country", "not_in", ["US", "GB"]), {"country": "FR"}, True, "not_in-match"),
    case(cond("country", "not_in", ["US", "GB"]), {"country": "US"}, False, "not_in-no-match"),
    case(cond("country", "not_in", ["US"]), {}, True, "not_in-missing-matches"),
    case(cond("country", "not_in", ["US"]), {"country": {"x": 1}}, False, "not_in-wrong-type"),
    case(cond("country", "not_in", ["US"], negate=True), {"country": ["US"]}, True, "not_in-wrong-type-negate"),
    case(cond("country", "not_in", ["us"], case_insensitive=True), {"country": "US"}, False, "not_in-ci"),
    case(cond("country", "not_in", ["US"], negate=True), {"country": "FR"}, False, "not_in-negate"),
    # strings
    case(cond("email", "starts_with", "admin@"), {"email": "admin@x.io"}, True, "starts_with-match"),
    case(cond("email", "starts_with", "admin@"), {"email": "bob@x.io"}, False, "starts_with-no-match"),
    case(cond("email", "starts_with", "admin@"), {}, False, "starts_with-missing"),
    case(cond("email", "starts_with", "1"), {"email": 12}, False, "starts_with-wrong-type"),
    case(cond("email", "starts_with", "ADMIN", case_insensitive=True), {"email": "admin@x"}, True, "starts_with-ci"),
    case(cond("email", "starts_with", "admin", negate=True), {"email": "bob"}, True, "starts_with-negate"),
    case(cond("email", "ends_with", "@acme.com"), {"email": "a@acme.com"}, True, "ends_with-match"),
    case(cond("email", "ends_with", "@acme.com"), {"email": "a@gmail.com"}, False, "ends_with-no-match"),
    case(cond("email", "ends_with", "@acme.com"), {}, False, "ends_with-missing"),
    case(cond("email", "ends_with", "@acme.com"), {"email": False}, False, "ends_with-wrong-type"),
    case(cond("email", "ends_with", "@ACME.COM", case_insensitive=True), {"email": "a@Acme.com"}, True, "ends_with-ci"),
    case(cond("email", "ends_with", "@acme.com", negate=True), {}, True, "ends_with-negate-missing"),
    case(cond("ua", "contains", "Mobile"), {"ua": "Safari Mobile 17"}, True, "contains-match"),
    case(cond("ua", "contains", "Mobile"), {"ua": "Safari 17"}, False, "contains-no-match"),
    case(cond("ua", "contains", "Mobile"), {}, False, "contains-missing"),
    case(cond("ua", "contains", "1"), {"ua": [1]}, False, "contains-wrong-type"),
    case(cond("ua", "contains", "mobile", case_insensitive=True), {"ua": "MOBILE"}, True, "contains-ci"),
    case(cond("ua", "contains", "Mobile", negate=True), {"ua": "Mobile"}, False, "contains-negate"),
    case(cond("ua", "not_contains", "bot"), {"ua": "Safari"}, True, "not_contains-match"),
    case(cond("ua", "not_contains", "bot"), {"ua": "googlebot"}, False, "not_contains-no-match"),
    case(cond("ua", "not_contains", "bot"), {}, True, "not_contains-missing-matches"),
    case(cond("ua", "not_contains", "bot"), {"ua": 5}, False, "not_contains-wrong-type"),
    case(cond("ua", "not_contains", "BOT", case_insensitive=True), {"ua": "googlebot"}, False, "not_contains-ci"),
    case(cond("ua", "not_contains", "bot", negate=True), {"ua": "x"}, False, "not_contains-negate"),
    # matches (RE2, unanchored search)
    case(cond("email", "matches", r"@(acme|corp)\.com$"), {"email": "a@corp.com"}, True, "matches-match"),
    case(cond("email", "matches", r"^admin"), {"email": "x-admin"}, False, "matches-no-match"),
    case(cond("email", "matches", r"min"), {"email": "x-admin-y"}, True, "matches-unanchored"),
    case(cond("email", "matches", r"a"), {}, False, "matches-missing"),
    case(cond("email", "matches", r"1"), {"email": 1}, False, "matches-wrong-type"),
    case(cond("email", "matches", r"^ADMIN", case_insensitive=True), {"email": "admin"}, True, "matches-ci"),
    case(cond("email", "matches", r"^ADMIN"), {"email": "admin"}, False, "matches-case-sensitive"),
    case(cond("email", "matches", r"^a", negate=True), {"email": "b"}, True, "matches-negate"),
    case(cond("email", "matches", r"(a"), {"email": "(a"}, False, "matches-bad-regex-is-invalid"),
    case(cond("email", "matches", r"(?<=a)b"), {"email": "ab"}, False, "matches-lookbehind-not-re2"),
    case(cond("email", "matches", r"a"), {"email": "a\udcff"}, False, "matches-unencodable-input"),
    # numbers
    case(cond("age", "gt", 18), {"age": 19}, True, "gt-match"),
    case(cond("age", "gt", 18), {"age": 18}, False, "gt-no-match"),
    case(cond("age", "gt", 18), {}, False, "gt-missing"),
    case(cond("age", "gt", 0), {"age": True}, False, "gt-bool-is-not-a-number"),
    case(cond("age", "gt", 18), {"age": "19.5"}, True, "gt-numeric-string"),
    case(cond("age", "gt", "18"), {"age": 19}, True, "gt-numeric-string-value"),
    case(cond("age", "gt", 18), {"age": "nineteen"}, False, "gt-unparsable-string"),
    case(cond("age", "gt", 18), {"age": "inf"}, False, "gt-inf-string-is-not-a-number"),
    case(cond("age", "gt", 18), {"age": " 19"}, False, "gt-padded-string-is-not-a-number"),
    case(cond("age", "gt", 18, negate=True), {}, True, "gt-negate-missing"),
    case(cond("age", "gt", True), {"age": 5}, False, "gt-bool-value-is-invalid"),
    case(cond("age", "gte", 18), {"age": 18}, True, "gte-match"),
    case(cond("age", "gte", 18), {"age": 17.99}, False, "gte-no-match"),
    case(cond("age", "gte", 18), {"age": [18]}, False, "gte-wrong-type"),
    case(cond("age", "lt", 18), {"age": -1}, True, "lt-match"),
    case(cond("age", "lt", 18), {"age": 18}, False, "lt-no-match"),
    case(cond("age", "lt", 18), {}, False, "lt-missing"),
    case(cond("age", "lte", 18), {"age": 18}, True, "lte-match"),
    case(cond("age", "lte", 18), {"age": "1e3"}, False, "lte-no-match-exponent"),
    case(cond("age", "lte", 18, negate=True), {"age": 20}, True, "lte-negate"),
    case(cond("big", "gt", 9007199254740992), {"big": "9007199254740993"}, True, "gt-big-integers-exact"),
    # semver
    case(cond("v", "semver_eq", "1.2.3"), {"v": "1.2.3+build.5"}, True, "semver_eq-ignores-build"),
    case(cond("v", "semver_eq", "1.2.3"), {"v": "1.2.4"}, False, "semver_eq-no-match"),
    case(cond("v", "semver_eq", "1.2.3"), {"v": "v1.2.3"}, False, "semver_eq-v-prefix-is-not-a-version"),
    case(cond("v", "semver_eq", "1.2.3"), {}, False, "semver_eq-missing"),
    case(cond("v", "semver_eq", "1.2.3"), {"v": 1.2}, False, "semver_eq-wrong-type"),
    case(cond("v", "semver_gt", "1.2.3"), {"v": "1.10.0"}, True, "semver_gt-numeric-not-lexical"),
    case(cond("v", "semver_gt", "1.0.0-alpha"), {"v": "1.0.0"}, True, "semver_gt-release-above-prerelease"),
    case(cond("v", "semver_gt", "1.0.0-alpha.1"), {"v": "1.0.0-alpha.beta"}, True, "semver_gt-alpha-above-numeric"),
    case(cond("v", "semver_gt", "1.0.0-alpha"), {"v": "1.0.0-alpha.1"}, True, "semver_gt-longer-prerelease"),
    case(cond("v", "semver_gt", "1.0.0-beta.2"), {"v": "1.0.0-beta.11"}, True, "semver_gt-numeric-identifiers"),
    case(cond("v", "semver_gt", "1.0.0-rc.1"), {"v": "1.0.0-beta.11"}, False, "semver_gt-no-match"),
    case(cond("v", "semver_gt", "1.0.0"), {"v": "01.0.0"}, False, "semver_gt-leading-zero-invalid"),
    case(cond("v", "semver_lt", "2.0.0"), {"v": "2.0.0-rc.1"}, True, "semver_lt-prerelease-below-release"),
    case(cond("v", "semver_lt", "2.0.0"), {"v": "2.0.0"}, False, "semver_lt-no-match"),
    case(cond("v", "semver_lt", "2.0.0"), {}, False, "semver_lt-missing"),
    case(cond("v", "semver_lt", "2.0.0", negate=True), {"v": "3.0.0"}, True, "semver_lt-negate"),
    case(cond("v", "semver_lt", "2.0"), {"v": "1.0.0"}, False, "semver_lt-bad-value-is-invalid"),
    # instants
    case(cond("at", "before", "2026-01-01T00:00:00Z"), {"at": "2025-12-31T23:59:59Z"}, True, "before-match"),
    case(cond("at", "before", "2026-01-01T00:00:00Z"), {"at": "2026-01-01T00:00:00Z"}, False, "before-strict"),
    case(cond("at", "before", "2026-01-01T00:00:00Z"), {"at": "2026-01-01T01:00:00+02:00"}, True, "before-offset"),
    case(cond("at", "before", "2026-01-01T00:00:00"), {"at": "2025-12-31T23:00:00Z"}, True, "before-naive-is-utc"),
    case(cond("at", "before", "2026-01-01T00:00:00Z"), {}, False, "before-missing"),
    case(cond("at", "before", "2026-01-01T00:00:00Z"), {"at": 1700000000}, False, "before-wrong-type"),
    case(cond("at", "before", "2026-01-01T00:00:00Z"), {"at": "yesterday"}, False, "before-unparsable"),
    case(cond("at", "after", "2026-01-01T00:00:00Z"), {"at": "2026-01-01T00:00:00.000001Z"}, True, "after-match"),
    case(cond("at", "after", "2026-01-01T00:00:00Z"), {"at": "2026-01-01T00:00:00Z"}, False, "after-strict"),
    case(cond("at", "after", "2026-01-01", negate=True), {"at": "2025-01-01"}, True, "after-negate"),
    case(cond("at", "after", "soon"), {"at": "2025-01-01"}, False, "after-bad-value-is-invalid"),
    # in_cidr
    case(cond("ip", "in_cidr", "10.0.0.0/8"), {"ip": "10.1.2.3"}, True, "in_cidr-match"),
    case(cond("ip", "in_cidr", "10.0.0.0/8"), {"ip": "11.1.2.3"}, False, "in_cidr-no-match"),
    case(cond("ip", "in_cidr", "10.0.0.0/8"), {}, False, "in_cidr-missing"),
    case(cond("ip", "in_cidr", "10.0.0.0/8"), {"ip": 167837955}, False, "in_cidr-wrong-type"),
    case(cond("ip", "in_cidr", "10.0.0.0/8"), {"ip": "not-an-ip"}, False, "in_cidr-unparsable"),
    case(cond("ip", "in_cidr", ["192.168.0.0/16", "2001:db8::/32"]), {"ip": "2001:db8::1"}, True, "in_cidr-list-v6"),
    case(cond("ip", "in_cidr", "10.0.0.0/8"), {"ip": "::ffff:10.0.0.1"}, True, "in_cidr-ipv4-mapped"),
    case(cond("ip", "in_cidr", "10.0.0.0/8"), {"ip": "2001:db8::1"}, False, "in_cidr-other-family"),
    case(cond("ip", "in_cidr", "192.168.1.7"), {"ip": "192.168.1.7"}, True, "in_cidr-single-address"),
    case(cond("ip", "in_cidr", "10.0.0.0/8", negate=True), {"ip": "10.0.0.1"}, False, "in_cidr-negate"),
    case(cond("ip", "in_cidr", "10.0.0.0/33"), {"ip": "10.0.0.1"}, False, "in_cidr-bad-value-is-invalid"),
    # exists
    case(cond("email", "exists"), {"email": "a@b.c"}, True, "exists-match"),
    case(cond("email", "exists"), {"email": ""}, True, "exists-empty-string-exists"),
    case(cond("email", "exists"), {}, False, "exists-missing"),
    case(cond("email", "exists"), {"email": None}, False, "exists-null-is-missing"),
    case(cond("email", "exists", negate=True), {}, True, "exists-negate"),
    case(cond("email", "not_exists"), {}, True, "not_exists-match"),
    case(cond("email", "not_exists"), {"email": 0}, False, "not_exists-no-match"),
    case(cond("email", "not_exists", negate=True), {}, False, "not_exists-negate"),
    # field lookup
    case(cond("plan", "eq", "pro"), {"attributes": {"plan": "pro"}}, True, "field-falls-back-to-attributes"),
    case(cond("attributes.plan", "eq", "pro"), {"attributes": {"plan": "pro"}}, True, "field-explicit-attributes"),
    case(cond("plan", "eq", "pro"), {"plan": "pro", "attributes": {"plan": "x"}}, True, "field-top-level-first"),
    case(cond("org.tier", "eq", 2), {"org": {"tier": 2}}, True, "field-nested-top-level"),
    case(cond("org.tier", "eq", 2), {"attributes": {"org": {"tier": 2}}}, True, "field-nested-in-attributes"),
    case(cond("org.tier", "eq", 2), {"org": "flat"}, False, "field-through-a-scalar"),
    case(cond("plan", "eq", "pro"), {"attributes": ["plan"]}, False, "field-attributes-not-an-object"),
    case(cond("", "eq", "pro"), {"": "pro"}, False, "field-empty-is-invalid"),
    case(cond("a..b", "exists", negate=True), {}, True, "field-bad-path-is-invalid-then-negated"),
    case(cond("identifier", "starts_with", "admin-"), {"identifier": "admin-1"}, True, "field-identifier"),
]


@pytest.mark.parametrize(("condition", "context", "expected"), CASES)
def test_compile_condition__table__matches_expected(
    condition: dict[str, Any], context: dict[str, Any], expected: bool
) -> None:
    # Given a compiled condition
    matcher = compile_condition(condition)
    # When matched against the context
    result = matcher(context)
    # Then the answer is as specified
    assert result is expected


def test_operators__table__covers_every_operator() -> None:
    # Given the operator vocabulary and the cases above
    covered = {str(param.values[0]["operator"]) for param in CASES}
    # Then every operator has a compiler and is exercised
    assert set(OPERATORS) == {op.value for op in Operator}
    assert covered >= {op.value for op in Operator} - {"in_segment", "not_in_segment"}


@pytest.mark.parametrize(
    "condition",
    [
        pytest.param({"field": "x", "operator": "frobnicate", "value": 1}, id="unknown-operator"),
        pytest.param({"field": "x", "operator": "eq"}, id="missing-value"),
        pytest.param({"field": "x", "operator": ["eq"], "value": 1}, id="unhashable-operator"),
        pytest.param({"operator": "eq", "value": 1}, id="missing-field"),
        pytest.param({"field": 3, "operator": "eq", "value": 1}, id="field-not-a-string"),
        pytest.param({"field": "x", "operator": "in", "value": [[1]]}, id="in-nested-list"),
        pytest.param({"field": "x", "operator": "gt", "value": "many"}, id="gt-unparsable"),
        pytest.param({"field": "x", "operator": "matches", "value": "[z-a]"}, id="bad-regex"),
        pytest.param({"operator": "in_segment", "value": 5}, id="segment-name-not-a-string"),
    ],
)
def test_compile_condition__invalid__is_false_and_negate_inverts(condition: dict[str, Any]) -> None:
    # Given an invalid condition, plain and negated
    plain = compile_condition(condition)
    negated = compile_condition({**condition, "negate": True})
    # When matched against a context holding the field
    context = {"x": 1, "y": "many"}
    # Then it is false, and negate turns that false into true; and the validator names the problem
    assert plain(context) is False
    assert negated(context) is True
    assert condition_error(condition) is not None


def test_matches__catastrophic_pattern__returns_quickly() -> None:
    # Given the classic ReDoS pattern and a long non-matching subject
    matcher = compile_condition(cond("s", "matches", "(a+)+$"))
    subject = {"s": "a" * 100_000 + "!"}
    # When matched
    started = time.perf_counter()
    result = matcher(subject)
    elapsed = time.perf_counter() - started
    # Then RE2 answers in linear time (a backtracking engine would not finish)
    assert result is False
    assert elapsed < 1.0


def test_compile_conditions__all_must_match__and_empty_matches_everyone() -> None:
    # Given two conditions
    both = compile_conditions([cond("a", "eq", 1), cond("b", "eq", 2)])
    # When matched
    # Then it is an AND, and no conditions at all match every context
    assert both({"a": 1, "b": 2}) is True
    assert both({"a": 1, "b": 3}) is False
    assert compile_conditions([])({}) is True


@pytest.mark.parametrize("size", [2, 3, 4, 7])
def test_compile_conditions__any_length__is_an_and(size: int) -> None:
    # Given `size` conditions on fields k0..k{size-1}
    matcher = compile_conditions([cond(f"k{i}", "eq", i) for i in range(size)])
    full = {f"k{i}": i for i in range(size)}
    # When one field is off
    # Then the AND fails, and with all present it holds
    assert matcher(full) is True
    assert matcher({**full, f"k{size - 1}": -1}) is False


def test_compile_conditions__not_a_list_or_bad_items__match_no_one() -> None:
    # Given malformed condition lists
    # When compiled
    # Then they never match (and never raise)
    assert compile_conditions("eq")({}) is False  # type: ignore[arg-type]
    assert compile_conditions([None])({}) is False  # type: ignore[list-item]


def test_in_segment__known_unknown_nested_and_recursive__resolve_at_compile_time() -> None:
    # Given segments, one of which refers to another and one to itself
    segments = {
        "staff": [cond("email", "ends_with", "@acme.com")],
        "staff_in_us": [{"operator": "in_segment", "value": "staff"}, cond("country", "eq", "US")],
        "loop": [{"operator": "in_segment", "value": "loop"}],
    }
    used: set[str] = set()
    in_us = compile_condition({"operator": "in_segment", "value": "staff_in_us"}, segments, used_segments=used)
    # When matched
    # Then nesting works, an unknown or self-containing segment contains no one, and names used are collected
    assert in_us({"email": "a@acme.com", "country": "US"}) is True
    assert in_us({"email": "a@acme.com", "country": "FR"}) is False
    assert used == {"staff_in_us", "staff"}
    assert compile_condition({"operator": "in_segment", "value": "nope"}, segments)({}) is False
    assert compile_condition({"operator": "not_in_segment", "value": "nope"}, segments)({}) is True
    assert compile_condition({"operator": "in_segment", "value": "loop"}, segments)({}) is False
    assert compile_condition({"operator": "not_in_segment", "value": "staff"}, segments)({"email": "a@b.c"}) is True
    negated = compile_condition({"operator": "in_segment", "value": "staff", "negate": True}, segments)
    assert negated({"email": "a@acme.com"}) is False


@pytest.mark.parametrize(
    "context",
    [
        pytest.param({"x": object()}, id="object"),
        pytest.param({"x": float("nan")}, id="nan"),
        pytest.param({"x": 10**5000}, id="huge-int"),
        pytest.param({"x": "9" * 5000}, id="huge-numeric-string"),
        pytest.param({"x": b"bytes"}, id="bytes"),
        pytest.param({"x": {"nested": [1, {"a": None}]}}, id="nested"),
        pytest.param({"attributes": {"x": {1, 2}}}, id="set-in-attributes"),
    ],
)
def test_every_operator__weird_values__never_raise(context: dict[str, Any]) -> None:
    # Given every operator with a plausible value, plain and negated and folded
    values: dict[str, Any] = {"in": [1, "a"], "not_in": [1], "in_cidr": "10.0.0.0/8", "matches": "a"}
    values |= {"semver_eq": "1.0.0", "semver_gt": "1.0.0", "semver_lt": "1.0.0", "before": "2020-01-01"}
    values |= {"after": "2020-01-01", "in_segment": "s", "not_in_segment": "s"}
    for op in Operator:
        for flags in ({}, {"negate": True, "case_insensitive": True}):
            matcher = compile_condition(cond("x", op.value, values.get(op.value, 1), **flags), {"s": []})
            # When matched against odd values
            # Then the answer is a bool, never an exception
            assert isinstance(matcher(context), bool)
