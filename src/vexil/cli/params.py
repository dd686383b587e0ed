"""Parameter types for the CLI's arguments. A bad value is click's `BadParameter` (exit code 2),
raised before anything is sent to the server."""

from __future__ import annotations

import math
from typing import Any

import click


class PercentType(click.ParamType[float | int]):
    """0 to 100 with at most two decimals, as the server stores it (`25`, `12.5`, `7.25%`)."""

    name = "percent"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float | int:
        text = str(value).strip().removesuffix("%")
        try:
            number = float(text)
        except ValueError:
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number) or not 0 <= number <= 100:
            self.fail(f"{value!r} is not between 0 and 100", param, ctx)
        if abs(round(number * 100) - number * 100) > 1e-6:
            self.fail(f"{value!r} has more than two decimals", param, ctx)
        return int(number) if number.is_integer() else round(number, 2)


class KeyValueType(click.ParamType[tuple[str, str]]):
    """`key=value` (the value may contain `=`); the key may not be empty."""

    name = "key=value"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, str]:
        if isinstance(value, tuple):
            return value  # already converted (a default)
        key, sep, rest = str(value).partition("=")
        if not sep or not key.strip():
            self.fail(f"{value!r} is not key=value", param, ctx)
        return key.strip(), rest


class VariantsType(click.ParamType[list[dict[str, Any]]]):
    """`a,b,c` (each weight 1) or `name:weight,...`: the variants of a new flag."""

    name = "variants"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> list[dict[str, Any]]:
        if isinstance(value, list):
            return value
        variants: list[dict[str, Any]] = []
        for item in (part.strip() for part in str(value).split(",")):
            if not item:
                continue
            name, sep, weight_text = item.partition(":")
            name = name.strip()
            weight = 1
            if sep:
                try:
                    weight = int(weight_text)
                except ValueError:
                    self.fail(f"the weight of {name!r} is not a whole number: {weight_text!r}", param, ctx)
                if weight < 0:
                    self.fail(f"the weight of {name!r} is negative", param, ctx)
            if any(v["name"] == name for v in variants):
                self.fail(f"variant {name!r} is given twice", param, ctx)
            variants.append({"name": name, "weight": weight})
        if not variants:
            self.fail("no variants given", param, ctx)
        return variants


PERCENT = PercentType()
KEY_VALUE = KeyValueType()
VARIANTS = VariantsType()
