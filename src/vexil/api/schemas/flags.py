"""Flags: what a flag write takes, the flag document as read, and the stale-flag reports (docs/lifecycle.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field, StrictBool, StrictInt

from vexil.api.inputs import Input, Name, Percentage
from vexil.api.schemas.rules import Allowlist, Override, Prerequisite, Rule, Variant
from vexil.core.lifecycle import Kind


class FlagFields(Input):
    """The settable fields of a flag, shared by create and update."""

    description: str = Field(default="", max_length=10_000)
    tags: list[Name] = Field(default_factory=list, max_length=100)
    enabled: StrictBool = False
    rollout_percentage: Percentage = 100
    variants: list[Variant] = Field(default_factory=list, max_length=100)
    default_variant: Name | None = None
    prerequisites: list[Prerequisite] = Field(default_factory=list, max_length=50)
    allowlist: Allowlist = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list, max_length=200)
    apps: list[Name] = Field(default_factory=list, max_length=200)
    environments: dict[Name, Override] = Field(default_factory=dict)
    salt: str | None = Field(default=None, min_length=1, max_length=200)
    kind: Kind = Field(
        default="release", description="What the flag is for; sets its expected lifetime (docs/lifecycle.md)."
    )
    owner: str = Field(default="", max_length=200, description="Who answers for the flag.")
    stale: StrictBool = Field(default=False, description="A person marks the flag stale (or not).")


class FlagCreate(FlagFields):
    name: Name = Field(validation_alias=AliasChoices("name", "key"))


class FlagImported(FlagCreate):
    """A flag document in an import: archived or not is kept (only archive/restore change it)."""

    archived: StrictBool = False


class FlagUpdate(FlagFields):
    """PATCH body: only the fields given change. `version` makes the update conditional."""

    version: StrictInt | None = Field(default=None, ge=1, description="Expected current version (409 if it moved).")


class AppInput(Input):
    app_name: Name


class VariantOut(BaseModel):
    name: str
    payload: Any = None
    weight: int


class FlagOut(BaseModel):
    name: str
    description: str
    tags: list[str]
    enabled: bool
    rollout_percentage: int | float
    variants: list[VariantOut]
    default_variant: str
    prerequisites: list[dict[str, Any]]
    allowlist: dict[str, str]
    rules: list[dict[str, Any]]
    apps: list[str]
    environments: dict[str, dict[str, Any]]
    salt: str
    kind: str
    owner: str
    stale: bool
    archived: bool
    created_at: str
    updated_at: str
    version: int


class FlagList(BaseModel):
    flags: list[FlagOut]


class StaleSignal(BaseModel):
    signal: Literal["past_lifetime", "one_variant", "marked_stale", "not_evaluated"]
    evidence: dict[str, Any]


class StaleOut(BaseModel):
    flag: str
    kind: str
    owner: str
    stale: bool = Field(description="True when at least one signal holds.")
    signals: list[StaleSignal]
    references: int | None = Field(
        default=None,
        description="In how many scanned repositories and branches the flag is named (null: nothing scanned yet).",
    )
    ready_to_remove: bool = Field(default=False, description="Stale, and named in none of the scanned code.")


class CleanupItem(StaleOut):
    last_seen: str | None = Field(description="The flag's last evaluation counted (within a year); null: never.")


class CleanupOut(BaseModel):
    ready_to_remove: list[CleanupItem] = Field(description="Stale flags that no scanned code names.")
    potentially_stale: list[CleanupItem] = Field(
        description="Stale flags still named in code, or all stale flags while no scan was uploaded."
    )
