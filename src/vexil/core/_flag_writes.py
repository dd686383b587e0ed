"""Flag writes, the part of `FlagService` that docs/model.md and docs/lifecycle.md describe."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping

from vexil.core._service_base import Committed, Doc, ServiceBase, flag_from_input
from vexil.core.change_requests import edits_by_flag
from vexil.core.edits import action_of, apply_edit
from vexil.store import By
from vexil.store.errors import Conflict


class FlagWrites(ServiceBase):
    """Flags: created, edited (one edit of `core/edits.py`, or several in one transaction), archived,
    restored and deleted; and a flag as a proposed change would make it, unwritten."""

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
