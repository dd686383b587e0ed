"""Protected environments' change requests, the part of `FlagService` that docs/change-requests.md
describes (their rules, pure, are `core/change_requests.py`'s)."""

from __future__ import annotations

import copy
from collections.abc import Callable

from vexil.core import change_requests as rules
from vexil.core._flag_writes import FlagWrites
from vexil.core._service_base import Committed, Doc
from vexil.core.auth import Principal
from vexil.core.change_requests import RequestNeeded, diff, edits_by_flag
from vexil.core.edits import action_of, resolved
from vexil.core.protection import needs_request, required_approvals, touched
from vexil.core.validation import InvalidInput
from vexil.store import check_known, check_version
from vexil.store.errors import Conflict, NotFound


def _compared(doc: Doc) -> Doc:
    """A flag document without what the store moves on every write (a diff leaves them out)."""
    return {key: value for key, value in doc.items() if key not in ("created_at", "updated_at", "version")}


class ChangeRequestWrites(FlagWrites):
    """Change requests: an edit held by one where a protected environment needs it (`submit`),
    requests made, shown with their diff and impact, stepped and applied."""

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
