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
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vexil.core import change_requests as rules
from vexil.core.auth import Forbidden, Principal, TokenCache, hash_secret, new_secret, reserved_name_message
from vexil.core.change_requests import RequestNeeded, diff, edits_by_flag
from vexil.core.changes import SEGMENTS, ChangeHub, with_dependents
from vexil.core.edits import action_of, apply_edit, resolved
from vexil.core.imports import Mode, counted, merged, plan, state_tag
from vexil.core.protection import needs_request, required_approvals, touched
from vexil.core.schedules import VEXIL, check_future, plan_steps, schedule_title
from vexil.core.validation import (
    InvalidInput,
    check_flag,
    check_segment,
    normalize_flag,
)
from vexil.core.values import value_error
from vexil.engine import CompiledFlag, Snapshot, show_value
from vexil.store import OVERRIDE_KEYS, By, check_known, check_version, utcnow
from vexil.store.errors import Conflict, InvalidValue, NotFound
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


# The fields of a stored document that Vexil sets, never put back by a revert.
STAMPS = ("name", "created_at", "updated_at", "version")
# The audit entities whose events a revert can put back.
REVERTIBLE = ("flag", "segment")


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


def _compared(doc: Doc) -> Doc:
    """A flag document without what the store moves on every write (a diff leaves them out)."""
    return {key: value for key, value in doc.items() if key not in ("created_at", "updated_at", "version")}


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

    async def create_flag(self, fields: Doc, *, actor: str, reverts: int | None = None) -> Doc:
        """A new flag; its overrides must name known environments (docs/environments.md)."""
        doc = flag_from_input(fields)
        async with self._lock:
            self._check(doc)
            created = await self.store.create_flag(doc, actor=actor, reverts=reverts, new_environments=False)
            self.apply_flag(created["name"], created)
            self._committed(Committed(flags={created["name"]: created}))
        return created

    async def update_flag(
        self,
        name: str,
        change: Callable[[Doc], Doc],
        *,
        by: By,
        expected_version: int | None = None,
        guard: Callable[[Doc, Doc], None] | None = None,
        new_environments: bool = False,
    ) -> Doc:
        """Write `change(the flag)`, checked, audited as `by` says; `guard(before, after)` may refuse
        it by raising. An override in an environment not yet known is refused (400) unless
        `new_environments`, which creates it (docs/environments.md)."""

        def mutate(doc: Doc) -> Doc:
            before = copy.deepcopy(doc) if guard is not None else doc
            new = self._changed(doc, change)
            if guard is not None:
                guard(before, new)
            return new

        async with self._lock:
            updated = await self.store.update_flag(
                name,
                mutate,
                actor=by.actor,
                action=by.action,
                expected_version=expected_version,
                reverts=by.reverts,
                new_environments=new_environments,
            )
            self.apply_flag(name, updated)
            self._committed(Committed(flags={name: updated}))
        return updated

    def _changed(self, doc: Doc, change: Callable[[Doc], Doc]) -> Doc:
        """`change(doc)` as the flag it makes: normalized and checked (`InvalidInput`, `Conflict`)."""
        new = change(doc)
        new["name"] = doc["name"]
        new = flag_from_input(new)
        self._check(new)
        return new

    async def edit(
        self,
        edit: Doc,
        *,
        actor: str,
        expected_version: int | None = None,
        guard: Callable[[Doc, Doc], None] | None = None,
        new_environments: bool = False,
    ) -> Doc:
        """Apply one edit (`core/edits.py`) to its flag now."""
        return await self.update_flag(
            edit["flag"],
            lambda doc: apply_edit(edit, doc),
            by=By(actor, action_of(edit)),
            expected_version=expected_version,
            guard=guard,
            new_environments=new_environments,
        )

    async def submit(
        self,
        edit: Doc,
        *,
        principal: Principal,
        expected_version: int | None = None,
        new_environments: bool = False,
    ) -> tuple[Doc | None, Doc | None]:
        """An edit by `principal`: applied now, `(the flag, None)`; or, when it touches a protected
        environment that `principal` may not change directly (`core/protection.py`), nothing changes
        and a change request holds it: `(None, the change request)`. `new_environments` as in
        `update_flag`."""
        environments = await self.store.list_environments()

        def guard(before: Doc, after: Doc) -> None:
            needed = needs_request(before, after, environments, principal)
            if needed:
                raise RequestNeeded(before, needed)

        try:
            written = await self.edit(
                edit,
                actor=principal.name,
                expected_version=expected_version,
                guard=guard,
                new_environments=new_environments,
            )
            return written, None
        except RequestNeeded as needed:
            change = {**resolved(edit, needed.before), "version": needed.before["version"]}
            title = f"{action_of(change).capitalize()} {edit['flag']} in {', '.join(sorted(needed.environments))}"
            request = await self.create_change_request(
                title, [change], actor=principal.name, new_environments=new_environments
            )
            return None, request

    async def patch_flag(self, name: str, fields: Doc, *, actor: str, expected_version: int | None) -> Doc:
        edit = {"kind": "patch", "flag": name, "fields": fields}
        return await self.edit(edit, actor=actor, expected_version=expected_version)

    async def toggle(self, name: str, *, actor: str, environment: str | None = None) -> Doc:
        return await self.edit({"kind": "toggle", "flag": name, "environment": environment}, actor=actor)

    async def set_enabled(self, name: str, enabled: bool, *, actor: str, environment: str | None = None) -> Doc:
        edit = {"kind": "enable", "flag": name, "environment": environment, "enabled": enabled}
        return await self.edit(edit, actor=actor)

    async def set_override(self, name: str, environment: str, fields: Doc, *, actor: str) -> Doc:
        """Merge `fields` into the environment's override; a field given as null inherits again."""
        edit = {"kind": "override", "flag": name, "environment": environment, "fields": fields}
        return await self.edit(edit, actor=actor)

    async def delete_override(self, name: str, environment: str, *, actor: str) -> Doc:
        return await self.edit({"kind": "remove_override", "flag": name, "environment": environment}, actor=actor)

    async def add_app(self, name: str, app: str, *, actor: str) -> Doc:
        return await self.edit({"kind": "add_app", "flag": name, "app": app}, actor=actor)

    async def remove_app(self, name: str, app: str, *, actor: str) -> Doc:
        return await self.edit({"kind": "remove_app", "flag": name, "app": app}, actor=actor)

    def refuse_if_required(self, name: str) -> None:
        """A flag that others require cannot go (deleted or archived): they would fail closed."""
        dependents = [
            other
            for other in self.snapshot.names()
            if any(p["flag"] == name for p in (self.snapshot.get_doc(other) or {}).get("prerequisites", []))
        ]
        if dependents:
            raise Conflict(f"flag {name!r} is a prerequisite of {', '.join(sorted(dependents))}")

    async def set_archived(
        self, name: str, archived: bool, *, actor: str, guard: Callable[[Doc, Doc], None] | None = None
    ) -> Doc:
        """Archive (out of the snapshot: not found on every surface, configuration and history kept)
        or restore a flag, audited as `archive` or `restore` (docs/lifecycle.md); `guard` as in
        `update_flag`."""

        def change(doc: Doc) -> Doc:
            if doc["archived"] == archived:
                raise Conflict(f"flag {name!r} is {'already' if archived else 'not'} archived")
            if archived:
                self.refuse_if_required(name)
            doc["archived"] = archived
            return doc

        return await self.update_flag(name, change, by=By(actor, "archive" if archived else "restore"), guard=guard)

    async def delete_flag(
        self, name: str, *, actor: str, expected_version: int | None = None, reverts: int | None = None
    ) -> Doc:
        async with self._lock:
            self.refuse_if_required(name)
            deleted = await self.store.delete_flag(
                name, actor=actor, expected_version=expected_version, reverts=reverts
            )
            self.apply_flag(name, None)
            self._committed(Committed(flags={name: None}))
        return deleted

    # --- protected environments and change requests (docs/change-requests.md) ---------------

    async def protect_environment(
        self, name: str, *, protected: bool | None, required_approvals: int | None, actor: str
    ) -> Doc:
        return await self.store.protect_environment(
            name, protected=protected, required_approvals=required_approvals, actor=actor
        )

    # --- environments (docs/environments.md) --------------------------------------------------

    async def _written(self, written: Mapping[str, Doc], *, tokens: bool = False) -> None:
        """Flags committed by one environment-wide write: into the snapshot, told to the others."""
        for name, doc in written.items():
            self.apply_flag(name, doc)
        if tokens:
            await self.reload_tokens()
        self._committed(Committed(flags=written, tokens=tokens))

    async def delete_environment(self, name: str, *, actor: str, may_delete: Callable[[Doc], None]) -> list[str]:
        """Delete an environment with its overrides (`SqlStore.delete_environment`); the flags written."""
        async with self._lock:
            written = await self.store.delete_environment(name, actor=actor, may_delete=may_delete)
            await self._written(written)
        return list(written)

    async def rename_environment(self, name: str, new: str, *, actor: str) -> list[str]:
        """Rename an environment with its overrides (`SqlStore.rename_environment`); the flags written."""
        async with self._lock:
            written = await self.store.rename_environment(name, new, actor=actor)
            await self._written(written, tokens=True)
        return list(written)

    async def write_flags(self, changes: list[Doc], *, actor: str) -> dict[str, Doc]:
        """Apply `changes` (edits) to their flags now, in one transaction: all or none (400 or 409
        as the first write refused), one audit event per flag."""
        mutations = {
            name: (action_of(edits[0]) if len(edits) == 1 else "update", self._applying(edits))
            for name, edits in edits_by_flag(changes).items()
        }
        async with self._lock:
            written = await self.store.update_flags(mutations, actor=actor)
            await self._written(written)
        return written

    async def _proposed(self, changes: list[Doc]) -> dict[str, tuple[Doc | None, Doc | None]]:
        """Each changed flag as it is now and as the changes make it (None: no such flag now, or
        the changes cannot be applied to it as it is)."""
        proposed: dict[str, tuple[Doc | None, Doc | None]] = {}
        for name, edits in edits_by_flag(changes).items():
            try:
                current = await self.store.get_flag(name)
            except NotFound:
                proposed[name] = (None, None)
                continue
            try:
                proposed[name] = (current, self._after(current, edits))
            except (InvalidInput, NotFound, Conflict):
                proposed[name] = (current, None)
        return proposed

    def _after(self, doc: Doc, edits: list[Doc]) -> Doc:
        """`doc` after `edits`, normalized and checked as a write checks it (raises as it does)."""

        def change(current: Doc) -> Doc:
            for edit in edits:
                current = apply_edit(edit, current)
            return current

        return self._changed(copy.deepcopy(doc), change)

    def _applying(self, edits: list[Doc]) -> Callable[[Doc], Doc]:
        return lambda doc: self._after(doc, edits)

    async def create_change_request(
        self, title: str, changes: list[Doc], *, actor: str, draft: bool = False, new_environments: bool = False
    ) -> Doc:
        """A change request holding `changes` (edits, `core/edits.py`), made against the flags as they
        are (a change that gives a `version` is refused with 409 unless its flag is still at it): each
        checked as its write would be now (400 or 409 if it could not be applied), toggles kept as
        what they mean now. An override in an unknown environment is refused unless
        `new_environments` (then applying it creates the environment)."""
        environments = await self.store.list_environments()
        known = [env["name"] for env in environments]
        kept: list[Doc] = []
        touched_environments: set[str] = set()
        for name, edits in edits_by_flag(changes).items():
            current = await self.store.get_flag(name)
            for change in changes:
                if change["flag"] == name:
                    check_version("flag", name, current["version"], change.get("version"))
            version = current["version"]
            resolved_edits = []
            doc = copy.deepcopy(current)
            for edit in edits:
                resolved_edits.append(resolved(edit, doc))
                doc = self._after(doc, [resolved_edits[-1]])
            if not new_environments:
                check_known(set(doc["environments"]) - set(current["environments"]), known)
            touched_environments |= touched(current, doc, (env["name"] for env in environments))
            kept += [{**edit, "version": version} for edit in resolved_edits]
        fields = {
            "title": title,
            "state": "draft" if draft else "open",
            "environments": sorted(touched_environments, key=[env["name"] for env in environments].index),
            "required_approvals": required_approvals(touched_environments, environments),
            "changes": kept,
        }
        return await self.store.create_change_request(fields, actor=actor)

    async def change_request(self, request_id: int, *, with_impact: bool = True) -> Doc:
        """A change request with, for each flag it changes, the diff of its changes against the flag as
        it is now, the version they were made against and the flag's current one, and the impact
        preview (`self.impact`; None while nothing computes it, or not `with_impact`)."""
        request = await self.store.get_change_request(request_id)
        proposed = await self._proposed(request["changes"])
        versions = {change["flag"]: change["version"] for change in request["changes"]}
        request["diff"] = [
            {
                "flag": name,
                "made_against": versions[name],
                "current_version": None if current is None else current["version"],
                "applicable": after is not None,
                "changes": [] if current is None or after is None else diff(_compared(current), _compared(after)),
            }
            for name, (current, after) in proposed.items()
        ]
        preview = self.impact if with_impact else None
        request["impact"] = None if preview is None else await preview(request, proposed)
        return request

    async def comment_change_request(self, request_id: int, text: str, *, actor: str) -> Doc:
        return await self.store.step_change_request(request_id, lambda doc: rules.comment(doc, text), actor=actor)

    async def open_change_request(self, request_id: int, *, actor: str) -> Doc:
        return await self.store.step_change_request(request_id, rules.submit, actor=actor)

    async def _required(self, request: Doc) -> int:
        """How many approvals `request` needs now: its environments' setting may have changed."""
        return max(
            int(request["required_approvals"]),
            required_approvals(request["environments"], await self.store.list_environments()),
        )

    async def approve_change_request(self, request_id: int, text: str, *, actor: str) -> Doc:
        required = await self._required(await self.store.get_change_request(request_id))
        return await self.store.step_change_request(
            request_id, lambda doc: rules.approve(doc, actor, text, required=required), actor=actor
        )

    async def reject_change_request(self, request_id: int, text: str, *, actor: str) -> Doc:
        return await self.store.step_change_request(request_id, lambda doc: rules.reject(doc, text), actor=actor)

    async def rebase_change_request(self, request_id: int, *, actor: str) -> Doc:
        """Make the request's changes against the flags as they are now (each must still apply: 400
        or 409 otherwise); its approvals are cleared."""
        request = await self.store.get_change_request(request_id)
        versions: dict[str, int] = {}
        for name, edits in edits_by_flag(request["changes"]).items():
            current = await self.store.get_flag(name)
            self._after(current, edits)
            versions[name] = current["version"]
        return await self.store.step_change_request(request_id, lambda doc: rules.rebase(doc, versions), actor=actor)

    async def apply_change_request(self, request_id: int, *, actor: str) -> Doc:
        """Apply an approved request: every change, in one transaction, or none (a flag that moved
        since: `Conflict`, rebase it; a change that no longer passes the checks: 400 or 409)."""
        required = await self._required(await self.store.get_change_request(request_id))

        def decide(request: Doc) -> dict[str, tuple[str, Callable[[Doc], Doc]]]:
            rules.check_applicable(request, required=required)
            mutations: dict[str, tuple[str, Callable[[Doc], Doc]]] = {}
            for name, edits in edits_by_flag(request["changes"]).items():
                action = action_of(edits[0]) if len(edits) == 1 else "update"
                mutations[name] = (action, self._applying(edits))
            return mutations

        async with self._lock:
            applied, written = await self.store.apply_change_request(
                request_id, decide, actor=actor, via=lambda request: rules.via(request, actor)
            )
            for name, doc in written.items():
                self.apply_flag(name, doc)
            self._committed(Committed(flags=written))
        return applied

    # --- scheduled changes and release plans (docs/schedules.md) ----------------------------

    async def _scheduled(self, changes: list[Doc], principal: Principal) -> tuple[list[Doc], set[str]]:
        """`changes` as a schedule keeps them (toggles as what they mean now, no versions: a scheduled
        change applies to the flag as it is when due), each checked against the flags as they are
        (400, 404 or 409 now rather than when due); and the protected environments they touch
        that `principal` may not change directly."""
        environments = await self.store.list_environments()
        kept: list[Doc] = []
        needed: set[str] = set()
        for name, edits in edits_by_flag(changes).items():
            current = await self.store.get_flag(name)
            doc = copy.deepcopy(current)
            for edit in edits:
                kept.append({key: value for key, value in resolved(edit, doc).items() if key != "version"})
                doc = self._after(doc, [kept[-1]])
            # An environment named by mistake is refused now, not when the change is due.
            check_known(set(doc["environments"]) - set(current["environments"]), [env["name"] for env in environments])
            needed |= needs_request(current, doc, environments, principal)
        return kept, needed

    async def create_schedule(
        self, at: datetime, changes: list[Doc], *, title: str | None, principal: Principal
    ) -> Doc:
        """Schedule `changes` (edits) for `at` (later than now). When they touch a protected
        environment that `principal` may not change directly, a change request holds them, and the
        schedule applies it once it is approved and due."""
        check_future(at, self.clock())
        kept, needed = await self._scheduled(changes, principal)
        title = title or schedule_title(kept)
        fields: Doc = {"title": title, "at": at, "changes": kept}
        if needed:
            held = await self.create_change_request(
                f"{title} (scheduled for {at.isoformat()})", kept, actor=principal.name
            )
            fields["change_request_id"] = held["id"]
        return await self.store.create_schedule(fields, actor=principal.name)

    async def create_plan(
        self, flag: str, environment: str | None, steps: list[Doc], *, title: str | None, principal: Principal
    ) -> Doc:
        """A release plan of `flag` (`core/schedules.py`), every step checked in turn against the flag
        as the steps before it leave it. A plan is not a change request: one whose steps touch a
        protected environment needs someone who may change it directly (403 otherwise)."""
        planned = plan_steps(steps, flag=flag, environment=environment, now=self.clock())
        kept, needed = await self._scheduled([step["changes"][0] for step in planned], principal)
        if needed:
            raise Forbidden(
                f"this plan changes protected environment {', '.join(sorted(needed))}: an admin must make it "
                "(or schedule each step as a change, which makes a change request)"
            )
        for step, edit in zip(planned, kept, strict=True):
            step["changes"] = [edit]
        where = f" in {environment}" if environment else ""
        fields = {"title": title or f"Release of {flag}{where}", "flag": flag, "environment": environment}
        return await self.store.create_plan(fields, planned, actor=principal.name)

    async def apply_due(self, now: datetime) -> Doc | None:
        """Claim and apply the next item due at `now` (`SqlStore.apply_due`), audited as `vexil`; one
        that cannot apply any more is marked failed (its plan paused) with the reason. The item as
        finished, or None when nothing is due here."""
        claimed: Doc = {}

        def decide(item: Doc) -> dict[str, tuple[str, Callable[[Doc], Doc]]]:
            claimed.update(item)
            return {
                name: (action_of(edits[0]) if len(edits) == 1 else "update", self._applying(edits))
                for name, edits in edits_by_flag(item["changes"]).items()
            }

        async with self._lock:
            try:
                result = await self.store.apply_due(now, decide, actor=VEXIL)
            except (InvalidInput, NotFound, Conflict, InvalidValue) as exc:
                if not claimed:
                    raise
                return await self.store.fail_due(claimed["id"], str(exc), actor=VEXIL, now=now) or claimed
            if result is None:
                return None
            item, written = result
            for name, doc in written.items():
                self.apply_flag(name, doc)
            self._committed(Committed(flags=written))
        return item

    async def apply_held(self, now: datetime) -> list[Doc]:
        """Apply the due change requests that schedules hold, once approved (exactly once: applying
        marks the request applied); a schedule whose request was applied or rejected is finished."""
        finished: list[Doc] = []
        for item in await self.store.held_due(now):
            request = await self.store.get_change_request(item["change_request"])
            if request["state"] == "approved":
                try:
                    await self.apply_change_request(request["id"], actor=VEXIL)
                except (Conflict, InvalidInput, NotFound) as exc:
                    log.warning("schedule %s: change request %s not applied: %s", item["id"], request["id"], exc)
                    continue
                request["state"] = "applied"
            if request["state"] in ("applied", "rejected"):
                error = None if request["state"] == "applied" else f"change request {request['id']} was rejected"
                state = "applied" if error is None else "failed"
                done = await self.store.finish_held(item["id"], state, actor=VEXIL, now=now, error=error)
                if done is not None:
                    finished.append(done)
        return finished

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

    async def create_segment(self, fields: Doc, *, actor: str, reverts: int | None = None) -> Doc:
        async with self._lock:
            check_segment(fields)
            created = await self.store.create_segment(fields, actor=actor, reverts=reverts)
            self._committed(Committed(segments=True))
            await self._refresh_segments()
        return created

    async def update_segment(
        self, name: str, fields: Doc, *, actor: str, expected_version: int | None, reverts: int | None = None
    ) -> Doc:
        def mutate(doc: Doc) -> Doc:
            doc.update(fields)
            check_segment(doc)
            return doc

        async with self._lock:
            updated = await self.store.update_segment(
                name, mutate, actor=actor, expected_version=expected_version, reverts=reverts
            )
            self._committed(Committed(segments=True))
            await self._refresh_segments()
        return updated

    async def delete_segment(
        self, name: str, *, actor: str, expected_version: int | None = None, reverts: int | None = None
    ) -> Doc:
        async with self._lock:
            deleted = await self.store.delete_segment(
                name, actor=actor, expected_version=expected_version, reverts=reverts
            )
            self._committed(Committed(segments=True))
            await self._refresh_segments()
        return deleted

    # --- proposed changes, not written (the impact preview, core/impact.py) ---------------

    async def proposed_flag(self, name: str, fields: Doc, overrides: Mapping[str, Doc | None]) -> Doc:
        """The document flag `name` would have after `PATCH /flags/{name}` with `fields` and, per
        environment, `POST /flags/{name}/environments` with `overrides` (None: the override
        removed), checked as those writes check it; nothing is written."""
        doc = apply_edit(
            {"kind": "patch", "flag": name, "fields": fields}, copy.deepcopy(await self.store.get_flag(name))
        )
        for environment, override in overrides.items():
            if override is None:
                doc["environments"].pop(environment, None)
            else:
                apply_edit({"kind": "override", "flag": name, "environment": environment, "fields": override}, doc)
        doc = flag_from_input({**doc, "name": name})
        self._check(doc)
        return doc

    async def proposed_segment(self, name: str, fields: Doc) -> Doc:
        """The document segment `name` would have after `PATCH /segments/{name}` with `fields`,
        checked as that write checks it; nothing is written."""
        doc = {**await self.store.get_segment(name), **fields}
        check_segment(doc)
        return doc

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
