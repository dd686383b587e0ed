"""`vexil env list|create|move|rename|delete|compare|promote|protect|unprotect`: the environments
flags can be overridden in and tokens bound to, in the team's order; a protected one's writes need
change requests (docs/environments.md)."""

from __future__ import annotations

import click
from rich.table import Table
from rich.text import Text

from vexil.cli import render
from vexil.cli.client import VexilClient, path
from vexil.cli.errors import CliError, InputError
from vexil.cli.state import State, json_option, pass_state


@click.group("env")
def env_group() -> None:
    """List, create, rename, delete, order, compare and promote environments."""


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


def ask_to_create(client: VexilClient, environment: str | None) -> None:
    """Before writing an override in `environment` (the server creates one not yet known): unless it
    exists, ask first; a mistyped --env would otherwise become a permanent environment."""
    if environment is None:
        return
    names = [env["name"] for env in client.request("GET", "/environments")["environments"]]
    if environment in names:
        return
    question = f"There is no environment {environment!r} (there are: {', '.join(names)}). Create it?"
    try:
        create = click.confirm(question, default=False, err=True)
    except click.Abort:  # no terminal to answer
        create = False
    if not create:
        raise InputError(
            f"environment {environment!r} does not exist; nothing changed (vexil env create {environment})"
        )


@env_group.command("rename")
@click.argument("name")
@click.argument("new_name")
@json_option
@pass_state
def rename_environment(state: State, name: str, new_name: str) -> None:
    """Rename environment NAME to NEW_NAME: its overrides, place, protection and tokens move along."""
    _patch(state, name, {"name": new_name})


@env_group.command("delete")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
@pass_state
def delete_environment(state: State, name: str, yes: bool) -> None:
    """Delete environment NAME with its overrides (asks first, naming the flags that lose one)."""
    client = state.client()
    usage = client.request("GET", path("environments", name, "usage"))
    flags = usage["flags"]
    going = f" and its overrides in {len(flags)} flag(s): {', '.join(flags)}" if flags else ""
    if not yes and not click.confirm(f"Delete environment {name!r}{going}?", err=True):
        raise CliError(f"environment {name!r} was not deleted")
    client.request("DELETE", path("environments", name), params={"confirm": name})
    state.output.show({**usage, "deleted": True}, lambda: render.message(f"Deleted environment {name}{going}."))


@env_group.command("compare")
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
@json_option
@pass_state
def compare_environments(state: State, source: str, target: str) -> None:
    """What differs, flag by flag, between environments FROM and TO."""
    compared = state.client().request("GET", "/environments/compare", params={"from": source, "to": target})
    state.output.show(compared, lambda: _comparison(compared))


def _comparison(compared: dict[str, object]) -> Table | Text:
    flags = compared["flags"]
    assert isinstance(flags, list)
    if not flags:
        return Text(f"{compared['from']} and {compared['to']} evaluate every flag alike.")
    rows = [
        (
            Text(flag["flag"] if index == 0 else "", style="bold"),
            difference["path"],
            render.json_value(difference["from"]),
            render.json_value(difference["to"]),
        )
        for flag in flags
        for index, difference in enumerate(flag["differences"])
    ]
    headers = ("Flag", "Setting", str(compared["from"]), str(compared["to"]))
    return render.table(rows, [render.Column(header, overflow="fold") for header in headers])


@env_group.command("promote")
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
@click.option("--flag", "flags", multiple=True, help="Promote only this flag (repeatable; default: every flag).")
@json_option
@pass_state
def promote_environment(state: State, source: str, target: str, flags: tuple[str, ...]) -> None:
    """Copy flags' configuration from FROM to TO, all at once (a change request where TO is protected)."""
    body: dict[str, object] = {"from": source, "to": target}
    if flags:
        body["flags"] = list(flags)
    answer = state.client().request("POST", "/environments/promote", json=body)
    if "id" in answer:  # 202: a change request holds it
        state.output.show(answer, lambda: render.change_request_line(answer))
        return
    promoted = answer["flags"]
    said = f"Promoted {len(promoted)} flag(s) from {source} to {target}" + (
        f": {', '.join(promoted)}." if promoted else "."
    )
    state.output.show(answer, lambda: render.message(said))
