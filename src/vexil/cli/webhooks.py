"""`vexil webhook add|list|remove|test|deliveries`: webhooks (docs/webhooks.md). The secret is
given once, at `add`, and never shown again."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import click
from rich.console import RenderableType
from rich.text import Text

from vexil.cli import render
from vexil.cli.state import State, json_option, pass_state

Doc = dict[str, Any]


@click.group("webhook")
def webhook_group() -> None:
    """Send audit events to URLs, signed: subscribe, list, remove, test, read the delivery log."""


@webhook_group.command("add")
@click.argument("url")
@click.option("--secret", required=True, help="Signs every delivery (header Vexil-Signature); at least 8 characters.")
@click.option("--flag", "flags", multiple=True, metavar="FLAG", help="Only events of this flag (repeatable).")
@click.option("--env", "environments", multiple=True, metavar="ENV", help="Only changes of this environment.")
@click.option("--action", "actions", multiple=True, metavar="ACTION", help="Only this action (create, toggle, ...).")
@click.option("--slack", is_flag=True, help='Send Slack\'s {"text"} format (for a Slack incoming webhook).')
@json_option
@pass_state
def add_webhook(  # noqa: PLR0913 (one a filter)
    state: State, url: str, secret: str, flags: tuple[str, ...], environments: tuple[str, ...],
    actions: tuple[str, ...], slack: bool,
) -> None:  # fmt: skip
    """Subscribe URL to audit events (all of them, or those the options name)."""
    events = {key: list(values) for key, values in
              (("flags", flags), ("environments", environments), ("actions", actions)) if values}  # fmt: skip
    body = {"url": url, "secret": secret, "events": events, "format": "slack" if slack else "vexil"}
    made = state.client().request("POST", "/webhooks", json=body)
    state.output.show(made, lambda: render.message(f"Added webhook {made['id']} -> {made['url']}."))


@webhook_group.command("list")
@json_option
@pass_state
def list_webhooks(state: State) -> None:
    """List webhooks (never their secrets)."""
    hooks = state.client().request("GET", "/webhooks")["webhooks"]
    state.output.show(hooks, lambda: webhooks_table(hooks))


@webhook_group.command("remove")
@click.argument("webhook_id", type=int)
@json_option
@pass_state
def remove_webhook(state: State, webhook_id: int) -> None:
    """Remove a webhook: nothing more is sent to it."""
    gone = state.client().request("DELETE", f"/webhooks/{webhook_id}")
    state.output.show(gone, lambda: render.message(f"Removed webhook {webhook_id}."))


@webhook_group.command("test")
@click.argument("webhook_id", type=int)
@json_option
@pass_state
def test_webhook(state: State, webhook_id: int) -> None:
    """Send a test event to a webhook now; `vexil webhook deliveries` shows how it went."""
    sent = state.client().request("POST", f"/webhooks/{webhook_id}/test")
    state.output.show(sent, lambda: render.message(f"Sent test event {sent['event_id']} to webhook {webhook_id}."))


@webhook_group.command("deliveries")
@click.argument("webhook_id", type=int)
@json_option
@pass_state
def webhook_deliveries(state: State, webhook_id: int) -> None:
    """A webhook's delivery log, newest first: each attempt's status code or error, and next retry."""
    log = state.client().request("GET", f"/webhooks/{webhook_id}/deliveries")["deliveries"]
    state.output.show(log, lambda: deliveries_table(log))


def _webhook_row(hook: Doc) -> render.Row:
    events = "; ".join(f"{key}: {', '.join(values)}" for key, values in hook["events"].items()) or "all"
    return str(hook["id"]), Text(hook["url"], style="bold"), events, hook["format"], hook["created_by"]


def webhooks_table(hooks: Iterable[Doc]) -> RenderableType:
    return render.table(
        map(_webhook_row, hooks),
        ["Id", "URL", "Events", "Format", "Created by"],
        empty="No webhooks: vexil webhook add URL --secret SECRET",
    )


_OUTCOME_STYLES = {"delivered": "green", "retry": "yellow", "failed": "red"}


def _delivery_row(entry: Doc) -> render.Row:
    result = str(entry["status"]) if entry["status"] is not None else entry["error"]
    return (
        str(entry["event_id"]),
        str(entry["attempt"]),
        entry["at"],
        Text(f"{entry['outcome']} ({result})", style=_OUTCOME_STYLES[entry["outcome"]]),
        entry["next_retry"] or "",
    )


def deliveries_table(log: Iterable[Doc]) -> RenderableType:
    return render.table(
        map(_delivery_row, log), ["Event", "Attempt", "At", "Result", "Next retry"], empty="No deliveries yet."
    )
