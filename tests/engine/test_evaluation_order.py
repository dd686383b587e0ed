"""docs/spec.md §2, step by step: the first step that decides, decides."""

from __future__ import annotations

from typing import Any

import pytest

from vexil.engine import Evaluation, Reason, Snapshot, bucket, identifier_of, variant_hash
from vexil.engine import evaluate as evaluate_module

from .factories import FlagFactory, IdentifierFinder

STAFF = {"field": "email", "operator": "ends_with", "value": "@acme.com"}
THREE = [
    {"name": "control", "payload": {"color": "grey"}, "weight": 1},
    {"name": "blue", "payload": {"color": "blue"}, "weight": 1},
    {"name": "green", "payload": {"color": "green"}, "weight": 2},
]


def evaluate(doc: dict[str, Any], context: dict[str, Any], *others: dict[str, Any]) -> Evaluation:
    return Snapshot([doc, *others]).evaluate(doc["name"], context)


def test_step1__unknown_flag__flag_not_found() -> None:
    # Given an empty snapshot
    # When an unknown flag is evaluated
    result = Snapshot().evaluate("ghost", {"identifier": "u"})
    # Then it is inactive with no variant
    assert result.fields() == ("ghost", False, None, None, Reason.FLAG_NOT_FOUND, None)


@pytest.mark.parametrize("context", [{}, {"app": "ios"}, {"app": ["web"]}, {"app": None}])
def test_step2__app_not_in_scope__default_variant_app_not_scoped(
    make_flag: FlagFactory, context: dict[str, Any]
) -> None:
    # Given a flag scoped to web, which would otherwise be disabled (step 4 comes later)
    doc = make_flag(apps=["web"], enabled=False)
    # When evaluated without the app, for another app or with a wrong-typed app
    result = evaluate(doc, context)
    # Then scoping decides first
    assert (result.reason, result.variant, result.active) == (Reason.APP_NOT_SCOPED, "off", False)


def test_step2__app_in_scope__continues(make_flag: FlagFactory) -> None:
    # Given a flag scoped to web and ios
    doc = make_flag(apps=["web", "ios"])
    # When evaluated for ios
    result = evaluate(doc, {"app": "ios"})
    # Then the later steps decide
    assert result.reason == Reason.ENABLED


def test_step3__environment_override__replaces_present_keys_only(make_flag: FlagFactory) -> None:
    # Given a flag on at 100 % with a production override at 0 % and a staging override that disables it
    doc = make_flag(
        environments={"production": {"rollout_percentage": 0}, "staging": {"enabled": False}, "development": {}}
    )
    # When evaluated in each environment
    results = {env: evaluate(doc, {"identifier": "u", "environment": env}).reason for env in ("production", "staging")}
    others = {env: evaluate(doc, {"identifier": "u", "environment": env}).reason for env in ("development", "qa", None)}
    # Then the override applies where it exists; an empty one, an unknown environment or none uses the flag's own
    assert results == {"production": Reason.ROLLOUT_EXCLUDED, "staging": Reason.DISABLED}
    assert set(others.values()) == {Reason.ENABLED}


def test_step3__override_rules_and_allowlist__replace_the_flags(make_flag: FlagFactory) -> None:
    # Given flag-level rules and allowlist, and a production override of both
    doc = make_flag(
        rollout_percentage=0,
        rules=[{"conditions": [STAFF], "serve": "on"}],
        allowlist={"vip": "on"},
        environments={"production": {"rules": [], "allowlist": {"other": "on"}}},
    )
    # When a staff member and the VIP are evaluated in production and without an environment
    staff = {"identifier": "s", "email": "s@acme.com"}
    # Then production uses its own (empty) rules and allowlist
    assert evaluate(doc, staff).reason == Reason.RULE_MATCH
    assert evaluate(doc, {**staff, "environment": "production"}).reason == Reason.ROLLOUT_EXCLUDED
    assert evaluate(doc, {"identifier": "vip", "environment": "production"}).reason == Reason.ROLLOUT_EXCLUDED
    assert evaluate(doc, {"identifier": "other", "environment": "production"}).reason == Reason.ALLOWLIST


