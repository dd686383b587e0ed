"""`vexil export` and `vexil import`. Imports replace the whole state, so these tests use a server of
their own (`private_server`), never the shared one."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .harness import ServerProcess, Vexil, start_server

NewName = Callable[[str], str]


@pytest.fixture
def vexil(private_server: ServerProcess) -> Vexil:
    return Vexil(private_server.url, private_server.token)


def state_of(vexil: Vexil) -> dict[str, Any]:
    """The server's whole state, without the moment of the export."""
    state: dict[str, Any] = json.loads(vexil.ok("export").stdout)
    state.pop("exported_at", None)
    return state


def configured_flag(vexil: Vexil, name: str) -> None:
    vexil.ok("flag", "create", name, "--variants", "control,treatment:2", "--default", "control", "--enabled")
    vexil.ok("flag", "override", name, "--env", "production", "--rollout", "12.5")
    vexil.ok("flag", "allow", name, "user-1", "--variant", "treatment")
    vexil.ok("flag", "scope", name, "web")


def test_export__no_file__json_on_stdout(vexil: Vexil, flag: str) -> None:
    # Given: `flag` exists
    # When
    result = vexil.ok("export")
    # Then
    data = json.loads(result.stdout)
    assert {"flags", "segments", "environments"} <= set(data)
    assert flag in [doc["name"] for doc in data["flags"]]


def test_export__file__written_with_summary(vexil: Vexil, flag: str, tmp_path: Path) -> None:
    # Given
    target = tmp_path / "state.json"
    # When
    summary = vexil.json("export", str(target))
    # Then
    data = json.loads(target.read_text())
    assert summary == {"file": str(target), **{key: len(data[key]) for key in ("flags", "segments", "environments")}}
    assert flag in [doc["name"] for doc in data["flags"]]
    assert list(tmp_path.iterdir()) == [target]  # no partial file left behind


def test_export__unwritable_file__usage_error(vexil: Vexil, tmp_path: Path) -> None:
    # Given
    target = tmp_path / "missing-dir" / "state.json"
    # When
    message = vexil.fails("export", str(target), exit_code=2)
    # Then
    assert message.startswith(f"cannot write {target}")


def test_export_import__same_server__state_restored(vexil: Vexil, new_name: NewName, tmp_path: Path) -> None:
    # Given: an exported state, then changes
    kept, removed = new_name("kept"), new_name("removed")
    configured_flag(vexil, kept)
    configured_flag(vexil, removed)
    target = tmp_path / "state.json"
    vexil.ok("export", str(target))
    before = state_of(vexil)
    vexil.ok("flag", "delete", removed, "--yes")
    vexil.ok("flag", "disable", kept)
    vexil.ok("flag", "create", new_name("added"))
    # When
    result = vexil.ok("import", str(target), "--yes")
    # Then
    assert result.stdout.startswith(f"Imported {len(before['flags'])} flags, ")
    assert state_of(vexil)["flags"] == before["flags"]


