"""`vexil eval NAME`: what a flag serves to one user, and why."""

from __future__ import annotations

import click

from vexil.cli import render
from vexil.cli.client import path
from vexil.cli.params import KEY_VALUE
from vexil.cli.state import State, json_option, pass_state

RESERVED = {"identifier": "--user", "environment": "--env", "app": "--app"}


@click.command("eval")
@click.argument("name")
@click.option("--user", "identifier", metavar="ID", help="The user's (or account's, device's) identifier.")
@click.option("--env", "environment", metavar="ENV", help="Evaluate with this environment's override.")
@click.option("--app", help="The app asking.")
@click.option("--attr", "attributes", type=KEY_VALUE, multiple=True, help="An attribute, e.g. country=de (repeatable).")
@json_option
@pass_state
def eval_command(
    state: State,
    name: str,
    identifier: str | None,
    environment: str | None,
    app: str | None,
    attributes: tuple[tuple[str, str], ...],
) -> None:
    """Show what a flag serves to one user, and why.

    The server evaluates NAME for the context given; attribute values are sent as strings.
    """
    params: dict[str, str | list[str]] = {}
    for key, value in attributes:
        if key in RESERVED:
            raise click.BadParameter(f"{key!r} is reserved; use {RESERVED[key]}", param_hint="'--attr'")
        previous = params.get(key)
        params[key] = [*previous, value] if isinstance(previous, list) else [value]
    given = {"identifier": identifier, "environment": environment, "app": app}
    params.update({key: value for key, value in given.items() if value is not None})
    result = state.client().request("GET", path("flags", name, "evaluate"), params=params)
    state.output.show(result, lambda: render.evaluation(result))
