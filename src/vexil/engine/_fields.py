"""Reading a condition's dotted ``field`` path out of a context.

The path is resolved from the top of the context; when its first segment is not a top-level
key and the context has an ``attributes`` object, it is resolved inside ``attributes`` (see
docs/model.md). A JSON ``null`` counts as absent.

A compiled field is a pair ``(key, fallback)``, read as::

    value = context.get(key)
    if value is None:
        value = fallback(context)

so that the common case, a flat top-level attribute, costs one dict lookup and no call.
For dotted paths ``key`` is a private sentinel that no context holds, and ``fallback`` walks
the whole path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Fallback = Callable[[Mapping[str, Any]], Any]

# Never a key of any context: dotted paths always go through their fallback.
NO_KEY: Any = object()


def _get(container: Any, key: str) -> Any:
    """``container[key]`` for a mapping, else ``None``; never raises."""
    if container is None:  # the common miss (no ``attributes``), before the slow isinstance below
        return None
    if container.__class__ is dict:
        return container.get(key)
    if isinstance(container, Mapping):
        try:
            return container.get(key)
        except (TypeError, ValueError, LookupError):
            return None
    return None


def compile_field(path: str) -> tuple[Any, Fallback] | None:
    """The ``(key, fallback)`` pair that reads ``path``, or ``None`` if ``path`` is not a valid path."""
    segments = path.split(".")
    if not path or not all(segments):
        return None
    first, rest = segments[0], tuple(segments[1:])
    if not rest:

        def fallback(context: Mapping[str, Any]) -> Any:
            return _get(context.get("attributes"), first)

        return first, fallback

    def walk(context: Mapping[str, Any]) -> Any:
        value = context.get(first)
        if value is None:
            value = _get(context.get("attributes"), first)
        for segment in rest:
            value = _get(value, segment)
        return value

    return NO_KEY, walk
