"""Conditions written on the command line: `--when 'plan in pro,team'`, read with the server's operators.

The grammar (docs/cli.md) is `[not] [nocase] FIELD OPERATOR [VALUE]`, or `[not] in_segment NAME` for the
operators that take a segment and no field; a `--when` that starts with `{` is a whole condition as
JSON. What each operator takes comes from the server's `GET /operators`, the engine's own table, so
the CLI never spells the operators a second time: an operator the server does not know is refused
here with the server's list, and a value the operator cannot read is refused by the server's write
(400, shown as one line).

Condition documents are printed back in the same grammar (`render.condition_text`), so what
`vexil rule list` shows can be pasted into `--when`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import click

from vexil.cli.client import VexilClient
from vexil.cli.errors import InputError

NEGATE = "not"
NOCASE = "nocase"

when_option = click.option(
    "--when",
    "conditions",
    multiple=True,
    metavar="'FIELD OP VALUE'",
    help="A condition, repeatable (all must match): 'plan eq pro', 'country in de,fr', 'not email exists', "
    "'nocase email ends_with @acme.com', 'in_segment beta'.",
)


@dataclass(frozen=True)
class OperatorInfo:
    """One operator as `GET /operators` describes it."""

    name: str
    takes: str  # none, single, list, segment
    reads: str | None  # scalar, text, number, semver, instant, cidr, regex
    or_list: bool


def fetch_operators(client: VexilClient) -> dict[str, OperatorInfo]:
    document = client.request("GET", "/operators")
    return {
        item["name"]: OperatorInfo(item["name"], item["value"], item.get("reads"), bool(item.get("or_list")))
        for item in document["operators"]
    }


def parse_conditions(texts: Iterable[str], operators: Mapping[str, OperatorInfo]) -> list[dict[str, Any]]:
    return [parse_condition(text, operators) for text in texts]


def parse_condition(text: str, operators: Mapping[str, OperatorInfo]) -> dict[str, Any]:
    """One `--when` as a condition document (the server checks the value against the operator)."""
    stripped = text.strip()
    if stripped.startswith("{"):
        return _json_condition(stripped)
    words = stripped.split(None, 1)
    modifiers: dict[str, bool] = {}
    # A leading `not`/`nocase` is a modifier unless it is the field itself (`not eq x`: a field named "not").
    while len(words) == 2 and words[0] in (NEGATE, NOCASE) and words[1].split(None, 1)[0] not in operators:
        key = "negate" if words[0] == NEGATE else "case_insensitive"
        if key in modifiers:
            raise InputError(f"condition {text!r}: {words[0]!r} is given twice")
        modifiers[key] = True
        words = words[1].split(None, 1)
    if not words:
        raise InputError("a condition is empty: write it as 'FIELD OPERATOR VALUE', e.g. 'plan eq pro'")
    condition = _field_operator_value(text, words, operators)
    return {**condition, **modifiers}


def _json_condition(text: str) -> dict[str, Any]:
    try:
        condition = json.loads(text)
    except ValueError as exc:
        raise InputError(f"condition {text!r} is not valid JSON: {exc}") from exc
    if not isinstance(condition, dict):
        raise InputError(f"condition {text!r} is not a JSON object")
    return condition


def _field_operator_value(text: str, words: list[str], operators: Mapping[str, OperatorInfo]) -> dict[str, Any]:
    first = operators.get(words[0])
    if first is not None and first.takes == "segment":
        if len(words) < 2:
            raise InputError(f"condition {text!r}: {first.name} needs a segment name")
        return {"operator": first.name, "value": words[1].strip()}
    field = words[0]
    rest = words[1].split(None, 1) if len(words) == 2 else []
    if not rest:
        raise InputError(f"condition {text!r} has no operator: write it as 'FIELD OPERATOR VALUE', e.g. 'plan eq pro'")
    operator = operators.get(rest[0])
    if operator is None:
        raise InputError(f"condition {text!r}: unknown operator {rest[0]!r} (one of {', '.join(operators)})")
    raw = rest[1].strip() if len(rest) == 2 else ""
    if operator.takes == "segment":
        raise InputError(f"condition {text!r}: {operator.name} takes no field; write '{operator.name} SEGMENT'")
    if operator.takes == "none":
        if raw:
            raise InputError(f"condition {text!r}: {operator.name} takes no value")
        return {"field": field, "operator": operator.name}
    if not raw:
        raise InputError(f"condition {text!r}: {operator.name} needs a value")
    return {"field": field, "operator": operator.name, "value": _value(raw, operator)}


def _value(raw: str, operator: OperatorInfo) -> Any:
    """A list for list operators (`a,b,c` or a JSON list); otherwise one value (`"..."` is JSON text)."""
    if raw.startswith("["):
        try:
            items = json.loads(raw)
        except ValueError as exc:
            raise InputError(f"the list {raw!r} is not valid JSON: {exc}") from exc
        return items
    if operator.takes == "list" or (operator.or_list and "," in raw):
        return [_one(item.strip(), operator.reads) for item in raw.split(",") if item.strip()]
    return _one(raw, operator.reads)


def _one(raw: str, reads: str | None) -> Any:
    """`30` is the number 30 where numbers are read (scalar, number); `"30"` is always the text 30."""
    if raw.startswith('"'):
        try:
            text = json.loads(raw)
        except ValueError:
            return raw
        return text
    if reads in ("scalar", "number"):
        try:
            value = json.loads(raw)
        except ValueError:
            return raw
        if isinstance(value, bool | int | float):
            return value
    return raw
