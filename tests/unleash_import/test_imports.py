"""vexil.unleash.imports, unit by unit: what each Unleash piece becomes (docs/migrating-from-unleash.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unleash_import.recorded import FIXTURES
from vexil.unleash.imports import Refused, convert


def export(environment: str, *features: dict[str, Any], segments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An Unleash features-batch export of one environment, from `{name, enabled, strategies, variants?}`."""
    return {
        "features": [{"name": f["name"], "description": f.get("description")} for f in features],
        "featureEnvironments": [
            {
                "featureName": f["name"],
                "environment": environment,
                "enabled": f.get("enabled", True),
                "variants": f.get("variants", []),
            }
            for f in features
        ],
        "featureStrategies": [{**s, "featureName": f["name"]} for f in features for s in f.get("strategies", [])],
        "segments": segments or [],
        "dependencies": [
            {"feature": f["name"], "dependencies": f["dependencies"]} for f in features if "dependencies" in f
        ],
    }


def rollout(percentage: int, group: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "flexibleRollout",
        "parameters": {"rollout": str(percentage), "stickiness": "default", "groupId": group},
        **extra,
    }


def constraint(field: str, operator: str, values: Any, **extra: Any) -> dict[str, Any]:
    key = "values" if isinstance(values, list) else "value"
    return {"contextName": field, "operator": operator, key: values, **extra}


def only_flag(*documents: dict[str, Any]) -> dict[str, Any]:
    flags = convert(list(documents)).flags
    assert len(flags) == 1
    return flags[0]


def refusal(*documents: dict[str, Any]) -> str:
    with pytest.raises(Refused) as caught:
        convert(list(documents))
    return str(caught.value)


def test_convert__flexible_rollout__group_id_is_the_salt_and_environments_are_overrides() -> None:
    # Given a feature at 30 % in development and off in production, both hashed with groupId gr1
    dev = export("development", {"name": "checkout", "strategies": [rollout(30, "gr1")]})
    prod = export("production", {"name": "checkout", "enabled": False, "strategies": [rollout(60, "gr1")]})
    # When converted
    flag = only_flag(dev, prod)
    # Then the salt is the groupId, off in its own configuration, one override per environment
    assert flag["salt"] == "gr1"
    assert flag["enabled"] is False
    assert flag["environments"] == {
        "development": {
            "enabled": True,
            "rules": [{"conditions": [], "rollout_percentage": 30, "serve": "on"}],
            "rollout_percentage": 0,
        },
        "production": {"enabled": False},
    }
    assert "variants" not in flag  # a boolean flag


def test_convert__enabled_without_strategies__on_for_everyone() -> None:
    flag = only_flag(export("production", {"name": "plain"}))
    assert flag["environments"]["production"]["rules"] == [{"conditions": [], "rollout_percentage": 100, "serve": "on"}]


def test_convert__disabled_strategy__left_out() -> None:
    strategies = [{"name": "default", "disabled": True}, rollout(20, "plain")]
    flag = only_flag(export("production", {"name": "plain", "strategies": strategies}))
    assert [r["rollout_percentage"] for r in flag["environments"]["production"]["rules"]] == [20]


@pytest.mark.parametrize(
    ("unleash", "vexil"),
    [
        (constraint("plan", "IN", [" pro", "", "team"]), {"field": "plan", "operator": "in", "value": ["pro", "team"]}),
        (
            constraint("userId", "NOT_IN", ["u1"], caseInsensitive=True),
            {"field": "identifier", "operator": "not_in", "value": ["u1"]},
        ),
        (
            constraint("appName", "IN", ["web"], inverted=True),
            {"field": "app", "operator": "in", "value": ["web"], "negate": True},
        ),
        (
            constraint("email", "STR_ENDS_WITH", ["@acme.com"], caseInsensitive=True),
            {"field": "email", "operator": "ends_with", "value": "@acme.com", "case_insensitive": True},
        ),
        (
            constraint("email", "STR_STARTS_WITH", ["a.b", "c+"]),
            {"field": "email", "operator": "matches", "value": r"^(?:a\.b|c\+)", "case_insensitive": False},
        ),
        (
            constraint("email", "STR_CONTAINS", ["x", "y"]),
            {"field": "email", "operator": "matches", "value": "(?:x|y)", "case_insensitive": False},
        ),
        (constraint("age", "NUM_GTE", "18"), {"field": "age", "operator": "gte", "value": 18}),
        (
            constraint("age", "NUM_LT", "17.5", inverted=True),
            {"field": "age", "operator": "lt", "value": 17.5, "negate": True},
        ),
        (constraint("version", "SEMVER_GT", "1.2.3"), {"field": "version", "operator": "semver_gt", "value": "1.2.3"}),
        (
            constraint("email", "REGEX", "^u[0-9]+$", caseInsensitive=True),
            {"field": "email", "operator": "matches", "value": "^u[0-9]+$", "case_insensitive": True},
        ),
        (
            constraint("remoteAddress", "IN_CIDR", ["10.0.0.0/8"]),
            {"field": "remoteAddress", "operator": "in_cidr", "value": ["10.0.0.0/8"]},
        ),
    ],
)
def test_convert__constraint__the_matching_condition(unleash: dict[str, Any], vexil: dict[str, Any]) -> None:
    # Given a default strategy with one constraint
    flag = only_flag(export("production", {"name": "f", "strategies": [{"name": "default", "constraints": [unleash]}]}))
    # Then the rule holds the condition Unleash's SDKs evaluate the same way
    assert flag["environments"]["production"]["rules"][0]["conditions"] == [vexil]