def test_step4__disabled__wins_over_allowlist_rules_and_rollout(make_flag: FlagFactory) -> None:
    # Given a disabled flag with an allowlist and a matching rule
    doc = make_flag(enabled=False, allowlist={"vip": "on"}, rules=[{"conditions": [], "serve": "on"}])
    # When the allowlisted user is evaluated
    result = evaluate(doc, {"identifier": "vip"})
    # Then the kill switch decides, serving the default variant
    assert (result.reason, result.variant, result.active, result.rule) == (Reason.DISABLED, "off", False, None)


def test_step4__enabled_missing__defaults_to_disabled() -> None:
    # Given a document with only a name
    # When evaluated
    result = evaluate({"name": "bare"}, {})
    # Then enabled defaults to false
    assert result.reason == Reason.DISABLED


SPLIT_PARENT = {"variants": THREE, "default_variant": "control"}
GREEN_PARENT = {**SPLIT_PARENT, "allowlist": {"u": "green"}}


@pytest.mark.parametrize(
    ("prerequisite", "parent", "met"),
    [
        pytest.param({"flag": "parent"}, {"enabled": True}, True, id="active-default-true-met"),
        pytest.param({"flag": "parent"}, {"enabled": False}, False, id="parent-off"),
        pytest.param({"flag": "parent", "active": False}, {"enabled": False}, True, id="require-inactive"),
        pytest.param({"flag": "parent", "variants": ["blue"]}, SPLIT_PARENT, False, id="variant-not-served"),
        pytest.param({"flag": "parent", "variants": ["green"]}, GREEN_PARENT, True, id="variant-served"),
        pytest.param({"flag": "missing"}, {}, False, id="unknown-flag-is-inactive"),
        pytest.param({"nope": 1}, {}, False, id="unreadable-never-met"),
    ],
)
def test_step5__prerequisite__gates_before_allowlist(
    make_flag: FlagFactory, prerequisite: dict[str, Any], parent: dict[str, Any], met: bool
) -> None:
    # Given a child flag whose allowlist names the user, behind a prerequisite on `parent`
    child = make_flag(name="child", prerequisites=[prerequisite], allowlist={"u": "on"})
    parent_doc = make_flag(name="parent", **parent)
    # When the child is evaluated
    result = evaluate(child, {"identifier": "u"}, parent_doc)
    # Then an unmet prerequisite serves the default variant before the allowlist is consulted
    assert result.reason == (Reason.ALLOWLIST if met else Reason.PREREQUISITE_FAILED)


def test_step5__prerequisite_chain__evaluated_recursively_for_same_context(make_flag: FlagFactory) -> None:
    # Given a -> b -> c, where c only targets staff
    a = make_flag(name="a", prerequisites=[{"flag": "b"}])
    b = make_flag(name="b", prerequisites=[{"flag": "c"}])
    c = make_flag(name="c", rollout_percentage=0, rules=[{"conditions": [STAFF], "serve": "on"}])
    snapshot = Snapshot([a, b, c])
    # When a is evaluated for staff and for others
    staff = snapshot.evaluate("a", {"identifier": "u", "email": "x@acme.com"})
    other = snapshot.evaluate("a", {"identifier": "u", "email": "x@gmail.com"})
    # Then the chain carries the context
    assert (staff.reason, other.reason) == (Reason.ENABLED, Reason.PREREQUISITE_FAILED)


def test_step6__allowlist__wins_over_rules_and_rollout(make_flag: FlagFactory) -> None:
    # Given a 0 % flag whose first rule serves "off" to everyone, and an allowlist
    doc = make_flag(
        variants=THREE,
        rollout_percentage=0,
        rules=[{"conditions": [], "serve": "blue"}],
        allowlist={"vip": "green", "meh": "control"},
    )
    # When the allowlisted users are evaluated
    vip = evaluate(doc, {"identifier": "vip"})
    meh = evaluate(doc, {"identifier": "meh"})
    # Then they get their variant, with its payload; serving the default variant is not active
    assert (vip.reason, vip.variant, vip.payload, vip.active) == (Reason.ALLOWLIST, "green", {"color": "green"}, True)
    assert (meh.reason, meh.variant, meh.active) == (Reason.ALLOWLIST, "control", False)


