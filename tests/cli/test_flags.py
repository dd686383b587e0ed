"""`vexil flag ...` against a real server."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from vexil.core.names import NAME_RULE

from .harness import Vexil

NewName = Callable[[str], str]


def test_flag_create__no_options__boolean_flag_off(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("create")
    # When
    doc = vexil.json("flag", "create", name)
    # Then
    assert doc["name"] == name
    assert doc["enabled"] is False
    assert [v["name"] for v in doc["variants"]] == ["off", "on"]
    assert doc["default_variant"] == "off"


def test_flag_create__all_options__stored_as_given(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("theme")
    # When
    vexil.ok(
        "flag",
        "create",
        name,
        "--description",
        "Theme [bold]choice",
        "--variants",
        "light,dark:3",
        "--default",
        "light",
        "--enabled",
    )
    # Then
    doc = vexil.json("flag", "get", name)
    assert doc["description"] == "Theme [bold]choice"
    assert doc["variants"] == [
        {"name": "light", "payload": None, "weight": 1},
        {"name": "dark", "payload": None, "weight": 3},
    ]
    assert doc["default_variant"] == "light"
    assert doc["enabled"] is True


def test_flag_create__table_output__one_line_summary(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("human")
    # When
    result = vexil.ok("flag", "create", name, "--enabled")
    # Then
    assert result.stdout.strip() == f"Created {name}: on, rollout 100% (version 1)"


def test_flag_create__default_not_among_variants__usage_error(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("bad-default")
    # When
    message = vexil.fails("flag", "create", name, "--variants", "a,b", "--default", "c", exit_code=2)
    # Then
    assert "'c' is not one of the variants (a, b)" in message
    vexil.fails("flag", "get", name, exit_code=1)


@pytest.mark.parametrize("variants", ["a,a", "a:x", "a:-1", ","], ids=["twice", "weight-nan", "negative", "empty"])
def test_flag_create__bad_variants__usage_error(vexil: Vexil, new_name: NewName, variants: str) -> None:
    # Given / When
    message = vexil.fails("flag", "create", new_name("bad-variants"), "--variants", variants, exit_code=2)
    # Then
    assert message.startswith("Invalid value for '--variants'")


def test_flag_create__duplicate__conflict(vexil: Vexil, flag: str) -> None:
    # Given: `flag` exists
    # When
    message = vexil.fails("flag", "create", flag, exit_code=1)
    # Then
    assert message == f"flag '{flag}' already exists (HTTP 409)"


def test_flag_create__invalid_name__the_server_message_unchanged(vexil: Vexil) -> None:
    # Given what the API answers to a bad name
    headers = {"Authorization": f"Bearer {vexil.token}"}
    said = httpx.post(f"{vexil.url}/flags", json={"name": "Not A Valid Name"}, headers=headers).json()["error"]
    # When the CLI is asked for the same
    message = vexil.fails("flag", "create", "Not A Valid Name", exit_code=1)
    # Then it prints the API's message, word for word
    assert message == said == f"name: {NAME_RULE}"


def test_flag_list__json__holds_created_flag_documents(vexil: Vexil, flag: str) -> None:
    # Given: `flag` exists
    # When
    flags = vexil.json("flag", "list")
    # Then
    mine = [doc for doc in flags if doc["name"] == flag]
    assert len(mine) == 1
    assert set(mine[0]) >= {"name", "enabled", "variants", "environments", "version"}


def test_flag_list__filters__passed_to_server(vexil: Vexil, new_name: NewName) -> None:
    # Given: two flags sharing a unique word, one on and one off
    word = new_name("word")
    on, off = new_name("on"), new_name("off")
    vexil.ok("flag", "create", on, "--description", f"{word} one", "--enabled")
    vexil.ok("flag", "create", off, "--description", f"{word} two")
    # When
    everything = vexil.json("flag", "list", "-q", word)
    enabled = vexil.json("flag", "list", "-q", word, "--enabled")
    disabled = vexil.json("flag", "list", "--query", word, "--disabled")
    # Then
    assert sorted(doc["name"] for doc in everything) == sorted([on, off])
    assert [doc["name"] for doc in enabled] == [on]
    assert [doc["name"] for doc in disabled] == [off]


def test_flag_list__table__shows_names_and_state(vexil: Vexil, flag: str) -> None:
    # Given: `flag` exists
    # When
    result = vexil.ok("flag", "list", "-q", flag)
    # Then
    assert "Name" in result.stdout and "Enabled" in result.stdout
    assert flag in result.stdout
    assert "off" in result.stdout


def test_flag_list__nothing_matches__says_so(vexil: Vexil, new_name: NewName) -> None:
    # Given / When
    result = vexil.ok("flag", "list", "-q", new_name("nothing"))
    # Then
    assert result.stdout.strip() == "No flags."


def test_flag_get__table__shows_configuration(vexil: Vexil, flag: str) -> None:
    # Given
    vexil.ok("flag", "rollout", flag, "30", "--env", "production")
    vexil.ok("flag", "allow", flag, "user-7")
    # When
    result = vexil.ok("flag", "get", flag)
    # Then
    out = result.stdout
    assert flag in out
    assert "user-7 → on" in out
    assert "Environment overrides" in out and "production" in out and "30%" in out


def test_flag_get__unknown__not_found(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("missing")
    # When
    message = vexil.fails("flag", "get", name, exit_code=1)
    # Then
    assert message == f"flag '{name}' not found (HTTP 404)"


def test_flag_delete__yes__flag_gone(vexil: Vexil, flag: str) -> None:
    # Given: `flag` exists
    # When
    result = vexil.ok("flag", "delete", flag, "--yes")
    # Then
    assert result.stdout.strip() == f"Deleted flag {flag}."
    vexil.fails("flag", "get", flag, exit_code=1)


def test_flag_delete__confirmed_at_prompt__flag_gone(vexil: Vexil, flag: str) -> None:
    # Given: `flag` exists
    # When
    result = vexil.run("--json", "flag", "delete", flag, input="y\n")
    # Then
    assert result.exit_code == 0
    assert result.stdout.strip().startswith("{")
    vexil.fails("flag", "get", flag, exit_code=1)


def test_flag_delete__declined_at_prompt__flag_kept(vexil: Vexil, flag: str) -> None:
    # Given: `flag` exists
    # When
    result = vexil.run("flag", "delete", flag, input="n\n")
    # Then
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"vexil: error: flag '{flag}' was not deleted"
    assert vexil.json("flag", "get", flag)["name"] == flag


def test_flag_delete__unknown__not_found(vexil: Vexil, new_name: NewName) -> None:
    # Given / When
    message = vexil.fails("flag", "delete", new_name("missing"), "--yes", exit_code=1)
    # Then
    assert message.endswith("not found (HTTP 404)")


def test_flag_enable_disable__no_env__flag_switch(vexil: Vexil, flag: str) -> None:
    # Given: `flag` is off
    # When
    enabled = vexil.json("flag", "enable", flag)
    disabled = vexil.json("flag", "disable", flag)
    # Then
    assert enabled["enabled"] is True
    assert disabled["enabled"] is False
    assert disabled["environments"] == {}


def test_flag_enable__env__override_only(vexil: Vexil, flag: str) -> None:
    # Given: `flag` is off
    # When
    result = vexil.ok("flag", "enable", flag, "--env", "staging")
    # Then
    assert result.stdout.strip() == f"{flag}: on, rollout 100% in staging (version 2)"
    doc = vexil.json("flag", "get", flag)
    assert doc["enabled"] is False
    assert doc["environments"]["staging"] == {"enabled": True}


def test_flag_disable__env__override_only(vexil: Vexil, flag: str) -> None:
    # Given
    vexil.ok("flag", "enable", flag)
    # When
    doc = vexil.json("flag", "disable", flag, "--env", "production")
    # Then
    assert doc["enabled"] is True
    assert doc["environments"]["production"] == {"enabled": False}


def test_flag_toggle__twice__back_to_off(vexil: Vexil, flag: str) -> None:
    # Given: `flag` is off
    # When
    first = vexil.json("flag", "toggle", flag)
    second = vexil.json("flag", "toggle", flag)
    # Then
    assert (first["enabled"], second["enabled"]) == (True, False)


def test_flag_toggle__env__flips_that_environment(vexil: Vexil, flag: str) -> None:
    # Given: `flag` is off
    # When
    doc = vexil.json("flag", "toggle", flag, "--env", "development")
    # Then
    assert doc["enabled"] is False
    assert doc["environments"]["development"]["enabled"] is True


@pytest.mark.parametrize(("given", "stored"), [("25", 25), ("12.5", 12.5), ("0", 0), ("7.25%", 7.25)])
def test_flag_rollout__valid_percent__stored(vexil: Vexil, flag: str, given: str, stored: float) -> None:
    # Given: `flag` at 100%
    # When
    doc = vexil.json("flag", "rollout", flag, given)
    # Then
    assert doc["rollout_percentage"] == stored


def test_flag_rollout__env__override_only(vexil: Vexil, flag: str) -> None:
    # Given: `flag` at 100%
    # When
    doc = vexil.json("flag", "rollout", flag, "10", "--env", "production")
    # Then
    assert doc["rollout_percentage"] == 100
    assert doc["environments"]["production"] == {"rollout_percentage": 10}


@pytest.mark.parametrize(
    ("given", "complaint"),
    [
        ("150", "is not between 0 and 100"),
        ("abc", "is not a number"),
        ("12.345", "more than two decimals"),
        ("nan", "is not between 0 and 100"),
    ],
)
def test_flag_rollout__bad_percent__usage_error(vexil: Vexil, flag: str, given: str, complaint: str) -> None:
    # Given: `flag` at 100%
    # When
    message = vexil.fails("flag", "rollout", flag, given, exit_code=2)
    # Then
    assert message.startswith("Invalid value for 'PERCENT'")
    assert complaint in message
    assert vexil.json("flag", "get", flag)["rollout_percentage"] == 100


def test_flag_allow__boolean_flag__serves_on(vexil: Vexil, flag: str) -> None:
    # Given: a boolean flag
    # When
    result = vexil.ok("flag", "allow", flag, "user-1")
    # Then
    assert result.stdout.strip() == f"{flag}: user-1 now gets on."
    assert vexil.json("flag", "get", flag)["allowlist"] == {"user-1": "on"}


def test_flag_allow__multivariant__first_non_default_variant(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("multi")
    vexil.ok("flag", "create", name, "--variants", "control,blue,green", "--default", "control")
    # When
    vexil.ok("flag", "allow", name, "user-1")
    vexil.ok("flag", "allow", name, "user-2", "--variant", "green")
    # Then
    assert vexil.json("flag", "get", name)["allowlist"] == {"user-1": "blue", "user-2": "green"}


def test_flag_allow__unknown_variant__usage_error(vexil: Vexil, flag: str) -> None:
    # Given: a boolean flag
    # When
    message = vexil.fails("flag", "allow", flag, "user-1", "--variant", "purple", exit_code=2)
    # Then
    assert message == f"flag '{flag}' has no variant 'purple' (it has off, on)"


def test_flag_allow__env__extends_effective_allowlist(vexil: Vexil, flag: str) -> None:
    # Given: the flag's own allowlist holds user-1
    vexil.ok("flag", "allow", flag, "user-1")
    # When
    vexil.ok("flag", "allow", flag, "user-2", "--env", "production")
    vexil.ok("flag", "allow", flag, "user-3", "--env", "production", "--variant", "off")
    # Then
    doc = vexil.json("flag", "get", flag)
    assert doc["allowlist"] == {"user-1": "on"}
    assert doc["environments"]["production"]["allowlist"] == {"user-1": "on", "user-2": "on", "user-3": "off"}


def test_flag_allow__unknown_flag__not_found(vexil: Vexil, new_name: NewName) -> None:
    # Given / When
    message = vexil.fails("flag", "allow", new_name("missing"), "user-1", exit_code=1)
    # Then
    assert message.endswith("not found (HTTP 404)")


def test_flag_override__enabled_and_rollout__set_together(vexil: Vexil, flag: str) -> None:
    # Given: `flag` is off at 100%
    # When
    result = vexil.ok("flag", "override", flag, "--env", "staging", "--enabled", "--rollout", "12.5")
    # Then
    assert result.stdout.strip() == f"{flag}: on, rollout 12.5% in staging (version 2)"
    doc = vexil.json("flag", "get", flag)
    assert doc["environments"]["staging"] == {"enabled": True, "rollout_percentage": 12.5}


def test_flag_override__second_change__merges_into_override(vexil: Vexil, flag: str) -> None:
    # Given
    vexil.ok("flag", "override", flag, "--env", "staging", "--rollout", "40")
    # When
    doc = vexil.json("flag", "override", flag, "--env", "staging", "--disabled")
    # Then
    assert doc["environments"]["staging"] == {"enabled": False, "rollout_percentage": 40}


def test_flag_override__clear__override_removed(vexil: Vexil, flag: str) -> None:
    # Given
    vexil.ok("flag", "override", flag, "--env", "production", "--enabled")
    # When
    doc = vexil.json("flag", "override", flag, "--env", "production", "--clear")
    # Then
    assert "production" not in doc["environments"]


def test_flag_override__clear_without_override__not_found(vexil: Vexil, flag: str) -> None:
    # Given: no override
    # When
    message = vexil.fails("flag", "override", flag, "--env", "production", "--clear", exit_code=1)
    # Then
    assert "(HTTP 404)" in message


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--env", "staging"], "nothing to change"),
        (["--env", "staging", "--clear", "--enabled"], "--clear"),
        ([], "Missing option '--env'"),
    ],
    ids=["nothing", "clear-and-set", "no-env"],
)
def test_flag_override__bad_combination__usage_error(vexil: Vexil, flag: str, args: list[str], complaint: str) -> None:
    # Given / When
    message = vexil.fails("flag", "override", flag, *args, exit_code=2)
    # Then
    assert complaint in message


def test_flag_scope__add_then_remove__apps_follow(vexil: Vexil, flag: str) -> None:
    # Given: a flag for every app
    # When
    added = vexil.json("flag", "scope", flag, "web")
    both = vexil.json("flag", "scope", flag, "ios")
    removed = vexil.ok("flag", "scope", flag, "web", "--remove")
    # Then
    assert added["apps"] == ["web"]
    assert sorted(both["apps"]) == ["ios", "web"]
    assert removed.stdout.strip() == f"{flag} applies to ios."
    assert vexil.json("flag", "get", flag)["apps"] == ["ios"]


def test_flag_scope__remove_unscoped_app__not_found(vexil: Vexil, flag: str) -> None:
    # Given / When
    message = vexil.fails("flag", "scope", flag, "web", "--remove", exit_code=1)
    # Then
    assert "(HTTP 404)" in message


def test_flag_command__json_after_verb__same_as_global(vexil: Vexil, flag: str) -> None:
    # Given / When
    result = vexil.ok("flag", "get", flag, "--json")
    # Then
    assert result.stdout.lstrip().startswith("{")
    assert f'"name": "{flag}"' in result.stdout
