"""Environments: their writes (name, place, protection) and their list."""

from __future__ import annotations

from pydantic import BaseModel, Field, StrictBool, StrictInt

from vexil.api.inputs import Input, Name
from vexil.store import MAX_APPROVALS


class EnvironmentInput(Input):
    name: Name


class EnvironmentPatch(Input):
    """Only the fields given change."""

    name: Name | None = Field(
        default=None, description="Rename it: its overrides, place, protection and bound tokens move along."
    )
    order: StrictInt | None = Field(
        default=None, ge=0, le=10_000, description="The place to move it to, 0 first (past the end: last)."
    )
    protected: StrictBool | None = Field(
        default=None,
        description="Protect it: a write that changes what it evaluates needs an approved change request, "
        "unless made by an admin (docs/change-requests.md).",
    )
    required_approvals: StrictInt | None = Field(
        default=None,
        ge=1,
        le=MAX_APPROVALS,
        description="How many people (other than its author) must approve its change requests.",
    )


class EnvironmentOut(BaseModel):
    name: str
    created_at: str
    order: int
    protected: bool = False
    required_approvals: int = 1


class EnvironmentList(BaseModel):
    environments: list[EnvironmentOut]
