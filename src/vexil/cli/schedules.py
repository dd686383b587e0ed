"""`vexil schedule list|create|cancel` and `vexil plan create|list|show|pause|resume|cancel`:
scheduled changes and release plans (docs/schedules.md).

Times are given as an instant with its zone (`2026-12-08T09:00:00Z`) or as from now (`+30m`,
`+2h`, `+1d`); a plan's step as `PERCENT@WHEN`, where WHEN may also be `+Nh` after the step before.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from vexil.cli import render
from vexil.cli.client import path
from vexil.cli.errors import CliError
from vexil.cli.state import State, json_option, pass_state

Doc = dict[str, Any]
_RELATIVE = re.compile(r"^\+(\d+(?:\.\d+)?)([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def when(text: str, *, now: datetime | None = None) -> str:
    """`--at`'s value as the API takes it: an ISO 8601 instant with its zone, or `+N[m|h|d]` from now."""
    relative = _RELATIVE.match(text.strip())
    if relative:
        moment = (now or datetime.now(UTC)) + timedelta(**{_UNITS[relative[2]]: float(relative[1])})
        return moment.isoformat().replace("+00:00", "Z")
    return text.strip()


def _hours(text: str) -> float | None:
    """`+Nh` (or m, d) as hours after the step before; None for an instant."""
    relative = _RELATIVE.match(text.strip())
    if not relative:
        return None
    return float(relative[1]) * {"m": 1 / 60, "h": 1, "d": 24}[relative[2]]


def plan_step(text: str) -> Doc:
    """`PERCENT@WHEN` as a plan step (`25@+24h`, `100@2026-12-08T09:00:00Z`)."""
    percent, at, moment = text.partition("@")
    if not at or not moment:
        raise CliError(f"--step {text!r}: use PERCENT@WHEN, such as 25@+24h or 100@2026-12-08T09:00:00Z")
    try:
        rollout: float = float(percent.strip().removesuffix("%"))
    except ValueError:
        raise CliError(f"--step {text!r}: {percent!r} is not a percentage") from None
    hours = _hours(moment)
    return {"rollout_percentage": rollout, **({"after_hours": hours} if hours is not None else {"at": moment.strip()})}


def _state(doc: Doc) -> Text:
    style = {"pending": "yellow", "applied": "green", "failed": "red", "paused": "yellow", "done": "green"}
    return Text(doc["state"], style=style.get(doc["state"], "dim"))


_ID = render.Column("ID", justify="right")


def _folded(*headers: str) -> list[render.Column]:
    """Columns whose cells fold at the edge rather than end in "…": a title or an instant is read whole."""
    return [render.Column(header, overflow="fold") for header in headers]


def _schedule_row(item: Doc) -> render.Row:
    held = f" (change request #{item['change_request']})" if item["change_request"] else ""
    late = "-" if item["late_seconds"] is None else f"{item['late_seconds']} s"
    return (
        Text(str(item["id"])),
        render._when(item["at"]),
        Text(item["title"] + held, style="bold"),
        _state(item),
        Text(item["created_by"]),
        Text(late),
    )


def schedules_table(items: list[Doc]) -> RenderableType:
    return render.table(
        map(_schedule_row, items), [_ID, *_folded("At", "Title", "State", "By", "Late")], empty="No scheduled changes."
    )


def _plan_row(plan: Doc) -> render.Row:
    done = sum(step["state"] == "applied" for step in plan["steps"])
    upcoming = next((step for step in plan["steps"] if step["state"] == "pending"), None)
    return (
        Text(str(plan["id"])),
        Text(plan["title"], style="bold"),
        Text(plan["flag"]),
        Text(plan["environment"] or "-"),
        _state(plan),
        Text(f"{done}/{len(plan['steps'])}"),
        render._when(upcoming["at"]) if upcoming else Text("-"),
    )


def plans_table(plans: list[Doc]) -> RenderableType:
    return render.table(
        map(_plan_row, plans),
        [_ID, *_folded("Title", "Flag", "Environment", "State", "Steps", "Next")],
        empty="No release plans.",
    )


def plan_line(plan: Doc) -> Text:
    note = f" ({plan['note']})" if plan["note"] else ""
    return Text.assemble("Release plan ", (f"#{plan['id']}", "bold"), f" {plan['title']!r}: ", _state(plan), note)


def schedule_line(item: Doc) -> Text:
    held = f", held by change request #{item['change_request']} until approved" if item["change_request"] else ""
    return Text.assemble(
        "Schedule ",
        (f"#{item['id']}", "bold"),
        f" {item['title']!r} at ",
        render._when(item["at"]),
        ": ",
        _state(item),
        held,
    )


@click.group("schedule")
def schedule_group() -> None:
    """Changes that apply at a given time."""


@schedule_group.command("list")
@click.option("--flag", help="Only those that change this flag.")
@json_option
@pass_state
def list_schedules(state: State, flag: str | None) -> None:
    """List scheduled changes, soonest first."""
    items = state.client().request("GET", "/schedules", params={"flag": flag} if flag else {})["schedules"]
    state.output.show(items, lambda: schedules_table(items))


