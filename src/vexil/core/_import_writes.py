"""Imports, the part of `FlagService` that docs/spec.md (Import) and docs/deployment.md describe:
checked and compiled in a worker thread, written all or nothing (an import's plan, pure:
`core/imports.py`)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from vexil.core._collector import collector_paused, long_lived
from vexil.core._service_base import Committed, Doc, ServiceBase, flag_from_input
from vexil.core.changes import SEGMENTS
from vexil.core.imports import Mode, counted, merged, plan, state_tag
from vexil.core.validation import InvalidInput, check_flag, check_segment
from vexil.engine import Snapshot, show_value
from vexil.store import utcnow
from vexil.store.errors import Conflict
from vexil.store.sql import ImportedState, SqlStore, imported_documents, imported_environments


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


class ImportWrites(ServiceBase):
    """An export imported (replacing everything, or merged), and many new flags and segments added
    at once beside what exists."""

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
