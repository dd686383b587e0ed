"""The local-evaluation feed without I/O: the configuration of docs/live.md kept as a `Snapshot`.

`Feed` turns what `GET /sdk/config` and `GET /sdk/stream` send into one `vexil.engine.Snapshot`
(the module the server itself evaluates with) and remembers where it stands: the ETag of the
configuration it holds and the id of the last event applied. `SseParser` reads the event stream
line by line. Both shells (`Client`'s thread, `AsyncClient`'s task) only move bytes to them.

>>> feed = Feed()
>>> feed.apply_config(b'{"flags": [{"name": "beta", "enabled": true}], "segments": [], "event_id": "e-1"}', etag='"1"')
frozenset()
>>> feed.snapshot.evaluate("beta", {}).active
True
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from vexil.engine import Snapshot
from vexil.sdk.errors import InvalidResponse

__all__ = ["Feed", "SseEvent", "SseParser"]

_Docs = list[Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class SseEvent:
    event: str
    data: str
    id: str | None


class SseParser:
    """Server-Sent Events (the WHATWG `text/event-stream` format), fed one decoded line at a time."""

    def __init__(self) -> None:
        self.last_id: str | None = None
        self._event = ""
        self._data: list[str] = []

    def feed(self, line: str) -> SseEvent | None:
        """The event a blank line completes, else `None` (comments such as `: ping` included)."""
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id" and "\0" not in value:
            self.last_id = value
        # `retry` is not used: reconnection follows the client's own backoff (Options).
        return None

    def _dispatch(self) -> SseEvent | None:
        event, data = self._event or "message", self._data
        self._event, self._data = "", []
        if not data:
            return None
        return SseEvent(event, "\n".join(data), self.last_id)


class Feed:
    """The configuration held for local evaluation, and the position to resume it from.

    `apply_*` return the names of the flags whose answers may have changed (the flags changed,
    those using a changed segment, and their dependents through prerequisites), or an empty set
    for the first configuration, which changes nothing a listener could have seen.
    """

    def __init__(self) -> None:
        self.snapshot: Snapshot | None = None
        self.etag: str | None = None
        self.event_id: str | None = None
        self.confirmed_at: float | None = None
        self._segments: dict[str, Mapping[str, Any]] = {}

    def confirm(self) -> None:
        """The service just confirmed that the configuration held is current."""
        self.confirmed_at = time.monotonic()

    def forget_position(self) -> None:
        """Make the next connection fetch everything (after an event that could not be applied)."""
        self.etag = None
        self.event_id = None

    # --- what the service sends ------------------------------------------------------------------

    def apply_config(self, body: bytes | str, *, etag: str | None) -> frozenset[str]:
        """A `/sdk/config` body (or a `config` event's data): replace the whole configuration."""
        document = _object(body, "configuration")
        flags, segments = _docs(document.get("flags"), "flags"), _docs(document.get("segments"), "segments")
        for doc in flags:
            _check_flag(doc)
        old, old_segments = self.snapshot, self._segments
        self.snapshot = Snapshot(flags, segments)
        self._segments = _by_name(segments)
        self.etag = etag
        event_id = document.get("event_id")
        self.event_id = event_id if isinstance(event_id, str) else None
        self.confirm()
        if old is None:
            return frozenset()
        names = {
            name for name in {*old.names(), *self.snapshot.names()} if old.get_doc(name) != self.snapshot.get_doc(name)
        }
        return self._with_dependents(names, _changed(old_segments, self._segments))

    def apply_event(self, event: SseEvent) -> frozenset[str]:
        """One event of `/sdk/stream`; unknown kinds are ignored (their id still counts)."""
        if event.event == "config":
            changed = self.apply_config(event.data, etag=None)
        elif event.event == "flags":
            changed = self._apply_flags(_object(event.data, "flags event"))
        else:
            changed = frozenset()
        if event.id is not None:
            self.event_id = event.id
        self.confirm()
        return changed

    def _apply_flags(self, document: Mapping[str, Any]) -> frozenset[str]:
        snapshot = self.snapshot
        if snapshot is None:
            raise InvalidResponse("a flags event before any configuration")
        flags = document.get("flags") or {}
        if not isinstance(flags, Mapping) or not all(doc is None or isinstance(doc, Mapping) for doc in flags.values()):
            raise InvalidResponse("flags event: `flags` must map names to flag documents or null")
        raw_segments = document.get("segments")
        segments = None if raw_segments is None else _docs(raw_segments, "segments")
        for doc in flags.values():
            if doc is not None:
                _check_flag(doc)
        if not flags and segments is None:
            return frozenset()
        # Checked first, applied after: an event is applied whole or not at all.
        changed_segments: set[str] = set()
        if segments is not None:
            new_segments = _by_name(segments)
            changed_segments = _changed(self._segments, new_segments)
            snapshot.set_segments(segments)
            self._segments = new_segments
        for name, doc in flags.items():
            if doc is None:
                snapshot.remove_flag(name)
            else:
                snapshot.upsert_flag(doc)
        # The configuration no longer is the one the ETag names.
        self.etag = None
        return self._with_dependents(set(flags), changed_segments)

    def _with_dependents(self, names: set[str], segments: set[str]) -> frozenset[str]:
        """`names`, the flags using one of `segments`, and every flag that requires one of those."""
        snapshot = self.snapshot
        assert snapshot is not None
        requires: dict[str, set[str]] = {}
        for name in snapshot.names():
            flag = snapshot.get_compiled(name)
            assert flag is not None
            if flag.segments & segments:
                names.add(name)
            for prerequisite in flag.prerequisites:
                requires.setdefault(prerequisite[0], set()).add(name)
        frontier = list(names)
        while frontier:
            for dependent in requires.get(frontier.pop(), ()):
                if dependent not in names:
                    names.add(dependent)
                    frontier.append(dependent)
        return frozenset(names)


def _object(body: bytes | str, what: str) -> Mapping[str, Any]:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidResponse(f"{what}: not JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise InvalidResponse(f"{what}: not a JSON object")
    return document


def _docs(value: Any, what: str) -> _Docs:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(doc, Mapping) for doc in value):
        raise InvalidResponse(f"`{what}` must be a list of documents")
    return value


def _check_flag(doc: Mapping[str, Any]) -> None:
    name = doc.get("name", doc.get("key"))
    if not isinstance(name, str) or not name:
        raise InvalidResponse("a flag document without a name")


def _by_name(segments: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {doc["name"]: doc for doc in segments if isinstance(doc.get("name"), str)}


def _changed(old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]) -> set[str]:
    return {
        name
        for name in old.keys() | new.keys()
        if (old.get(name) or {}).get("conditions") != (new.get(name) or {}).get("conditions")
    }
