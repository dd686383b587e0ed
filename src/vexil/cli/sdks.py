"""`vexil sdks`: the connected SDKs, the apps and SDK instances that use the server (`GET /sdks`)."""

from __future__ import annotations

import click

from vexil.cli import render
from vexil.cli.state import State, json_option, pass_state


@click.command("sdks")
@click.option("--usage", is_flag=True, help="With --json: add each instance's counts by flag.")
@json_option
@pass_state
def sdks_command(state: State, usage: bool) -> None:
    """List the SDK instances that registered or posted metrics in the last 7 days."""
    params = {"usage": "true"} if usage else None
    sdks = state.client().request("GET", "/sdks", params=params)["sdks"]
    state.output.show(sdks, lambda: render.sdks_table(sdks))
