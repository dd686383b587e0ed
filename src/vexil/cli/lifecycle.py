"""`vexil flag archive|restore|stale`: a flag's lifecycle from the terminal (docs/lifecycle.md)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import click
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from vexil.cli import render
from vexil.cli.client import path
from vexil.cli.state import State, json_option, pass_state


@click.command("archive")
@click.argument("name")
@json_option
@pass_state
def archive(state: State, name: str) -> None:
    """Archive a flag: it stops being served (not found everywhere) but keeps its configuration."""
    doc = state.client().request("POST", path("flags", name, "archive"))
    state.output.show(doc, lambda: render.message(f"Archived flag {name}; `vexil flag restore {name}` brings it back."))


@click.command("restore")
@click.argument("name")
@json_option
@pass_state
def restore(state: State, name: str) -> None:
    """Restore an archived flag, as it was."""
    doc = state.client().request("POST", path("flags", name, "restore"))
    state.output.show(doc, lambda: Text.assemble("Restored ", render.flag_state(doc)))


@click.command("stale")
@json_option
@pass_state
def stale(state: State) -> None:
    """List the flags that may be stale, each signal with its evidence."""
    client = state.client()
    flags = client.request("GET", "/flags", params={"stale": "true"})["flags"]
    summaries = [client.request("GET", path("flags", doc["name"], "stale")) for doc in flags]
    state.output.show({"flags": summaries}, lambda: stale_table(summaries))


def _evidence(evidence: Mapping[str, Any]) -> str:
    return ", ".join(f"{key} {json.dumps(value)}" for key, value in evidence.items())


def stale_table(summaries: Iterable[Mapping[str, Any]]) -> RenderableType:
    summaries = list(summaries)
    if not summaries:
        return Text("No stale flags.", style="dim")
    table = Table()
    table.add_column("Name", no_wrap=True)
    for column in ("Kind", "Owner", "Signals"):
        table.add_column(column, overflow=render.WRAP)
    for summary in summaries:
        signals = "\n".join(f"{s['signal']}: {_evidence(s['evidence'])}" for s in summary["signals"])
        table.add_row(Text(summary["flag"], style="bold"), Text(summary["kind"]), Text(summary["owner"]), Text(signals))
    return table
