"""`vexil env list|create`: the environments flags can be overridden in and tokens bound to."""

from __future__ import annotations

import click

from vexil.cli import render
from vexil.cli.state import State, json_option, pass_state


@click.group("env")
def env_group() -> None:
    """List and create environments."""


@env_group.command("list")
@json_option
@pass_state
def list_environments(state: State) -> None:
    """List environments, in the server's order."""
    environments = state.client().request("GET", "/environments")["environments"]
    state.output.show(environments, lambda: render.environments_table(environments))


@env_group.command("create")
@click.argument("name")
@json_option
@pass_state
def create_environment(state: State, name: str) -> None:
    """Create an environment."""
    environment = state.client().request("POST", "/environments", json={"name": name})
    state.output.show(environment, lambda: render.message(f"Created environment {name}."))
