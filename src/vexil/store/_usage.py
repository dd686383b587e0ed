"""Flag usage in the database: counts added with increment-upserts, pruned past retention, and read
back by flag or for every flag. Each function runs inside the caller's transaction (`SqlStore`).

A flushed bucket is added twice, to its hour's row and to its day's row, so that hourly rows can be
pruned after a month while daily ones keep a year. `INSERT ... ON CONFLICT DO UPDATE SET count =
count + excluded.count` is one statement on SQLite and PostgreSQL alike: two replicas adding to one
row at once both land, whichever commits first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, or_, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from vexil.store._docs import Doc, format_time
from vexil.store.tables import FlagUsageRow

HOUR, DAY = "hour", "day"
# The primary key of `flag_usage`, in its order.
KEY = ("flag", "period", "at", "environment", "app", "variant", "source")
COLUMNS = (*KEY, "count", "last_seen")
# On PostgreSQL the rows travel as one array per column, unnested into one INSERT: a statement of a
# few parameters however many rows, compiled once. Rows per statement:
PG_CHUNK = 50_000
_PG_TYPES = {"at": "timestamptz[]", "count": "bigint[]", "last_seen": "timestamptz[]"}
_PG_CASTS = [f"CAST(:{name} AS {_PG_TYPES.get(name, 'text[]')})" for name in COLUMNS]
PG_ADD = text(
    f"INSERT INTO flag_usage ({', '.join(COLUMNS)}) "
    f"SELECT * FROM unnest({', '.join(_PG_CASTS)}) "
    f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET count = flag_usage.count + excluded.count, "
    "last_seen = GREATEST(flag_usage.last_seen, excluded.last_seen)"
)
# Reading more than this back asks the daily rows instead of the hourly ones.
HOURLY_SPAN = timedelta(days=2)


def _both_periods(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each hourly bucket, and the same counts added to its day (several hours merged into one row)."""
    hourly = [{**row, "period": HOUR, "at": row["hour"]} for row in rows]
    daily: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        day = row["hour"].replace(hour=0)
        key = (row["flag"], day, row["environment"], row["app"], row["variant"], row["source"])
        kept = daily.get(key)
        if kept is None:
            daily[key] = {**row, "period": DAY, "at": day}
        else:
            kept["count"] += row["count"]
            kept["last_seen"] = max(kept["last_seen"], row["last_seen"])
    for row in (*hourly, *daily.values()):
        row.pop("hour", None)
    return [*hourly, *daily.values()]


async def add_counts(session: AsyncSession, rows: Sequence[Mapping[str, Any]], *, postgres: bool) -> None:
    """Add `rows` (`{flag, environment, app, variant, source, hour, count, last_seen}`) to their hour
    and day rows, creating the rows not there yet."""
    values = _both_periods(rows)
    # In key order, so that two replicas adding the same rows lock them in the same order.
    values.sort(key=lambda row: tuple(row[name] for name in KEY))
    if postgres:
        for start in range(0, len(values), PG_CHUNK):
            chunk = values[start : start + PG_CHUNK]
            await session.execute(PG_ADD, {name: [row[name] for row in chunk] for name in COLUMNS})
        return
    insert = sqlite.insert(FlagUsageRow)
    added = insert.excluded
    statement = insert.on_conflict_do_update(
        index_elements=KEY,
        set_={
            "count": FlagUsageRow.count + added.count,
            "last_seen": case(
                (added.last_seen > FlagUsageRow.last_seen, added.last_seen), else_=FlagUsageRow.last_seen
            ),
        },
    )
    await session.execute(statement, values)  # one statement, many parameter sets


async def prune(session: AsyncSession, *, hourly_before: datetime, daily_before: datetime) -> None:
    """Delete hourly rows older than `hourly_before` and daily rows older than `daily_before`."""
    row = FlagUsageRow
    await session.execute(
        delete(row).where(
            or_((row.period == HOUR) & (row.at < hourly_before), (row.period == DAY) & (row.at < daily_before))
        )
    )


async def flag_usage(
    session: AsyncSession,
    flag: str,
    *,
    since: datetime,
    until: datetime,
    environment: str | None,
    app: str | None,
) -> Doc:
    """The usage document of `flag` between `since` and `until` (docs/usage.md)."""
    period = DAY if until - since > HOURLY_SPAN else HOUR
    start = since.replace(minute=0, second=0, microsecond=0)
    if period == DAY:
        start = start.replace(hour=0)
    row = FlagUsageRow
    where = [row.flag == flag, row.period == period, row.at >= start, row.at < until]
    if environment is not None:
        where.append(row.environment == environment)
    if app is not None:
        where.append(row.app == app)
    total = func.sum(row.count)

    async def by(column: Any) -> dict[str, int]:
        found = await session.execute(select(column, total).where(*where).group_by(column).order_by(column))
        return {name: int(count) for name, count in found.all()}

    series = await session.execute(select(row.at, total).where(*where).group_by(row.at).order_by(row.at))
    last_seen = await session.scalar(select(func.max(row.last_seen)).where(*where))
    points = [{"at": format_time(at), "count": int(count)} for at, count in series.all()]
    return {
        "flag": flag,
        "total": sum(point["count"] for point in points),
        "by_variant": await by(row.variant),
        "by_environment": await by(row.environment),
        "by_app": await by(row.app),
        "by_source": await by(row.source),
        "last_seen": format_time(last_seen) if last_seen is not None else None,
        "period": period,
        "series": points,
    }


async def overview(session: AsyncSession, *, since: datetime) -> dict[str, Doc]:
    """Per flag ever counted: its total since `since` and when it was last seen (daily rows, which
    live longest)."""
    row = FlagUsageRow
    day = since.replace(hour=0, minute=0, second=0, microsecond=0)
    recent = func.sum(case((row.at >= day, row.count), else_=0))
    found = await session.execute(
        select(row.flag, recent, func.max(row.last_seen)).where(row.period == DAY).group_by(row.flag)
    )
    return {flag: {"total": int(total), "last_seen": format_time(seen)} for flag, total, seen in found.all()}
