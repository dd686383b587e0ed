"""`vexil import` you can trust: --dry-run, the question before anything is changed or deleted,
--merge and --undo, through the real CLI against a real server of this module's own (imports replace
the whole state). The question is asked on a terminal: those tests run the console script in a
pseudo-terminal and answer it as a person would."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import VEXIL_SCRIPT, clean_environ

from .harness import ServerProcess, Vexil

NewName = Callable[[str], str]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # colours and cursor moves: what a person does not read


@pytest.fixture
def vexil(private_server: ServerProcess) -> Vexil:
    return Vexil(private_server.url, private_server.token)


def state_of(vexil: Vexil) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(vexil.ok("export").stdout)
    state.pop("exported_at", None)
    return state


def names(vexil: Vexil) -> list[str]:
    return [doc["name"] for doc in state_of(vexil)["flags"]]


def file_dropping_one(vexil: Vexil, new_name: NewName, tmp_path: Path) -> tuple[Path, str, str, str]:
    """Three new flags on the server; a file of the whole state with `drop` missing, `edit` enabled
    and a new `fresh` flag."""
    keep, edit, drop, fresh = (new_name(prefix) for prefix in ("keep", "edit", "drop", "fresh"))
    for name in (keep, edit, drop):
        vexil.ok("flag", "create", name)
    state = state_of(vexil)
    state["flags"] = [
        {**doc, "enabled": True} if doc["name"] == edit else doc for doc in state["flags"] if doc["name"] != drop
    ] + [{"name": fresh}]
    file = tmp_path / "state.json"
    file.write_text(json.dumps(state))
    return file, edit, drop, fresh


def answer_on_a_terminal(
    server: ServerProcess, args: list[str], answer: str, meanwhile: Callable[[], None] = lambda: None
) -> tuple[int, str]:
    """Run `vexil ARGS` in a pseudo-terminal; when it asks "Go ahead?", call `meanwhile` (what
    someone else does while the person reads) and type `answer`. Its exit code and everything it wrote."""
    main, secondary = pty.openpty()
    command = [str(VEXIL_SCRIPT), "--url", server.url, "--token", server.token, *args]
    process = subprocess.Popen(command, stdin=secondary, stdout=secondary, stderr=secondary, env=clean_environ())
    os.close(secondary)
    seen, answered = b"", False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the CLI exited and closed its side
                break
            if not chunk:
                break
            seen += chunk
        if not answered and b"Go ahead?" in seen:
            meanwhile()
            os.write(main, answer.encode() + b"\n")
            answered = True
        if process.poll() is not None and not ready:
            break
    os.close(main)
    return process.wait(timeout=30), ANSI.sub("", seen.decode(errors="replace").replace("\r\n", "\n"))


def test_import_dry_run__file_dropping_a_flag__lists_the_changes_and_writes_nothing(
    vexil: Vexil, new_name: NewName, tmp_path: Path
) -> None:
    # Given
    file, edit, drop, fresh = file_dropping_one(vexil, new_name, tmp_path)
    before = state_of(vexil)

    # When
    shown = vexil.ok("import", str(file), "--dry-run").stdout
    planned = vexil.json("import", str(file), "--dry-run")

    # Then the person reads what would be created, changed and deleted, a script gets the names
    assert "Importing state.json (replace) would:" in shown
    assert f"+ create 1 flag: {fresh}" in shown
    assert f"~ change 1 flag: {edit}" in shown
    assert f"- delete 1 flag: {drop}" in shown
    assert (planned["dry_run"], planned["deleted"]["flags"], planned["created"]["flags"]) == (True, [drop], [fresh])
    # and nothing changed
    assert state_of(vexil) == before


def test_import__not_a_terminal_without_yes__refused_exit_2_nothing_changed(
    vexil: Vexil, new_name: NewName, tmp_path: Path
) -> None:
    # Given
    file, *_ = file_dropping_one(vexil, new_name, tmp_path)
    before = state_of(vexil)

    # When
    message = vexil.fails("import", str(file), exit_code=2)

    # Then
    assert message == "refusing to change or delete anything without confirmation: pass --yes (or --dry-run)"
    assert state_of(vexil) == before


def test_import__on_a_terminal_answered_no__summary_shown_nothing_changed(
    vexil: Vexil, private_server: ServerProcess, new_name: NewName, tmp_path: Path
) -> None:
    # Given
    file, _, drop, _ = file_dropping_one(vexil, new_name, tmp_path)
    before = state_of(vexil)

    # When
    code, seen = answer_on_a_terminal(private_server, ["import", str(file), "--no-progress"], "n")

    # Then
    assert code == 1, seen
    assert f"- delete 1 flag: {drop}" in seen and "Nothing changed." in seen
    assert state_of(vexil) == before


def test_import__on_a_terminal_answered_yes__imported(
    vexil: Vexil, private_server: ServerProcess, new_name: NewName, tmp_path: Path
) -> None:
    # Given
    file, edit, drop, fresh = file_dropping_one(vexil, new_name, tmp_path)

    # When
    code, seen = answer_on_a_terminal(private_server, ["import", str(file), "--no-progress"], "y")

    # Then
    assert code == 0, seen
    assert "(replace: created 1, changed 1, deleted 1)." in seen
    assert drop not in names(vexil) and fresh in names(vexil)
    assert vexil.json("flag", "get", edit)["enabled"] is True


def test_import__state_changed_while_the_question_was_read__refused_nothing_imported(
    vexil: Vexil, private_server: ServerProcess, new_name: NewName, tmp_path: Path
) -> None:
    # Given a file whose import the person is asked about
    file, _, drop, _ = file_dropping_one(vexil, new_name, tmp_path)
    late = new_name("late")

    def someone_adds_a_flag() -> None:
        with private_server.http() as http:
            http.post("/flags", json={"name": late}).raise_for_status()

    # When, while the question is on screen, someone else creates a flag (which the replace would
    # delete, and which the summary did not show), then the person answers yes
    code, seen = answer_on_a_terminal(private_server, ["import", str(file), "--no-progress"], "y", someone_adds_a_flag)

    # Then nothing is imported: what was confirmed is no longer what would happen
    assert code == 1, seen
    assert "vexil: error: the state changed since the plan you saw: look at the plan again (HTTP 409)" in seen
    assert late in names(vexil) and drop in names(vexil)


def test_import__only_creations__goes_ahead_without_asking(vexil: Vexil, new_name: NewName, tmp_path: Path) -> None:
    # Given a file that only adds a flag to what the server holds
    state, fresh = state_of(vexil), new_name("fresh")
    file = tmp_path / "more.json"
    file.write_text(json.dumps({**state, "flags": [*state["flags"], {"name": fresh}]}))

    # When (not a terminal, no --yes)
    result = vexil.ok("import", str(file))

    # Then
    assert result.stdout.startswith("Imported ") and "(replace: created 1)." in result.stdout
    assert fresh in names(vexil)


def test_import_merge__file_of_one_flag__adds_it_and_deletes_nothing(
    vexil: Vexil, new_name: NewName, tmp_path: Path
) -> None:
    # Given the server's flags, and a file holding one new flag and nothing else
    vexil.ok("flag", "create", new_name("present"))
    before, fresh = names(vexil), new_name("fresh")
    file = tmp_path / "one.json"
    file.write_text(json.dumps({"flags": [{"name": fresh, "enabled": True}]}))

    # When
    planned = vexil.json("import", str(file), "--merge", "--dry-run")
    done = vexil.ok("import", str(file), "--merge").stdout

    # Then: a replace would have deleted every flag; the merge added one
    assert planned["deleted"] == {"flags": [], "segments": [], "environments": []}
    assert "(merge: created 1)." in done
    assert names(vexil) == sorted([*before, fresh])


def test_import_undo__after_a_replace__previous_state_back(vexil: Vexil, new_name: NewName, tmp_path: Path) -> None:
    # Given a replace that deleted a flag
    file, _, drop, fresh = file_dropping_one(vexil, new_name, tmp_path)
    before = state_of(vexil)
    vexil.ok("import", str(file), "--yes")

    # When it is undone (a dry run first; then --yes, not being on a terminal)
    shown = vexil.ok("import", "--undo", "--dry-run").stdout
    refused = vexil.fails("import", "--undo", exit_code=2)
    done = vexil.ok("import", "--undo", "--yes").stdout

    # Then
    assert "Putting back the state before audit event" in shown and f"+ create 1 flag: {drop}" in shown
    assert refused.startswith("refusing to change or delete anything without confirmation")
    assert done.startswith("Restored the state before audit event ")
    assert state_of(vexil) == before
    assert fresh not in names(vexil)
    # and the restore is in the audit log
    assert vexil.json("audit", "--limit", "1")["events"][0]["action"] == "restore"


def test_import_undo__with_a_file__usage_error(vexil: Vexil, tmp_path: Path) -> None:
    # Given
    file = tmp_path / "state.json"
    file.write_text("{}")

    # When
    message = vexil.fails("import", str(file), "--undo", exit_code=2)

    # Then
    assert message.startswith("--undo takes no FILE")


def test_import_undo__event_of_an_older_import__state_before_that_one_back(
    vexil: Vexil, new_name: NewName, tmp_path: Path
) -> None:
    # Given two imports, each adding a flag
    before = state_of(vexil)
    first, second = new_name("first"), new_name("second")
    for name in (first, second):
        file = tmp_path / f"{name}.json"
        file.write_text(json.dumps({"flags": [{"name": name}]}))
        vexil.ok("import", str(file), "--merge")
    older = [e for e in vexil.json("audit", "--limit", "2")["events"] if e["entity"] == "import"][-1]["id"]

    # When the older import is undone, by its event
    planned = vexil.json("import", "--undo", "--event", str(older), "--dry-run")
    vexil.ok("import", "--undo", "--event", str(older), "--yes")

    # Then both flags are gone: the state is the one before the first import
    assert planned["restored_from"] == older and planned["deleted"]["flags"] == sorted([first, second])
    assert state_of(vexil) == before


def test_import__event_without_undo__usage_error(vexil: Vexil, tmp_path: Path) -> None:
    # Given
    file = tmp_path / "state.json"
    file.write_text("{}")

    # When / Then
    assert vexil.fails("import", str(file), "--event", "3", exit_code=2) == "--event goes with --undo"
