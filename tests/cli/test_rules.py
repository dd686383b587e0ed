"""`vexil rule add|list|remove|move|inherit` against a real server, checked by what the server stores and serves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .harness import Vexil

NewName = Callable[[str], str]


@pytest.fixture
def split_flag(vexil: Vexil, new_name: NewName) -> str:
    """An enabled flag with variants a (the default) and b, served to nobody but by its rules' `--serve`."""
    name = new_name("rules")
    vexil.ok("flag", "create", name, "--variants", "a:1,b:0", "--default", "a", "--enabled")
    return name


def conditions(vexil: Vexil, flag: str, env: str | None = None) -> list[list[dict[str, Any]]]:
    where = ["--env", env] if env else []
    return [rule["conditions"] for rule in vexil.json("rule", "list", flag, *where)["rules"]]


def test_rule_add__field_op_value__stored_with_typed_values(vexil: Vexil, split_flag: str) -> None:
    # Given: a flag without rules
    # When
    vexil.ok(
        "rule",
        "add",
        split_flag,
        "--when",
        "plan in pro,team",
        "--when",
        "age gte 30",
        "--when",
        "not nocase email ends_with @acme.com",
        "--when",
        "beta exists",
        "--rollout",
        "12.5",
        "--serve",
        "b",
    )
    # Then
    (rule,) = vexil.json("flag", "get", split_flag)["rules"]
    assert rule == {
        "conditions": [
            {"field": "plan", "operator": "in", "value": ["pro", "team"], "negate": False, "case_insensitive": False},
            {"field": "age", "operator": "gte", "value": 30, "negate": False, "case_insensitive": False},
            {
                "field": "email",
                "operator": "ends_with",
                "value": "@acme.com",
                "negate": True,
                "case_insensitive": True,
            },
            {"field": "beta", "operator": "exists", "value": None, "negate": False, "case_insensitive": False},
        ],
        "rollout_percentage": 12.5,
        "serve": "b",
    }


def test_rule_add__matching_user__rule_decides_evaluation(vexil: Vexil, split_flag: str) -> None:
    # Given
    vexil.ok("rule", "add", split_flag, "--when", "country in de,fr", "--serve", "b")
    # When
    german = vexil.json("eval", split_flag, "--user", "u1", "--attr", "country=de")
    american = vexil.json("eval", split_flag, "--user", "u1", "--attr", "country=us")
    # Then
    assert (german["variant"], german["reason"], german["rule"]) == ("b", "rule_match", 0)
    assert american["variant"] == "a"


def test_rule_add__json_condition_and_quoted_text__kept_exactly(vexil: Vexil, split_flag: str) -> None:
    # Given / When: "30" in quotes is the text 30, and a JSON object is a whole condition
    vexil.ok(
        "rule", "add", split_flag, "--when", 'code eq "30"', "--when", '{"field": "x", "operator": "eq", "value": 1}'
    )
    # Then
    assert conditions(vexil, split_flag) == [
        [
            {"field": "code", "operator": "eq", "value": "30", "negate": False, "case_insensitive": False},
            {"field": "x", "operator": "eq", "value": 1, "negate": False, "case_insensitive": False},
        ]
    ]


def test_rule_add__segment_operator__no_field(vexil: Vexil, split_flag: str, new_name: NewName) -> None:
    # Given
    segment = new_name("seg")
    vexil.ok("segment", "create", segment, "--when", "plan eq pro")
    # When
    vexil.ok("rule", "add", split_flag, "--when", f"in_segment {segment}", "--serve", "b")
    # Then
    assert conditions(vexil, split_flag)[0][0]["operator"] == "in_segment"
    assert conditions(vexil, split_flag)[0][0]["value"] == segment
    assert vexil.json("eval", split_flag, "--user", "u", "--attr", "plan=pro")["variant"] == "b"


def test_rule_add__at_position__inserted_there(vexil: Vexil, split_flag: str) -> None:
    # Given
    vexil.ok("rule", "add", split_flag, "--when", "n eq 1")
    vexil.ok("rule", "add", split_flag, "--when", "n eq 2")
    # When
    vexil.ok("rule", "add", split_flag, "--when", "n eq 0", "--at", "0")
    # Then
    assert [c[0]["value"] for c in conditions(vexil, split_flag)] == [0, 1, 2]


def test_rule_add__unknown_operator__usage_error_listing_servers_operators(vexil: Vexil, split_flag: str) -> None:
    # Given / When
    message = vexil.fails("rule", "add", split_flag, "--when", "plan equals pro", exit_code=2)
    # Then: the list comes from GET /operators, so it names operators the CLI never spells itself
    assert message.startswith("condition 'plan equals pro': unknown operator 'equals' (one of eq, neq, in, ")
    assert "semver_gt" in message
    assert vexil.json("flag", "get", split_flag)["rules"] == []


@pytest.mark.parametrize(
    ("condition", "complaint"),
    [
        ("plan", "has no operator"),
        ("beta exists yes", "exists takes no value"),
        ("plan eq", "eq needs a value"),
        ("plan in_segment beta", "in_segment takes no field"),
    ],
)
def test_rule_add__malformed_condition__usage_error(
    vexil: Vexil, split_flag: str, condition: str, complaint: str
) -> None:
    # Given / When
    message = vexil.fails("rule", "add", split_flag, "--when", condition, exit_code=2)
    # Then
    assert complaint in message


