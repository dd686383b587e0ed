"""`vexil audit`: who changed what, newest first."""

from __future__ import annotations

import click

from vexil.cli import render
from vexil.cli.state import State, json_option, pass_state


@click.command("audit")
@click.option("--flag", help="Only events about this flag.")
@click.option("--actor", help="Only events by this token name.")
@click.option("--since", metavar="ISO8601", help="Only events at or after this instant, e.g. 2026-01-31T12:00:00Z.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True, help="At most this many.")
@json_option
@pass_state
def audit_command(state: State, flag: str | None, actor: str | None, since: str | None, limit: int) -> None:
    """Show the audit log, newest first."""
    given = {"flag": flag, "actor": actor, "since": since}
    params: dict[str, str | list[str]] = {key: value for key, value in given.items() if value is not None}
    params["limit"] = str(limit)
    page = state.client().request("GET", "/audit", params=params)
    state.output.show(page, lambda: render.audit_table(page["events"]))
