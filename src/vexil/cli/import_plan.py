"""What an import (or an undo) would create, change and delete, as `vexil import` shows it before
asking, and whether it needs asking at all.

Only an import that changes or deletes something asks: one that only creates (into a new server, or
a merge of new flags) destroys nothing, so it goes ahead, its summary shown all the same.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from vexil.cli.errors import InputError

SECTIONS = ("flags", "segments", "environments")
KINDS = (("created", "+", "green", "create"), ("changed", "~", "yellow", "change"), ("deleted", "-", "red", "delete"))
# Names listed per line; the rest are counted ("and 12 more").
SHOWN = 8

Doc = dict[str, Any]


def destructive(plan: Doc) -> bool:
    """Whether the plan changes or deletes anything (and so is asked about)."""
    return any(plan[kind][section] for kind in ("changed", "deleted") for section in SECTIONS)


def empty(plan: Doc) -> bool:
    return not any(plan[kind][section] for kind, *_ in KINDS for section in SECTIONS)


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return f"{shown} and {len(names) - SHOWN} more" if len(names) > SHOWN else shown


def plan_text(plan: Doc, heading: str) -> Text:
    """`heading`, then one line per kind and section that has names: `+ create 2 flags: a, b`."""
    text = Text(heading)
    if empty(plan):
        return text.append("\n  nothing to create, change or delete")
    for kind, sign, style, verb in KINDS:
        for section in SECTIONS:
            names = plan[kind][section]
            if names:
                what = section if len(names) != 1 else section[:-1]
                text.append(f"\n  {sign} {verb} {len(names)} {what}: ", style=style).append(_names(names))
    return text


def counts_line(plan: Doc) -> str:
    """`created 1 flag, changed 2, deleted 5` over every section, or `nothing changed`."""
    parts = []
    for kind, *_ in KINDS:
        total = sum(len(plan[kind][section]) for section in SECTIONS)
        if total:
            parts.append(f"{kind} {total}")
    return ", ".join(parts) or "nothing changed"


def confirm(plan: Doc, heading: str, question: str, *, yes: bool) -> None:
    """Show the plan on stderr and ask `question` unless `yes` or nothing would be changed or
    deleted; refuse (exit 2) without asking when stdin is not a terminal; exit 1 on "no"."""
    if yes or not destructive(plan):
        return
    if not sys.stdin.isatty():
        raise InputError("refusing to change or delete anything without confirmation: pass --yes (or --dry-run)")
    Console(stderr=True, highlight=False).print(plan_text(plan, heading))
    if not click.confirm(question, err=True):
        click.echo("Nothing changed.", err=True)
        raise click.exceptions.Exit(1)
