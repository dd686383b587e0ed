"""The CLI's parameter types and its choice of variant for `flag allow` (no server needed)."""

from __future__ import annotations

from typing import Any

import click
import pytest

from vexil.cli.errors import InputError
from vexil.cli.flags import pick_variant
from vexil.cli.params import KEY_VALUE, PERCENT, VARIANTS


@pytest.mark.parametrize(
    ("given", "expected"),
    [("0", 0), ("100", 100), ("25", 25), ("12.5", 12.5), ("0.01", 0.01), ("99.99%", 99.99), (" 50 ", 50)],
)
def test_percent__valid__number_as_stored(given: str, expected: float) -> None:
    # Given / When
    value = PERCENT.convert(given, None, None)
    # Then
    assert value == expected
    assert isinstance(value, int) is float(expected).is_integer()


@pytest.mark.parametrize("given", ["-1", "100.01", "1e3", "inf", "nan", "12.345", "", "ten"])
def test_percent__invalid__bad_parameter(given: str) -> None:
    # Given / When / Then
    with pytest.raises(click.BadParameter):
        PERCENT.convert(given, None, None)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("plan=pro", ("plan", "pro")), ("url=a=b", ("url", "a=b")), ("empty=", ("empty", "")), (" k =v", ("k", "v"))],
)
def test_key_value__valid__split_at_first_equals(given: str, expected: tuple[str, str]) -> None:
    # Given / When / Then
    assert KEY_VALUE.convert(given, None, None) == expected


@pytest.mark.parametrize("given", ["plan", "=pro", " =x"])
def test_key_value__invalid__bad_parameter(given: str) -> None:
    # Given / When / Then
    with pytest.raises(click.BadParameter):
        KEY_VALUE.convert(given, None, None)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("a,b,c", [("a", 1), ("b", 1), ("c", 1)]),
        ("off:0, on:1", [("off", 0), ("on", 1)]),
        ("a,,b,", [("a", 1), ("b", 1)]),
    ],
)
def test_variants__valid__names_and_weights(given: str, expected: list[tuple[str, int]]) -> None:
    # Given / When
    variants = VARIANTS.convert(given, None, None)
    # Then
    assert [(v["name"], v["weight"]) for v in variants] == expected


@pytest.mark.parametrize("given", ["a,a", "a:x", "a:-2", "", ",,"])
def test_variants__invalid__bad_parameter(given: str) -> None:
    # Given / When / Then
    with pytest.raises(click.BadParameter):
        VARIANTS.convert(given, None, None)


def _flag(variants: list[str], default: str) -> dict[str, Any]:
    return {"name": "f", "variants": [{"name": v} for v in variants], "default_variant": default}


@pytest.mark.parametrize(
    ("variants", "default", "wanted", "expected"),
    [
        (["off", "on"], "off", None, "on"),
        (["control", "blue", "on"], "control", None, "on"),
        (["control", "blue", "green"], "control", None, "blue"),
        (["blue", "control"], "control", None, "blue"),
        (["off", "on"], "off", "off", "off"),
    ],
    ids=["boolean", "on-wins", "first-non-default", "default-last", "explicit"],
)
def test_pick_variant__cases__expected_variant(
    variants: list[str], default: str, wanted: str | None, expected: str
) -> None:
    # Given / When / Then
    assert pick_variant(_flag(variants, default), wanted) == expected


@pytest.mark.parametrize(("variants", "wanted"), [(["only"], None), (["off", "on"], "purple")])
def test_pick_variant__impossible__input_error(variants: list[str], wanted: str | None) -> None:
    # Given / When / Then
    with pytest.raises(InputError):
        pick_variant(_flag(variants, variants[0]), wanted)
