"""The change hub: after every committed change the service publishes which flags it touched, and
listeners (open streams, SDK change feeds) react synchronously, in the event loop, with the snapshot
already up to date.

Each publication gets a sequence number; event ids are `<epoch>-<seq>`, where the epoch is random
per process, so an id from another process or an earlier run is recognized as unknown and the
client is given a fresh snapshot instead of a replay.

Names starting with `#` are reserved markers, never flag names (flag names start with a letter or a
digit): `SEGMENTS` says the segment list changed. Only listeners that subscribe with
`markers=True` see them (the SDK change stream does); the others get the flag names alone, and are
not called for a publication that holds nothing else. `changed_since` includes them.

A listener that raises is logged and skipped: the write that published is committed whatever a
listener does, and every other listener still gets the change.
"""

from __future__ import annotations

import logging
import secrets
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

Listener = Callable[[int, frozenset[str]], None]

SEGMENTS = "#segments"

log = logging.getLogger("vexil.changes")


def is_marker(name: str) -> bool:
    return name.startswith("#")


class ChangeHub:
    def __init__(self, *, history: int = 10_000) -> None:
        self.epoch = secrets.token_hex(4)
        self.seq = 0
        self._history: deque[tuple[int, frozenset[str]]] = deque(maxlen=history)
        self._listeners: dict[int, tuple[Listener, bool]] = {}
        self._next_id = 0

    def event_id(self, seq: int | None = None) -> str:
        return f"{self.epoch}-{self.seq if seq is None else seq}"

    def parse_event_id(self, event_id: str | None) -> int | None:
        """The sequence number of an id this process issued, or None."""
        if not event_id:
            return None
        epoch, _, seq = event_id.partition("-")
        if epoch != self.epoch or not seq.isdigit() or int(seq) > self.seq:
            return None
        return int(seq)

    def publish(self, names: Iterable[str]) -> int:
        changed = frozenset(names)
        self.seq += 1
        self._history.append((self.seq, changed))
        flags = frozenset(name for name in changed if not is_marker(name))
        for listener, markers in list(self._listeners.values()):
            if markers or len(flags) == len(changed):
                self._call(listener, changed)
            elif flags:
                self._call(listener, flags)
        return self.seq

    def _call(self, listener: Listener, names: frozenset[str]) -> None:
        try:
            listener(self.seq, names)
        except Exception:
            log.exception(
                "change %s: listener %s failed; the others still get the change", self.seq, _listener_name(listener)
            )

    def changed_since(self, seq: int) -> frozenset[str] | None:
        """Flags changed after `seq`, or None when that is older than the history kept."""
        if seq == self.seq:
            return frozenset()
        if not self._history or self._history[0][0] > seq + 1:
            return None
        names: set[str] = set()
        for number, changed in self._history:
            if number > seq:
                names |= changed
        return frozenset(names)

    def subscribe(self, listener: Listener, *, markers: bool = False) -> Callable[[], None]:
        """Register a listener (`markers`: also for `#` markers); returns the function that removes it."""
        key = self._next_id
        self._next_id += 1
        self._listeners[key] = (listener, markers)

        def unsubscribe() -> None:
            self._listeners.pop(key, None)

        return unsubscribe

    @property
    def listeners(self) -> int:
        return len(self._listeners)


def _listener_name(listener: Callable[..., Any]) -> str:
    """A listener's name for the log: its qualified name, and its object for a bound method."""
    owner = getattr(listener, "__self__", None)
    name = getattr(listener, "__qualname__", None) or repr(listener)
    return name if owner is None else f"{name} of {owner!r}"


def with_dependents(docs: Callable[[str], Any], all_names: Iterable[str], changed: Iterable[str]) -> set[str]:
    """`changed` plus every flag that has one of them as a prerequisite, transitively."""
    requires: dict[str, set[str]] = {}
    for name in all_names:
        for prerequisite in (docs(name) or {}).get("prerequisites", []):
            requires.setdefault(prerequisite["flag"], set()).add(name)
    result = set(changed)
    frontier = list(result)
    while frontier:
        for dependent in requires.get(frontier.pop(), ()):
            if dependent not in result:
                result.add(dependent)
                frontier.append(dependent)
    return result
