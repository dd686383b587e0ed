"""Checks a whole flag document after its fields were parsed: what a condition may hold is the
engine's rule (`engine.condition_error`); what only the core can see is checked here (variants
named by `serve`, `default_variant` and allowlists exist, segments exist, a segment does not use
another, a flag is not its own prerequisite).

Every message starts with the path of the field at fault (`rules[0].conditions[1].value: ...`),
then says what is wrong and what is expected (docs/errors.md). `where` prefixes the paths of a
document inside a larger one (`flags[2].` in an import).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from typing import Any

from vexil.engine import SEGMENT_OPERATORS, condition_error, show_value


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


def check_flag(doc: Mapping[str, Any], *, segments: Container[str], where: str = "") -> None:
    variants = [v["name"] for v in doc["variants"]]
    for index, name in enumerate(variants):
        if name in variants[:index]:
            raise InvalidInput(
                f"{where}variants[{index}].name: {show_value(name)} is already the name of "
                f"variants[{variants.index(name)}]; give each variant its own name"
            )
    if doc["default_variant"] not in variants:
        raise InvalidInput(f"{where}default_variant: {_not_a_variant(doc['default_variant'], variants)}")
    _check_targeting(doc.get("rules", []), doc.get("allowlist", {}), variants, segments, where=where)
    for env, override in doc.get("environments", {}).items():
        inside = f"{where}environments.{env}."
        _check_targeting(override.get("rules") or [], override.get("allowlist") or {}, variants, segments, where=inside)
    for index, prerequisite in enumerate(doc.get("prerequisites", [])):
        if prerequisite["flag"] == doc["name"]:
            raise InvalidInput(
                f"{where}prerequisites[{index}].flag: a flag cannot be its own prerequisite; name another flag"
            )


def _not_a_variant(name: Any, variants: list[str]) -> str:
    return f"{show_value(name)} is not one of the variants; use {', '.join(variants)}"


def _check_targeting(
    rules: Iterable[Mapping[str, Any]],
    allowlist: Mapping[str, str],
    variants: list[str],
    segments: Container[str],
    *,
    where: str,
) -> None:
    for identifier, variant in allowlist.items():
        if variant not in variants:
            raise InvalidInput(f"{where}allowlist[{show_value(identifier)}]: {_not_a_variant(variant, variants)}")
    for index, rule in enumerate(rules):
        if rule.get("serve") is not None and rule["serve"] not in variants:
            raise InvalidInput(f"{where}rules[{index}].serve: {_not_a_variant(rule['serve'], variants)}")
        for position, condition in enumerate(rule.get("conditions", [])):
            check_condition(condition, segments, where=f"{where}rules[{index}].conditions[{position}]")


def check_condition(condition: Mapping[str, Any], segments: Container[str], *, where: str) -> None:
    """The engine's rules for the condition, then that the segment it names exists."""
    problem = condition_error(condition)
    if problem is not None:
        at = f"{where}.{problem.key}" if problem.key else where
        raise InvalidInput(f"{at}: {problem.message}")
    value = condition.get("value")
    if condition["operator"] in SEGMENT_OPERATORS and value not in segments:
        raise InvalidInput(f"{where}.value: there is no segment named {show_value(value)}; create it first")


def check_segment(segment: Mapping[str, Any], *, where: str = "") -> None:
    """A segment document: its conditions valid by the engine's rules, none of them using another
    segment. (Whether its values can be stored is the store's rule: it refuses them itself.)"""
    for position, condition in enumerate(segment.get("conditions") or []):
        at = f"{where}conditions[{position}]"
        if condition["operator"] in SEGMENT_OPERATORS:
            raise InvalidInput(
                f"{at}.operator: a segment cannot use another segment; copy that segment's conditions instead"
            )
        check_condition(condition, (), where=at)