def test_rule_add__value_the_operator_cannot_read__server_refusal_in_one_line(vexil: Vexil, split_flag: str) -> None:
    # Given / When
    message = vexil.fails("rule", "add", split_flag, "--when", "version semver_gt v1", exit_code=1)
    # Then: the server's own words (400 is shown as the API says it)
    assert "semver" in message.lower()
    assert vexil.json("flag", "get", split_flag)["rules"] == []


def test_rule_add__env__starts_from_flag_rules_and_leaves_flag_alone(vexil: Vexil, split_flag: str) -> None:
    # Given: the flag has one rule, production inherits it
    vexil.ok("rule", "add", split_flag, "--when", "n eq 1")
    # When
    vexil.ok("rule", "add", split_flag, "--env", "production", "--when", "n eq 2", "--serve", "b")
    # Then
    assert [c[0]["value"] for c in conditions(vexil, split_flag, "production")] == [1, 2]
    assert [c[0]["value"] for c in conditions(vexil, split_flag)] == [1]
    assert vexil.json("eval", split_flag, "--user", "u", "--env", "production", "--attr", "n=2")["variant"] == "b"
    assert vexil.json("eval", split_flag, "--user", "u", "--env", "staging", "--attr", "n=2")["variant"] == "a"


def test_rule_list__env_without_own_rules__says_it_inherits(vexil: Vexil, split_flag: str) -> None:
    # Given
    vexil.ok("rule", "add", split_flag, "--when", "plan eq pro")
    # When
    listed = vexil.json("rule", "list", split_flag, "--env", "staging")
    table = vexil.ok("rule", "list", split_flag, "--env", "staging").stdout
    # Then
    assert listed["inherited"] is True
    assert len(listed["rules"]) == 1
    assert f"{split_flag} in staging inherits the flag's rules." in table
    assert 'plan eq "pro"' in table


def test_rule_list__table__conditions_in_the_when_grammar(vexil: Vexil, split_flag: str) -> None:
    # Given
    vexil.ok("rule", "add", split_flag, "--when", "not nocase plan in pro,team", "--rollout", "50", "--serve", "b")
    # When
    table = vexil.ok("rule", "list", split_flag).stdout
    # Then: what is shown can be pasted back into --when
    assert 'not nocase plan in ["pro", "team"]' in table
    assert "50%" in table


def test_rule_move__last_to_first__order_changes(vexil: Vexil, split_flag: str) -> None:
    # Given
    for n in ("1", "2", "3"):
        vexil.ok("rule", "add", split_flag, "--when", f"n eq {n}")
    # When
    vexil.ok("rule", "move", split_flag, "2", "0")
    # Then
    assert [c[0]["value"] for c in conditions(vexil, split_flag)] == [3, 1, 2]


def test_rule_move__env__reorders_the_override_only(vexil: Vexil, split_flag: str) -> None:
    # Given
    vexil.ok("rule", "add", split_flag, "--when", "n eq 1")
    vexil.ok("rule", "add", split_flag, "--when", "n eq 2")
    # When
    vexil.ok("rule", "move", split_flag, "0", "1", "--env", "production")
    # Then
    assert [c[0]["value"] for c in conditions(vexil, split_flag, "production")] == [2, 1]
    assert [c[0]["value"] for c in conditions(vexil, split_flag)] == [1, 2]


def test_rule_remove__index__that_rule_gone(vexil: Vexil, split_flag: str) -> None:
    # Given
    vexil.ok("rule", "add", split_flag, "--when", "n eq 1")
    vexil.ok("rule", "add", split_flag, "--when", "n eq 2")
    # When
    vexil.ok("rule", "remove", split_flag, "0")
    # Then
    assert [c[0]["value"] for c in conditions(vexil, split_flag)] == [2]


@pytest.mark.parametrize("args", [["remove", "2"], ["move", "0", "3"], ["move", "5", "0"]])
def test_rule_index__out_of_range__usage_error_naming_the_range(vexil: Vexil, split_flag: str, args: list[str]) -> None:
    # Given: two rules
    vexil.ok("rule", "add", split_flag, "--when", "n eq 1")
    vexil.ok("rule", "add", split_flag, "--when", "n eq 2")
    # When
    message = vexil.fails("rule", args[0], split_flag, *args[1:], exit_code=2)
    # Then
    assert message.endswith("(rules are numbered 0 to 1)")


def test_rule_remove__no_rules__usage_error(vexil: Vexil, split_flag: str) -> None:
    # Given / When
    message = vexil.fails("rule", "remove", split_flag, "0", exit_code=2)
    # Then
    assert message == f"{split_flag} has no rules"


def test_rule_inherit__env_with_own_rules__follows_flag_again(vexil: Vexil, split_flag: str) -> None:
    # Given: production has rules of its own and is switched off
    vexil.ok("rule", "add", split_flag, "--env", "production", "--when", "n eq 9")
    vexil.ok("flag", "disable", split_flag, "--env", "production")
    # When
    vexil.ok("rule", "inherit", split_flag, "--env", "production")
    # Then: the rules inherit again, the rest of the override stays
    override = vexil.json("flag", "get", split_flag)["environments"]["production"]
    assert "rules" not in override
    assert override["enabled"] is False


def test_rule_add__unknown_flag__not_found(vexil: Vexil, new_name: NewName) -> None:
    # Given / When
    message = vexil.fails("rule", "add", new_name("missing"), "--when", "a eq b", exit_code=1)
    # Then
    assert message.endswith("not found (HTTP 404)")