def test_step6__integer_identifier__is_read_as_text(make_flag: FlagFactory) -> None:
    # Given an allowlist keyed by "42"
    doc = make_flag(rollout_percentage=0, allowlist={"42": "on"})
    # When the identifier is the number 42
    # Then it matches; a boolean identifier is no identifier
    assert evaluate(doc, {"identifier": 42}).reason == Reason.ALLOWLIST
    assert evaluate(doc, {"identifier": True}).reason == Reason.ROLLOUT_EXCLUDED


def test_step7__first_matching_rule__decides_with_its_index(make_flag: FlagFactory) -> None:
    # Given three rules: one that never matches, one for staff, and a catch-all
    doc = make_flag(
        variants=THREE,
        rollout_percentage=0,
        rules=[
            {"conditions": [{"field": "plan", "operator": "eq", "value": "enterprise"}], "serve": "green"},
            {"conditions": [STAFF], "serve": "blue"},
            {"conditions": [], "serve": "green"},
        ],
    )
    # When a staff member is evaluated
    result = evaluate(doc, {"identifier": "u", "email": "u@acme.com"})
    # Then the second rule decides and is named
    assert (result.reason, result.variant, result.rule, result.active) == (Reason.RULE_MATCH, "blue", 1, True)


def test_step7__rule_rollout_excludes__falls_through_to_next_rule(
    make_flag: FlagFactory, identifier_where: IdentifierFinder
) -> None:
    # Given a 30 % rule for staff followed by a catch-all serving another variant
    doc = make_flag(
        variants=THREE,
        rollout_percentage=0,
        rules=[
            {"conditions": [STAFF], "serve": "blue", "rollout_percentage": 30},
            {"conditions": [], "serve": "green"},
        ],
    )
    inside = identifier_where("f", lambda b: b < 3000)
    outside = identifier_where("f", lambda b: b >= 3000)
    # When staff inside and outside the 30 % bucket are evaluated
    first = evaluate(doc, {"identifier": inside, "email": "a@acme.com"})
    second = evaluate(doc, {"identifier": outside, "email": "a@acme.com"})
    # Then the excluded one falls through to the next rule
    assert (first.variant, first.rule) == ("blue", 0)
    assert (second.variant, second.rule) == ("green", 1)


def test_step7__rule_and_flag_rollout__share_one_bucket(
    make_flag: FlagFactory, identifier_where: IdentifierFinder
) -> None:
    # Given a flag at 40 % whose only rule serves staff at 40 % too (same salt, same bucket)
    doc = make_flag(rollout_percentage=40, rules=[{"conditions": [STAFF], "serve": "on", "rollout_percentage": 40}])
    outside = identifier_where("f", lambda b: b >= 4000)
    # When a staff member outside the bucket is evaluated
    result = evaluate(doc, {"identifier": outside, "email": "a@acme.com"})
    # Then the rule excludes them and so does the rollout
    assert result.reason == Reason.ROLLOUT_EXCLUDED


def test_step7__serve_null__uses_weighted_split(make_flag: FlagFactory) -> None:
    # Given a rule serving the split
    doc = make_flag(
        variants=THREE, default_variant="control", rollout_percentage=0, rules=[{"conditions": [], "serve": None}]
    )
    # When many users are evaluated
    variants = {evaluate(doc, {"identifier": f"u{n}"}).variant for n in range(200)}
    result = evaluate(doc, {"identifier": "u1"})
    # Then the split decides, reported as a rule match with the rule's index
    assert variants == {"control", "blue", "green"}
    assert (result.reason, result.rule) == (Reason.RULE_MATCH, 0)


@pytest.mark.parametrize(("percentage", "reason"), [(100, Reason.ENABLED), (0, Reason.ROLLOUT_EXCLUDED)])
def test_step8__whole_or_nothing__needs_no_identifier(make_flag: FlagFactory, percentage: int, reason: Reason) -> None:
    # Given a flag at 100 % or 0 %
    doc = make_flag(rollout_percentage=percentage)
    # When evaluated with no identifier
    result = evaluate(doc, {})
    # Then everyone or no one is included
    assert result.reason == reason
    assert result.variant == ("on" if percentage else "off")


