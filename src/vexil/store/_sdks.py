"""Connected SDKs in the database: the batch a replica flushes, merged into `sdk_instances`, and the
list read back. Each function runs inside the caller's write or read transaction (`SqlStore`).

A batch is merged so that replicas flushing at the same moment lose nothing: every key is first
inserted if missing (`ON CONFLICT DO NOTHING`), then the rows are read locked (`FOR UPDATE` on
PostgreSQL; SQLite's writer holds the database), merged in Python and written back. Merging keeps
the earliest `first_seen`, the latest `last_seen`, the SDK last reported, and adds the counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from vexil.store._docs import Doc, format_time
from vexil.store._values import check_document, check_text
from vexil.store.tables import SdkInstanceRow

# Keys per statement: a few hundred keeps every backend's parameter limit far away.
CHUNK = 300
# Totals stop here rather than outgrow what every JSON reader holds exactly (JavaScript's safe integers).
COUNT_CEILING = 2**53 - 1
# What the store keeps of an instance, beside its key and usage.
SDK_FIELDS = ("kind", "sdk_name", "sdk_version", "first_seen", "last_seen")


def key_of(seen: Mapping[str, Any]) -> tuple[str, str, str]:
    """The row key of one reported instance: (app, instance, environment, '' for none)."""
    return seen["app"], seen["instance"], seen["environment"] or ""


def check_batch(batch: Sequence[Mapping[str, Any]]) -> None:
    """`InvalidValue` for text or counts no database holds, before any SQL runs."""
    for seen in batch:
        for value, where in zip(key_of(seen), ("app", "instance", "environment"), strict=True):
            check_text(value, where)
        check_document(seen["usage"], "usage")


async def merge_batch(session: AsyncSession, batch: Sequence[Mapping[str, Any]], *, postgres: bool) -> None:
    """Merge reported instances (`{app, instance, environment, kind, sdk_name, sdk_version,
    first_seen, last_seen, usage}`) into their rows, creating the rows not there yet."""
    for start in range(0, len(batch), CHUNK):
        # In key order, so that two replicas flushing the same keys lock them in the same order.
        chunk = dict(sorted((key_of(seen), seen) for seen in batch[start : start + CHUNK]))
        empty = [_row_values(key, seen) for key, seen in chunk.items()]
        insert = postgresql.insert(SdkInstanceRow) if postgres else sqlite.insert(SdkInstanceRow)
        await session.execute(insert.values(empty).on_conflict_do_nothing())
        columns = tuple_(SdkInstanceRow.app_name, SdkInstanceRow.instance_id, SdkInstanceRow.environment)
        query = select(SdkInstanceRow).where(columns.in_(list(chunk))).order_by(*columns.clauses)
        if postgres:
            query = query.with_for_update()
        for row in await session.scalars(query):
            seen = chunk[(row.app_name, row.instance_id, row.environment)]
            _merge_row(row, seen)


def _row_values(key: tuple[str, str, str], seen: Mapping[str, Any]) -> dict[str, Any]:
    app, instance, environment = key
    values = {name: seen[name] for name in SDK_FIELDS}
    return {"app_name": app, "instance_id": instance, "environment": environment, **values, "usage": {}}


def _merge_row(row: SdkInstanceRow, seen: Mapping[str, Any]) -> None:
    row.first_seen = min(row.first_seen, seen["first_seen"])
    if seen["last_seen"] >= row.last_seen:
        row.last_seen = seen["last_seen"]
        row.kind = seen["kind"]
        if seen["sdk_name"] is not None:
            row.sdk_name, row.sdk_version = seen["sdk_name"], seen["sdk_version"]
    if seen["usage"]:
        row.usage = merge_usage(row.usage, seen["usage"])  # a new object: the JSON column sees the change


def merge_usage(kept: Mapping[str, Any], added: Mapping[str, Any]) -> dict[str, Any]:
    """Two usage documents added together: counts summed (up to `COUNT_CEILING`), the later
    `last_seen` kept."""
    merged = dict(kept)
    for flag, counts in added.items():
        before = merged.get(flag)
        if before is None:
            merged[flag] = counts
            continue
        variants = dict(before.get("variants", {}))
        for variant, count in counts.get("variants", {}).items():
            variants[variant] = min(variants.get(variant, 0) + count, COUNT_CEILING)
        merged[flag] = {
            "yes": min(before.get("yes", 0) + counts.get("yes", 0), COUNT_CEILING),
            "no": min(before.get("no", 0) + counts.get("no", 0), COUNT_CEILING),
            "variants": variants,
            "last_seen": max(before.get("last_seen", ""), counts.get("last_seen", "")),
        }
    return merged


async def forget_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delete the instances not seen since `cutoff`; how many were deleted."""
    result = await session.execute(delete(SdkInstanceRow).where(SdkInstanceRow.last_seen < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


async def instance_docs(session: AsyncSession, *, usage: bool) -> list[Doc]:
    """Every instance, by app, environment and instance; with its counts when `usage`."""
    query = select(SdkInstanceRow).order_by(
        SdkInstanceRow.app_name, SdkInstanceRow.environment, SdkInstanceRow.instance_id
    )
    return [instance_doc(row, usage=usage) for row in await session.scalars(query)]


def instance_doc(row: SdkInstanceRow, *, usage: bool) -> Doc:
    doc: Doc = {
        "app": row.app_name,
        "instance": row.instance_id,
        "environment": row.environment or None,
        "kind": row.kind,
        "sdk": row.sdk_name,
        "sdk_version": row.sdk_version,
        "first_seen": format_time(row.first_seen),
        "last_seen": format_time(row.last_seen),
        "flags": len(row.usage),
    }
    if usage:
        doc["usage"] = row.usage
    return doc
