"""Checks a whole flag document after its fields were parsed: the cross-field rules pydantic
cannot see (variants named by `serve`, `default_variant` and allowlists exist, conditions carry
the value their operator needs, regular expressions compile under RE2, segments exist)."""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from typing import Any

import re2

from vexil.engine import LIST_OPERATORS, NO_VALUE_OPERATORS, SEGMENT_OPERATORS


class InvalidInput(ValueError):
    """A request that parsed but does not make sense (400)."""


BOOLEAN_VARIANTS: list[dict[str, Any]] = [
    {"name": "off", "payload": None, "weight": 0},
    {"name": "on", "payload": None, "weight": 1},
]


def normalize_flag(doc: dict[str, Any]) -> dict[str, Any]:
    """Fill the defaults of docs/model.md: boolean variants, default variant, salt."""
    if not doc.get("variants"):
        doc["variants"] = [dict(v) for v in BOOLEAN_VARIANTS]
        doc.setdefault("default_variant", "off")
    if not doc.get("default_variant"):
        doc["default_variant"] = doc["variants"][0]["name"]
    if not doc.get("salt"):
        doc["salt"] = doc["name"]
    return doc


def check_flag(doc: Mapping[str, Any], *, segments: Container[str]) -> None:
    variants = [v["name"] for v in doc["variants"]]
    if len(set(variants)) != len(variants):
        raise InvalidInput("variant names must be unique")
    known = set(variants)
    if doc["default_variant"] not in known:
        raise InvalidInput(f"default_variant {doc['default_variant']!r} is not one of the variants")
    _check_targeting(doc.get("rules", []), doc.get("allowlist", {}), known, segments, where="")
    for env, override in doc.get("environments", {}).items():
        _check_targeting(override.get("rules") or [], override.get("allowlist") or {}, known, segments, where=env)
    for prerequisite in doc.get("prerequisites", []):
        if prerequisite["flag"] == doc["name"]:
            raise InvalidInput("a flag cannot be its own prerequisite")


def _check_targeting(
    rules: Iterable[Mapping[str, Any]],
    allowlist: Mapping[str, str],
    variants: set[str],
    segments: Container[str],
    *,
    where: str,
) -> None:
    prefix = f"environments.{where}." if where else ""
    for identifier, variant in allowlist.items():
        if variant not in variants:
            raise InvalidInput(f"{prefix}allowlist[{identifier!r}] names unknown variant {variant!r}")
    for index, rule in enumerate(rules):
        if rule.get("serve") is not None and rule["serve"] not in variants:
            raise InvalidInput(f"{prefix}rules[{index}].serve names unknown variant {rule['serve']!r}")
        for position, condition in enumerate(rule.get("conditions", [])):
            check_condition(condition, segments, where=f"{prefix}rules[{index}].conditions[{position}]")


def check_condition(condition: Mapping[str, Any], segments: Container[str], *, where: str) -> None:
    operator, value = condition["operator"], condition.get("value")
    if operator in SEGMENT_OPERATORS:
        if not isinstance(value, str) or value not in segments:
            raise InvalidInput(f"{where}: {operator} needs the name of an existing segment as value")
        return
    if not condition.get("field"):
        raise InvalidInput(f"{where}: {operator} needs a field")
    if operator in NO_VALUE_OPERATORS:
        return
    if operator in LIST_OPERATORS:
        if not isinstance(value, list):
            raise InvalidInput(f"{where}: {operator} takes a list as value")
        return
    if value is None or isinstance(value, dict | list):
        raise InvalidInput(f"{where}: {operator} takes a single value")
    if operator == "matches":
        _check_regex(value, where)


def _check_regex(pattern: Any, where: str) -> None:
    if not isinstance(pattern, str):
        raise InvalidInput(f"{where}: matches takes a regular expression string")
    try:
        re2.compile(pattern)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise InvalidInput(f"{where}: invalid regular expression: {detail}") from exc


def check_segment_conditions(conditions: Iterable[Mapping[str, Any]], segments: Container[str]) -> None:
    for position, condition in enumerate(conditions):
        if condition["operator"] in SEGMENT_OPERATORS:
            raise InvalidInput(f"conditions[{position}]: a segment cannot refer to another segment")
        check_condition(condition, segments, where=f"conditions[{position}]")
