"""The parts of a flag's document: conditions (a segment's too), rules, variants, prerequisites, overrides."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, StrictBool, StrictInt, field_validator

from vexil.api.inputs import Input, Name, Percentage
from vexil.engine import Operator

Identifier = Annotated[str, Field(min_length=1, max_length=1000)]


class Condition(Input):
    """A condition; what its value may be is the engine's rule for its operator (`GET /operators`)."""

    model_config = ConfigDict(use_enum_values=True)

    field: str | None = Field(default=None, min_length=1, max_length=200)
    operator: Operator = Field(strict=False)
    value: Any = None
    negate: StrictBool = False
    case_insensitive: StrictBool = False

    @field_validator("value")
    @classmethod
    def _value_size(cls, value: Any) -> Any:
        if isinstance(value, list) and len(value) > 10_000:
            raise ValueError("use a list of at most 10000 values")
        return value


class Rule(Input):
    conditions: list[Condition] = Field(default_factory=list, max_length=100)
    rollout_percentage: Percentage = 100
    serve: Name | None = None


class Variant(Input):
    name: Name
    payload: Any = None
    weight: StrictInt = Field(default=1, ge=0, le=1_000_000)


class Prerequisite(Input):
    flag: Name
    active: StrictBool = True
    variants: list[Name] | None = None


Allowlist = dict[Identifier, Name]


class Override(Input):
    """Per-environment override: a field present replaces the flag's own in that environment."""

    enabled: StrictBool | None = None
    rollout_percentage: Percentage | None = None
    rules: list[Rule] | None = Field(default=None, max_length=200)
    allowlist: Allowlist | None = None


class OverrideInput(Override):
    environment: Name
