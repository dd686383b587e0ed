"""Change requests in the database (docs/change-requests.md): rows to documents and back, in the
caller's transaction. What may happen to a request (who approves, when it is approved) is the
core's rule (`core/change_requests.py`); the store keeps what it decided, as one `Step`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vexil.store._docs import Doc, format_time
from vexil.store._queries import record
from vexil.store.errors import NotFound
from vexil.store.tables import ChangeRequestChangeRow, ChangeRequestReviewRow, ChangeRequestRow

ENTITY = "change_request"


@dataclass(frozen=True, slots=True)
class Step:
    """One thing done to a change request: a review of `kind` (comment, approve, reject, rebase,
    open, apply), with its `text`, leaving the request in `state`. A rebase (`versions`: each flag's
    version to make the changes against now) starts a new round, whose approvals start from none."""

    kind: str
    state: str
    text: str = ""
    versions: Mapping[str, int] | None = None


def _time(value: datetime | None) -> str | None:
    return None if value is None else format_time(value)


def request_doc(
    row: ChangeRequestRow, changes: Iterable[ChangeRequestChangeRow], reviews: Iterable[ChangeRequestReviewRow]
) -> Doc:
    """A change request as the API shows it; `approvals`: who approved in the current round."""
    kept = [
        {"at": format_time(r.at), "actor": r.actor, "kind": r.kind, "text": r.text, "round": r.round}
        for r in sorted(reviews, key=lambda r: r.id)
    ]
    return {
        "id": row.id,
        "title": row.title,
        "state": row.state,
        "requester": row.requester,
        "environments": list(row.environments),
        "required_approvals": row.required_approvals,
        "round": row.round,
        "changes": [{**c.edit, "version": c.version} for c in sorted(changes, key=lambda c: c.position)],
        "reviews": kept,
        "approvals": [r["actor"] for r in kept if r["kind"] == "approve" and r["round"] == row.round],
        "created_at": format_time(row.created_at),
        "updated_at": format_time(row.updated_at),
        "applied_by": row.applied_by,
        "applied_at": _time(row.applied_at),
    }


def _summary(doc: Doc) -> Doc:
    """What the audit log keeps of a request's event: its state, round and approvals."""
    return {key: doc[key] for key in ("title", "state", "round", "approvals")}


async def request_row(session: AsyncSession, request_id: int, *, lock: bool = False) -> ChangeRequestRow:
    query = select(ChangeRequestRow).where(ChangeRequestRow.id == request_id)
    if lock:
        query = query.with_for_update()
    row = (await session.scalars(query)).first()
    if row is None:
        raise NotFound(f"change request {request_id} not found")
    return row


async def load_request(session: AsyncSession, row: ChangeRequestRow) -> Doc:
    return (await load_requests(session, [row]))[0]


async def load_requests(session: AsyncSession, rows: list[ChangeRequestRow]) -> list[Doc]:
    """The documents of `rows`, their changes and reviews read in two queries."""
    ids = [row.id for row in rows]
    changes: dict[int, list[ChangeRequestChangeRow]] = {i: [] for i in ids}
    reviews: dict[int, list[ChangeRequestReviewRow]] = {i: [] for i in ids}
    if ids:
        for change in await session.scalars(
            select(ChangeRequestChangeRow).where(ChangeRequestChangeRow.request_id.in_(ids))
        ):
            changes[change.request_id].append(change)
        for review in await session.scalars(
            select(ChangeRequestReviewRow).where(ChangeRequestReviewRow.request_id.in_(ids))
        ):
            reviews[review.request_id].append(review)
    return [request_doc(row, changes[row.id], reviews[row.id]) for row in rows]


async def insert_request(session: AsyncSession, fields: Mapping[str, Any], *, actor: str, at: datetime) -> Doc:
    """Add a change request (`title`, `state`, `environments`, `required_approvals`, and `changes`:
    edits each with the `version` of its flag), audited as its creation."""
    row = ChangeRequestRow(
        title=fields["title"],
        state=fields["state"],
        requester=actor,
        environments=list(fields["environments"]),
        required_approvals=fields["required_approvals"],
        round=1,
        created_at=at,
        updated_at=at,
    )
    session.add(row)
    await session.flush()
    for position, change in enumerate(fields["changes"]):
        edit = {key: value for key, value in change.items() if key != "version"}
        session.add(
            ChangeRequestChangeRow(
                request_id=row.id, position=position, flag=edit["flag"], version=change["version"], edit=edit
            )
        )
    await session.flush()
    doc = await load_request(session, row)
    record(session, actor, "create", (ENTITY, str(row.id)), None, _summary(doc))
    return doc


async def take_step(session: AsyncSession, row: ChangeRequestRow, step: Step, *, actor: str, at: datetime) -> Doc:
    """Keep `step` (done by `actor` at `at`) on the locked request `row`; audited, unless a comment."""
    before = await load_request(session, row)
    if step.versions is not None:
        for change in await session.scalars(
            select(ChangeRequestChangeRow).where(ChangeRequestChangeRow.request_id == row.id)
        ):
            change.version = step.versions[change.flag]
        row.round += 1
    row.state = step.state
    row.updated_at = at
    if step.kind == "apply":
        row.applied_by, row.applied_at = actor, at
    session.add(
        ChangeRequestReviewRow(request_id=row.id, at=at, actor=actor, kind=step.kind, round=row.round, text=step.text)
    )
    await session.flush()
    after = await load_request(session, row)
    if step.kind != "comment":
        record(session, actor, step.kind, (ENTITY, str(row.id)), _summary(before), _summary(after))
    return after
