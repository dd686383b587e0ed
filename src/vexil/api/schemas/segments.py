"""Segments: their writes and their documents."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, StrictInt

from vexil.api.inputs import Input, Name
from vexil.api.schemas.rules import Condition


class SegmentCreate(Input):
    name: Name
    description: str = Field(default="", max_length=10_000)
    conditions: list[Condition] = Field(default_factory=list, max_length=100)


class SegmentUpdate(Input):
    description: str | None = Field(default=None, max_length=10_000)
    conditions: list[Condition] | None = Field(default=None, max_length=100)
    version: StrictInt | None = Field(default=None, ge=1)


class SegmentOut(BaseModel):
    name: str
    description: str
    conditions: list[dict[str, Any]]
    created_at: str
    updated_at: str
    version: int


class SegmentList(BaseModel):
    segments: list[SegmentOut]
