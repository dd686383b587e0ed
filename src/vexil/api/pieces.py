"""Parsing a large JSON body in pieces, so that the event loop runs in between.

A JSON parser is one C call that holds the GIL until the whole document is built: 150 ms and more
for an export of 10,000 flags, during which a worker thread parsing it stops the event loop as
surely as parsing it in the loop would. `loads_in_pieces` reads the top-level object key by key,
and the arrays among its values element by element, each with the standard parser: between two
pieces, other threads get the GIL. The result is that of `json.loads` for any UTF-8 document,
except that `NaN`, `Infinity` and numbers too large for a float, which are not JSON, are refused.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["loads_in_pieces"]


def _refuse(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e400: no JSON reader but Python's takes it as a number
        raise ValueError(f"{text} is out of the range of a JSON number")
    return value


_DECODER = json.JSONDecoder(parse_constant=_refuse, parse_float=_finite)
_SPACE = re.compile(r"[ \t\n\r]*")


def loads_in_pieces(raw: bytes) -> Any:
    """The JSON value of `raw` (UTF-8); `ValueError` for anything that is not one JSON value."""
    text = raw.decode("utf-8")
    at = _skip(text, 0)
    if text.startswith("{", at):
        value, at = _object(text, at)
    else:
        value, at = _DECODER.raw_decode(text, at)
    if _skip(text, at) != len(text):
        raise ValueError("extra data after the JSON value")
    return value


def _skip(text: str, at: int) -> int:
    match = _SPACE.match(text, at)
    return at if match is None else match.end()


def _object(text: str, at: int) -> tuple[dict[str, Any], int]:
    """The object starting at `text[at] == "{"`, and where it ends; arrays among its values in pieces."""
    result: dict[str, Any] = {}
    at = _skip(text, at + 1)
    if text.startswith("}", at):
        return result, at + 1
    while True:
        key, at = _DECODER.raw_decode(text, at)
        if not isinstance(key, str):
            raise ValueError("an object key must be a string")
        at = _skip(text, at)
        if not text.startswith(":", at):
            raise ValueError("expected ':' after an object key")
        at = _skip(text, at + 1)
        if text.startswith("[", at):
            result[key], at = _array(text, at)
        else:
            result[key], at = _DECODER.raw_decode(text, at)
        at, closed = _after_item(text, at, "}")
        if closed:
            return result, at


def _array(text: str, at: int) -> tuple[list[Any], int]:
    """The array starting at `text[at] == "["`, parsed element by element, and where it ends."""
    items: list[Any] = []
    at = _skip(text, at + 1)
    if text.startswith("]", at):
        return items, at + 1
    while True:
        item, at = _DECODER.raw_decode(text, at)
        items.append(item)
        at, closed = _after_item(text, at, "]")
        if closed:
            return items, at


def _after_item(text: str, at: int, closing: str) -> tuple[int, bool]:
    """Where the next item starts (past the `,`), or just past `closing` (True: the end)."""
    at = _skip(text, at)
    if text.startswith(",", at):
        return _skip(text, at + 1), False
    if text.startswith(closing, at):
        return at + 1, True
    raise ValueError(f"expected ',' or {closing!r}")
