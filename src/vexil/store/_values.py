"""What every database of Vexil's can hold: the store refuses the rest itself, before any SQL.

SQLite takes nearly anything; PostgreSQL refuses a NUL character (in text and in JSON), NaN and
Infinity (not JSON numbers), and instants before year 1 or after 9999 cannot even be converted to
UTC. Neither backend can encode an unpaired UTF-16 surrogate as UTF-8. Integer columns hold 32 bits,
and JSON parsers in every language read whole numbers within a signed 64-bit integer. Checking here,
with one message per problem (the words and paths of docs/spec.md §1, "Stored values"), makes both
backends accept and refuse the same documents and filters (`InvalidValue`, a 400), instead of one
storing what the other answers with a driver error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from vexil.store.errors import InvalidValue

__all__ = [
    "MAX_DEPTH",
    "check_document",
    "check_instant",
    "check_int32",
    "check_text",
    "document_problem",
    "scalar_problem",
    "text_problem",
]

# A NUL, or a surrogate code point: a Python string holding one cannot be stored as UTF-8 text.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1  # what JSON parsers in every language read without loss
_INT32_MAX = 2**31 - 1
# How deep objects and lists may nest in a stored document (JSON readers in every language take it).
MAX_DEPTH = 32
INSTANT_RANGE = "use an instant between 0001-01-01 and 9999-12-31 in UTC"


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored (None: it can)."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "a NUL character (\\u0000) cannot be stored; remove it"
    return "a lone surrogate (\\ud800 to \\udfff) is not valid Unicode; send the whole character"


def check_text(value: str, where: str) -> str:
    """`value`, or `InvalidValue` naming `where` when it cannot be stored or compared."""
    problem = text_problem(value)
    if problem is not None:
        raise InvalidValue(f"{where}: {problem}")
    return value


def check_int32(value: int, where: str, *, low: int = 0) -> int:
    """`value`, or `InvalidValue` beyond what an integer column holds (or below `low`)."""
    if not low <= value <= _INT32_MAX:
        raise InvalidValue(f"{where}: use a whole number from {low} to {_INT32_MAX}")
    return value


def check_instant(value: datetime, where: str) -> datetime:
    """`value` in UTC (naive means UTC), or `InvalidValue` when UTC has no such instant."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:01+01:01 is in year 0 in UTC
        raise InvalidValue(f"{where}: {INSTANT_RANGE}") from None


def scalar_problem(item: Any) -> str | None:
    """Why a string or a number cannot be stored (None: it can, or it is no scalar)."""
    if isinstance(item, str):
        return text_problem(item)
    if isinstance(item, bool):
        return None
    if isinstance(item, int) and not _INT_MIN <= item <= _INT_MAX:
        return "use a whole number from -2^63 to 2^63 - 1 (a larger one loses its value in JSON)"
    if isinstance(item, float) and not math.isfinite(item):
        return "use a finite number (not NaN or Infinity)"
    return None


def document_problem(value: Any, where: str = "") -> str | None:
    """Why a JSON-like value cannot be stored, starting with the path of the part at fault
    (`variants[1].payload: ...`; `where` names the value itself), or None: objects with string keys,
    lists, strings, numbers, booleans, null and instants, nested at most `MAX_DEPTH` deep."""
    pending: list[tuple[str, Any, int]] = [(where, value, 0)]
    while pending:
        path, item, depth = pending.pop()
        container = isinstance(item, Mapping | list | tuple)
        problem = _children(path, item, depth, pending) if container else _leaf_problem(item)
        if problem is not None:
            return f"{path or 'value'}: {problem}"
    return None


def check_document(value: Any, where: str = "") -> None:
    """`InvalidValue` for a part of a JSON-like value that cannot be stored (`document_problem`)."""
    problem = document_problem(value, where)
    if problem is not None:
        raise InvalidValue(problem)


def _leaf_problem(item: Any) -> str | None:
    if item is None or isinstance(item, str | bool | int | float):
        return scalar_problem(item)
    if isinstance(item, datetime):
        try:
            check_instant(item, "")
        except InvalidValue:
            return INSTANT_RANGE
        return None
    return f"{type(item).__name__} is not a JSON value"


def _children(path: str, item: Any, depth: int, pending: list[tuple[str, Any, int]]) -> str | None:
    """Queue the items of an object or list; what is wrong with the container itself, if anything."""
    if depth >= MAX_DEPTH:
        return f"nested deeper than {MAX_DEPTH} levels; flatten it"
    if not isinstance(item, Mapping):
        pending.extend((f"{path}[{index}]", child, depth + 1) for index, child in enumerate(item))
        return None
    for key, child in item.items():
        problem = text_problem(key) if isinstance(key, str) else "object keys must be strings"
        if problem is not None:
            return f"the key {key!r} cannot be stored: {problem}"
        pending.append((f"{path}.{key}" if path else key, child, depth + 1))
    return None
