"""`vexil flag archive|restore|stale|usage`: a flag's lifecycle from the terminal (docs/lifecycle.md,
docs/usage.md)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from rich.console import Group, RenderableType
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
    """List the flags that may be stale, each signal with its evidence, and which are ready to remove."""
    found = state.client().request("GET", "/cleanup")
    summaries = sorted([*found["ready_to_remove"], *found["potentially_stale"]], key=lambda s: s["flag"])
    state.output.show({"flags": summaries}, lambda: stale_table(summaries))


def _ready(summary: Mapping[str, Any]) -> Text:
    """Ready to remove: stale and named in no scanned code; unknown while nothing was scanned."""
    if summary["references"] is None:
        return Text("unknown (no scan)", style="dim")
    if summary["ready_to_remove"]:
        return Text("yes", style="bold green")
    return Text(f"no: in {summary['references']} scan{'s' if summary['references'] != 1 else ''}")


def _evidence(evidence: Mapping[str, Any]) -> str:
    return ", ".join(f"{key} {json.dumps(value)}" for key, value in evidence.items())


def _stale_row(summary: Mapping[str, Any]) -> render.Row:
    signals = "\n".join(f"{s['signal']}: {_evidence(s['evidence'])}" for s in summary["signals"])
    name, kind, owner = Text(summary["flag"], style="bold"), Text(summary["kind"]), Text(summary["owner"])
    return name, kind, owner, Text(signals), _ready(summary)


def stale_table(summaries: Iterable[Mapping[str, Any]]) -> RenderableType:
    return render.table(
        map(_stale_row, summaries),
        [render.NAME, "Kind", "Owner", "Signals", "Ready to remove"],
        empty="No stale flags.",
    )


@click.command("usage")
@click.argument("name")
@click.option("--days", type=click.IntRange(min=1, max=365), default=7, show_default=True, help="How far back.")
@click.option("--env", "environment", metavar="ENV", help="Only evaluations in this environment.")
@click.option("--app", metavar="APP", help="Only evaluations by this app.")
@json_option
@pass_state
def usage(state: State, name: str, days: int, environment: str | None, app: str | None) -> None:
    """How often a flag was evaluated, by variant, environment, app and source, and when last."""
    client = state.client()
    params = {"since": _days_ago(days)} | ({"environment": environment} if environment else {})
    params |= {"app": app} if app else {}
    doc = client.request("GET", path("flags", name, "usage"), params=params)
    state.output.show(doc, lambda: usage_table(doc, days))


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds").replace("+00:00", "Z")


def usage_table(doc: Mapping[str, Any], days: int) -> RenderableType:
    seen = doc.get("last_seen") or "never"
    head = Text.assemble((doc["flag"], "bold"), f": {doc['total']} evaluations in {days} days, last seen {seen}")
    rows = [
        (Text(label), Text(value or "(none)"), Text(str(count)))
        for label, key in (
            ("variant", "by_variant"),
            ("environment", "by_environment"),
            ("app", "by_app"),
            ("source", "by_source"),
        )
        for value, count in sorted((doc.get(key) or {}).items(), key=lambda item: -item[1])
    ]
    if not rows:
        return head
    return Group(
        head, render.table(rows, [render.Column("By", no_wrap=True), "Value", render.Column("Count", justify="right")])
    )
