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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from vexil.api.errors import BadRequest

RESERVED = ("identifier", "app", "environment")


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
    for key, value in pairs:
        if key in RESERVED:
            if value:
                context[key] = value
            else:
                context.pop(key, None)
        else:
            attributes[key.removeprefix("attributes.")] = value
    if attributes:
        context["attributes"] = attributes
    return context


def from_body(
    body: Mapping[str, Any], *, skip: Iterable[str] = (), labels: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A context from a JSON object (`skip`: keys that are not context; `labels`: how to name a
    key in an error, for bodies that nest the context)."""
    context = {key: value for key, value in body.items() if key not in skip and value is not None}
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


def _label(key: str, labels: Mapping[str, str] | None) -> str:
    return labels.get(key, key) if labels else key
