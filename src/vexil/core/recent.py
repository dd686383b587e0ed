"""The contexts this server recently evaluated: a bounded, in-memory sample for the impact preview.

Every evaluation surface (the native endpoints, OFREP, the Unleash frontend API, the compatibility
endpoints and the client streams) offers the context it evaluated. `RecentContexts` keeps the last
`size` *distinct* ones (10,000 by default, `VEXIL_IMPACT_SAMPLE`), so that `core/impact.py` can tell,
before a change is made, how many of them it would flip. The sample is never written anywhere, and
the API only ever shows counts made from it (docs/impact.md).

What one context costs on the request path:

- A context evaluated afresh is encoded once as canonical JSON (sorted keys, `orjson`): those bytes
  are both its identity (two requests that send the same identifier, environment, app and attributes
  are one context) and all the sample keeps of it, so no request object outlives its request. A
  context whose encoding is over `max_bytes` (4 KiB), or that cannot be encoded, is skipped.
- An answer served again from the answer cache is not decoded at all: the surface passes the answer
  cache's key, which `offer` remembered alongside the context, and `seen` only moves that context to
  the newest end.
- The order is an `OrderedDict`'s: moving a key to the end and dropping the oldest are O(1) (a
  plain dict's first entry is found by scanning past the holes its deletions leave).

Memory is bounded by `size * max_bytes` for the contexts, and the answer-key aliases start over
when they reach twice `size` (like the usage counter's memory of kept answers).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any

import orjson

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_SIZE", "RecentContexts"]

DEFAULT_SIZE = 10_000
DEFAULT_MAX_BYTES = 4096

_SORTED = orjson.OPT_SORT_KEYS


class RecentContexts:
    """The last `size` distinct contexts offered (`size` 0: nothing is kept)."""

    __slots__ = ("_aliases", "_contexts", "max_bytes", "size", "skipped")

    def __init__(self, size: int = DEFAULT_SIZE, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.size = size
        self.max_bytes = max_bytes
        # canonical JSON of a context -> None, oldest first
        self._contexts: OrderedDict[bytes, None] = OrderedDict()
        # answer-cache key -> the canonical JSON of the context it answered
        self._aliases: dict[Hashable, bytes] = {}
        self.skipped = 0  # contexts too large (or not encodable) to keep

    def __len__(self) -> int:
        return len(self._contexts)

    def offer(self, context: Mapping[str, Any], answer_key: Hashable | None = None) -> None:
        """`context` was just evaluated (`answer_key`: the answer cache keeps its answer under it)."""
        if not self.size:
            return
        try:
            key = orjson.dumps(context, option=_SORTED)
        except TypeError:  # an integer past 64 bits, say: not worth a sample entry
            self.skipped += 1
            return
        if len(key) > self.max_bytes:
            self.skipped += 1
            return
        contexts = self._contexts
        if key in contexts:
            contexts.move_to_end(key)
        else:
            contexts[key] = None
            if len(contexts) > self.size:
                contexts.popitem(last=False)
        if answer_key is not None:
            aliases = self._aliases
            if len(aliases) >= 2 * self.size:
                aliases.clear()
            aliases[answer_key] = key

    def seen(self, answer_key: Hashable) -> None:
        """The answer kept under `answer_key` was served again: its context is recent again."""
        key = self._aliases.get(answer_key)
        if key is not None and key in self._contexts:
            self._contexts.move_to_end(key)

    def contexts(self) -> list[dict[str, Any]]:
        """The sample, oldest first, as context objects (fresh ones: the caller may keep them)."""
        return [orjson.loads(key) for key in list(self._contexts)]
