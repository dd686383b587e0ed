"""`vexil segment create|list|get|update|delete`: named lists of conditions that rules refer to.

Conditions are written as in `vexil rule add` (`--when 'plan eq pro'`, vexil.cli.conditions). An
update that gives `--when` replaces the whole list; `--everyone` empties it. Updates carry the
segment's version, so a concurrent change is a 409 rather than a lost update.
"""

from __future__ import annotations

from typing import Any

import click

from vexil.cli import render
from vexil.cli.client import path
from vexil.cli.conditions import fetch_operators, parse_conditions, when_option
from vexil.cli.errors import CliError
from vexil.cli.state import State, json_option, pass_state


@click.group("segment")
def segment_group() -> None:
    """Create, list, show, change and delete segments."""


@segment_group.command("list")
@json_option
@pass_state
def list_segments(state: State) -> None:
    """List segments."""
    segments = state.client().request("GET", "/segments")["segments"]
    state.output.show(segments, lambda: render.segments_table(segments))


@segment_group.command("get")
@click.argument("name")
@json_option
@pass_state
def get_segment(state: State, name: str) -> None:
    """Show one segment."""
    segment = state.client().request("GET", path("segments", name))
    state.output.show(segment, lambda: render.segment_detail(segment))


@segment_group.command("create")
@click.argument("name")
@click.option("--description", "-d", help="Who is in it, in words.")
@when_option
@json_option
@pass_state
def create_segment(state: State, name: str, description: str | None, conditions: tuple[str, ...]) -> None:
    """Create a segment: the users for whom every --when matches (everyone without --when)."""
    client = state.client()
    body: dict[str, Any] = {"name": name, "conditions": parse_conditions(conditions, fetch_operators(client))}
    if description is not None:
        body["description"] = description
    segment = client.request("POST", "/segments", json=body)
    state.output.show(segment, lambda: render.segment_detail(segment))


@segment_group.command("update")
@click.argument("name")
@click.option("--description", "-d", help="A new description.")
@when_option
@click.option("--everyone", is_flag=True, help="Remove every condition: the segment contains everyone.")
@json_option
@pass_state
def update_segment(
    state: State, name: str, description: str | None, conditions: tuple[str, ...], everyone: bool
) -> None:
    """Change a segment's description, or replace its conditions with the --when given."""
    if everyone and conditions:
        raise click.UsageError("--everyone removes every condition; it takes no --when")
    if description is None and not conditions and not everyone:
        raise click.UsageError("nothing to change: give --description, --when or --everyone")
    client = state.client()
    current = client.request("GET", path("segments", name))
    body: dict[str, Any] = {"version": current["version"]}
    if description is not None:
        body["description"] = description
    if conditions or everyone:
        body["conditions"] = parse_conditions(conditions, fetch_operators(client))
    segment = client.request("PATCH", path("segments", name), json=body)
    state.output.show(segment, lambda: render.segment_detail(segment))


@segment_group.command("delete")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
@pass_state
def delete_segment(state: State, name: str, yes: bool) -> None:
    """Delete a segment (refused while a flag uses it)."""
    if not yes and not click.confirm(f"Delete segment {name!r}?", err=True):
        raise CliError(f"segment {name!r} was not deleted")
    state.client().request("DELETE", path("segments", name))
    state.output.show({"name": name, "deleted": True}, lambda: render.message(f"Deleted segment {name}."))
