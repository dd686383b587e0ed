"""Queries and writes shared by `SqlStore`'s methods; each runs inside the caller's transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Text, cast, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from vexil.store._docs import Doc, FlagParts, flag_doc, references_segment, rules_reference_segment, utcnow
from vexil.store._values import check_text
from vexil.store.errors import Conflict, NotFound
from vexil.store.tables import AuditRow, EnvironmentRow, FlagAppRow, FlagOverrideRow, FlagRow, SegmentRow

# The action of an event that puts back the state before another one (`reverted`).
REVERT = "revert"
# Flag documents read at a time by a long read (every flag, an export): the event loop runs between pages.
FLAG_PAGE = 250


def record(
    session: AsyncSession, actor: str, action: str, target: tuple[str, str], before: Doc | None, after: Doc | None
) -> AuditRow:
    """Add the audit event of a change to the change's own transaction; `target` is (entity, id).
    The event is returned, to add what only some events say (`via`, the change request applied)."""
    entity, entity_id = target
    row = AuditRow(
        at=utcnow(), actor=actor, action=action, entity=entity, entity_id=entity_id, before=before, after=after
    )
    session.add(row)
    return row


def reverted(row: AuditRow, reverts: int | None) -> None:
    """Make `row` the event of a revert of event `reverts` (when given): action `revert`, naming it."""
    if reverts is not None:
        row.action = REVERT
        row.reverts = reverts


def check_version(entity: str, name: str, version: int, expected: int | None) -> None:
    if expected is not None and expected != version:
        raise Conflict(f"{entity} {name!r} is at version {version}, not {expected}: reload and retry")


async def flag_row(session: AsyncSession, name: str, *, lock: bool = False) -> FlagRow:
    query = select(FlagRow).where(FlagRow.name == check_text(name, "name"))
    if lock:  # a no-op on SQLite, whose writers hold the database lock (BEGIN IMMEDIATE)
        query = query.with_for_update()
    row = (await session.scalars(query)).first()
    if row is None:
        raise NotFound(f"flag {name!r} not found")
    return row


async def segment_row(session: AsyncSession, name: str, *, lock: bool = False) -> SegmentRow:
    query = select(SegmentRow).where(SegmentRow.name == check_text(name, "name"))
    if lock:
        query = query.with_for_update()
    row = (await session.scalars(query)).first()
    if row is None:
        raise NotFound(f"segment {name!r} not found")
    return row


async def flag_children(
    session: AsyncSession, flag_id: int | Sequence[int] | None
) -> tuple[dict[int, dict[str, Mapping[str, Any]]], dict[int, list[str]]]:
    """Override columns by flag id and environment, and app names by flag id, of one flag, of
    several (a list of ids), or of all flags (None)."""
    overrides_query = select(FlagOverrideRow.__table__)
    apps_query = select(FlagAppRow.flag_id, FlagAppRow.app_name)
    if isinstance(flag_id, int):
        overrides_query = overrides_query.where(FlagOverrideRow.flag_id == flag_id)
        apps_query = apps_query.where(FlagAppRow.flag_id == flag_id)
    elif flag_id is not None:
        overrides_query = overrides_query.where(FlagOverrideRow.flag_id.in_(flag_id))
        apps_query = apps_query.where(FlagAppRow.flag_id.in_(flag_id))
    overrides: dict[int, dict[str, Mapping[str, Any]]] = defaultdict(dict)
    for columns in (await session.execute(overrides_query)).mappings():
        overrides[columns["flag_id"]][columns["environment"]] = dict(columns)
    apps: dict[int, list[str]] = defaultdict(list)
    for app_flag_id, app_name in await session.execute(apps_query):
        apps[app_flag_id].append(app_name)
    return overrides, apps


async def load_flag_doc(session: AsyncSession, row: FlagRow) -> Doc:
    """The document of a loaded flag row (its overrides and apps read now)."""
    overrides, apps = await flag_children(session, row.id)
    return flag_doc(row, overrides[row.id], apps[row.id])


async def all_flag_docs(session: AsyncSession) -> list[Doc]:
    rows = (await session.scalars(select(FlagRow).order_by(FlagRow.name))).all()
    overrides, apps = await flag_children(session, None)
    return [flag_doc(row, overrides[row.id], apps[row.id]) for row in rows]


async def flag_docs_after(session: AsyncSession, after: str | None, limit: int) -> list[Doc]:
    """The first `limit` flag documents whose names sort after `after` (None: from the first)."""
    query = select(FlagRow).order_by(FlagRow.name).limit(limit)
    if after is not None:
        query = query.where(FlagRow.name > after)
    rows = (await session.scalars(query)).all()
    if not rows:
        return []
    overrides, apps = await flag_children(session, [row.id for row in rows])
    return [flag_doc(row, overrides[row.id], apps[row.id]) for row in rows]


async def insert_flag_children(session: AsyncSession, flag_id: int, parts: FlagParts) -> None:
    await _insert_children(session, [(flag_id, parts)])


async def insert_flags(session: AsyncSession, flags: Sequence[tuple[Doc, FlagParts]]) -> None:
    """Insert flags (their row's columns, and their parts for the overrides and apps): one multi-row
    INSERT per table, however many flags."""
    if not flags:
        return
    inserted = await session.execute(insert(FlagRow).returning(FlagRow.name, FlagRow.id), [c for c, _ in flags])
    ids: dict[str, int] = dict(inserted.all())
    await _insert_children(session, [(ids[parts.name], parts) for _, parts in flags])


async def _insert_children(session: AsyncSession, flags: Iterable[tuple[int, FlagParts]]) -> None:
    overrides: list[Doc] = []
    apps: list[Doc] = []
    for flag_id, parts in flags:
        overrides += [{"flag_id": flag_id, "environment": env, **columns} for env, columns in parts.overrides.items()]
        apps += [{"flag_id": flag_id, "app_name": app} for app in parts.apps]
    if overrides:
        await session.execute(insert(FlagOverrideRow), overrides)
    if apps:
        await session.execute(insert(FlagAppRow), apps)


async def segment_users(session: AsyncSession, segment: str) -> list[str]:
    """`flag x` / `segment y` for everything whose conditions name `segment`, sorted."""
    # The LIKE only narrows the scan; the JSON walk decides.
    mentions = f'"{segment}"'
    flag_rules = select(FlagRow.name, FlagRow.rules).where(
        cast(FlagRow.rules, Text).contains(mentions, autoescape=True)
    )
    override_rules = (
        select(FlagRow.name, FlagOverrideRow.rules)
        .join(FlagOverrideRow, FlagOverrideRow.flag_id == FlagRow.id)
        .where(cast(FlagOverrideRow.rules, Text).contains(mentions, autoescape=True))
    )
    segments = select(SegmentRow.name, SegmentRow.conditions).where(
        SegmentRow.name != segment, cast(SegmentRow.conditions, Text).contains(mentions, autoescape=True)
    )
    users = {
        f"flag {name}"
        for query in (flag_rules, override_rules)
        for name, rules in await session.execute(query)
        if rules_reference_segment(rules, segment)
    }
    users |= {
        f"segment {name}"
        for name, conditions in await session.execute(segments)
        if references_segment(conditions, segment)
    }
    return sorted(users)


async def counts(session: AsyncSession) -> dict[str, int]:
    totals: dict[str, int] = {}
    for key, table in (("environments", EnvironmentRow), ("flags", FlagRow), ("segments", SegmentRow)):
        totals[key] = await session.scalar(select(func.count()).select_from(table)) or 0
    return totals