def test_convert__user_with_id_and_remote_address__conditions_on_identifier_and_address() -> None:
    strategies = [
        {"name": "userWithId", "parameters": {"userIds": "u1, u2 ,,u3"}},
        {"name": "remoteAddress", "parameters": {"IPs": "10.0.0.0/8, 192.168.1.7"}},
    ]
    rules = only_flag(export("production", {"name": "f", "strategies": strategies}))["environments"]["production"][
        "rules"
    ]
    assert [r["conditions"] for r in rules] == [
        [{"field": "identifier", "operator": "in", "value": ["u1", "u2", "u3"]}],
        [{"field": "remoteAddress", "operator": "in_cidr", "value": ["10.0.0.0/8", "192.168.1.7"]}],
    ]


def test_convert__stickiness_user_id__needs_an_identifier() -> None:
    strategy = {"name": "flexibleRollout", "parameters": {"rollout": "100", "stickiness": "userId", "groupId": "f"}}
    rules = only_flag(export("production", {"name": "f", "strategies": [strategy]}))["environments"]["production"][
        "rules"
    ]
    assert rules[0]["conditions"] == [{"field": "identifier", "operator": "exists"}]


def test_convert__segments__named_for_vexil_and_referenced() -> None:
    # Given a strategy using a segment whose Unleash name is no Vexil name, and the segment list
    feature = {"name": "f", "strategies": [{"name": "default", "segments": [7]}]}
    listing = {"segments": [{"id": 7, "name": "Pro Plans!", "constraints": [constraint("plan", "IN", ["pro"])]}]}
    # When converted
    conversion = convert([export("production", feature, segments=[{"id": 7, "name": "Pro Plans!"}]), listing])
    # Then the segment is created under a Vexil name, with a warning, and the rule uses it
    assert conversion.segments == [
        {"name": "pro-plans", "description": "", "conditions": [{"field": "plan", "operator": "in", "value": ["pro"]}]}
    ]
    assert conversion.flags[0]["environments"]["production"]["rules"][0]["conditions"] == [
        {"operator": "in_segment", "value": "pro-plans"}
    ]
    assert conversion.warnings == ["segment 'Pro Plans!' is named 'pro-plans' in Vexil"]


def test_convert__strategy_variants__flag_variants_behind_disabled() -> None:
    # Given one strategy splitting three variants with payloads of each type, another serving one
    split = [
        {"name": "blue", "weight": 500, "stickiness": "default", "payload": {"type": "json", "value": '{"a": [1]}'}},
        {"name": "green", "weight": 300, "stickiness": "default", "payload": {"type": "string", "value": "g"}},
        {"name": "red", "weight": 200, "stickiness": "default", "payload": {"type": "number", "value": "4.5"}},
    ]
    vip = [{"name": "vip", "weight": 1000, "stickiness": "default"}]
    strategies = [
        rollout(100, "f", variants=vip, constraints=[constraint("plan", "IN", ["gold"])], sortOrder=0),
        rollout(40, "f", variants=split, sortOrder=1),
    ]
    # When converted
    flag = only_flag(export("production", {"name": "f", "strategies": strategies}))
    # Then the split is the flag's, `disabled` is the default, the single variant is served by its rule
    assert flag["default_variant"] == "disabled"
    assert flag["variants"] == [
        {"name": "disabled", "payload": None, "weight": 0},
        {"name": "vip", "payload": None, "weight": 0},
        {"name": "blue", "payload": {"a": [1]}, "weight": 500},
        {"name": "green", "payload": "g", "weight": 300},
        {"name": "red", "payload": 4.5, "weight": 200},
    ]
    assert [r["serve"] for r in flag["environments"]["production"]["rules"]] == ["vip", None]


