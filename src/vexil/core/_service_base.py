"""The base of `FlagService` (`service.py`): its state, the snapshot kept in step with what was
committed, and the checks every flag write makes."""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vexil.core._collector import collector_paused, long_lived
from vexil.core.auth import TokenCache
from vexil.core.changes import SEGMENTS, ChangeHub, with_dependents
from vexil.core.edits import apply_edit
from vexil.core.validation import InvalidInput, check_flag, normalize_flag
from vexil.core.values import value_error
from vexil.engine import CompiledFlag, Snapshot, show_value
from vexil.store import OVERRIDE_KEYS, utcnow
from vexil.store.errors import Conflict
from vexil.store.sql import SqlStore

log = logging.getLogger("vexil")

Doc = dict[str, Any]

# Up to this many changed flags are compiled in the event loop; more, in a worker thread.
COMPILED_INLINE = 50


def _percent(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


def _clean_override(override: Doc) -> Doc:
    """Drop unset (None) fields: a field absent from an override inherits the flag's own."""
    cleaned = {k: override[k] for k in OVERRIDE_KEYS if override.get(k) is not None}
    if "rollout_percentage" in cleaned:
        cleaned["rollout_percentage"] = _percent(cleaned["rollout_percentage"])
    return cleaned


def flag_from_input(fields: Doc) -> Doc:
    """A flag document from validated create/update fields."""
    doc = copy.deepcopy(fields)
    doc["rollout_percentage"] = _percent(doc.get("rollout_percentage", 100))
    for rule in doc.get("rules", []):
        rule["rollout_percentage"] = _percent(rule["rollout_percentage"])
    doc["environments"] = {env: _clean_override(o) for env, o in doc.get("environments", {}).items()}
    doc["apps"] = sorted(set(doc.get("apps", [])))
    return normalize_flag(doc)


@dataclass(frozen=True, slots=True)
class Committed:
    """What one committed write changed (flag documents as committed, None: deleted), for `on_commit`."""

    flags: Mapping[str, Doc | None] = field(default_factory=dict)
    segments: bool = False
    tokens: bool = False
    everything: bool = False


def compile_all(snapshot: Snapshot, docs: list[Doc]) -> list[CompiledFlag]:
    """Many documents compiled with the snapshot's segments (pure: a worker thread runs it)."""
    with collector_paused(), long_lived():
        return [snapshot.compile(doc) for doc in docs]


class ServiceBase:
    """What every part of `FlagService` stands on: the store, the token cache, the snapshot and the
    hub, the write lock; bringing committed documents into the snapshot and telling the listeners;
    and the checks a flag write makes (`_changed`, `_after`). The parts are its subclasses, joined
    in `FlagService` (`service.py`)."""

    def __init__(self, store: SqlStore, tokens: TokenCache, *, bootstrap_secret: str | None = None) -> None:
        self.store = store
        self.tokens = tokens
        self.snapshot = Snapshot()
        self.hub = ChangeHub()
        # Called after each committed write of this process (the replicator announces it).
        self.on_commit: Callable[[Committed], None] | None = None
        self._bootstrap_secret = bootstrap_secret
        # "Now" for the stale signals (core/lifecycle.py); tests move it instead of waiting days.
        self.clock: Callable[[], datetime] = utcnow
        self._segments: list[Doc] = []
        # Stored documents that cannot be encoded everywhere (`core/values.py`), left out of the
        # snapshot: "flag NAME" or "segment NAME" -> what is wrong. `/health` names them.
        self.quarantined: dict[str, str] = {}
        # The impact preview of a change request (`GET /change-requests/{id}`): given the request and
        # each flag it changes as it is and as it would be (`_proposed`), what the preview shows.
        # None: no preview (`impact` is null).
        self.impact: Callable[[Doc, Mapping[str, tuple[Doc | None, Doc | None]]], Awaitable[Any]] | None = None
        self._lock = asyncio.Lock()
        self._tokens_lock = asyncio.Lock()

    async def load(self) -> None:
        """Read everything once: the snapshot then serves every evaluation from memory."""
        with collector_paused():
            self._segments = await self._stored_segments()
            self.snapshot = Snapshot(self._storable("flag", await self.store.list_flags()), self._segments)
        await self.reload_tokens()

    def _storable(self, kind: str, docs: Iterable[Doc]) -> list[Doc]:
        """The documents that can be served; the others are quarantined (and logged once)."""
        kept = []
        for doc in docs:
            key = f"{kind} {doc.get('name')}"
            if doc.get("archived"):  # kept in the store, never served (docs/lifecycle.md)
                self.quarantined.pop(key, None)
                continue
            problem = value_error(doc)
            if problem is None:
                kept.append(doc)
                self.quarantined.pop(key, None)
            else:
                if key not in self.quarantined:
                    log.error("quarantined %s: %s (fix or delete it; /health names it)", key, problem)
                self.quarantined[key] = problem
        return kept

    async def _stored_segments(self) -> list[Doc]:
        return self._storable("segment", await self.store.list_segments())

    async def reload_tokens(self) -> None:
        # One reload at a time, so an older read never replaces a newer one.
        async with self._tokens_lock:
            self.tokens.replace(await self.store.active_token_hashes(), bootstrap_secret=self._bootstrap_secret)

    def _committed(self, change: Committed) -> None:
        if self.on_commit is not None:
            self.on_commit(change)

    # --- keeping the snapshot in step ----------------------------------------------------

    def apply_flag(self, name: str, doc: Doc | None) -> None:
        """Bring one committed flag into the snapshot (None: it was deleted) and tell the listeners."""
        if doc is None or doc["archived"]:
            self.snapshot.remove_flag(name)
        else:
            self.snapshot.upsert_flag(doc)
        self.quarantined.pop(f"flag {name}", None)  # written through the checks, or gone
        self._publish([name])

    def _publish(self, names: list[str], *markers: str) -> None:
        self.hub.publish(with_dependents(self.snapshot.get_doc, self.snapshot.names(), names) | set(markers))

    async def _written(self, written: Mapping[str, Doc], *, tokens: bool = False) -> None:
        """Flags committed by one write of several (`write_flags`, an environment-wide write): into the
        snapshot, told to the others."""
        for name, doc in written.items():
            self.apply_flag(name, doc)
        if tokens:
            await self.reload_tokens()
        self._committed(Committed(flags=written, tokens=tokens))

    # --- the checks of a flag write ------------------------------------------------------

    def _check(self, doc: Doc) -> None:
        check_flag(doc, segments=self.segment_names())
        for index, prerequisite in enumerate(doc.get("prerequisites", [])):
            if prerequisite["flag"] not in self.snapshot:
                missing = show_value(prerequisite["flag"])
                raise InvalidInput(f"prerequisites[{index}].flag: there is no flag named {missing}; create it first")
        cycle = self.snapshot.prerequisite_cycle(doc)
        if cycle:
            raise Conflict("prerequisites would form a cycle: " + " -> ".join(cycle))

    @property
    def segments(self) -> list[Doc]:
        """Every segment document, as committed (what `GET /segments` lists)."""
        return self._segments

    def segment_names(self) -> set[str]:
        return {segment["name"] for segment in self._segments}

    def _changed(self, doc: Doc, change: Callable[[Doc], Doc]) -> Doc:
        """`change(doc)` as the flag it makes: normalized and checked (`InvalidInput`, `Conflict`)."""
        new = change(doc)
        new["name"] = doc["name"]
        new = flag_from_input(new)
        self._check(new)
        return new

    def _after(self, doc: Doc, edits: list[Doc]) -> Doc:
        """`doc` after `edits`, normalized and checked as a write checks it (raises as it does)."""

        def change(current: Doc) -> Doc:
            for edit in edits:
                current = apply_edit(edit, current)
            return current

        return self._changed(copy.deepcopy(doc), change)

    def _applying(self, edits: list[Doc]) -> Callable[[Doc], Doc]:
        return lambda doc: self._after(doc, edits)

    # --- segments and many flags into the snapshot ----------------------------------------

    async def _refresh_segments(self, *, only_if_changed: bool = False) -> None:
        """Reload the segments and tell the listeners (`only_if_changed`: unless they are as held)."""
        stored = await self._stored_segments()
        if only_if_changed and stored == self._segments:
            return
        self._segments = stored
        self.snapshot.set_segments(self._segments)
        compiled = (self.snapshot.get_compiled(name) for name in self.snapshot.names())
        users = [flag.name for flag in compiled if flag is not None and flag.segments]
        self._publish(users, SEGMENTS)

    async def _apply_changed(self, changed: Mapping[str, Doc | None]) -> None:
        """Bring committed documents (None: deleted) into the snapshot, and publish their names."""
        if not changed:
            return
        upserts = [doc for doc in changed.values() if doc is not None]
        if len(upserts) > COMPILED_INLINE:
            compiled = await asyncio.to_thread(compile_all, self.snapshot, upserts)
        else:
            compiled = [self.snapshot.compile(doc) for doc in upserts]
        for name, doc in changed.items():
            if doc is None:
                self.snapshot.remove_flag(name)
        self.snapshot.upsert_compiled(compiled)
        self._publish(list(changed))
