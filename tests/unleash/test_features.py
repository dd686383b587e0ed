"""The translation of Vexil flags into Unleash features (vexil.unleash.features), row by row of
docs/unleash.md's mapping table: what each part of a flag becomes, and what leaves a flag out."""

from __future__ import annotations

from typing import Any

import pytest

from vexil.engine import Snapshot
from vexil.unleash.features import CURRENT, Dialect, Feed, translate
from vexil.unleash.payloads import unleash_payload

SALT = "s1"


def feed(*flags: dict[str, Any], segments: list[dict[str, Any]] | None = None, environment: str | None = None) -> Feed:
    return translate(Snapshot(flags, segments or []), segments or [], environment, CURRENT)


def feature(flag: dict[str, Any], **options: Any) -> dict[str, Any]:
    translated = feed({"salt": SALT, **flag}, **options)
    assert not translated.left_out, translated.left_out
    by_name: dict[str, Any] = {item["name"]: item for item in translated.features}
    return by_name[flag["name"]]  # type: ignore[no-any-return]


def reason(flag: dict[str, Any], **options: Any) -> str:
    return feed(flag, **options).left_out[flag["name"]]


def constraint(name: str, operator: str, values: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "contextName": name,
        "operator": operator,
        "values": values or [],
        "inverted": False,
        "caseInsensitive": False,
        **extra,
    }


def strategy(rollout: int, constraints: list[dict[str, Any]], variants: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": "flexibleRollout",
        "parameters": {"rollout": str(rollout), "stickiness": "default", "groupId": SALT},
        "constraints": constraints,
        "segments": [],
        "variants": variants,
    }


ON = [{"name": "on", "weight": 1000, "weightType": "variable", "stickiness": "default"}]


def rule(*conditions: dict[str, Any], serve: str | None = "on", rollout: float = 100) -> dict[str, Any]:
    return {"conditions": list(conditions), "serve": serve, "rollout_percentage": rollout}


def on_when(*conditions: dict[str, Any]) -> list[dict[str, Any]]:
    """The constraints of the one strategy a flag gets from a rule of these conditions."""
    translated = feature({"name": "f", "enabled": True, "rollout_percentage": 0, "rules": [rule(*conditions)]})
    strategies = translated["strategies"]
    assert len(strategies) == 1, strategies
    return strategies[0]["constraints"]  # type: ignore[no-any-return]


# --- the flag ----------------------------------------------------------------------------------------


def test_kill_switch__off__feature_disabled_without_strategies() -> None:
    # Given a flag switched off (with an allowlist)
    # When it is translated, then the feature is disabled
    translated = feature({"name": "f", "enabled": False, "allowlist": {"u1": "on"}})
    assert (translated["enabled"], translated["strategies"]) == (False, [])


def test_rollout__whole_percentage__one_flexible_rollout_salted_with_group_id() -> None:
    # Given a 37 % rollout
    translated = feature({"name": "f", "enabled": True, "rollout_percentage": 37})
    # When it is translated, then one flexibleRollout at 37 with the salt as groupId, serving on
    assert translated["enabled"] is True
    assert translated["strategies"] == [strategy(37, [], ON)]


def test_rollout__zero__no_strategy_so_the_feature_is_off() -> None:
    # Given an enabled flag at 0 %
    # An enabled feature without strategies would be on for everyone: it is sent disabled instead.
    translated = feature({"name": "f", "enabled": True, "rollout_percentage": 0})
    # When it is translated, then no strategy, and the feature disabled
    assert (translated["enabled"], translated["strategies"]) == (False, [])


def test_rollout__fractional__left_out() -> None:
    # Given a rollout of 33.33 %
    # When it is translated, then the flag is left out, and the reason says why
    assert reason({"name": "f", "enabled": True, "rollout_percentage": 33.33}) == (
        "the rollout rolls out to 33.33 %, and Unleash SDKs roll out whole percentages only"
    )


def test_apps__scope__app_name_in_on_every_strategy() -> None:
    # Given a flag scoped to two apps, with an allowlist
    translated = feature({"name": "f", "enabled": True, "apps": ["web", "ios"], "allowlist": {"u1": "on"}})
    apps = constraint("appName", "IN", ["ios", "web"])
    # When it is translated, then every strategy requires one of the apps
    assert translated["strategies"] == [
        strategy(100, [apps, constraint("userId", "IN", ["u1"])], ON),
        strategy(100, [apps], ON),
    ]