def test_convert__feature_variants__split_hashed_with_the_feature_name() -> None:
    variants = [
        {"name": "a", "weight": 500, "stickiness": "default"},
        {"name": "b", "weight": 500, "stickiness": "default"},
    ]
    flag = only_flag(export("production", {"name": "f", "strategies": [{"name": "default"}], "variants": variants}))
    assert flag["salt"] == "f"
    assert flag["environments"]["production"]["rules"][0]["serve"] is None


def test_convert__dependencies__prerequisites() -> None:
    parents = [{"feature": "p", "enabled": True, "variants": ["a"]}, {"feature": "q", "enabled": False}]
    conversion = convert([export("production", {"name": "p"}, {"name": "q"}, {"name": "c", "dependencies": parents})])
    child = next(flag for flag in conversion.flags if flag["name"] == "c")
    assert child["prerequisites"] == [
        {"flag": "p", "active": True, "variants": ["a"]},
        {"flag": "q", "active": False, "variants": None},
    ]


@pytest.mark.parametrize(
    ("strategies", "why"),
    [
        (
            [{"name": "default", "constraints": [constraint("currentTime", "DATE_AFTER", "2030-01-01T00:00:00Z")]}],
            "DATE_AFTER compares the clock",
        ),
        ([{"name": "applicationHostname", "parameters": {"hostNames": "a"}}], "applicationHostname"),
        ([rollout(30, "a"), rollout(40, "b")], "several groupIds (a, b)"),
        ([{"name": "flexibleRollout", "parameters": {"rollout": "50", "stickiness": "random"}}], "sticky on random"),
        ([{"name": "default", "constraints": [constraint("a.b", "IN", ["x"])]}], "context field 'a.b'"),
        ([{"name": "default", "segments": [9]}], "segment 9's constraints are not in the file"),
        ([{"name": "gradualRolloutSessionId"}], "the strategy gradualRolloutSessionId has no Vexil equivalent"),
        (
            [rollout(100, "f", variants=[{"name": "a", "weight": 1000}]), {"name": "default"}],
            "enables users with no variant",
        ),
    ],
)
def test_convert__what_unleash_answers_differently__refused_naming_the_feature(
    strategies: list[dict[str, Any]], why: str
) -> None:
    message = refusal(export("production", {"name": "risky", "strategies": strategies}))
    assert message.startswith("the file cannot be imported: feature risky: ")
    assert why in message


def test_convert__every_problem__listed_together() -> None:
    date = [{"name": "default", "constraints": [constraint("currentTime", "DATE_BEFORE", "2030-01-01")]}]
    host = [{"name": "applicationHostname"}]
    message = refusal(export("production", {"name": "one", "strategies": date}, {"name": "two", "strategies": host}))
    assert message.startswith("2 problems, nothing imported: feature one: ")
    assert "; feature two: " in message


@pytest.mark.parametrize("data", [[], "text", [1], {"flags": []}])
def test_convert__not_an_unleash_export__refused(data: Any) -> None:
    with pytest.raises(Refused, match="Unleash"):
        convert(data)


def test_convert__refused_fixture__each_feature_named_with_its_reason() -> None:
    # Given the features a real Unleash server made to be refused (tests/fixtures/unleash/build.mjs)
    message = refusal(*json.loads((FIXTURES / "refused.json").read_text()))
    # Then each is named (but the upper-case name, which Vexil's name rule refuses at the server)
    for name in (
        "ref-date",
        "ref-hostname",
        "ref-two-groups",
        "ref-random",
        "ref-variant-stickiness",
        "ref-mixed-variants",
        "ref-payloads",
    ):
        assert f"feature {name}: " in message


def test_convert__every_strategy_disabled__refused() -> None:
    strategies = [{"name": "default", "disabled": True}]
    assert "every strategy of an enabled environment is disabled" in refusal(
        export("production", {"name": "f", "strategies": strategies})
    )
