"""Change requests in the database (`_change_requests.py` holds the queries): kept, listed, stepped
(commented, approved, rejected, rebased) and applied, their flag writes through `_replace_flag`; the
part of `SqlStore` that docs/change-requests.md describes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select

from vexil.store._change_requests import Step, insert_request, load_request, load_requests, request_row, take_step
from vexil.store._docs import Doc, utcnow
from vexil.store._engine import db_errors
from vexil.store._flag_writer import By, FlagWriter, Mutate
from vexil.store._queries import flag_row
from vexil.store._values import check_document, check_text
from vexil.store.errors import Conflict
from vexil.store.tables import ChangeRequestRow


class ChangeRequestStore(FlagWriter):
    # --- change requests (`_change_requests.py`) ------------------------------------------------

    async def create_change_request(self, fields: Mapping[str, Any], *, actor: str) -> Doc:
        """Keep a new change request (`_change_requests.insert_request`); its document."""
        check_document(fields)
        async with self._write() as session, db_errors():
            doc = await insert_request(session, fields, actor=actor, at=utcnow())
            await session.commit()
        return doc

    async def get_change_request(self, request_id: int) -> Doc:
        async with self._read() as session:
            return await load_request(session, await request_row(session, request_id))

    async def list_change_requests(self, *, state: str | None = None) -> list[Doc]:
        """Change requests, newest first; only those in `state` if given."""
        query = select(ChangeRequestRow).order_by(ChangeRequestRow.id.desc())
        if state is not None:
            query = query.where(ChangeRequestRow.state == check_text(state, "state"))
        async with self._read() as session:
            return await load_requests(session, list(await session.scalars(query)))

    async def step_change_request(self, request_id: int, decide: Callable[[Doc], Step], *, actor: str) -> Doc:
        """Keep what `decide(the request, locked)` says was done to it (what `decide` raises comes
        out unchanged, and nothing is kept); the request after it."""
        check_document({"actor": actor})
        async with self._write() as session:
            async with db_errors():
                row = await request_row(session, request_id, lock=True)
                current = await load_request(session, row)
            step = decide(current)
            check_document({"text": step.text})
            async with db_errors():
                after = await take_step(session, row, step, actor=actor, at=utcnow())
                await session.commit()
        return after

    async def apply_change_request(
        self,
        request_id: int,
        decide: Callable[[Doc], Mapping[str, tuple[str, Mutate]]],
        *,
        actor: str,
        via: Callable[[Doc], Doc],
    ) -> tuple[Doc, dict[str, Doc]]:
        """Apply a change request in one transaction, all or nothing: `decide(the request, locked)`
        gives each flag's audit action and mutation (or raises); each flag must still be at the version its changes
        were made against (else `Conflict`: the request must be rebased). Each flag's write is
        audited with `actor` and `via(request)`, and the request is marked applied. Returns the
        request and the flags as committed."""
        async with self._write() as session:
            async with db_errors():
                row = await request_row(session, request_id, lock=True)
                current = await load_request(session, row)
            mutations = decide(current)
            versions = {change["flag"]: change["version"] for change in current["changes"]}
            written: dict[str, Doc] = {}
            for name, (action, mutate) in mutations.items():
                async with db_errors():
                    version = (await flag_row(session, name, lock=True)).version
                if version != versions[name]:
                    raise Conflict(
                        f"flag {name!r} changed since change request {request_id} was made (it is at version "
                        f"{version}, not {versions[name]}): rebase the change request, then approve it again"
                    )
                by = By(current["requester"], action, via(current))
                # An environment deleted or renamed since the request was made is not made again.
                written[name] = await self._replace_flag(
                    session, name, mutate, by=by, expected_version=None, new_environments=False
                )
            async with db_errors():
                after = await take_step(session, row, Step("apply", "applied"), actor=actor, at=utcnow())
                await session.commit()
        return after, written