def test_allowlist__default_variant__kept_out_of_later_strategies() -> None:
    # Given u1 allowlisted to on, u2 to the default, and a 50 % rollout
    translated = feature(
        {"name": "f", "enabled": True, "rollout_percentage": 50, "allowlist": {"u1": "on", "u2": "off"}}
    )
    # When it is translated, then u1's strategy first; the rollout keeps u2 out
    assert translated["strategies"] == [
        strategy(100, [constraint("userId", "IN", ["u1"])], ON),
        strategy(50, [constraint("userId", "NOT_IN", ["u2"])], ON),
    ]


def test_rules__in_order_each_with_rollout_and_served_variant__then_the_rollout() -> None:
    # Given a rule serving b to 20 % of pro users, then a 40 % rollout of the split
    variants = [{"name": "a", "weight": 1}, {"name": "b", "weight": 3, "payload": {"k": 1}}]
    translated = feature(
        {
            "name": "f",
            "enabled": True,
            "variants": variants,
            "default_variant": "a",
            "rollout_percentage": 40,
            "rules": [rule({"field": "plan", "operator": "eq", "value": "pro"}, serve="b", rollout=20)],
        }
    )
    b = {
        "name": "b",
        "weightType": "variable",
        "stickiness": "default",
        "payload": {"type": "json", "value": '{"k":1}'},
    }
    split = [{"name": "a", "weight": 1, "weightType": "variable", "stickiness": "default"}, {**b, "weight": 3}]
    # When it is translated, then one strategy each, in order, with their own percentages and variants
    assert translated["strategies"] == [
        strategy(20, [constraint("plan", "IN", ["pro"])], [{**b, "weight": 1000}]),
        strategy(40, [], split),
    ]
    assert translated["variants"] == []  # feature-level variants hash with the name, not the salt


def test_rules__serving_the_default_variant_to_all_it_matches__negated_on_later_strategies() -> None:
    # Given a rule serving the default variant to free users
    free = {"field": "plan", "operator": "eq", "value": "free"}
    translated = feature({"name": "f", "enabled": True, "rules": [rule(free, serve="off")]})
    # When it is translated, then no strategy of its own; the rollout excludes free users
    assert translated["strategies"] == [strategy(100, [constraint("plan", "IN", ["free"], inverted=True)], ON)]


def test_rules__serving_the_default_variant_to_a_part__left_out_when_anything_follows() -> None:
    # Given a rule serving the default variant to half of free users, then the rollout
    free = {"field": "plan", "operator": "eq", "value": "free"}
    # When it is translated, then the flag is left out
    assert reason({"name": "f", "enabled": True, "rules": [rule(free, serve="off", rollout=50)]}) == (
        "rule 1 serves the default variant to 50 % of the users it matches, "
        "and Unleash cannot hand the others on to the later steps"
    )


def test_prerequisites__one_level__dependencies() -> None:
    # Given prerequisites on flags without prerequisites
    translated = feed(
        {"name": "parent", "enabled": True},
        {"name": "child", "enabled": True, "prerequisites": [{"flag": "parent", "active": False}]},
        {"name": "colour", "enabled": True, "variants": [{"name": "r"}, {"name": "g"}, {"name": "b"}]},
        {"name": "red", "enabled": True, "prerequisites": [{"flag": "colour", "variants": ["g", "b"]}]},
    )
    by_name = {item["name"]: item for item in translated.features}
    # When it is translated, then dependencies, with the variants when some are named
    assert by_name["child"]["dependencies"] == [{"feature": "parent", "enabled": False}]
    assert by_name["red"]["dependencies"] == [{"feature": "colour", "enabled": True, "variants": ["g", "b"]}]


def test_prerequisites__two_levels__left_out() -> None:
    # Given a chain c -> b -> a
    translated = feed(
        {"name": "a", "enabled": True},
        {"name": "b", "enabled": True, "prerequisites": [{"flag": "a"}]},
        {"name": "c", "enabled": True, "prerequisites": [{"flag": "b"}]},
    )
    # When it is translated, then c is left out, a and b are served
    assert translated.left_out == {
        "c": "has prerequisite `b`, which has prerequisites of its own, and Unleash dependencies are one level deep"
    }


