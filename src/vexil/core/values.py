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

These are the store's rules (`vexil.store.document_problem`): the store refuses such writes itself
(400) before any SQL. Here, `value_error()` finds documents already stored that break them, which
the service quarantines, and `readable()` shows them to admins (docs/spec.md §1, "Stored values").
"""

from __future__ import annotations

from typing import Any

from vexil.store import MAX_DEPTH, document_problem, text_problem

__all__ = ["MAX_DEPTH", "readable", "value_error"]


def value_error(value: Any, path: str = "") -> str | None:
    """Why `value` cannot be stored and encoded everywhere, starting with its path; None if it can.
    The store's own rules (`vexil.store.document_problem`): the store refuses the same at write."""
    return document_problem(value, path)


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
    problem = document_problem(value)
    return value if problem is None else f"(unreadable: {problem.partition(': ')[2]})"


def _readable_key(key: Any) -> str:
    if isinstance(key, str) and text_problem(key) is None:
        return key
    return repr(key)
