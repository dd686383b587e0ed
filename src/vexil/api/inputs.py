"""The building blocks of the API's input models: a strict base model that names an unknown field
with the known ones, and types whose rule is more than their JSON type (a name, a percentage),
each refusing a value with its own plain message (`expect`). `api/errors.py` passes these messages
on as they are (error types `EXPECTED` and `UNKNOWN_FIELD`) and words pydantic's own.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from vexil.core.names import NAME_PATTERN, NAME_RULE

EXPECTED, UNKNOWN_FIELD = "expected", "unknown_field"
PERCENTAGE_RULE = "use a number from 0 to 100 with at most two decimals"


def expect(rule: str) -> WrapValidator:
    """Whatever is wrong with a value of the annotated type, say `rule` (what is expected) instead."""

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError(EXPECTED, rule) from None

    return WrapValidator(validate)


def _two_decimals(value: float) -> float:
    if abs(round(value * 100) - value * 100) > 1e-6:
        raise ValueError("more than two decimals")
    return value


Name = Annotated[str, Field(pattern=NAME_PATTERN, description="Lowercase, URL-safe name."), expect(NAME_RULE)]
Percentage = Annotated[
    float,
    Field(ge=0, le=100, description="0 to 100, at most two decimals."),
    AfterValidator(_two_decimals),
    expect(PERCENTAGE_RULE),
]


class Input(BaseModel):
    """An input model: strict types, and no field it does not know."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, data: Any) -> Any:
        """An unknown field is named with the known ones (`extra="forbid"` alone would not list them)."""
        if isinstance(data, dict):
            accepted = _accepted_names(cls)
            unknown = next((key for key in data if key not in accepted), None)
            if unknown is not None:
                raise PydanticCustomError(
                    UNKNOWN_FIELD,
                    "this field is not known (known fields: {known})",
                    {"field": unknown, "known": ", ".join(sorted(cls.model_fields))},
                )
        return data

    def given(self) -> dict[str, Any]:
        """The top-level fields the client sent, each complete with its nested defaults (for PATCH)."""
        dumped = self.model_dump()
        return {name: dumped[name] for name in self.model_fields_set}


@cache
def _accepted_names(model: type[BaseModel]) -> frozenset[str]:
    """The fields of `model`, and their aliases (`key` for `name`)."""
    names = set(model.model_fields)
    for field in model.model_fields.values():
        if isinstance(field.validation_alias, AliasChoices):
            names.update(choice for choice in field.validation_alias.choices if isinstance(choice, str))
    return frozenset(names)
