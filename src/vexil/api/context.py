"""The evaluation context, read one way from every surface: query strings and JSON bodies.

A context is `identifier`, `app`, `environment` and attributes (docs/spec.md §1, "Context"):

- `identifier` is a non-empty string, or a whole number read as its decimal text, so that
  `{"identifier": 7}`, `{"identifier": "7"}` and `?identifier=7` are the same user and land in the
  same rollout bucket. `null` or `""` is no identifier (rollouts then draw at random). Anything
  else (`true`, `7.5`, a list) is refused with a 400: a silently dropped identifier would make the
  same user flip between answers.
- `app` and `environment` are strings (or `null`: not given); anything else is a 400.
- `attributes` is an object (or `null`); every other key of a body is a flat attribute.
- In a query string every parameter but the three reserved ones is an attribute (text), an
  `attributes.` prefix is dropped, and the last of repeated parameters wins.

What one context may hold is bounded, whoever sends it (docs/spec.md §3): at most `MAX_ITEMS`
keys and values in all (list items and nested objects' keys and values included), nested at most
`MAX_NESTING` levels (the context itself is the first), and strings (keys included) of at most
`MAX_STRING` characters. An open stream keeps its context for hours, so these bound what one
request can make the server hold, with the body limits of `api/limits.py`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from vexil.api.errors import BadRequest

RESERVED = ("identifier", "app", "environment")
MAX_ITEMS = 1000
MAX_NESTING = 8
MAX_STRING = 16384
TOO_MANY = f"the context holds more than {MAX_ITEMS} keys and values"


def query_pairs(query_string: bytes) -> list[tuple[str, str]]:
    """Decoded `name=value` pairs; the common query with nothing to unquote is only split."""
    if not query_string:
        return []
    text = query_string.decode("latin-1")
    if "%" in text or "+" in text:
        return parse_qsl(text, keep_blank_values=True)
    pairs: list[tuple[str, str]] = []
    for part in text.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((key, value))
    return pairs


def from_query(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """A context from decoded query parameters."""
    context: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    count = 0
    for key, value in pairs:
        count += 1
        if len(value) > MAX_STRING or len(key) > MAX_STRING:
            raise BadRequest(f"{key[:100]}: {_long_string()}")
        if key in RESERVED:
            if value:
                context[key] = value
            else:
                context.pop(key, None)
        else:
            attributes[key.removeprefix("attributes.")] = value
    if count > MAX_ITEMS:
        raise BadRequest(TOO_MANY)
    if attributes:
        context["attributes"] = attributes
    return context


def from_body(
    body: Mapping[str, Any], *, skip: Iterable[str] = (), labels: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A context from a JSON object (`skip`: keys that are not context; `labels`: how to name a
    key in an error, for bodies that nest the context)."""
    context = {key: value for key, value in body.items() if key not in skip and value is not None}
    count = 0
    for key, value in context.items():
        if value.__class__ is dict or value.__class__ is list or value.__class__ is str or len(key) > MAX_STRING:
            count += _items(key, value, 2, _label(key, labels))
        else:
            count += 2
    if count > MAX_ITEMS:
        raise BadRequest(TOO_MANY)
    identifier = context.get("identifier")
    if identifier is not None and identifier.__class__ is not str:
        if isinstance(identifier, int) and not isinstance(identifier, bool) and abs(identifier) < 10**100:
            context["identifier"] = str(identifier)
        else:
            raise BadRequest(f"{_label('identifier', labels)}: use a string or a whole number")
    if identifier == "":
        del context["identifier"]
    for key in ("app", "environment"):
        if key in context and context[key].__class__ is not str:
            raise BadRequest(f"{_label(key, labels)}: use a string")
    if "attributes" in context and context["attributes"].__class__ is not dict:
        raise BadRequest(f"{_label('attributes', labels)}: use an object of attribute names and values")
    return context


def _items(key: str, value: Any, depth: int, label: str) -> int:
    """Keys and values under `key: value` (both counted), or BadRequest past a bound."""
    if len(key) > MAX_STRING:
        raise BadRequest(f"{label}: {_long_string()}")
    kind = value.__class__
    if kind is str:
        if len(value) > MAX_STRING:
            raise BadRequest(f"{label}: {_long_string()}")
        return 2
    if kind is not dict and kind is not list:
        return 2
    if depth > MAX_NESTING:
        raise BadRequest(f"{label}: a context is nested at most {MAX_NESTING} levels deep")
    if len(value) > MAX_ITEMS:
        raise BadRequest(TOO_MANY)
    count = 1
    items = value.items() if kind is dict else (("", item) for item in value)
    for inner_key, inner in items:
        count += _items(inner_key, inner, depth + 1, label) - (kind is list)
        if count > MAX_ITEMS:
            raise BadRequest(TOO_MANY)
    return count + 1


def _long_string() -> str:
    return f"use strings of at most {MAX_STRING} characters"


def footprint(value: Any) -> int:
    """About the bytes `value` holds in memory: its objects' own sizes, all the way down."""
    size = sys.getsizeof(value)
    if value.__class__ is dict:
        for key, item in value.items():
            size += sys.getsizeof(key) + footprint(item)
    elif value.__class__ in (list, frozenset, set, tuple):
        for item in value:
            size += footprint(item)
    return size


def _label(key: str, labels: Mapping[str, str] | None) -> str:
    return labels.get(key, key) if labels else key
