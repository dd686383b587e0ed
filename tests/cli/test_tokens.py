"""`vexil token create|list|revoke`."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .harness import Vexil

NewName = Callable[[str], str]


def test_token_create__server_role__secret_shown_once(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("sdk")
    # When
    token = vexil.json("token", "create", name, "--role", "server")
    # Then
    assert (token["name"], token["role"], token["revoked"]) == (name, "server", False)
    assert token["token"].startswith(token["prefix"])
    listed = [t for t in vexil.json("token", "list") if t["name"] == name]
    assert len(listed) == 1 and "token" not in listed[0]


def test_token_create__table__prints_secret_on_its_own_line(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("human")
    # When
    result = vexil.ok("token", "create", name, "--role", "client")
    # Then
    lines = result.stdout.splitlines()
    assert lines[0] == f"Created client token {name}."
    assert lines[-1].startswith("vx_")
    assert " " not in lines[-1]


def test_token__server_role__reads_but_cannot_write(vexil: Vexil, new_name: NewName, flag: str) -> None:
    # Given
    secret = vexil.json("token", "create", new_name("reader"), "--role", "server")["token"]
    reader = Vexil(vexil.url, secret)
    # When
    got = reader.json("flag", "get", flag)
    message = reader.fails("flag", "enable", flag, exit_code=1)
    # Then
    assert got["name"] == flag
    assert message == "this needs an editor token (HTTP 403)"


def test_token_revoke__then_used__refused(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("old")
    secret = vexil.json("token", "create", name, "--role", "admin")["token"]
    # When
    result = vexil.ok("token", "revoke", name)
    # Then
    assert result.stdout.strip() == f"Revoked token {name}."
    assert [t["revoked"] for t in vexil.json("token", "list") if t["name"] == name] == [True]
    assert Vexil(vexil.url, secret).fails("flag", "list", exit_code=1) == "invalid token (HTTP 401)"


def test_token_list__table__shows_names_and_roles(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("listed")
    vexil.ok("token", "create", name, "--role", "server")
    # When
    result = vexil.ok("token", "list")
    # Then
    assert name in result.stdout
    assert "server" in result.stdout and "active" in result.stdout


def test_token_create__duplicate__conflict(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("twice")
    vexil.ok("token", "create", name, "--role", "client")
    # When
    message = vexil.fails("token", "create", name, "--role", "client", exit_code=1)
    # Then
    assert "(HTTP 409)" in message


@pytest.mark.parametrize("args", [["--role", "root"], []], ids=["unknown-role", "no-role"])
def test_token_create__bad_role__usage_error(vexil: Vexil, new_name: NewName, args: list[str]) -> None:
    # Given / When
    message = vexil.fails("token", "create", new_name("bad"), *args, exit_code=2)
    # Then
    assert "--role" in message


def test_token_revoke__unknown__not_found(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("ghost")
    # When
    message = vexil.fails("token", "revoke", name, exit_code=1)
    # Then
    assert message == f"token '{name}' not found (HTTP 404)"


def test_token_create__env__bound_and_listed(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("prod-sdk")
    # When
    printed = vexil.ok("token", "create", name, "--role", "server", "--env", "production").stdout
    listed = [t for t in vexil.json("token", "list") if t["name"] == name]
    # Then
    assert printed.splitlines()[0] == f"Created server token {name} for the production environment."
    assert listed[0]["environment"] == "production"
