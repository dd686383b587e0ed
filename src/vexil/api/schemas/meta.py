"""What the server tells of itself: its operators and its health."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from vexil.engine import Operator, Reads, Takes


class OperatorOut(BaseModel):
    name: Operator
    description: str = Field(description="What it does, in a few words.")
    value: Takes = Field(
        description="What value it takes: `none`, `single` (one value), `list`, or `segment` (a segment's name, "
        "and no field)."
    )
    reads: Reads | None = Field(
        description="What the value (each item of a list) is read as: `scalar` (a string, number or boolean), "
        "`text`, `number`, `semver`, `instant` (ISO 8601), `cidr`, `regex` (RE2); null for `none` and `segment`."
    )
    or_list: bool = Field(description="A single value may also be given as a list of them.")


class OperatorList(BaseModel):
    operators: list[OperatorOut]


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    storage: str = Field(description="`ok`, or `unavailable: <why>` (writes then fail with 503).")
    bus: str = Field(description="The change bus: `redis: ok`, `postgres: unavailable: <why>`, or `none`.")
    flags: int
    quarantined: list[str] = Field(
        default_factory=list,
        description="Stored documents left out because a value cannot be served (`flag NAME`, `segment NAME`).",
    )
    version: str
