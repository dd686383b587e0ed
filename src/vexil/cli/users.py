"""`vexil user create|list`: people, on the server machine, against the database directly (no
token: it is how the first admin is made; docs/people.md). Once an admin exists, the admin UI's
People page and `POST /users` do the same over HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click

from vexil.cli.errors import InputError
from vexil.cli.state import State, json_option, pass_state

ROLES = ("viewer", "editor", "admin")

_data_dir = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The server's data directory (default ./vexil-data; env VEXIL_DATA_DIR).",
)
_database_url = click.option("--database-url", help="The server's PostgreSQL URL (env VEXIL_DATABASE_URL).")


def _settings(data_dir: Path | None, database_url: str | None) -> Any:
    from vexil.config import Settings  # lazy: keep the CLI fast

    try:
        return Settings.from_env(data_dir=data_dir, database_url=database_url)
    except ValueError as exc:
        raise InputError(f"invalid server settings: {exc}") from exc


@click.group("user")
def user_group() -> None:
    """People who sign in to the admin UI, on the server machine (database access, no token)."""


@user_group.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The person's name, as the UI shows it.")
@click.option("--admin", "admin", is_flag=True, help="Make the person an admin (same as --role admin).")
@click.option("--role", type=click.Choice(ROLES), default=None, help="viewer, editor or admin (default viewer).")
@click.option(
    "--password",
    envvar="VEXIL_USER_PASSWORD",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for when not given (env VEXIL_USER_PASSWORD); at least 10 characters.",
)
@_data_dir
@_database_url
@json_option
@pass_state
def create_user(  # noqa: PLR0913 (click passes each option)
    state: State,
    email: str,
    name: str,
    admin: bool,
    role: str | None,
    password: str,
    data_dir: Path | None,
    database_url: str | None,
) -> None:
    """Add a person who signs in with EMAIL and a password."""
    if admin and role not in {None, "admin"}:
        raise InputError(f"--admin and --role {role} disagree: give one")
    from vexil.local import Refused, create_person

    fields = {"email": email, "name": name, "role": "admin" if admin else role or "viewer", "password": password}
    try:
        person = asyncio.run(create_person(_settings(data_dir, database_url), fields))
    except Refused as exc:
        raise InputError(str(exc)) from exc
    from vexil.cli import render

    state.output.show(person, lambda: render.message(f"Added {person['email']} ({person['role']})."))


@user_group.command("list")
@_data_dir
@_database_url
@json_option
@pass_state
def list_users(state: State, data_dir: Path | None, database_url: str | None) -> None:
    """List people (never their passwords)."""
    from vexil.local import list_people

    people = asyncio.run(list_people(_settings(data_dir, database_url)))
    from vexil.cli import render

    state.output.show(people, lambda: render.people_table(people))
