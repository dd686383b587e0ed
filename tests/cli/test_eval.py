"""`vexil eval NAME`: the server's evaluation for one context."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .harness import ServerProcess, Vexil

NewName = Callable[[str], str]


def test_eval__allowlisted_user__allowlist_variant(vexil: Vexil, flag: str) -> None:
    # Given
    vexil.ok("flag", "enable", flag)
    vexil.ok("flag", "rollout", flag, "0")
    vexil.ok("flag", "allow", flag, "user-1")
    # When
    listed = vexil.json("eval", flag, "--user", "user-1")
    other = vexil.json("eval", flag, "--user", "user-2")
    # Then
    assert (listed["variant"], listed["active"], listed["reason"]) == ("on", True, "allowlist")
    assert (other["variant"], other["active"], other["reason"]) == ("off", False, "rollout_excluded")


def test_eval__env_override__applies_only_there(vexil: Vexil, flag: str) -> None:
    # Given: on everywhere except production
    vexil.ok("flag", "enable", flag)
    vexil.ok("flag", "disable", flag, "--env", "production")
    # When
    production = vexil.json("eval", flag, "--user", "u", "--env", "production")
    staging = vexil.json("eval", flag, "--user", "u", "--env", "staging")
    # Then
    assert production["reason"] == "disabled"
    assert (staging["variant"], staging["reason"]) == ("on", "enabled")


def test_eval__app_scope__only_scoped_app(vexil: Vexil, flag: str) -> None:
    # Given
    vexil.ok("flag", "enable", flag)
    vexil.ok("flag", "scope", flag, "web")
    # When
    web = vexil.json("eval", flag, "--app", "web")
    ios = vexil.json("eval", flag, "--app", "ios")
    # Then
    assert web["reason"] == "enabled"
    assert ios["reason"] == "app_not_scoped"


def test_eval__attributes__reach_the_rules(vexil: Vexil, vexil_server: ServerProcess, flag: str) -> None:
    # Given: a rule on two attributes (the CLI has no verb for rules: set through the API)
    rule = {
        "conditions": [
            {"field": "plan", "operator": "eq", "value": "pro"},
            {"field": "country", "operator": "in", "value": ["de", "fr"]},
        ],
        "rollout_percentage": 100,
        "serve": "on",
    }
    with vexil_server.http() as http:
        response = http.patch(f"/flags/{flag}", json={"enabled": True, "rollout_percentage": 0, "rules": [rule]})
        assert response.status_code == 200, response.text
    # When
    matched = vexil.json("eval", flag, "--user", "u1", "--attr", "plan=pro", "--attr", "country=de")
    missed = vexil.json("eval", flag, "--user", "u1", "--attr", "plan=free", "--attr", "country=de")
    # Then
    assert (matched["variant"], matched["reason"], matched["rule"]) == ("on", "rule_match", 0)
    assert missed["reason"] == "rollout_excluded"


def test_eval__unknown_flag__flag_not_found_result(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("missing")
    # When
    result = vexil.json("eval", name)
    # Then: evaluation never fails; it says why
    assert (result["active"], result["variant"], result["reason"]) == (False, None, "flag_not_found")


def test_eval__table__shows_variant_and_reason(vexil: Vexil, flag: str) -> None:
    # Given: `flag` is off
    # When
    result = vexil.ok("eval", flag, "--user", "user-1")
    # Then
    assert "off (inactive)" in result.stdout
    assert "disabled" in result.stdout


@pytest.mark.parametrize(
    ("attr", "complaint"),
    [
        ("plan", "is not key=value"),
        ("=x", "is not key=value"),
        ("identifier=u", "'identifier' is reserved; use --user"),
        ("environment=p", "use --env"),
    ],
)
def test_eval__bad_attr__usage_error(vexil: Vexil, flag: str, attr: str, complaint: str) -> None:
    # Given / When
    message = vexil.fails("eval", flag, "--attr", attr, exit_code=2)
    # Then
    assert message.startswith("Invalid value for '--attr'")
    assert complaint in message
