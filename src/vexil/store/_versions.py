"""What the database holds, version by version: the periodic check compares it with the snapshot.

One small query per table (name, version, updated_at), so a replica finds what it missed without
reading every document; it then reloads only the flags that differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from vexil.store._engine import db_errors
from vexil.store.tables import AuditRow, FlagRow, SegmentRow

# (version, updated_at): a committed state. The version alone is not enough: a flag deleted and
# created again starts over at version 1.
Version = tuple[int, datetime]


@dataclass(frozen=True, slots=True)
class StoredVersions:
    flags: dict[str, Version]
    segments: dict[str, Version]
    last_import: int  # the audit id of the newest import (0: none); imports keep the files' versions


async def stored_versions(engine: AsyncEngine) -> StoredVersions:
    """Every flag's and segment's version, in one transaction; `StoreUnavailable` on failure."""
    async with db_errors(), engine.connect() as connection:
        flags = await connection.execute(select(FlagRow.name, FlagRow.version, FlagRow.updated_at))
        segments = await connection.execute(select(SegmentRow.name, SegmentRow.version, SegmentRow.updated_at))
        # Served by the (entity, entity_id) index: a few rows, however long the audit log.
        last_import = await connection.scalar(
            select(func.coalesce(func.max(AuditRow.id), 0)).where(AuditRow.entity == "import")
        )
        return StoredVersions(
            flags={name: (version, at) for name, version, at in flags},
            segments={name: (version, at) for name, version, at in segments},
            last_import=int(last_import or 0),
        )


def version_of(doc: Mapping[str, Any] | None) -> Version | None:
    """The version of a flag or segment document (as served), None for no document."""
    if doc is None:
        return None
    return int(doc["version"]), datetime.fromisoformat(str(doc["updated_at"]))


def differing(stored: Mapping[str, Version], docs: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """Names whose stored version is not the one held in memory (new, changed or deleted)."""
    names: Iterable[str] = stored.keys() | docs.keys()
    return {name for name in names if stored.get(name) != version_of(docs.get(name))}
