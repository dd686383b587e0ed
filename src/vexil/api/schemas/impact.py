"""The impact preview: a proposed change, and what it would flip (docs/impact.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field, StrictBool

from vexil.api.inputs import Name
from vexil.api.schemas.flags import FlagUpdate
from vexil.api.schemas.rules import Override


class FlagImpactInput(FlagUpdate):
    """A proposed change of one flag: the fields of `PATCH /flags/{name}` (a whole flag document
    works too: the fields Vexil sets are ignored), and `overrides`, merged into each environment's
    override as `POST /flags/{name}/environments` merges them (`null`: the override removed)."""

    overrides: dict[Name, Override | None] = Field(
        default_factory=dict, description="Environment -> override fields (a null field inherits); null removes it."
    )
    name: Name | None = Field(default=None, description="Ignored (a flag document may be sent as it is read).")
    created_at: str | None = Field(default=None, description="Ignored.")
    updated_at: str | None = Field(default=None, description="Ignored.")
    archived: StrictBool | None = Field(default=None, description="Ignored.")


class ImpactChange(BaseModel):
    flag: str
    from_: str | None = Field(alias="from", description="The variant served now (null: no such flag).")
    to: str | None = Field(description="The variant the change would serve (null: no such flag).")
    count: int


class ImpactCounts(BaseModel):
    sampled: int
    flipped: int


class ImpactOut(BaseModel):
    """How many of the contexts recently evaluated by this server a change would flip (counts only)."""

    sampled: int = Field(description="Distinct contexts in the sample (this server's recent evaluations).")
    flipped: int = Field(description="Contexts for which at least one flag would answer differently.")
    drawn: int = Field(description="Contexts without an identifier whose answer is a random draw, not compared.")
    flags: list[str] = Field(description="The flags compared: those changed, and those that depend on them.")
    by_change: list[ImpactChange]
    by_environment: dict[str, ImpactCounts] = Field(description='Per context environment ("": none given).')