def test_prerequisites__required_off_but_the_default_is_served_by_weight__left_out() -> None:
    # Given a prerequisite required off whose split weighs its default variant
    split = [{"name": "a", "weight": 1}, {"name": "b", "weight": 1}]
    translated = feed(
        {"name": "p", "enabled": True, "variants": split, "default_variant": "a"},
        {"name": "c", "enabled": True, "prerequisites": [{"flag": "p", "active": False}]},
    )
    # When it is translated, then the flag is left out
    assert "serves its default variant by weight" in translated.left_out["c"]


def test_payloads__text_number_json() -> None:
    # Given payloads of each JSON kind
    # When it is translated, then Unleash's string, number and json payloads
    assert unleash_payload("hi") == {"type": "string", "value": "hi"}
    assert unleash_payload(2.5) == {"type": "number", "value": "2.5"}
    assert unleash_payload({"a": [1, True]}) == {"type": "json", "value": '{"a":[1,true]}'}
    assert unleash_payload(None) is None


# --- conditions ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "constraints"),
    [
        ({"field": "identifier", "operator": "eq", "value": "u1"}, [constraint("userId", "IN", ["u1"])]),
        ({"field": "app", "operator": "neq", "value": "web"}, [constraint("appName", "IN", ["web"], inverted=True)]),
        ({"field": "attributes.plan", "operator": "in", "value": ["a", "b"]}, [constraint("plan", "IN", ["a", "b"])]),
        ({"field": "plan", "operator": "not_in", "value": ["a"]}, [constraint("plan", "IN", ["a"], inverted=True)]),
        ({"field": "n", "operator": "eq", "value": 5}, [constraint("n", "NUM_EQ", value="5")]),
        ({"field": "n", "operator": "gte", "value": 2.5}, [constraint("n", "NUM_GTE", value="2.5")]),
        ({"field": "n", "operator": "lt", "value": 10}, [constraint("n", "NUM_LT", value="10")]),
        ({"field": "v", "operator": "semver_gt", "value": "1.2.3"}, [constraint("v", "SEMVER_GT", value="1.2.3")]),
        (
            {"field": "e", "operator": "ends_with", "value": "@a.io", "case_insensitive": True},
            [constraint("e", "STR_ENDS_WITH", ["@a.io"], caseInsensitive=True)],
        ),
        (
            {"field": "e", "operator": "not_contains", "value": "x"},
            [constraint("e", "STR_CONTAINS", ["x"], inverted=True)],
        ),
        (
            {"field": "e", "operator": "starts_with", "value": "a", "negate": True},
            [constraint("e", "STR_STARTS_WITH", ["a"], inverted=True)],
        ),
    ],
)
def test_conditions__operator_with_an_unleash_equivalent__one_constraint(
    condition: dict[str, Any], constraints: list[dict[str, Any]]
) -> None:
    # Given a rule with one condition whose operator Unleash has
    # When it is translated, then its one constraint
    assert on_when(condition) == constraints


def test_conditions__list_of_numbers__one_strategy_per_number() -> None:
    # Given `in` with a text and two numbers
    translated = feature(
        {
            "name": "f",
            "enabled": True,
            "rollout_percentage": 0,
            "rules": [rule({"field": "n", "operator": "in", "value": ["x", 1, 2]})],
        }
    )
    # When it is translated, then IN for the text and one NUM_EQ per number, one strategy each
    assert [s["constraints"] for s in translated["strategies"]] == [
        [constraint("n", "IN", ["x"])],
        [constraint("n", "NUM_EQ", value="1")],
        [constraint("n", "NUM_EQ", value="2")],
    ]