@schedule_group.command("create")
@click.option("--at", "at", required=True, help="When: 2026-12-08T09:00:00Z, or +30m, +2h, +1d from now.")
@click.option("--flag", help="The flag to change (with --on, --off or --rollout).")
@click.option("--env", "environment", help="The environment to change it in (default: the flag's own).")
@click.option("--on/--off", "enabled", default=None, help="Turn it on or off.")
@click.option("--rollout", type=click.FloatRange(0, 100), help="Set its rollout percentage.")
@click.option(
    "--file",
    "-f",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='Or a JSON file: the changes, as POST /change-requests takes them ({"changes": [...]} or [...]).',
)
@click.option("--title", help="What it is for (default: the flags it changes).")
@json_option
@pass_state
def create_schedule(  # noqa: PLR0913 (click passes each option)
    state: State,
    at: str,
    flag: str | None,
    environment: str | None,
    enabled: bool | None,
    rollout: float | None,
    file: Path | None,
    title: str | None,
) -> None:
    """Schedule a change for a time."""
    changes = _file_changes(file) if file is not None else _flag_changes(flag, environment, enabled, rollout)
    body: Doc = {"at": when(at), "changes": changes, **({"title": title} if title else {})}
    item = state.client().request("POST", "/schedules", json=body)
    state.output.show(item, lambda: schedule_line(item))


def _file_changes(file: Path) -> list[Doc]:
    try:
        loaded = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CliError(f"{file}: not a JSON file ({exc})") from None
    changes = loaded.get("changes") if isinstance(loaded, dict) else loaded
    if not isinstance(changes, list):
        raise CliError(f'{file}: give a list of changes, or {{"changes": [...]}}')
    return changes


def _flag_changes(flag: str | None, environment: str | None, enabled: bool | None, rollout: float | None) -> list[Doc]:
    if flag is None or (enabled is None and rollout is None):
        raise CliError("say what changes: --flag NAME with --on, --off or --rollout PERCENT, or --file")
    changes: list[Doc] = []
    if enabled is not None:
        changes.append({"kind": "enable", "flag": flag, "environment": environment, "enabled": enabled})
    if rollout is not None:
        if environment is None:
            changes.append({"kind": "patch", "flag": flag, "fields": {"rollout_percentage": rollout}})
        else:
            fields = {"environment": environment, "rollout_percentage": rollout}
            changes.append({"kind": "override", "flag": flag, "fields": fields})
    return changes


@schedule_group.command("cancel")
@click.argument("id", type=click.IntRange(min=1))
@json_option
@pass_state
def cancel_schedule(state: State, id: int) -> None:
    """Cancel a pending scheduled change."""
    item = state.client().request("DELETE", path("schedules", str(id)))
    state.output.show(item, lambda: schedule_line(item))


@click.group("plan")
def plan_group() -> None:
    """Release plans: a flag's rollout in steps over time."""


@plan_group.command("create")
@click.argument("flag")
@click.option("--env", "environment", help="The environment whose rollout the steps set (default: the flag's own).")
@click.option(
    "--step",
    "steps",
    multiple=True,
    required=True,
    help="PERCENT@WHEN, in order: 5@+1h, 25@+24h (after the step before), 100@2026-12-08T09:00:00Z.",
)
@click.option("--title", help="What it is for (default: Release of FLAG).")
@json_option
@pass_state
def create_plan(state: State, flag: str, environment: str | None, steps: tuple[str, ...], title: str | None) -> None:
    """Make a release plan of a flag."""
    body: Doc = {"flag": flag, "environment": environment, "steps": [plan_step(step) for step in steps]}
    if title:
        body["title"] = title
    plan = state.client().request("POST", "/release-plans", json=body)
    state.output.show(plan, lambda: plan_line(plan))


@plan_group.command("list")
@click.option("--flag", help="Only this flag's plans.")
@json_option
@pass_state
def list_plans(state: State, flag: str | None) -> None:
    """List release plans, newest first."""
    plans = state.client().request("GET", "/release-plans", params={"flag": flag} if flag else {})["release_plans"]
    state.output.show(plans, lambda: plans_table(plans))


@plan_group.command("show")
@click.argument("id", type=click.IntRange(min=1))
@json_option
@pass_state
def show_plan(state: State, id: int) -> None:
    """Show a release plan and its steps."""
    plan = state.client().request("GET", path("release-plans", str(id)))
    state.output.show(plan, lambda: _plan_detail(plan))


def _plan_detail(plan: Doc) -> RenderableType:
    table = schedules_table(plan["steps"])
    grid = Table.grid()
    grid.add_row(plan_line(plan))
    grid.add_row(table)
    return grid


def _move(verb: str, method: str, url_tail: str | None, summary: str) -> None:
    def run(state: State, id: int) -> None:
        parts = ("release-plans", str(id), url_tail) if url_tail else ("release-plans", str(id))
        plan = state.client().request(method, path(*parts))
        state.output.show(plan, lambda: plan_line(plan))

    run.__doc__ = summary
    plan_group.command(verb)(click.argument("id", type=click.IntRange(min=1))(json_option(pass_state(run))))


_move("pause", "POST", "pause", "Pause a release plan: its steps wait.")
_move("resume", "POST", "resume", "Resume a paused plan: steps due meanwhile apply at once, in order.")
_move("cancel", "DELETE", None, "Cancel a release plan and its pending steps.")
