"""Change requests: opening one, reviewing it, and how it is read (docs/change-requests.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool

from vexil.api.inputs import Input
from vexil.api.schemas.changes import ChangeInput


class ChangeRequestCreate(Input):
    title: str = Field(min_length=1, max_length=200)
    changes: list[ChangeInput] = Field(min_length=1, max_length=100)
    draft: StrictBool = Field(default=False, description="Keep it a draft: nobody reviews it until it is opened.")


class ReviewInput(Input):
    text: str = Field(default="", max_length=10_000, description="Why, in a few words (kept with the review).")


class CommentInput(Input):
    text: str = Field(min_length=1, max_length=10_000)


class ReviewOut(BaseModel):
    at: str
    actor: str
    kind: Literal["comment", "approve", "reject", "rebase", "open", "apply"]
    text: str
    round: int


class ChangeDiff(BaseModel):
    flag: str
    made_against: int = Field(description="The flag's version the changes were made against.")
    current_version: int | None = Field(description="The flag's version now (null: it no longer exists).")
    applicable: bool = Field(description="Whether the changes still apply to the flag as it is (checked as a write).")
    changes: list[dict[str, Any]] = Field(description="`[{path, before, after}]`: what they change in the flag now.")


class ChangeRequestOut(BaseModel):
    id: int
    title: str
    state: Literal["draft", "open", "approved", "rejected", "applied"]
    requester: str
    environments: list[str] = Field(description="The environments whose evaluation its changes alter.")
    required_approvals: int
    round: int = Field(description="1, plus one per rebase; only this round's approvals count.")
    changes: list[dict[str, Any]] = Field(description="Edits (docs/change-requests.md), each with its `version`.")
    reviews: list[ReviewOut]
    approvals: list[str] = Field(description="Who approved in this round.")
    created_at: str
    updated_at: str
    applied_by: str | None
    applied_at: str | None
    diff: list[ChangeDiff] | None = Field(default=None, description="Only when reading one request.")
    impact: Any = Field(default=None, description="The impact preview, when the server computes one (else null).")


class ChangeRequestList(BaseModel):
    change_requests: list[ChangeRequestOut]
