"""`vexil flag update`, `vexil flag prereq add|remove` and `vexil flag allow --remove` against a real server."""

from __future__ import annotations

from collections.abc import Callable

from .harness import Vexil

NewName = Callable[[str], str]


def test_flag_update__description_tags_variants_default__stored(vexil: Vexil, flag: str) -> None:
    # Given: a boolean flag
    # When
    vexil.ok("flag", "update", flag, "-d", "New words", "--tag", "checkout", "--tag", "team-a")
    vexil.ok("flag", "update", flag, "--variants", "red,green:3", "--default", "green")
    # Then
    doc = vexil.json("flag", "get", flag)
    assert doc["description"] == "New words"
    assert doc["tags"] == ["checkout", "team-a"]
    assert [(v["name"], v["weight"]) for v in doc["variants"]] == [("red", 1), ("green", 3)]
    assert doc["default_variant"] == "green"


def test_flag_update__no_tags__tags_cleared(vexil: Vexil, flag: str) -> None:
    # Given
    vexil.ok("flag", "update", flag, "--tag", "old")
    # When
    vexil.ok("flag", "update", flag, "--no-tags")
    # Then
    assert vexil.json("flag", "get", flag)["tags"] == []


def test_flag_update__nothing_given__usage_error(vexil: Vexil, flag: str) -> None:
    # Given / When
    message = vexil.fails("flag", "update", flag, exit_code=2)
    # Then
    assert message.startswith("nothing to change")


def test_flag_update__default_not_among_new_variants__usage_error(vexil: Vexil, flag: str) -> None:
    # Given / When
    message = vexil.fails("flag", "update", flag, "--variants", "a,b", "--default", "c", exit_code=2)
    # Then
    assert "'c' is not one of the variants (a, b)" in message


def test_flag_update__salt_with_yes__changed_without_question(vexil: Vexil, flag: str) -> None:
    # Given / When
    result = vexil.ok("flag", "update", flag, "--salt", "2026-reshuffle", "--yes")
    # Then
    assert result.stdout.startswith(f"Updated {flag}")
    assert vexil.json("flag", "get", flag)["salt"] == "2026-reshuffle"


def test_flag_update__salt_confirmed__warned_and_changed(vexil: Vexil, flag: str) -> None:
    # Given / When
    result = vexil.run("flag", "update", flag, "--salt", "s2", input="y\n")
    # Then
    assert result.exit_code == 0
    assert "Changing the salt reshuffles users" in result.stderr
    assert vexil.json("flag", "get", flag)["salt"] == "s2"


def test_flag_update__salt_declined__nothing_changed(vexil: Vexil, flag: str) -> None:
    # Given
    before = vexil.json("flag", "get", flag)
    # When: the salt is refused at the prompt, so the description given with it is not written either
    result = vexil.run("flag", "update", flag, "--salt", "s2", "-d", "x", input="n\n")
    # Then
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"vexil: error: the salt of '{flag}' was not changed"
    after = vexil.json("flag", "get", flag)
    assert (after["salt"], after["description"], after["version"]) == (before["salt"], "", before["version"])


def test_flag_prereq_add__variant__required_and_enforced(vexil: Vexil, flag: str, new_name: NewName) -> None:
    # Given: `flag` is on; `login` is off
    login = new_name("login")
    vexil.ok("flag", "create", login)
    vexil.ok("flag", "enable", flag)
    # When
    vexil.ok("flag", "prereq", "add", flag, login, "--variant", "on")
    # Then
    assert vexil.json("flag", "get", flag)["prerequisites"] == [{"flag": login, "active": True, "variants": ["on"]}]
    assert vexil.json("eval", flag, "--user", "u")["reason"] == "prerequisite_failed"
    vexil.ok("flag", "enable", login)
    assert vexil.json("eval", flag, "--user", "u")["variant"] == "on"


def test_flag_prereq_add__same_flag_again__replaced_not_doubled(vexil: Vexil, flag: str, new_name: NewName) -> None:
    # Given
    other = new_name("other")
    vexil.ok("flag", "create", other)
    vexil.ok("flag", "prereq", "add", flag, other)
    # When
    result = vexil.ok("flag", "prereq", "add", flag, other, "--inactive")
    # Then
    assert vexil.json("flag", "get", flag)["prerequisites"] == [{"flag": other, "active": False, "variants": None}]
    assert result.stdout.strip() == f"{flag} requires: {other} is inactive"


def test_flag_prereq_add__cycle__server_refusal(vexil: Vexil, flag: str, new_name: NewName) -> None:
    # Given: other requires flag
    other = new_name("other")
    vexil.ok("flag", "create", other)
    vexil.ok("flag", "prereq", "add", other, flag)
    # When
    message = vexil.fails("flag", "prereq", "add", flag, other, exit_code=1)
    # Then
    assert message.endswith("(HTTP 409)")


def test_flag_prereq_remove__listed__gone(vexil: Vexil, flag: str, new_name: NewName) -> None:
    # Given
    other = new_name("other")
    vexil.ok("flag", "create", other)
    vexil.ok("flag", "prereq", "add", flag, other)
    # When
    vexil.ok("flag", "prereq", "remove", flag, other)
    # Then
    assert vexil.json("flag", "get", flag)["prerequisites"] == []


def test_flag_prereq_remove__not_listed__usage_error(vexil: Vexil, flag: str) -> None:
    # Given / When
    message = vexil.fails("flag", "prereq", "remove", flag, "nothing", exit_code=2)
    # Then
    assert message == f"flag '{flag}' does not require 'nothing'"


def test_flag_allow_remove__listed__no_longer_allowlisted(vexil: Vexil, flag: str) -> None:
    # Given
    vexil.ok("flag", "allow", flag, "user-1")
    vexil.ok("flag", "allow", flag, "user-2")
    # When
    result = vexil.ok("flag", "allow", flag, "user-1", "--remove")
    # Then
    assert result.stdout.strip() == f"{flag}: user-1 is no longer on the allowlist."
    assert vexil.json("flag", "get", flag)["allowlist"] == {"user-2": "on"}


def test_flag_allow_remove__env__from_that_override_only(vexil: Vexil, flag: str) -> None:
    # Given: the flag's allowlist has user-1, which production inherits
    vexil.ok("flag", "allow", flag, "user-1")
    # When
    vexil.ok("flag", "allow", flag, "user-1", "--remove", "--env", "production")
    # Then
    doc = vexil.json("flag", "get", flag)
    assert doc["environments"]["production"]["allowlist"] == {}
    assert doc["allowlist"] == {"user-1": "on"}


def test_flag_allow_remove__not_listed__usage_error(vexil: Vexil, flag: str) -> None:
    # Given / When
    message = vexil.fails("flag", "allow", flag, "nobody", "--remove", exit_code=2)
    # Then
    assert message == f"'nobody' is not on the allowlist of '{flag}'"


def test_flag_allow_remove__with_variant__usage_error(vexil: Vexil, flag: str) -> None:
    # Given / When
    message = vexil.fails("flag", "allow", flag, "u", "--remove", "--variant", "on", exit_code=2)
    # Then
    assert message == "--remove takes no --variant"
