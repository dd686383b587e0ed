"""`vexil env list|create|move|protect|unprotect`: the environments flags can be overridden in and
tokens bound to, in the team's order; a protected one's writes need change requests."""

from __future__ import annotations

import click

from vexil.cli import render
from vexil.cli.client import path
from vexil.cli.state import State, json_option, pass_state


@click.group("env")
def env_group() -> None:
    """List, create and order environments."""


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


@env_group.command("move")
@click.argument("name")
@click.argument("place", type=click.IntRange(min=1))
@json_option
@pass_state
def move_environment(state: State, name: str, place: int) -> None:
    """Put environment NAME at PLACE in the team's order (1 is first; past the end: last)."""
    _patch(state, name, {"order": place - 1})


def _patch(state: State, name: str, body: dict[str, object]) -> None:
    """PATCH the environment, then show the whole list as it now is."""
    environments = state.client().request("PATCH", path("environments", name), json=body)["environments"]
    state.output.show(environments, lambda: render.environments_table(environments))


@env_group.command("protect")
@click.argument("name")
@click.option(
    "--approvals", type=click.IntRange(min=1), default=1, show_default=True, help="Approvals its change requests need."
)
@json_option
@pass_state
def protect_environment(state: State, name: str, approvals: int) -> None:
    """Protect environment NAME: writes that change it need an approved change request (admins bypass)."""
    _patch(state, name, {"protected": True, "required_approvals": approvals})


@env_group.command("unprotect")
@click.argument("name")
@json_option
@pass_state
def unprotect_environment(state: State, name: str) -> None:
    """Stop protecting environment NAME."""
    _patch(state, name, {"protected": False})
