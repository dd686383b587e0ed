"""The compatibility surface: the bodies and answers of the service Vexil stands in for."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from vexil.api.inputs import Input, Name


class CompatName(Input):
    name: Name


class CompatSet(Input):
    name: Name
    enabled: StrictBool


class CompatCreate(Input):
    name: Name
    description: str = Field(default="", max_length=10_000)
    enabled: StrictBool = False


class CompatCheck(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    identifier: str | None = None
    app: str | None = None
    environment: str | None = None


class CompatUser(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str | None = None
    email: str | None = None
    country: str | None = None
    attributes: dict[str, Any] | None = None


class CompatEvaluateInput(BaseModel):
    environment: str | None = None
    app: str | None = None
    user: CompatUser = Field(default_factory=CompatUser)


class CompatFlagOut(BaseModel):
    name: str
    enabled: bool
    variant: str | None = None
    reason: str | None = None


class CompatFlagWritten(BaseModel):
    """What `/flags/create|toggle|set|delete` answer: the flag as that service shows it."""

    name: str
    enabled: bool
    description: str
    updated_at: str


class CompatResult(BaseModel):
    flagKey: str  # the compatibility surface's own spelling
    enabled: bool
    variant: str | None = None
    reason: str


class CompatEvaluateOut(BaseModel):
    results: list[CompatResult]
