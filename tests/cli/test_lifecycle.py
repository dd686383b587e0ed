"""`vexil flag archive|restore|stale` against a real server (docs/lifecycle.md)."""

from __future__ import annotations

from collections.abc import Callable

from .harness import ServerProcess, Vexil

NewName = Callable[[str], str]


def test_flag_archive__then_restore__not_served_then_served_again(vexil: Vexil, flag: str) -> None:
    # Given a flag that is on
    vexil.ok("flag", "enable", flag)
    # When it is archived
    archived = vexil.json("flag", "archive", flag)
    # Then it is archived, evaluates as not found, and is missing from the list
    assert archived["archived"] is True
    assert vexil.json("eval", flag)["reason"] == "flag_not_found"
    assert flag not in [doc["name"] for doc in vexil.json("flag", "list")]
    # When it is restored, it is served as before
    restored = vexil.ok("flag", "restore", flag).stdout
    assert f"Restored {flag}" in restored
    assert vexil.json("eval", flag)["active"] is True


def test_flag_archive__twice__fails_with_the_servers_words(vexil: Vexil, flag: str) -> None:
    # Given an archived flag
    assert f"Archived flag {flag}" in vexil.ok("flag", "archive", flag).stdout
    # When it is archived again, then the CLI fails with the server's message
    assert vexil.fails("flag", "archive", flag, exit_code=1) == f"flag {flag!r} is already archived (HTTP 409)"


def test_flag_stale__marked_flag__listed_with_its_signal(vexil: Vexil, vexil_server: ServerProcess, flag: str) -> None:
    # Given a kill switch (never stale by age) with a rule, marked stale by a person
    vexil.ok("flag", "allow", flag, "user-1")
    updated = vexil.json("flag", "update", flag, "--kind", "kill_switch", "--owner", "ops", "--stale")
    assert (updated["kind"], updated["owner"], updated["stale"]) == ("kill_switch", "ops", True)
    # And still named in code (the server is shared: other tests' scans name other flags)
    line = {"path": "ops.py", "line": 1, "text": f'client.is_enabled("{flag}")'}
    scan = {"repository": "acme/ops", "branch": flag, "commit": "abcdef1", "refs": {flag: [line]}}
    with vexil_server.http() as http:
        http.post("/code-refs", json=scan).raise_for_status()
    # When the stale flags are listed
    listed = {summary["flag"]: summary for summary in vexil.json("flag", "stale")["flags"]}
    # Then it is there with its signal and evidence, in JSON and in the table
    assert [signal["signal"] for signal in listed[flag]["signals"]] == ["marked_stale"]
    assert listed[flag]["kind"] == "kill_switch"
    assert listed[flag]["ready_to_remove"] is False and "last_seen" in listed[flag]
    table = vexil.ok("flag", "stale").stdout
    assert "marked_stale" in table and "Ready to remove" in table


def test_flag_create__kind_and_owner__stored(vexil: Vexil, new_name: Callable[[str], str]) -> None:
    # When a flag is created as an experiment with an owner
    name = new_name("trial")
    created = vexil.json("flag", "create", name, "--kind", "experiment", "--owner", "growth")
    # Then both are in its document; an unknown kind is refused by the server, naming the field
    assert (created["kind"], created["owner"]) == ("experiment", "growth")
    assert "kind" in vexil.fails("flag", "create", new_name("odd"), "--kind", "forever", exit_code=1)


def test_flag_usage__evaluated_three_times__counts_by_variant_and_source(vexil: Vexil, new_name: NewName) -> None:
    # Given a flag on for everyone, evaluated three times in production by the server
    name = new_name("used")
    vexil.ok("flag", "create", name)
    vexil.ok("flag", "enable", name)
    for user in ("u1", "u2", "u3"):
        vexil.ok("eval", name, "--user", user, "--env", "production")
    # When its usage is asked for
    doc = vexil.json("flag", "usage", name)
    table = vexil.ok("flag", "usage", name, "--env", "production").stdout
    # Then the counts say who served what, and where
    assert doc["total"] == 3
    assert doc["by_variant"] == {"on": 3}
    assert doc["by_environment"] == {"production": 3}
    assert doc["last_seen"] is not None
    assert f"{name}: 3 evaluations in 7 days" in table
