"""`vexil audit`: who changed what, newest first; `vexil audit revert ID` puts back the state before
one event (docs/audit.md)."""

from __future__ import annotations

from typing import Any

import click

from vexil.cli import render
from vexil.cli.errors import CliError
from vexil.cli.state import State, json_option, pass_state


@click.group("audit", invoke_without_command=True)
@click.option("--flag", help="Only events about this flag.")
@click.option("--actor", help="Only events by this token name.")
@click.option("--since", metavar="ISO8601", help="Only events at or after this instant, e.g. 2026-01-31T12:00:00Z.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True, help="At most this many.")
@json_option
@pass_state
def audit_command(state: State, flag: str | None, actor: str | None, since: str | None, limit: int) -> None:
    """Show the audit log, newest first (or revert one event: `vexil audit revert ID`)."""
    if click.get_current_context().invoked_subcommand is not None:
        return
    given = {"flag": flag, "actor": actor, "since": since}
    params: dict[str, str | list[str]] = {key: value for key, value in given.items() if value is not None}
    params["limit"] = str(limit)
    page = state.client().request("GET", "/audit", params=params)
    state.output.show(page, lambda: render.audit_table(page["events"]))


@audit_command.command("revert")
@click.argument("event_id", metavar="ID", type=click.IntRange(1, 2**62))
@click.option("--force", is_flag=True, help="Even if the flag or segment changed since (those changes are lost).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
@pass_state
def revert_command(state: State, event_id: int, force: bool, yes: bool) -> None:
    """Put a flag or segment back as it was before audit event ID."""
    if not yes and not click.confirm(f"Put back the state before audit event {event_id}?", err=True):
        raise CliError(f"audit event {event_id} was not reverted")
    params = {"force": "true"} if force else None
    answer = state.client().request("POST", f"/audit/{event_id}/revert", params=params)
    state.output.show(answer, lambda: render.message(_reverted(answer)))


def _reverted(answer: dict[str, Any]) -> str:
    what = f"{answer['entity']} {answer['entity_id']}"
    after = answer["after"]
    done = "deleted" if after is None else f"put back (now version {after['version']})"
    return f"Reverted audit event {answer['reverts']}: {what} {done}."
