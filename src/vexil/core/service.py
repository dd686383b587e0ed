"""The flag service: every write goes through here to the store, and the in-memory snapshot
that serves evaluations is brought in step with what was committed.

Writes are serialized by one lock per process, so the checks made against the snapshot
(prerequisite cycles, segments in use) see the state the write will land on.

With several replicas (or `--workers`) on one database, each process has its own lock and
snapshot, kept in step by `vexil.bus.Replicator` (`on_commit` announces this process's writes,
`sync_from_store`/`resync` apply the others'). A flag's read-modify-write stays atomic (the store
locks its row, and `expected_version` catches a stale client), but checks that span several flags
see this replica's snapshot, which lags the others by the propagation delay: two replicas that,
within those milliseconds, make `a` require `b` and `b` require `a` both succeed, and so may a
delete of a flag that another replica just made a prerequisite. Evaluation stays safe (a cycle or a
missing prerequisite makes the dependent flag fail closed, reason `prerequisite_failed`), and the
next write to either flag is checked against the whole, by then consistent, graph.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import gc
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vexil.core.auth import TokenCache, hash_secret, new_secret, reserved_name_message
from vexil.core.changes import SEGMENTS, ChangeHub, with_dependents
from vexil.core.imports import Mode, counted, merged, plan, state_tag
from vexil.core.validation import (
    InvalidInput,
    check_flag,
    check_segment,
    normalize_flag,
)
from vexil.core.values import value_error
from vexil.engine import CompiledFlag, Snapshot, show_value
from vexil.store import OVERRIDE_KEYS, utcnow
from vexil.store.errors import Conflict, NotFound
from vexil.store.sql import ImportedState, SqlStore, imported_documents, imported_environments

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


@contextmanager
def long_lived() -> Iterator[None]:
    """Move what the block built out of the young generation of the cyclic collector, unscanned.

    With the collector paused, everything an import builds (a million objects for 10,000 flags)
    waits in the young generation, and the first collection after it would scan it all while
    every request waits (over half a second). At the end of the block, whether it succeeded or
    not, every tracked object is frozen (`gc.freeze()`): where the process keeps its long-lived
    objects frozen (`vexil serve`), they stay so; elsewhere they are unfrozen into the oldest
    generation at once, as if they had survived collections. Objects die as usual when no longer
    referenced (a replaced snapshot is no reference cycle); what a frozen process leaks is the
    cyclic garbage made by other requests while the collector was paused.
    """
    try:
        yield
    finally:
        frozen = gc.get_freeze_count() > 0
        gc.freeze()
        if not frozen:
            gc.unfreeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Loading builds many long-lived objects and no garbage cycles: without the cyclic collector
    scanning them over and over, loading 1,000 flags takes a third of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class PreparedImport:
    """What an import computed before writing: the rows to store, and the snapshot they make."""

    rows: ImportedState
    snapshot: Snapshot
    segments: list[Doc]


def served(flags: list[Doc]) -> list[Doc]:
    """The flag documents a snapshot holds: every one but the archived (docs/lifecycle.md)."""
    return [doc for doc in flags if not doc["archived"]]


def prepare_import(state: Doc) -> PreparedImport:
    """Check and compile an import's content without touching anything shared (a worker thread
    runs it): every segment and flag checked, the rows to store, the new snapshot compiled from the
    documents as they will be stored, and its prerequisites checked for a cycle once, over all
    flags together. `InvalidInput` or `Conflict` for content that cannot be imported."""
    with collector_paused(), long_lived():
        segment_names = {segment["name"] for segment in state["segments"]}
        for index, segment in enumerate(state["segments"]):
            check_segment(segment, where=f"segments[{index}].")
        flags = [flag_from_input(flag) for flag in state["flags"]]
        for index, flag in enumerate(flags):
            check_flag(flag, segments=segment_names, where=f"flags[{index}].")
        rows = SqlStore.read_import({**state, "flags": flags})
        flag_docs, segment_docs = imported_documents(rows)
        snapshot = Snapshot(served(flag_docs), segment_docs)
        cycle = snapshot.find_prerequisite_cycle()
        if cycle:
            raise Conflict("prerequisites would form a cycle: " + " -> ".join(cycle))
        return PreparedImport(rows, snapshot, segment_docs)


def prepare_plan(current: Doc, state: Doc, mode: Mode) -> tuple[PreparedImport, Doc]:
    """`prepare_import` of what `state` makes of `current` in `mode`, and the plan of going there
    (`core/imports.py`); pure, a worker thread runs it (10,000 documents compared and built)."""
    prepared = prepare_import(merged(current, state) if mode == "merge" else state)
    with collector_paused():
        changes = plan(current, _stored(prepared))
        tag = state_tag(current)
    if mode == "merge":
        prepared = restamped(prepared, changes["changed"])
    return prepared, {**changes, "state": tag}


def _stored(prepared: PreparedImport) -> Doc:
    """The environments, flags and segments an import would store, as documents."""
    flags, segments = imported_documents(prepared.rows)
    return {"environments": imported_environments(prepared.rows), "flags": flags, "segments": segments}


def _counts(prepared: PreparedImport) -> dict[str, int]:
    rows = prepared.rows
    return {"flags": len(rows.flags), "segments": len(rows.segments), "environments": len(rows.environments)}


def restamped(prepared: PreparedImport, changed: Mapping[str, list[str]]) -> PreparedImport:
    """A merge's rows with a new version and update time for each flag and segment it changes (it
    put them in place keeping those of the documents they replace), and the snapshot they make."""
    now = utcnow()
    flags, segments = set(changed["flags"]), set(changed["segments"])
    for flag in prepared.rows.flags:
        if flag.parts.name in flags:
            flag.version, flag.updated_at = flag.version + 1, now
    for segment in prepared.rows.segments:
        if segment["name"] in segments:
            segment["version"], segment["updated_at"] = segment["version"] + 1, now
    with collector_paused(), long_lived():
        flag_docs, segment_docs = imported_documents(prepared.rows)
        return PreparedImport(prepared.rows, Snapshot(served(flag_docs), segment_docs), segment_docs)


def compile_all(snapshot: Snapshot, docs: list[Doc]) -> list[CompiledFlag]:
    """Many documents compiled with the snapshot's segments (pure: a worker thread runs it)."""
    with collector_paused(), long_lived():
        return [snapshot.compile(doc) for doc in docs]


