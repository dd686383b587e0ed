"""`vexil token create|list|revoke`: API tokens (the secret is shown once, at creation)."""

from __future__ import annotations

import click

from vexil.cli import render
from vexil.cli.client import path
from vexil.cli.state import State, json_option, pass_state

ROLES = ("admin", "editor", "viewer", "server", "client")


@click.group("token")
def token_group() -> None:
    """Create, list and revoke API tokens."""


@token_group.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="admin: everything; editor: change flags and segments; viewer: read the management API; "
    "server: read configuration (SDKs); client: evaluate only.",
)
@click.option(
    "--env",
    "environment",
    metavar="ENV",
    help="Bind the token to this environment: every evaluation made with it happens there.",
)
@json_option
@pass_state
def create_token(state: State, name: str, role: str, environment: str | None) -> None:
    """Create a token; its secret is printed this once."""
    body = {"name": name, "role": role} | ({"environment": environment} if environment else {})
    token = state.client().request("POST", "/tokens", json=body)
    state.output.show(token, lambda: render.token_created(token))


@token_group.command("list")
@json_option
@pass_state
def list_tokens(state: State) -> None:
    """List tokens (never their secrets)."""
    tokens = state.client().request("GET", "/tokens")["tokens"]
    state.output.show(tokens, lambda: render.tokens_table(tokens))


@token_group.command("revoke")
@click.argument("name")
@json_option
@pass_state
def revoke_token(state: State, name: str) -> None:
    """Revoke a token: requests with it are refused from now on."""
    token = state.client().request("DELETE", path("tokens", name))
    state.output.show(token, lambda: render.message(f"Revoked token {name}."))
