"""The server-SDK feed (docs/live.md): the configuration an SDK evaluates locally, and the events of
its change stream, built from the service's snapshot and segments and cached per change.

Flag documents are those of `GET /flags/{name}`, with `environments` narrowed to the requested
environment's override (no environment: every override kept). The ETag is a hash of the
environment, flags and segments only, not of `event_id`: a restarted server or another replica
serving the same configuration answers `304`, and the SDK's change stream then resumes or starts
over with a `config` event on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from vexil.core.changes import SEGMENTS, is_marker
from vexil.core.service import FlagService
from vexil.store import FLAG_KEYS

Doc = dict[str, Any]

_CACHED_ENVIRONMENTS = 64


def narrow(doc: Mapping[str, Any], environment: str | None) -> Doc:
    """The flag as `GET /flags/{name}` shows it, with only `environment`'s override kept."""
    out = {key: doc[key] for key in FLAG_KEYS if key in doc}
    if environment is not None:
        environments = doc.get("environments") or {}
        out["environments"] = {environment: environments[environment]} if environment in environments else {}
    return out


def matches_etag(if_none_match: str | None, etag: str) -> bool:
    """`If-None-Match` against our ETag, by weak comparison (RFC 9110 §13.1.2)."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def sse(event: str, event_id: str, data: bytes) -> bytes:
    return b"id: %s\nevent: %s\ndata: %s\n\n" % (event_id.encode(), event.encode(), data)


class SdkFeed:
    """Config bodies and change events, each computed once per change and environment."""

    def __init__(self, service: FlagService) -> None:
        self.service = service
        self._configs: dict[str | None, tuple[int, bytes, str]] = {}
        # Each flag's document object as of the latest publication: a flag whose document is the
        # same object has not changed (publications also name prerequisite dependents and segment
        # users, whose documents are untouched), so its document is not sent again.
        snapshot = service.snapshot
        self._seen: dict[str, object] = {name: snapshot.get_doc(name) for name in snapshot.names()}
        self._changed_at: tuple[int, tuple[str, ...], bool] = (-1, (), False)
        self._events: dict[str | None, tuple[int, bytes | None]] = {}
        self.close = service.hub.subscribe(self._on_change, markers=True)

    # --- GET /sdk/config and the `config` event --------------------------------------------

    def config(self, environment: str | None) -> tuple[bytes, str]:
        """The `/sdk/config` body and its ETag, as of the latest change."""
        seq = self.service.hub.seq
        cached = self._configs.get(environment)
        if cached is not None and cached[0] == seq:
            return cached[1], cached[2]
        snapshot = self.service.snapshot
        flags = [narrow(doc, environment) for doc in map(snapshot.get_doc, snapshot.names()) if doc is not None]
        content = orjson.dumps([environment, flags, self.service.segments])
        etag = 'W/"' + hashlib.sha256(content).hexdigest()[:32] + '"'
        body = orjson.dumps(
            {
                "environment": environment,
                "flags": flags,
                "segments": self.service.segments,
                "event_id": self.service.hub.event_id(seq),
            }
        )
        if len(self._configs) >= _CACHED_ENVIRONMENTS:
            self._configs.clear()
        self._configs[environment] = (seq, body, etag)
        return body, etag

    def config_event(self, environment: str | None) -> bytes:
        body, _ = self.config(environment)
        return sse("config", self.service.hub.event_id(), body)

    # --- the `flags` events of GET /sdk/stream ----------------------------------------------

    def flags_event(self, seq: int, names: frozenset[str], environment: str | None) -> bytes | None:
        """The event for publication `seq` (only flags whose document changed), or None: nothing did."""
        cached = self._events.get(environment)
        if cached is not None and cached[0] == seq:
            return cached[1]
        changed, segments = self._changed(seq, names)
        event = self._event(changed, segments, environment, seq) if changed or segments else None
        if len(self._events) >= _CACHED_ENVIRONMENTS:
            self._events.clear()
        self._events[environment] = (seq, event)
        return event

    def replay_event(self, names: frozenset[str], environment: str | None) -> bytes:
        """Everything named since a known event id, as one `flags` event (possibly empty)."""
        flags = sorted(name for name in names if not is_marker(name))
        return self._event(flags, SEGMENTS in names, environment, self.service.hub.seq)

    def _on_change(self, seq: int, names: frozenset[str]) -> None:
        self._changed(seq, names)

    def _changed(self, seq: int, names: frozenset[str]) -> tuple[tuple[str, ...], bool]:
        """What publication `seq` changed; computed once, by this feed's own listener (subscribed
        before any stream's, so it runs first)."""
        if self._changed_at[0] != seq:
            snapshot = self.service.snapshot
            changed: list[str] = []
            for name in sorted(name for name in names if not is_marker(name)):
                doc = snapshot.get_doc(name)
                if doc is None:
                    self._seen.pop(name, None)
                    changed.append(name)
                elif self._seen.get(name) is not doc:
                    self._seen[name] = doc
                    changed.append(name)
            self._changed_at = (seq, tuple(changed), SEGMENTS in names)
        return self._changed_at[1], self._changed_at[2]

    def _event(self, names: Iterable[str], segments: bool, environment: str | None, seq: int) -> bytes:
        snapshot = self.service.snapshot
        flags: dict[str, Doc | None] = {}
        for name in names:
            doc = snapshot.get_doc(name)
            flags[name] = None if doc is None else narrow(doc, environment)
        data = orjson.dumps({"flags": flags, "segments": self.service.segments if segments else None})
        return sse("flags", self.service.hub.event_id(seq), data)
