"""Scheduled changes and release plans as data (docs/schedules.md): when each step applies and what
it does, checked before anything is kept. No I/O: the service keeps them and the executor
(`core/scheduler.py`) applies them when due.

A scheduled change holds edits (`core/edits.py`) and the instant to apply them. A release plan is a
sequence of steps of one flag, each a scheduled change with its plan's id: a step gives its instant
(`at`) or how many hours after the step before it (`after_hours`; the first step: after the plan's
creation), and either a `rollout_percentage` (of the plan's environment's override, or the flag's own
when the plan names no environment) or an `edit`. Instants must increase from step to step, so that
"in order" and "by time" mean the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from vexil.core.validation import InvalidInput

Doc = dict[str, Any]

# Who the audit log names for what the executor applies.
VEXIL = "vexil"
MAX_STEPS = 50


def check_future(at: datetime, now: datetime, *, where: str = "at") -> None:
    """`InvalidInput` unless `at` is later than `now`."""
    if at <= now:
        raise InvalidInput(f"{where}: {at.isoformat()} is not in the future (it is {now.isoformat()} now)")


def schedule_title(changes: Sequence[Mapping[str, Any]]) -> str:
    """A scheduled change's title when none is given: what its one change does, or which flags
    its changes change."""
    if len(changes) == 1:
        words = describe(changes[0])
        return words[0].upper() + words[1:]
    flags = sorted({change["flag"] for change in changes})
    return f"Scheduled change of {', '.join(flags)}"


def step_edit(step: Mapping[str, Any], flag: str, environment: str | None) -> Doc:
    """The edit a plan step makes: its `edit` (of the plan's flag), or its rollout percentage."""
    if step.get("edit") is not None:
        edit = dict(step["edit"])
        if edit.get("flag", flag) != flag:
            raise InvalidInput(f"edit.flag: a step of a plan of {flag!r} cannot change flag {edit['flag']!r}")
        return {**edit, "flag": flag}
    percentage = step["rollout_percentage"]
    if environment is None:
        return {"kind": "patch", "flag": flag, "fields": {"rollout_percentage": percentage}}
    return {"kind": "override", "flag": flag, "environment": environment, "fields": {"rollout_percentage": percentage}}


def plan_steps(steps: Sequence[Mapping[str, Any]], *, flag: str, environment: str | None, now: datetime) -> list[Doc]:
    """Each step of a plan as a scheduled change: `{"title", "at", "changes": [edit]}`, its instant
    from `at` or `after_hours`; `InvalidInput` naming the step that is wrong."""
    if not steps:
        raise InvalidInput("steps: a plan needs at least one step")
    if len(steps) > MAX_STEPS:
        raise InvalidInput(f"steps: a plan has at most {MAX_STEPS} steps")
    planned: list[Doc] = []
    previous = now
    for index, step in enumerate(steps):
        where = f"steps[{index}]"
        if (step.get("at") is None) == (step.get("after_hours") is None):
            raise InvalidInput(f"{where}: give either at or after_hours")
        if (step.get("rollout_percentage") is None) == (step.get("edit") is None):
            raise InvalidInput(f"{where}: give either rollout_percentage or edit")
        try:
            at = step["at"] if step.get("at") is not None else previous + timedelta(hours=float(step["after_hours"]))
        except OverflowError:
            raise InvalidInput(f"{where}.after_hours: that is past the year 9999") from None
        if at <= previous:
            after = "now" if index == 0 else f"steps[{index - 1}]"
            raise InvalidInput(f"{where}.at: {at.isoformat()} is not later than {after} ({previous.isoformat()})")
        edit = step_edit(step, flag, environment)
        planned.append({"title": f"Step {index + 1}: {describe(edit)}", "at": at, "changes": [edit]})
        previous = at
    return planned


def describe(edit: Mapping[str, Any]) -> str:
    """A few words on what an edit does, for a step's title."""
    fields = edit.get("fields") or {}
    where = f" in {edit['environment']}" if edit.get("environment") else ""
    if set(fields) == {"rollout_percentage"}:
        return f"rollout {float(fields['rollout_percentage']):g} %{where}"
    if edit["kind"] == "enable" or set(fields) == {"enabled"}:
        enabled = edit["enabled"] if edit["kind"] == "enable" else fields["enabled"]
        return f"turn {edit['flag']} {'on' if enabled else 'off'}{where}"
    return f"{edit['kind'].replace('_', ' ')} of {edit['flag']}{where}"
