"""Output for people (rich tables and one-line summaries on stdout) or for scripts (`--json`).

JSON goes through `click.echo` as plain text, never through rich, so that nothing (markup, wrapping,
colour) can change the bytes a script parses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console, RenderableType

from vexil.cli.fit import fit


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def stdout_console() -> Console:
    # Made per call: rich reads sys.stdout when it writes, so CliRunner's capture works too.
    return Console(highlight=False, soft_wrap=False)


class Output:
    """`show(data, human)`: `data` as JSON with --json, else what `human()` renders."""

    def __init__(self, *, json_mode: bool) -> None:
        self.json_mode = json_mode

    def show(self, data: Any, human: Callable[[], RenderableType]) -> None:
        if self.json_mode:
            click.echo(to_json(data))
        else:
            console = stdout_console()
            renderable = human()
            fit(renderable, console)
            console.print(renderable)