@pytest.mark.parametrize(
    ("condition", "why"),
    [
        ({"field": "e", "operator": "matches", "value": "^a"}, "uses `matches`"),
        ({"field": "ip", "operator": "in_cidr", "value": "10.0.0.0/8"}, "uses `in_cidr`"),
        ({"field": "e", "operator": "exists"}, "uses `exists`, which Unleash has no operator for"),
        ({"field": "d", "operator": "before", "value": "2026-01-01T00:00:00Z"}, "(`currentTime`)"),
        ({"field": "a.b", "operator": "eq", "value": "x"}, "reads the nested field `a.b`"),
        ({"field": "userId", "operator": "eq", "value": "x"}, "reads the attribute `userId`"),
        (
            {"field": "flag", "operator": "eq", "value": True},
            "uses `eq` with true, and an Unleash context holds only text",
        ),
        ({"field": "p", "operator": "eq", "value": "Pro", "case_insensitive": True}, "ignoring case"),
        ({"field": "p", "operator": "eq", "value": " pro"}, "trim spaces"),
        ({"field": "environment", "operator": "eq", "value": "prod"}, "reads `environment`"),
    ],
)
def test_conditions__without_an_unleash_equivalent__flag_left_out(condition: dict[str, Any], why: str) -> None:
    # Given a rule with a condition Unleash cannot evaluate exactly
    left = reason({"name": "f", "enabled": True, "rules": [rule(condition)]})
    # When it is translated, then the flag is left out, and the reason names the rule and the cause
    assert left.startswith("rule 1 ") and why in left


def test_conditions__environment_with_a_bound_token__folded_to_a_constant() -> None:
    # Given a rule on the environment, in the feeds of two environments
    production = {"field": "environment", "operator": "eq", "value": "production"}
    flag = {"name": "f", "enabled": True, "rollout_percentage": 0, "rules": [rule(production)]}
    # When it is translated, then always true in production, never in staging
    assert feature(flag, environment="production")["strategies"] == [strategy(100, [], ON)]
    assert feature(flag, environment="staging")["enabled"] is False


def test_segments__global_and_referred_to__inlined_and_inverted_when_negated() -> None:
    # Given a segment, used and negated
    segments = [{"name": "pro", "conditions": [{"field": "plan", "operator": "eq", "value": "pro"}]}]
    inside = feature(
        {
            "name": "f",
            "enabled": True,
            "rollout_percentage": 0,
            "rules": [rule({"operator": "in_segment", "value": "pro"})],
        },
        segments=segments,
    )
    outside = feature(
        {
            "name": "g",
            "enabled": True,
            "rollout_percentage": 0,
            "rules": [rule({"operator": "not_in_segment", "value": "pro"})],
        },
        segments=segments,
    )
    # When it is translated, then a reference to the global segment, and its constraint inverted
    assert inside["strategies"][0]["segments"] == [1]
    assert outside["strategies"][0]["constraints"] == [constraint("plan", "IN", ["pro"], inverted=True)]


# --- the client's level ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "level"),
    [
        (None, (0, 0, 0)),
        ("4.1.0", (4, 1, 0)),
        ("4.2.9", (4, 2, 0)),
        ("4.4", (4, 3, 0)),
        ("5.2.0", (4, 5, 0)),
        ("x", (0, 0, 0)),
    ],
)
def test_dialect__client_spec_header__level_of_what_it_evaluates(
    header: str | None, level: tuple[int, int, int]
) -> None:
    # Given an Unleash-Client-Spec header
    # When it is translated, then the level of what the client evaluates
    assert Dialect.of(header).spec == level


def test_dialect__before_4_1__only_in_and_not_in() -> None:
    # Given a client announcing no specification, and a rule serving the default variant
    flag = {"name": "f", "enabled": True, "rules": [rule({"field": "p", "operator": "eq", "value": "x"}, serve="off")]}
    old = translate(Snapshot([flag]), [], None, Dialect.of(None))
    # When it is translated, then the exclusion is a plain NOT_IN
    assert old.features[0]["strategies"][0]["constraints"] == [
        {"contextName": "p", "operator": "NOT_IN", "values": ["x"]}
    ]


def test_payloads__integer_past_64_bits__still_a_number() -> None:
    # Given a stored integer larger than 64 bits (valid JSON; orjson refuses to encode it)
    # When it is encoded for an SDK, then its exact digits are the number's text
    assert unleash_payload(2**70) == {"type": "number", "value": str(2**70)}
    assert unleash_payload(True) == {"type": "json", "value": "true"}
