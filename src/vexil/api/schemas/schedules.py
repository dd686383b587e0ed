"""Scheduled changes and release plans (docs/schedules.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from vexil.api.inputs import Input, Name, Percentage
from vexil.api.schemas.changes import ChangeInput

When = Annotated[
    AwareDatetime, Field(strict=False, description="An instant with its offset, e.g. `2026-12-08T09:00:00Z`.")
]


class ScheduleCreate(Input):
    at: When
    changes: list[ChangeInput] = Field(
        min_length=1, max_length=100, description="Edits, as a change request takes them."
    )
    title: str | None = Field(default=None, min_length=1, max_length=200)


class ScheduleOut(BaseModel):
    id: int
    title: str
    state: Literal["pending", "applied", "failed", "cancelled"]
    at: str
    changes: list[dict[str, Any]] = Field(
        description="Edits (docs/change-requests.md), applied to the flags as they are then."
    )
    created_by: str
    created_at: str
    plan: int | None = Field(description="The release plan this is a step of (null: a scheduled change).")
    step: int | None = Field(description="Its place in its plan, from 1.")
    change_request: int | None = Field(
        description="The change request that holds it (a protected environment): applied once approved and due."
    )
    done_at: str | None
    late_seconds: int | None = Field(description="How many seconds after `at` it was applied (or failed).")
    error: str | None = Field(description="Why it failed.")


class ScheduleList(BaseModel):
    schedules: list[ScheduleOut]


class PlanStepInput(Input):
    at: When | None = None
    after_hours: float | None = Field(
        default=None, gt=0, le=24 * 366, description="Hours after the step before (the first: after now)."
    )
    rollout_percentage: Percentage | None = None
    edit: ChangeInput | None = Field(default=None, description="An edit of the plan's flag instead of a rollout.")


class PlanCreate(Input):
    flag: Name
    environment: Name | None = Field(
        default=None, description="Whose override's rollout the steps set (null: the flag's own)."
    )
    steps: list[PlanStepInput] = Field(min_length=1, max_length=50)
    title: str | None = Field(default=None, min_length=1, max_length=200)


class PlanOut(BaseModel):
    id: int
    title: str
    flag: str
    environment: str | None
    state: Literal["active", "paused", "done", "cancelled"]
    created_by: str
    created_at: str
    updated_at: str
    note: str | None = Field(description="Why it paused itself (a step that could not apply).")
    steps: list[ScheduleOut]


class PlanList(BaseModel):
    release_plans: list[PlanOut]
