"""What every database of Vexil's can hold: the store refuses the rest itself, before any SQL.

SQLite takes nearly anything; PostgreSQL refuses a NUL character (in text and in JSON), NaN and
Infinity (not JSON numbers), and instants before year 1 or after 9999 cannot even be converted to
UTC. Neither backend can encode an unpaired UTF-16 surrogate as UTF-8. Integer columns hold 32 bits,
and Vexil's JSON encoder writes integers of at most 64 bits. Checking here, with one message per
problem, makes both backends accept and refuse the same documents and filters (`InvalidValue`, a
400), instead of one storing what the other answers with a driver error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from vexil.store.errors import InvalidValue

__all__ = ["check_document", "check_instant", "check_int32", "check_text", "shown"]

# A NUL, or a surrogate code point: a Python string holding one cannot be stored as UTF-8 text.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1  # what orjson, which writes every answer, can encode
_INT32_MAX = 2**31 - 1
_SHOWN_CHARS = 40
INSTANT_RANGE = "use an instant between 0001-01-01 and 9999-12-31 in UTC"


def shown(text: str) -> str:
    """`text` as it can appear in a message: escaped when it holds what JSON cannot carry, and short."""
    if _UNSTORABLE.search(text):
        text = ascii(text)[1:-1]
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def _text_problem(text: str) -> str | None:
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "a NUL character (\\u0000) is not allowed in text"
    return f"an unpaired surrogate ({ascii(found.group())[1:-1]}) is not Unicode text"


def check_text(value: str, where: str) -> str:
    """`value`, or `InvalidValue` naming `where` when it cannot be stored or compared."""
    problem = _text_problem(value)
    if problem is not None:
        raise InvalidValue(f"{where}: {problem}")
    return value


def check_int32(value: int, where: str) -> int:
    """`value`, or `InvalidValue` beyond what an integer column holds (and below 0)."""
    if not 0 <= value <= _INT32_MAX:
        raise InvalidValue(f"{where}: use a whole number from 0 to {_INT32_MAX}")
    return value


def check_instant(value: datetime, where: str) -> datetime:
    """`value` in UTC (naive means UTC), or `InvalidValue` when UTC has no such instant."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:01+01:01 is in year 0 in UTC
        raise InvalidValue(f"{where}: {INSTANT_RANGE}") from None


def _path(where: str, key: object) -> str:
    part = shown(key) if isinstance(key, str) else str(key)
    return f"{where}.{part}" if where else part


def _scalar_problem(item: Any) -> str | None:
    """What makes a string or a number unstorable (None: nothing, or not a scalar)."""
    if isinstance(item, str):
        return _text_problem(item)
    if isinstance(item, bool):
        return None
    if isinstance(item, int) and not _INT_MIN <= item <= _INT_MAX:
        return "integers beyond 64 bits cannot be stored"
    if isinstance(item, float) and not math.isfinite(item):
        return "NaN and Infinity are not JSON numbers"
    return None


def check_document(value: Any, where: str = "") -> None:
    """`InvalidValue` for a part of a JSON-like value that cannot be stored, named by its path
    (`variants.1.payload`); `where` names the value itself."""
    pending: list[tuple[str, Any]] = [(where, value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, Mapping):
            for key, child in item.items():
                problem = _text_problem(key) if isinstance(key, str) else None
                if problem is not None:
                    raise InvalidValue(f"{_path(path, key)}: in a key, {problem}")
                pending.append((_path(path, key), child))
        elif isinstance(item, list | tuple):
            pending.extend((_path(path, index), child) for index, child in enumerate(item))
        elif isinstance(item, datetime):
            check_instant(item, path or "value")
        else:
            problem = _scalar_problem(item)
            if problem is not None:
                raise InvalidValue(f"{path or 'value'}: {problem}")
