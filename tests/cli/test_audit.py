"""`vexil audit`: the audit log through the CLI."""

from __future__ import annotations

from collections.abc import Callable

from .harness import Vexil

NewName = Callable[[str], str]


def test_audit__flag_filter__its_events_newest_first(vexil: Vexil, flag: str) -> None:
    # Given: created, then enabled, then rolled out
    vexil.ok("flag", "enable", flag)
    vexil.ok("flag", "rollout", flag, "50")
    # When
    page = vexil.json("audit", "--flag", flag)
    # Then
    events = page["events"]
    assert [event["entity_id"] for event in events] == [flag] * 3
    assert events[-1]["action"] == "create"
    assert [event["id"] for event in events] == sorted((event["id"] for event in events), reverse=True)
    assert events[0]["after"]["rollout_percentage"] == 50


def test_audit__limit__at_most_that_many(vexil: Vexil, flag: str) -> None:
    # Given
    vexil.ok("flag", "toggle", flag)
    vexil.ok("flag", "toggle", flag)
    # When
    page = vexil.json("audit", "--flag", flag, "--limit", "2")
    # Then
    assert len(page["events"]) == 2
    assert page["next_before_id"] == page["events"][-1]["id"]


def test_audit__actor_filter__only_that_token(vexil: Vexil, new_name: NewName, flag: str) -> None:
    # Given: a second admin token changes the flag
    actor = new_name("ops")
    secret = vexil.json("token", "create", actor, "--role", "admin")["token"]
    other = Vexil(vexil.url, secret)
    other.ok("flag", "enable", flag)
    # When
    page = vexil.json("audit", "--actor", actor)
    # Then
    assert [(e["actor"], e["entity_id"]) for e in page["events"]] == [(actor, flag)]


def test_audit__table__shows_actions(vexil: Vexil, flag: str) -> None:
    # Given: `flag` was created
    # When
    result = vexil.ok("audit", "--flag", flag)
    # Then
    assert "Action" in result.stdout
    assert "create" in result.stdout
    assert flag in result.stdout


def test_audit__no_events__says_so(vexil: Vexil, new_name: NewName) -> None:
    # Given / When
    result = vexil.ok("audit", "--flag", new_name("never"))
    # Then
    assert result.stdout.strip() == "No audit events."


def test_audit__limit_out_of_range__usage_error(vexil: Vexil) -> None:
    # Given / When
    message = vexil.fails("audit", "--limit", "0", exit_code=2)
    # Then
    assert "Invalid value for '--limit'" in message


def test_audit__bad_since__server_message(vexil: Vexil) -> None:
    # Given / When
    message = vexil.fails("audit", "--since", "yesterday", exit_code=1)
    # Then
    assert message == "since: use an ISO 8601 date and time such as 2026-01-01T00:00:00Z"


def test_audit_revert__update__flag_back_and_says_so(vexil: Vexil, flag: str) -> None:
    # Given a rollout change of the flag
    vexil.ok("flag", "rollout", flag, "30")
    changed = vexil.json("audit", "--flag", flag, "--limit", "1")["events"][0]
    # When it is reverted, confirmed with --yes
    result = vexil.ok("audit", "revert", str(changed["id"]), "--yes")
    # Then the CLI says what it did, and the flag is back at 100 %
    assert f"Reverted audit event {changed['id']}: flag {flag} put back" in result.stdout
    assert vexil.json("flag", "get", flag)["rollout_percentage"] == 100
    newest = vexil.json("audit", "--flag", flag, "--limit", "1")["events"][0]
    assert (newest["action"], newest["reverts"]) == ("revert", changed["id"])


def test_audit_revert__answer_no__nothing_reverted(vexil: Vexil, flag: str) -> None:
    # Given a change
    vexil.ok("flag", "rollout", flag, "30")
    changed = vexil.json("audit", "--flag", flag, "--limit", "1")["events"][0]
    # When the question is answered no
    result = vexil.run("audit", "revert", str(changed["id"]), input="n\n")
    # Then nothing changed
    assert result.exit_code == 1
    assert vexil.json("flag", "get", flag)["rollout_percentage"] == 30


def test_audit_revert__changed_since__server_message_and_force(vexil: Vexil, flag: str) -> None:
    # Given two changes
    vexil.ok("flag", "rollout", flag, "30")
    first = vexil.json("audit", "--flag", flag, "--limit", "1")["events"][0]
    vexil.ok("flag", "rollout", flag, "40")
    # When the first is reverted, then reverted with --force
    message = vexil.fails("audit", "revert", str(first["id"]), "--yes", exit_code=1)
    vexil.ok("audit", "revert", str(first["id"]), "--yes", "--force")
    # Then the first refusal says why, and force put the state before it back
    assert f"changed after audit event {first['id']}" in message
    assert vexil.json("flag", "get", flag)["rollout_percentage"] == 100
