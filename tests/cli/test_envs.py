"""`vexil env rename|delete|compare|promote`, and the question before an override creates an
environment (docs/environments.md), against a real server."""

from __future__ import annotations

from collections.abc import Callable

from .harness import Vexil

NewName = Callable[[str], str]


def test_env_compare_promote__two_new_environments__differ_then_alike(
    vexil: Vexil, new_name: NewName, flag: str
) -> None:
    # Given two new environments, the flag on in the first only
    source, target = new_name("src"), new_name("dst")
    vexil.ok("env", "create", source)
    vexil.ok("env", "create", target)
    vexil.ok("flag", "enable", flag, "--env", source)
    # When they are compared
    compared = vexil.json("env", "compare", source, target)
    table = vexil.ok("env", "compare", source, target).stdout
    # Then the flag differs in `enabled`, and the table names it
    assert compared["flags"] == [{"flag": flag, "differences": [{"path": "enabled", "from": True, "to": False}]}]
    assert flag in table
    # When the flag is promoted
    promoted = vexil.json("env", "promote", source, target, "--flag", flag)
    # Then it was written, and the two now evaluate alike
    assert promoted["flags"] == [flag]
    assert vexil.json("env", "compare", source, target)["flags"] == []
    assert "alike" in vexil.ok("env", "compare", source, target).stdout


def test_env_rename_delete__overrides_move_then_go(vexil: Vexil, new_name: NewName, flag: str) -> None:
    # Given an environment the flag overrides
    old, new = new_name("old"), new_name("new")
    vexil.ok("env", "create", old)
    vexil.ok("flag", "enable", flag, "--env", old)
    # When it is renamed
    vexil.ok("env", "rename", old, new)
    # Then the override moved with it
    assert vexil.json("flag", "get", flag)["environments"] == {new: {"enabled": True}}
    # When it is deleted, answering no, then with --yes
    declined = vexil.run("env", "delete", new, input="n\n")
    deleted = vexil.json("env", "delete", new, "--yes")
    # Then the question named the flag, nothing went on "no", and then its override went
    assert declined.exit_code == 1 and flag in declined.stderr
    assert deleted["flags"] == [flag]
    assert vexil.json("flag", "get", flag)["environments"] == {}
    assert new not in [env["name"] for env in vexil.json("env", "list")]


def test_flag_enable__unknown_env__asks_before_creating(vexil: Vexil, new_name: NewName, flag: str) -> None:
    # Given an environment name nobody created
    mistyped = new_name("prodution")
    # When an override is set there, declining the question
    declined = vexil.run("flag", "enable", flag, "--env", mistyped, input="n\n")
    # Then nothing changed and no environment was created
    assert declined.exit_code == 2, declined.output
    assert "does not exist" in declined.stderr
    assert mistyped not in [env["name"] for env in vexil.json("env", "list")]
    # When the question is answered yes
    accepted = vexil.run("flag", "enable", flag, "--env", mistyped, input="y\n")
    # Then the override is set, creating the environment
    assert accepted.exit_code == 0, accepted.output
    assert vexil.json("flag", "get", flag)["environments"] == {mistyped: {"enabled": True}}
