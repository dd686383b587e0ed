"""`vexil flag prereq add|remove`: flags that must be in a given state before a flag is evaluated.

`add` replaces an existing prerequisite on the same flag rather than adding a second one, so the
command says what the requirement is, not how to edit a list. Writes carry the flag's version.
"""

from __future__ import annotations

from typing import Any

import click
from rich.text import Text

from vexil.cli import render
from vexil.cli.client import path
from vexil.cli.errors import InputError
from vexil.cli.state import State, json_option, pass_state


@click.group("prereq")
def prereq_group() -> None:
    """Require another flag's state (or variant) before a flag is evaluated."""


def _show(state: State, doc: dict[str, Any]) -> None:
    state.output.show(doc, lambda: Text.assemble((doc["name"], "bold"), " requires: ", render.prerequisites_text(doc)))


@prereq_group.command("add")
@click.argument("name")
@click.argument("prerequisite")
@click.option("--active/--inactive", default=True, show_default=True, help="The state PREREQUISITE must be in.")
@click.option("--variant", "variants", multiple=True, help="PREREQUISITE must serve one of these (repeatable).")
@json_option
@pass_state
def add_prerequisite(state: State, name: str, prerequisite: str, active: bool, variants: tuple[str, ...]) -> None:
    """Make NAME require PREREQUISITE to be active (or --inactive, or serving a --variant)."""
    client = state.client()
    doc = client.request("GET", path("flags", name))
    wanted = {"flag": prerequisite, "active": active, "variants": list(variants) or None}
    prerequisites = [p for p in doc["prerequisites"] if p["flag"] != prerequisite] + [wanted]
    body = {"prerequisites": prerequisites, "version": doc["version"]}
    _show(state, client.request("PATCH", path("flags", name), json=body))


@prereq_group.command("remove")
@click.argument("name")
@click.argument("prerequisite")
@json_option
@pass_state
def remove_prerequisite(state: State, name: str, prerequisite: str) -> None:
    """Stop NAME requiring PREREQUISITE."""
    client = state.client()
    doc = client.request("GET", path("flags", name))
    prerequisites = [p for p in doc["prerequisites"] if p["flag"] != prerequisite]
    if len(prerequisites) == len(doc["prerequisites"]):
        raise InputError(f"flag {name!r} does not require {prerequisite!r}")
    body = {"prerequisites": prerequisites, "version": doc["version"]}
    _show(state, client.request("PATCH", path("flags", name), json=body))
