"""Answers already given, for clients that ask the same thing again.

Browser and mobile clients poll: they send the same context every few seconds, and the answer
only changes when a flag does. So the evaluation endpoints keep each client answer under its
request (the endpoint, the flag, the query string or the body bytes), stamped with the change
hub's sequence number at the time, and serve it again while no change has been published since.
Only contexts with an identifier are kept (without one, rollouts draw at random on every call),
and only client answers (an admin caller is shown the deciding rule, and is not cached).

An answer is kept the second time its request is seen, not the first: most requests of a server
that evaluates for many users come once, and keeping each of them would cost more than it saves.
The cache is bounded in bytes (`VEXIL_ANSWER_CACHE_MB`, 0 turns it off) and keeps the recently
used: two generations, the young one filled until it holds half the budget, then aged; a hit in
the old generation moves the answer back into the young one.
"""

from __future__ import annotations

from collections.abc import Hashable

# What an entry costs beyond its key and answer bytes (dict slots, tuples, the objects' headers).
ENTRY_OVERHEAD = 200
# Requests larger than this are not kept: they would crowd out many small ones.
MAX_KEY_BYTES = 4096
# How many requests seen once are remembered (as hashes) before that memory starts over.
SEEN = 100_000


class AnswerCache:
    __slots__ = ("_budget", "_old", "_seen", "_size", "_young")

    def __init__(self, max_bytes: int) -> None:
        self._budget = max_bytes // 2
        self._seen: set[int] = set()
        self._young: dict[Hashable, tuple[int, bytes]] = {}
        self._old: dict[Hashable, tuple[int, bytes]] = {}
        self._size = 0

    def get(self, key: Hashable, seq: int) -> bytes | None:
        """The answer kept for `key` if nothing changed since it was given (`seq`), else None."""
        entry = self._young.get(key)
        if entry is None:
            entry = self._old.pop(key, None)
            if entry is None or entry[0] != seq:
                return None
            self._add(key, entry, len(entry[1]))
        return entry[1] if entry[0] == seq else None

    def put(self, key: Hashable, seq: int, answer: bytes, key_bytes: int) -> bool:
        """Keep `answer`, given at publication `seq`, if `key` was asked before; whether it was kept
        (what serving it again counts is remembered only then: `Usage.keep`)."""
        if self._budget <= 0 or key_bytes > MAX_KEY_BYTES:
            return False
        if key not in self._young:
            seen = self._seen
            fingerprint = hash(key)
            if fingerprint not in seen:
                if len(seen) >= SEEN:
                    seen.clear()
                seen.add(fingerprint)
                return False
        self._add(key, (seq, answer), key_bytes + len(answer))
        return True

    def _add(self, key: Hashable, entry: tuple[int, bytes], cost: int) -> None:
        if key not in self._young:
            self._size += cost + ENTRY_OVERHEAD
        self._young[key] = entry
        if self._size > self._budget:
            self._old, self._young, self._size = self._young, {}, 0

    def __len__(self) -> int:
        return len(self._young) + len(self._old)
