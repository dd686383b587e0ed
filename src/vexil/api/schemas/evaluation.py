"""Evaluation: the context of who is asking, and the answers for one flag or many."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EvaluationContext(BaseModel):
    """Who is asking: reserved keys plus any attributes (flat keys or under `attributes`)."""

    model_config = ConfigDict(extra="allow")

    identifier: str | None = None
    app: str | None = None
    environment: str | None = None
    attributes: dict[str, Any] | None = None


class BulkEvaluationInput(EvaluationContext):
    flags: list[str] | None = Field(default=None, description="Only these flags (default: every flag).")


class EvaluationOut(BaseModel):
    flag: str
    active: bool
    variant: str | None
    payload: Any = None
    reason: str
    rule: int | None = Field(default=None, description="Index of the deciding rule (admin and server tokens only).")


class ExplainedOut(EvaluationOut):
    """The playground's answer: the result with its deciding rule, and what else a person should know."""

    details: dict[str, Any] | None = Field(
        default=None, description="Set when the context named an environment that does not exist."
    )


class ClientResult(BaseModel):
    active: bool
    variant: str | None
    payload: Any = None
    reason: str


class BulkEvaluationOut(BaseModel):
    flags: dict[str, ClientResult]
