"""`vexil segment ...` and `vexil env ...` against a real server."""

from __future__ import annotations

from collections.abc import Callable

from .harness import ServerProcess, Vexil

NewName = Callable[[str], str]


def test_segment_create__conditions__stored_and_listed(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("seg")
    # When
    vexil.ok("segment", "create", name, "-d", "Paying teams", "--when", "plan in pro,team", "--when", "seats gt 5")
    # Then
    segment = vexil.json("segment", "get", name)
    assert segment["description"] == "Paying teams"
    assert [(c["field"], c["operator"], c["value"]) for c in segment["conditions"]] == [
        ("plan", "in", ["pro", "team"]),
        ("seats", "gt", 5),
    ]
    assert name in [s["name"] for s in vexil.json("segment", "list")]
    assert name in vexil.ok("segment", "list").stdout


def test_segment_get__table__conditions_in_the_when_grammar(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("seg")
    vexil.ok("segment", "create", name, "--when", "nocase email ends_with @acme.com")
    # When
    table = vexil.ok("segment", "get", name).stdout
    # Then
    assert 'nocase email ends_with "@acme.com"' in table


def test_segment_update__when__replaces_conditions_and_keeps_description(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("seg")
    vexil.ok("segment", "create", name, "-d", "kept", "--when", "plan eq pro")
    # When
    updated = vexil.json("segment", "update", name, "--when", "plan eq team")
    # Then
    assert [c["value"] for c in updated["conditions"]] == ["team"]
    assert updated["description"] == "kept"
    assert updated["version"] == 2


def test_segment_update__everyone__no_conditions(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("seg")
    vexil.ok("segment", "create", name, "--when", "plan eq pro")
    # When
    updated = vexil.json("segment", "update", name, "--everyone")
    # Then
    assert updated["conditions"] == []


def test_segment_update__nothing_given__usage_error(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("seg")
    vexil.ok("segment", "create", name)
    # When
    message = vexil.fails("segment", "update", name, exit_code=2)
    # Then
    assert message == "nothing to change: give --description, --when or --everyone"


def test_segment_delete__used_by_a_flag__refused_by_server(vexil: Vexil, new_name: NewName, flag: str) -> None:
    # Given: a flag's rule uses the segment
    name = new_name("seg")
    vexil.ok("segment", "create", name)
    vexil.ok("rule", "add", flag, "--when", f"in_segment {name}")
    # When
    message = vexil.fails("segment", "delete", name, "--yes", exit_code=1)
    # Then
    assert message.endswith("(HTTP 409)")
    assert vexil.json("segment", "get", name)["name"] == name


def test_segment_delete__declined_then_yes__kept_then_gone(vexil: Vexil, new_name: NewName) -> None:
    # Given
    name = new_name("seg")
    vexil.ok("segment", "create", name)
    # When
    declined = vexil.run("segment", "delete", name, input="n\n")
    deleted = vexil.ok("segment", "delete", name, "--yes")
    # Then
    assert declined.exit_code == 1
    assert declined.stderr.splitlines()[-1] == f"vexil: error: segment '{name}' was not deleted"
    assert deleted.stdout.strip() == f"Deleted segment {name}."
    assert vexil.fails("segment", "get", name, exit_code=1).endswith("(HTTP 404)")


def test_env_list__new_server__the_three_defaults(vexil: Vexil) -> None:
    # Given / When
    names = [environment["name"] for environment in vexil.json("env", "list")]
    # Then
    assert {"development", "staging", "production"} <= set(names)


def test_env_create__new_name__listed_and_usable_for_overrides(vexil: Vexil, new_name: NewName, flag: str) -> None:
    # Given
    name = new_name("env")
    # When
    created = vexil.json("env", "create", name)
    # Then
    assert created["name"] == name
    assert name in vexil.ok("env", "list").stdout
    vexil.ok("flag", "enable", flag, "--env", name)
    assert vexil.json("flag", "get", flag)["environments"][name]["enabled"] is True


def test_env_create__existing__conflict(vexil: Vexil) -> None:
    # Given / When
    message = vexil.fails("env", "create", "production", exit_code=1)
    # Then
    assert message.endswith("(HTTP 409)")


def test_env_move__to_second_place__listed_there_and_in_the_export(private_server: ServerProcess) -> None:
    # Given a server of its own (the order is the whole server's) with a qa environment, last
    vexil = Vexil(private_server.url, private_server.token)
    vexil.ok("env", "create", "qa")
    # When the team puts qa second
    moved = vexil.json("env", "move", "qa", "2")
    table = vexil.ok("env", "list").stdout
    # Then the server lists it there, the table numbers the places, and the export keeps it
    assert [env["name"] for env in moved][:3] == ["development", "qa", "staging"]
    assert [env["name"] for env in vexil.json("env", "list")] == [env["name"] for env in moved]
    assert table.index("development") < table.index("qa") < table.index("staging")
    assert vexil.fails("env", "move", "qa", "0", exit_code=2)
    assert vexil.fails("env", "move", "nowhere", "1", exit_code=1).endswith("(HTTP 404)")