class FlagService:
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

    # --- flags ----------------------------------------------------------------------------

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

    async def create_flag(self, fields: Doc, *, actor: str) -> Doc:
        doc = flag_from_input(fields)
        async with self._lock:
            self._check(doc)
            created = await self.store.create_flag(doc, actor=actor)
            self.apply_flag(created["name"], created)
            self._committed(Committed(flags={created["name"]: created}))
        return created

    async def update_flag(
        self,
        name: str,
        change: Callable[[Doc], Doc],
        *,
        actor: str,
        action: str = "update",
        expected_version: int | None = None,
    ) -> Doc:
        def mutate(doc: Doc) -> Doc:
            new = change(doc)
            new["name"] = doc["name"]
            new = flag_from_input(new)
            self._check(new)
            return new

        async with self._lock:
            updated = await self.store.update_flag(
                name, mutate, actor=actor, action=action, expected_version=expected_version
            )
            self.apply_flag(name, updated)
            self._committed(Committed(flags={name: updated}))
        return updated

    async def patch_flag(self, name: str, fields: Doc, *, actor: str, expected_version: int | None) -> Doc:
        def change(doc: Doc) -> Doc:
            if "variants" in fields and "default_variant" not in fields:
                doc["default_variant"] = None
            doc.update(fields)
            return doc

        return await self.update_flag(name, change, actor=actor, expected_version=expected_version)

    async def toggle(self, name: str, *, actor: str, environment: str | None = None) -> Doc:
        def change(doc: Doc) -> Doc:
            if environment is None:
                doc["enabled"] = not doc["enabled"]
            else:
                override = doc["environments"].setdefault(environment, {})
                override["enabled"] = not override.get("enabled", doc["enabled"])
            return doc

        return await self.update_flag(name, change, actor=actor, action="toggle")

    async def set_enabled(self, name: str, enabled: bool, *, actor: str, environment: str | None = None) -> Doc:
        def change(doc: Doc) -> Doc:
            if environment is None:
                doc["enabled"] = enabled
            else:
                doc["environments"].setdefault(environment, {})["enabled"] = enabled
            return doc

        return await self.update_flag(name, change, actor=actor, action="enable" if enabled else "disable")

    async def set_override(self, name: str, environment: str, fields: Doc, *, actor: str) -> Doc:
        """Merge `fields` into the environment's override; a field given as null inherits again."""

        def change(doc: Doc) -> Doc:
            override = doc["environments"].setdefault(environment, {})
            for key, value in fields.items():
                if value is None:
                    override.pop(key, None)
                else:
                    override[key] = value
            return doc

        return await self.update_flag(name, change, actor=actor, action="override")

    async def delete_override(self, name: str, environment: str, *, actor: str) -> Doc:
        def change(doc: Doc) -> Doc:
            if environment not in doc["environments"]:
                raise NotFound(f"flag {name!r} has no override for environment {environment!r}")
            del doc["environments"][environment]
            return doc

        return await self.update_flag(name, change, actor=actor, action="override")

    async def add_app(self, name: str, app: str, *, actor: str) -> Doc:
        def change(doc: Doc) -> Doc:
            doc["apps"] = [*doc["apps"], app]
            return doc

        return await self.update_flag(name, change, actor=actor, action="scope")

    async def remove_app(self, name: str, app: str, *, actor: str) -> Doc:
        def change(doc: Doc) -> Doc:
            if app not in doc["apps"]:
                raise NotFound(f"flag {name!r} is not scoped to app {app!r}")
            doc["apps"] = [a for a in doc["apps"] if a != app]
            return doc

        return await self.update_flag(name, change, actor=actor, action="scope")

    def _refuse_if_required(self, name: str) -> None:
        """A flag that others require cannot go (deleted or archived): they would fail closed."""
        dependents = [
            other
            for other in self.snapshot.names()
            if any(p["flag"] == name for p in (self.snapshot.get_doc(other) or {}).get("prerequisites", []))
        ]
        if dependents:
            raise Conflict(f"flag {name!r} is a prerequisite of {', '.join(sorted(dependents))}")

    async def set_archived(self, name: str, archived: bool, *, actor: str) -> Doc:
        """Archive (out of the snapshot: not found on every surface, configuration and history kept)
        or restore a flag, audited as `archive` or `restore` (docs/lifecycle.md)."""

        def change(doc: Doc) -> Doc:
            if doc["archived"] == archived:
                raise Conflict(f"flag {name!r} is {'already' if archived else 'not'} archived")
            if archived:
                self._refuse_if_required(name)
            doc["archived"] = archived
            return doc

        return await self.update_flag(name, change, actor=actor, action="archive" if archived else "restore")

    async def delete_flag(self, name: str, *, actor: str) -> Doc:
        async with self._lock:
            self._refuse_if_required(name)
            deleted = await self.store.delete_flag(name, actor=actor)
            self.apply_flag(name, None)
            self._committed(Committed(flags={name: None}))
        return deleted

    # --- segments -------------------------------------------------------------------------

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

    async def create_segment(self, fields: Doc, *, actor: str) -> Doc:
        async with self._lock:
            check_segment(fields)
            created = await self.store.create_segment(fields, actor=actor)
            self._committed(Committed(segments=True))
            await self._refresh_segments()
        return created

    async def update_segment(self, name: str, fields: Doc, *, actor: str, expected_version: int | None) -> Doc:
        def mutate(doc: Doc) -> Doc:
            doc.update(fields)
            check_segment(doc)
            return doc

        async with self._lock:
            updated = await self.store.update_segment(name, mutate, actor=actor, expected_version=expected_version)
            self._committed(Committed(segments=True))
            await self._refresh_segments()
        return updated

    async def delete_segment(self, name: str, *, actor: str) -> Doc:
        async with self._lock:
            deleted = await self.store.delete_segment(name, actor=actor)
            self._committed(Committed(segments=True))
            await self._refresh_segments()
        return deleted

    # --- tokens ---------------------------------------------------------------------------

    async def create_token(
        self, name: str, role: str, *, actor: str, environment: str | None = None
    ) -> tuple[Doc, str]:
        """A new token and its secret, bound to `environment` if given; `InvalidInput` for a reserved
        name (`core/auth.py`)."""
        reserved = reserved_name_message(name)
        if reserved is not None:
            raise InvalidInput(reserved)
        secret = new_secret()
        token = await self.store.create_token(
            name=name,
            role=role,
            secret_hash=hash_secret(secret),
            prefix=secret[:8],
            actor=actor,
            environment=environment,
        )
        self._committed(Committed(tokens=True))
        await self.reload_tokens()
        return token, secret

    async def revoke_token(self, name: str, *, actor: str) -> Doc:
        token = await self.store.revoke_token(name, actor=actor, configured_admin=self._bootstrap_secret is not None)
        self._committed(Committed(tokens=True))
        await self.reload_tokens()
        return token

    # --- import ---------------------------------------------------------------------------

    async def import_state(
        self, state: Doc, *, actor: str, mode: Mode = "replace", dry_run: bool = False, **how: str | None
    ) -> Doc:
        """Replace everything with an export's content (`mode="merge"`: add and update, delete
        nothing), after checking every flag in it; answers the counts and the plan (`core/imports.py`).

        With `dry_run`, only the plan: nothing is written. Otherwise the plan is applied all or
        nothing, the audit event (`how["action"]`, default `import`) keeping the state it replaced;
        409 if the state changed between planning and writing, or is not the one whose tag
        (`state_tag`, answered as `state` by a plan) is `how["if_state"]`. Evaluations go on
        meanwhile: the documents are checked and compiled into the new snapshot in a worker thread
        (`prepare_plan`), the store writes in batches, and the new snapshot replaces the old one in
        one assignment once committed.
        """
        current = await self.store.export_state()
        prepared, changes = await asyncio.to_thread(prepare_plan, current, state, mode)
        if dry_run:
            return {**_counts(prepared), "dry_run": True, "mode": mode, **changes}
        if how.get("if_state") is not None and how["if_state"] != changes["state"]:
            raise Conflict("the state changed since the plan you saw: look at the plan again")
        async with self._lock:
            details = {"mode": mode, **counted({kind: changes[kind] for kind in ("created", "changed", "deleted")})}
            counts = await self.store.import_state(
                prepared.rows, actor=actor, expected=current, action=how.get("action") or "import", details=details
            )
            self._committed(Committed(everything=True))
            before = set(self.snapshot.names())
            self.quarantined.clear()  # everything imported passed the checks, storable values included
            self._segments = prepared.segments
            self.snapshot = prepared.snapshot
            self.hub.publish(before | set(self.snapshot.names()) | {SEGMENTS})
        return {**counts, "dry_run": False, "mode": mode, **changes}

    async def add_documents(self, flags: list[Doc], segments: list[Doc], *, actor: str) -> Doc:
        """Create many flags and segments at once, beside what exists (`vexil import --from unleash`):
        all checked as `create_flag` and `create_segment` check them (the flags may require each
        other and use the new segments), then written in one transaction, all or nothing; 409 naming
        every name already taken. Answers the created names."""
        async with self._lock:
            prepared = await asyncio.to_thread(self._prepare_documents, flags, segments)
            created, created_segments = await self.store.add_documents(prepared, actor=actor)
            self._committed(Committed(flags={doc["name"]: doc for doc in created}, segments=bool(created_segments)))
            if created_segments:
                await self._refresh_segments()
            await self._apply_changed({doc["name"]: doc for doc in created})
        return {"flags": [doc["name"] for doc in created], "segments": [doc["name"] for doc in created_segments]}

    def _prepare_documents(self, flags: list[Doc], segments: list[Doc]) -> ImportedState:
        """The rows of new flags and segments, every one checked (pure but for reading the snapshot)."""
        segment_names = self.segment_names() | {segment["name"] for segment in segments}
        for segment in segments:
            check_segment(segment, where=f"segment {segment['name']}: ")
        docs = [flag_from_input(flag) for flag in flags]
        names = {doc["name"] for doc in docs}
        for doc in docs:
            check_flag(doc, segments=segment_names, where=f"flag {doc['name']}: ")
            for position, prerequisite in enumerate(doc.get("prerequisites", [])):
                if prerequisite["flag"] not in names and prerequisite["flag"] not in self.snapshot:
                    missing = show_value(prerequisite["flag"])
                    raise InvalidInput(
                        f"flag {doc['name']}: prerequisites[{position}].flag: there is no flag named {missing}"
                    )
        # Existing flags cannot require the new ones, so a cycle can only be among the new flags.
        cycle = Snapshot(docs).find_prerequisite_cycle()
        if cycle:
            raise Conflict("prerequisites would form a cycle: " + " -> ".join(cycle))
        return SqlStore.read_import({"flags": docs, "segments": segments})

    # --- other replicas' writes -------------------------------------------------------------

    async def sync_from_store(self, flags: Iterable[str] = (), *, segments: bool = False, tokens: bool = False) -> None:
        """Reload what another process changed, and publish on the hub whatever that changes here."""
        if tokens:
            await self.reload_tokens()
        async with self._lock:
            if segments:
                # The version check may see this process's own write before the write has refreshed
                # them: nothing to tell anyone twice.
                await self._refresh_segments(only_if_changed=True)
            docs: dict[str, Doc | None] = {}
            for name in flags:
                try:
                    docs[name] = await self.store.get_flag(name)
                except NotFound:
                    docs[name] = None
            await self._apply_docs(docs)

    async def resync(self) -> None:
        """Reload everything (after an outage, a bus reconnect, an import elsewhere); publish what differs.

        Read and compared a page at a time, and a large change compiled in a worker thread, so that
        evaluations go on meanwhile (after an import, every replica reloads every flag).
        """
        await self.reload_tokens()
        async with self._lock:
            await self._refresh_segments(only_if_changed=True)
            gone = set(self.snapshot.names())
            changed: dict[str, Doc | None] = {}
            async with contextlib.aclosing(self.store.flag_pages()) as pages:
                async for page in pages:
                    for name, doc in self._servable({doc["name"]: doc for doc in page}).items():
                        gone.discard(name)
                        if doc != self.snapshot.get_doc(name):
                            changed[name] = doc
            changed.update(dict.fromkeys(gone))
            await self._apply_changed(changed)

    async def _apply_docs(self, docs: Mapping[str, Doc | None]) -> None:
        served = self._servable(docs)
        await self._apply_changed({name: doc for name, doc in served.items() if doc != self.snapshot.get_doc(name)})

    def _servable(self, docs: Mapping[str, Doc | None]) -> dict[str, Doc | None]:
        """Stored documents (None: deleted) as the snapshot is to hold them: a quarantined one as None."""
        kept = {doc["name"] for doc in self._storable("flag", (d for d in docs.values() if d is not None))}
        for name, doc in docs.items():
            if doc is None:
                self.quarantined.pop(f"flag {name}", None)
        return {name: doc if name in kept else None for name, doc in docs.items()}

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
