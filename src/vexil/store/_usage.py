"""Flag usage in the database: counts added with increment-upserts, pruned past retention, and read
back by flag or for every flag. Each function runs inside the caller's transaction (`SqlStore`).

A bucket is added twice, to its hour's row and to its day's row, so that hourly rows can be pruned
after a month while daily ones keep a year. `INSERT ... ON CONFLICT DO UPDATE SET count = count +
excluded.count` is one statement on SQLite and PostgreSQL alike: two replicas adding to one row at
once both land, whichever commits first.

On PostgreSQL a flush does not upsert: an increment-upsert costs the database about ten times what
appending a row with `COPY` does, and a flush of 100,000 buckets must stay well under a second. A
flush appends its hourly buckets to `flag_usage_log` (`append_counts`); `merge_log` moves the whole
log into the hour and day rows in one statement (`DELETE ... RETURNING` feeding two grouped
increment-upserts), every minute and before usage is read, so readers never see the log. The merge
adds up every flush of a bucket since the last one (six flushes a minute) into one upsert per row,
and the `DELETE` hands each log row to exactly one merge, so replicas merging at once neither lose
nor double a count; they take turns anyway (an advisory lock), which also keeps them from
deadlocking on the rows they both upsert.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, or_, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from vexil.store._docs import Doc, format_time
from vexil.store._engine import UNAVAILABLE
from vexil.store.errors import StoreError, StoreUnavailable
from vexil.store.tables import FlagUsageRow

HOUR, DAY = "hour", "day"
# The primary key of `flag_usage`, in its order.
KEY = ("flag", "period", "at", "environment", "app", "variant", "source")
# What a flush hands the store per bucket: (flag, environment, app, variant, source, hour, count,
# last seen), `hour` the bucket's hour as a UTC datetime. Also `flag_usage_log`'s columns, in order.
UsageRow = tuple[str, str, str, str, str, datetime, int, datetime]
LOG_COLUMNS = ("flag", "environment", "app", "variant", "source", "at", "count", "last_seen")
_GROUPED = "flag, {at}, environment, app, variant, source"
_UPSERT = (
    "INSERT INTO flag_usage (flag, period, at, environment, app, variant, source, count, last_seen) "
    "SELECT flag, '{period}', {at}, environment, app, variant, source, sum(count), max(last_seen) FROM moved "
    f"GROUP BY {_GROUPED} ORDER BY {_GROUPED} "
    "ON CONFLICT (flag, period, at, environment, app, variant, source) DO UPDATE SET "
    "count = flag_usage.count + excluded.count, last_seen = GREATEST(flag_usage.last_seen, excluded.last_seen)"
)
_DAY_OF = "date_trunc('day', at, 'UTC')"
PG_MERGE = text(
    f"WITH moved AS (DELETE FROM flag_usage_log RETURNING {', '.join(LOG_COLUMNS)}), "
    f"hours AS ({_UPSERT.format(period=HOUR, at='at')}) " + _UPSERT.format(period=DAY, at=_DAY_OF)
)
# Merges on one database take turns (pg_advisory_xact_lock key): "vexil usage".
_MERGE_LOCK = 0x7665_7869_6C75
# Reading more than this back asks the daily rows instead of the hourly ones.
HOURLY_SPAN = timedelta(days=2)


async def append_counts(session: AsyncSession, rows: Sequence[UsageRow]) -> None:
    """PostgreSQL: append `rows` to `flag_usage_log` with one `COPY` (merged later by `merge_log`)."""
    import asyncpg

    connection = await session.connection()
    raw = await connection.get_raw_connection()
    try:
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            "flag_usage_log", records=rows, columns=LOG_COLUMNS
        )
    except asyncpg.InterfaceError as exc:  # the connection is gone
        raise StoreUnavailable(f"{UNAVAILABLE}: {exc}") from exc
    except asyncpg.PostgresError as exc:
        raise StoreError("database error") from exc


async def merge_log(session: AsyncSession) -> None:
    """PostgreSQL: move every row of `flag_usage_log` into its hour and day rows."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MERGE_LOCK})
    await session.execute(PG_MERGE)


def _both_periods(rows: Sequence[UsageRow]) -> list[dict[str, Any]]:
    """Each hourly bucket, and the same counts added to its day (several hours merged into one row)."""
    values: dict[tuple[Any, ...], dict[str, Any]] = {}
    for flag, environment, app, variant, source, hour, count, last_seen in rows:
        for period, at in ((HOUR, hour), (DAY, hour.replace(hour=0))):
            key = (flag, period, at, environment, app, variant, source)
            kept = values.get(key)
            if kept is None:
                values[key] = dict(zip(KEY, key, strict=True), count=count, last_seen=last_seen)
            else:
                kept["count"] += count
                kept["last_seen"] = max(kept["last_seen"], last_seen)
    return [values[key] for key in sorted(values)]


async def add_counts(session: AsyncSession, rows: Sequence[UsageRow]) -> None:
    """SQLite: add `rows` to their hour and day rows, creating the rows not there yet (in key order)."""
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
    await session.execute(statement, _both_periods(rows))  # one statement, many parameter sets


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

    split = (row.at, row.environment, row.variant)
    found = await session.execute(select(*split, total).where(*where).group_by(*split).order_by(*split))
    last_seen = await session.scalar(select(func.max(row.last_seen)).where(*where))
    points = _series(found.all())
    return {
        "flag": flag,
        "total": sum(point["count"] for point in points),
        "by_variant": _added(point["by_variant"] for point in points),
        "by_environment": _added(point["by_environment"] for point in points),
        "by_app": await by(row.app),
        "by_source": await by(row.source),
        "last_seen": format_time(last_seen) if last_seen is not None else None,
        "period": period,
        "series": points,
    }


def _series(counts: Sequence[Any]) -> list[Doc]:
    """Per period, from its counts per (period, environment, variant) in that order: its total and
    its splits by environment and by variant (what the flag page stacks)."""
    periods: dict[datetime, tuple[Counter[str], Counter[str]]] = {}
    for at, environment, variant, count in counts:
        by_environment, by_variant = periods.setdefault(at, (Counter(), Counter()))
        by_environment[environment] += int(count)
        by_variant[variant] += int(count)
    return [
        {
            "at": format_time(at),
            "count": by_environment.total(),
            "by_environment": _sorted(by_environment),
            "by_variant": _sorted(by_variant),
        }
        for at, (by_environment, by_variant) in periods.items()
    ]


def _added(splits: Iterable[dict[str, int]]) -> dict[str, int]:
    """The splits of every period added up."""
    added: Counter[str] = Counter()
    for split in splits:
        added.update(split)
    return _sorted(added)


def _sorted(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted(counts.items()))


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
