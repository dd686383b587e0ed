"""What a stored value may hold, so that every surface can encode it later.

Flag documents, segments and their audit entries are read back by JSON encoders in every language
(orjson here, browsers, SDKs) and written to SQLite and PostgreSQL. A value one of them cannot take
would be committed and then break every answer that includes it, across restarts. So, at write time,
every value must be:

- a number that is finite (no NaN or Infinity) and, if whole, within a signed 64-bit integer
  (-2^63 to 2^63 - 1), which JSON parsers in every language read without loss of range;
- a string (or object key) of valid Unicode with no lone surrogate and no NUL character (PostgreSQL
  stores neither);
- nested at most `MAX_DEPTH` objects and lists deep.

`value_error()` says what breaks these rules, with the path of the value; the service refuses such
writes (400) before anything is committed, and quarantines documents already stored that break
them (docs/spec.md §1, "Stored values").
"""

from __future__ import annotations

from typing import Any

from vexil.store import scalar_problem, text_problem

MAX_DEPTH = 32


def value_error(value: Any, path: str = "") -> str | None:
    """Why `value` cannot be stored and encoded everywhere, starting with its path; None if it can."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        container = isinstance(item, dict | list | tuple)
        problem = _children(item, where, depth, stack) if container else _scalar_error(item)
        if problem is not None:
            return f"{where or 'value'}: {problem}"
    return None


def _scalar_error(item: Any) -> str | None:
    if isinstance(item, str | bool | int | float) or item is None:
        return scalar_problem(item)  # the store's own rules for what a database holds
    return f"{type(item).__name__} is not a JSON value"


def _children(item: Any, where: str, depth: int, stack: list[tuple[Any, str, int]]) -> str | None:
    """Queue the items of an object or list; what is wrong with the container itself, if anything."""
    if depth >= MAX_DEPTH:
        return f"nested deeper than {MAX_DEPTH} levels; flatten it"
    if not isinstance(item, dict):
        stack.extend((inner, f"{where}[{index}]", depth + 1) for index, inner in enumerate(item))
        return None
    for key, inner in item.items():
        problem = text_problem(key) if isinstance(key, str) else "object keys must be strings"
        if problem is not None:
            return f"the key {key!r} cannot be stored: {problem}"
        stack.append((inner, f"{where}.{key}" if where else key, depth + 1))
    return None


def readable(value: Any) -> Any:
    """`value` itself when it can be encoded everywhere; else a copy in which each value that cannot
    is replaced by a string saying why, and nesting past `MAX_DEPTH` is cut: what a read of a
    quarantined document shows, so that it can be seen and fixed."""
    if value_error(value) is None:
        return value
    return _readable(value, 0)


def _readable(value: Any, depth: int) -> Any:
    if isinstance(value, dict | list | tuple):
        if depth >= MAX_DEPTH:
            return f"(unreadable: nested deeper than {MAX_DEPTH} levels)"
        if isinstance(value, dict):
            return {_readable_key(key): _readable(inner, depth + 1) for key, inner in value.items()}
        return [_readable(inner, depth + 1) for inner in value]
    problem = _scalar_error(value)
    return value if problem is None else f"(unreadable: {problem})"


def _readable_key(key: Any) -> str:
    if isinstance(key, str) and text_problem(key) is None:
        return key
    return repr(key)