def test_step8__partial_rollout__includes_bucket_below_threshold(
    make_flag: FlagFactory, identifier_where: IdentifierFinder
) -> None:
    # Given a flag at 33.33 % (threshold 3333) and users at buckets either side
    doc = make_flag(rollout_percentage=33.33, salt="salty")
    inside = identifier_where("salty", lambda b: b == 3332)
    outside = identifier_where("salty", lambda b: b == 3333)
    # When evaluated
    included = evaluate(doc, {"identifier": inside})
    excluded = evaluate(doc, {"identifier": outside})
    # Then the bucket decides, with the split for the included
    assert (included.reason, included.variant, included.active) == (Reason.ROLLOUT_INCLUDED, "on", True)
    assert (excluded.reason, excluded.variant, excluded.active) == (Reason.ROLLOUT_EXCLUDED, "off", False)


@pytest.mark.parametrize(("draw", "reason"), [(0.49, Reason.ROLLOUT_INCLUDED), (0.51, Reason.ROLLOUT_EXCLUDED)])
def test_step8__no_identifier__random_draw_decides(
    make_flag: FlagFactory, monkeypatch: pytest.MonkeyPatch, draw: float, reason: Reason
) -> None:
    # Given a 50 % flag and a fixed random draw
    monkeypatch.setattr(evaluate_module, "random", lambda: draw)
    # When evaluated without an identifier
    result = evaluate(make_flag(rollout_percentage=50), {"identifier": ""})
    # Then the draw decides
    assert result.reason == reason


def test_step9__weighted_split__follows_variant_hash(make_flag: FlagFactory) -> None:
    # Given weights 1, 1, 2 (and a zero weight that is skipped)
    variants = [THREE[0], {"name": "never", "weight": 0}, *THREE[1:]]
    doc = make_flag(variants=variants, default_variant="control", salt="s")
    for n in range(300):
        identifier = f"u{n}"
        # When a user is evaluated
        result = evaluate(doc, {"identifier": identifier})
        # Then v = variant_hash % 4 + 1 picks control (1), blue (2) or green (3, 4)
        v = variant_hash("s", identifier) % 4 + 1
        assert result.variant == ("control" if v == 1 else "blue" if v == 2 else "green")
        assert result.reason == Reason.ENABLED
        assert result.active is (result.variant != "control")


def test_step9__total_weight_zero__serves_default_variant(make_flag: FlagFactory) -> None:
    # Given variants that all weigh 0
    doc = make_flag(variants=[{"name": "a", "weight": 0}, {"name": "b", "weight": 0}], default_variant="b")
    # When evaluated
    result = evaluate(doc, {"identifier": "u"})
    # Then the default variant is served, inactive
    assert (result.variant, result.active, result.reason) == ("b", False, Reason.ENABLED)


@pytest.mark.parametrize(("draw", "variant"), [(0.0, "control"), (0.3, "blue"), (0.99, "green")])
def test_step9__split_without_identifier__is_random(
    make_flag: FlagFactory, monkeypatch: pytest.MonkeyPatch, draw: float, variant: str
) -> None:
    # Given a three-way split and a fixed random draw
    monkeypatch.setattr(evaluate_module, "random", lambda: draw)
    # When evaluated without an identifier
    result = evaluate(make_flag(variants=THREE), {})
    # Then the draw picks the variant (total 4: 0.0 -> 1, 0.3 -> 2, 0.99 -> 4)
    assert result.variant == variant


def test_rollout__included_users__get_rollout_buckets_not_variant_buckets(make_flag: FlagFactory) -> None:
    # Given a 50 % rollout of a boolean flag
    doc = make_flag(rollout_percentage=50, salt="abc")
    snapshot = Snapshot([doc])
    # When 2,000 users are evaluated
    for n in range(2000):
        identifier = f"id-{n}"
        result = snapshot.evaluate("f", {"identifier": identifier})
        # Then inclusion follows bucket() exactly
        assert (result.reason == Reason.ROLLOUT_INCLUDED) is (bucket("abc", identifier) < 5000)


@pytest.mark.parametrize(
    ("value", "identifier"),
    [("u-1", "u-1"), ("", None), (42, "42"), (-7, "-7"), (True, None), (None, None), (["u"], None), (1.5, None)],
)
def test_identifier_of__context_values__normalized(value: Any, identifier: str | None) -> None:
    # Given a context's identifier value
    # When read as the targeting key
    # Then strings are kept, integers become text, and anything else (or empty) is no identifier
    assert identifier_of(value) == identifier
