"""Every flag's evaluations per day over the last few days, for the flags list's sparklines
(`GET /usage`'s `daily`, docs/usage.md). One query over the daily rows that `_usage.py` keeps,
grouped by flag and day; runs inside the caller's read transaction (`SqlStore`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vexil.store._usage import DAY
from vexil.store.tables import FlagUsageRow


async def daily_counts(session: AsyncSession, *, until: datetime, days: int) -> dict[str, list[int]]:
    """Per flag counted: its evaluations on each of the `days` days up to `until`'s, oldest first
    (the last is `until`'s day so far); days without counts are 0."""
    today = until.replace(hour=0, minute=0, second=0, microsecond=0)
    first = today - timedelta(days=days - 1)
    row = FlagUsageRow
    found = await session.execute(
        select(row.flag, row.at, func.sum(row.count))
        .where(row.period == DAY, row.at >= first, row.at <= today)
        .group_by(row.flag, row.at)
    )
    counts: dict[str, list[int]] = {}
    for flag, at, count in found.all():
        index = (at - first) // timedelta(days=1)
        if 0 <= index < days:
            counts.setdefault(flag, [0] * days)[index] += int(count)
    return counts
