"""A Vexil variant's payload as Unleash's `{type, value}`: one encoding for the client API's
features and the frontend API's toggles, so both surfaces hand an SDK the same text."""

from __future__ import annotations

import json
from typing import Any

import orjson


def unleash_payload(value: Any) -> dict[str, str] | None:
    """Text as `string`, numbers as `number`, anything else (objects, lists, booleans) as `json`;
    no payload (null) as none. Stored payloads are finite JSON (the store refuses the rest)."""
    if value is None:
        return None
    if value.__class__ is str:
        return {"type": "string", "value": value}
    kind = "number" if value.__class__ is int or value.__class__ is float else "json"
    try:
        text = orjson.dumps(value).decode()
    except orjson.JSONEncodeError:  # an integer past 64 bits: orjson refuses, json does not
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return {"type": kind, "value": text}