def test_export_import__fresh_server__same_flags(vexil: Vexil, new_name: NewName, tmp_path: Path) -> None:
    # Given: a configured flag exported from one server, and a new empty server
    name = new_name("moved")
    configured_flag(vexil, name)
    target = tmp_path / "state.json"
    vexil.ok("export", str(target))
    fresh = start_server(tmp_path / "fresh")
    try:
        other = Vexil(fresh.url, fresh.token)
        # When
        counts = other.json("import", str(target))
        # Then
        exported = json.loads(target.read_text())
        assert counts["flags"] == len(exported["flags"])
        moved = other.json("flag", "get", name)
        original = vexil.json("flag", "get", name)
        for key in ("variants", "default_variant", "enabled", "environments", "allowlist", "apps", "salt"):
            assert moved[key] == original[key], key
        assert other.json("eval", name, "--user", "user-1", "--app", "web")["variant"] == "treatment"
    finally:
        fresh.stop()


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (b'{"flags": [', "is not valid JSON: Expecting value at line 1 column 12"),
        (b"", "is not valid JSON"),
        (b"\xff\xfe{}", "is not UTF-8 text"),
        (b"[]", "is not a Vexil export"),
        (b'{"segments": []}', "is not a Vexil export"),
        (b'{"flags": [], "extra": 1}', "unknown key 'extra'"),
        (b'{"flags": {"a": {}}}', "'flags' must be a list"),
        (b'{"flags": [{"description": "x"}]}', "flags[0] has no name"),
        (b'{"flags": ["a"]}', "flags[0] is not an object"),
        (b'{"flags": [{"name": "a"}, {"key": "a"}]}', "flags holds 'a' twice"),
    ],
    ids=[
        "truncated",
        "empty",
        "not-utf8",
        "list",
        "no-flags",
        "unknown-key",
        "flags-object",
        "no-name",
        "not-object",
        "duplicate",
    ],
)
def test_import__malformed_file__refused_and_state_unchanged(
    vexil: Vexil, flag: str, tmp_path: Path, content: bytes, complaint: str
) -> None:
    # Given
    before = state_of(vexil)
    source = tmp_path / "bad.json"
    source.write_bytes(content)
    # When
    message = vexil.fails("import", str(source), exit_code=2)
    # Then
    assert message.startswith(str(source))
    assert complaint in message
    assert state_of(vexil) == before


@pytest.mark.parametrize(
    ("bad_flag", "complaint"),
    [
        ({"name": "bad", "rollout_percentage": 150}, "rollout_percentage"),
        ({"name": "bad", "default_variant": "purple"}, "purple"),
        ({"name": "Not Valid"}, "name"),
    ],
    ids=["percent", "default-variant", "name"],
)
def test_import__file_the_server_refuses__nothing_applied(
    vexil: Vexil, new_name: NewName, tmp_path: Path, bad_flag: dict[str, Any], complaint: str
) -> None:
    # Given: a valid export plus one invalid flag, after a good one
    vexil.ok("flag", "create", new_name("present"))
    before = state_of(vexil)
    source = tmp_path / "state.json"
    good = {"name": new_name("good")}
    source.write_text(json.dumps({**before, "flags": [*before["flags"], good, bad_flag]}))
    # When
    message = vexil.fails("import", str(source), exit_code=1)
    # Then the server's message names the flag's place in the file and the field
    assert message.startswith(f"flags[{len(before['flags']) + 1}].")
    assert complaint in message
    assert state_of(vexil) == before


def test_import__progress__bars_on_stderr(vexil: Vexil, flag: str, tmp_path: Path) -> None:
    # Given
    target = tmp_path / "state.json"
    vexil.ok("export", str(target))
    # When
    result = vexil.run("import", str(target), "--progress")
    # Then
    assert result.exit_code == 0, result.stderr
    for step in ("Reading state.json", "Validating", "Uploading", "Applying on the server"):
        assert step in result.stderr
    assert result.stdout.startswith("Imported ")


def test_import__directory__usage_error(vexil: Vexil, tmp_path: Path) -> None:
    # Given / When
    message = vexil.fails("import", str(tmp_path), exit_code=2)
    # Then
    assert message.startswith("Invalid value for 'FILE'")


def test_import__export_over_one_mebibyte__applied(vexil: Vexil, tmp_path: Path) -> None:
    # Given: an export of 1,500 flags with long descriptions (about 1.5 MB; other requests stop at 1 MiB)
    state = state_of(vexil)
    template = {"description": "x" * 800, "enabled": True, "rollout_percentage": 50}
    state["flags"] = [{"name": f"bulk-{i}", **template} for i in range(1500)]
    source = tmp_path / "big.json"
    source.write_text(json.dumps(state))
    assert source.stat().st_size > 1024 * 1024
    # When
    result = vexil.run("import", str(source), "--progress", "--yes")
    # Then
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Imported 1500 flags, ")
    assert len(vexil.json("flag", "list", "-q", "bulk-")) == 1500
