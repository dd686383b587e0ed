"""`vexil change list|show|create|comment|approve|reject|rebase|apply`: change requests, the way
writes reach a protected environment (docs/change-requests.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from vexil.cli import render
from vexil.cli.client import path
from vexil.cli.errors import CliError
from vexil.cli.state import State, json_option, pass_state

STATES = ("draft", "open", "approved", "rejected", "applied")
message_option = click.option("--message", "-m", default="", help="Why, in a few words (kept with the review).")


@click.group("change")
def change_group() -> None:
    """Review and apply change requests."""


@change_group.command("list")
@click.option("--state", "wanted", type=click.Choice(STATES), help="Only those in this state.")
@json_option
@pass_state
def list_changes(state: State, wanted: str | None) -> None:
    """List change requests, newest first."""
    params: dict[str, str | list[str]] = {"state": wanted} if wanted else {}
    requests = state.client().request("GET", "/change-requests", params=params)["change_requests"]
    state.output.show(requests, lambda: render.change_requests_table(requests))


@change_group.command("show")
@click.argument("id", type=click.IntRange(min=1))
@json_option
@pass_state
def show_change(state: State, id: int) -> None:
    """Show a change request: its changes against the flags as they are, and its reviews."""
    request = state.client().request("GET", path("change-requests", str(id)))
    state.output.show(request, lambda: render.change_request_detail(request))


@change_group.command("create")
@click.option(
    "--file",
    "-f",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help='A JSON file: {"title", "changes": [...]} as POST /change-requests takes it.',
)
@click.option("--draft", is_flag=True, help="Keep it a draft until `vexil change open`.")
@json_option
@pass_state
def create_change(state: State, file: Path, draft: bool) -> None:
    """Create a change request from a JSON file."""
    try:
        body = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CliError(f"{file}: not a JSON file ({exc})") from None
    if draft and isinstance(body, dict):
        body["draft"] = True
    request = state.client().request("POST", "/change-requests", json=body)
    state.output.show(request, lambda: render.change_request_line(request))


def _step(state: State, id: int, verb: str, body: dict[str, Any] | None = None) -> None:
    request = state.client().request("POST", path("change-requests", str(id), verb), json=body)
    state.output.show(request, lambda: render.change_request_line(request))


@change_group.command("comment")
@click.argument("id", type=click.IntRange(min=1))
@click.argument("text")
@json_option
@pass_state
def comment(state: State, id: int, text: str) -> None:
    """Comment on a change request."""
    _step(state, id, "comments", {"text": text})


def _step_command(verb: str, summary: str, *, with_message: bool = False) -> None:
    """`vexil change VERB ID [-m TEXT]`: POST /change-requests/ID/VERB, then its state in one line."""

    def run(state: State, id: int, message: str = "") -> None:
        _step(state, id, verb, {"text": message} if with_message else None)

    run.__doc__ = summary
    command = json_option(pass_state(run))
    if with_message:
        command = message_option(command)
    change_group.command(verb)(click.argument("id", type=click.IntRange(min=1))(command))


_step_command("open", "Open a draft for review.")
_step_command("approve", "Approve a change request (someone other than its requester).", with_message=True)
_step_command("reject", "Reject a change request.", with_message=True)
_step_command("rebase", "Make the changes again against the flags as they are now (approvals are cleared).")
_step_command("apply", "Apply an approved change request: all its changes at once, or none.")
