"""`core/usage.py` on a real store (SQLite and PostgreSQL): flushed counts add up across replicas
(and so do their merges of the PostgreSQL usage log), retention prunes hourly and daily rows with
time moved by an injected clock, a range longer than two days is read from the daily rows, and
answers counted whole (served again, or of several flags) count each flag they hold (docs/usage.md)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from vexil.core.usage import BULK, OFREP, SERVER, Answered, Usage, UsageLimits
from vexil.engine import Evaluation, Reason
from vexil.engine.evaluate import flag_not_found
from vexil.store import SqlStore

NOON = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)


class Clock:
    """Seconds since the epoch, moved by the test."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at.timestamp()


async def usage_of(store: SqlStore, flag: str, since: datetime, until: datetime) -> dict[str, object]:
    return await store.flag_usage(flag, since=since, until=until, environment=None, app=None)


@asynccontextmanager
async def two_replicas(url: str) -> AsyncIterator[tuple[SqlStore, list[Usage]]]:
    """Two replicas' counters on one database, each with its own store (connections), one clock."""
    first, second = await SqlStore.open(url), await SqlStore.open(url)
    clock = Clock(NOON)
    try:
        yield first, [Usage(first, clock=clock), Usage(second, clock=clock)]
    finally:
        await first.close()
        await second.close()


@pytest.mark.postgres
async def test_flush__two_replicas_on_one_postgres__counts_add_up(postgres_url: str) -> None:
    # Given two replicas, each with its own store connection to one PostgreSQL database
    async with two_replicas(postgres_url) as (first, replicas):
        flag = f"shared-{id(replicas)}"
        # When each counts the same buckets, 1,000 distinct ones, and both flush at the same moment
        for replica in replicas:
            for user in range(1000):
                replica.count([(flag, "production", f"app-{user}", "on")], SERVER, 2)
        await asyncio.gather(*(replica.flush() for replica in replicas))
        # Then the stored counts are the sum of both
        found = await usage_of(first, flag, NOON - timedelta(hours=1), NOON + timedelta(hours=1))
        assert found["total"] == 4000
        assert found["by_variant"] == {"on": 4000}
        assert len(found["by_app"]) == 1000  # type: ignore[arg-type]


async def test_flush__hours_and_days__series_by_hour_short_range_by_day_long(store: SqlStore) -> None:
    # Given counts in two hours of one day and in the next day, in two environments and none
    clock = Clock(NOON)
    usage = Usage(store, clock=clock)
    usage.count([("theme", "production", "", "dark")], SERVER, 3)
    clock.at = NOON + timedelta(hours=2)
    usage.count([("theme", "staging", "", "light")], SERVER, 2)
    clock.at = NOON + timedelta(days=1)
    usage.count([("theme", "production", "", "dark")], SERVER, 4)
    usage.count([("theme", "", "", "")], SERVER, 1)
    # When they are flushed and read back over one day, then over a week
    assert await usage.flush() == 4
    day = await usage_of(store, "theme", NOON - timedelta(hours=1), NOON + timedelta(hours=23))
    week = await usage_of(store, "theme", NOON - timedelta(days=3), NOON + timedelta(days=4))
    # Then the short range is in hours, the long one in days, and both add up, each period split
    # by environment and by variant
    assert day["period"] == "hour"
    assert day["series"] == [
        {
            "at": "2026-12-01T12:00:00.000000Z", "count": 3,
            "by_environment": {"production": 3}, "by_variant": {"dark": 3},
        },
        {
            "at": "2026-12-01T14:00:00.000000Z", "count": 2,
            "by_environment": {"staging": 2}, "by_variant": {"light": 2},
        },
    ]  # fmt: skip
    assert week["period"] == "day"
    assert week["series"] == [
        {
            "at": "2026-12-01T00:00:00.000000Z", "count": 5,
            "by_environment": {"production": 3, "staging": 2}, "by_variant": {"dark": 3, "light": 2},
        },
        {
            "at": "2026-12-02T00:00:00.000000Z", "count": 5,
            "by_environment": {"": 1, "production": 4}, "by_variant": {"": 1, "dark": 4},
        },
    ]  # fmt: skip
    assert week["by_environment"] == {"": 1, "production": 7, "staging": 2}
    assert week["by_variant"] == {"": 1, "dark": 7, "light": 2}
    assert week["last_seen"] == "2026-12-02T12:30:00.000000Z"


async def test_flush__past_retention__hourly_pruned_after_30_days_daily_after_a_year(store: SqlStore) -> None:
    # Given a count flushed at noon
    clock = Clock(NOON)
    usage = Usage(store, clock=clock)
    usage.count([("theme", "", "", "dark")], SERVER)
    await usage.flush()
    # When 31 days pass and a flush runs
    clock.at = NOON + timedelta(days=31)
    await usage.flush()
    # Then the hour is gone but the day is kept
    assert (await usage_of(store, "theme", NOON - timedelta(hours=1), NOON + timedelta(hours=1)))["total"] == 0
    assert (await usage_of(store, "theme", NOON - timedelta(days=3), NOON + timedelta(days=3)))["total"] == 1
    # And when a year passes, the day is gone too
    clock.at = NOON + timedelta(days=366)
    await usage.flush()
    assert (await usage_of(store, "theme", NOON - timedelta(days=3), NOON + timedelta(days=3)))["total"] == 0


async def test_count__bucket_bound_reached__further_buckets_dropped_and_counted(store: SqlStore) -> None:
    # Given a counter that keeps at most two buckets between flushes
    usage = Usage(store, clock=Clock(NOON), limits=UsageLimits(buckets=2))
    # When three distinct buckets are counted, and a kept one again
    usage.count([("a", "", "", ""), ("b", "", "", ""), ("c", "", "", "")], SERVER)
    usage.count([("a", "", "", "")], SERVER)
    # Then the third is dropped and counted as dropped, the kept one grows
    assert len(usage) == 2 and usage.dropped == 1
    await usage.flush()
    assert (await usage_of(store, "a", NOON - timedelta(hours=1), NOON + timedelta(hours=1)))["total"] == 2


async def test_count_kept__answer_served_again__each_flag_it_holds_counted(store: SqlStore) -> None:
    # Given an answer of two flags kept under its request, and one never kept
    usage = Usage(store, clock=Clock(NOON))
    production = {"environment": "production"}
    usage.keep(("request", b"{}"), Answered.of([evaluation("a", "on"), evaluation("b", "off")], production))
    # When the kept one is served again three times, and the other once
    for _ in range(3):
        usage.count_kept(("request", b"{}"), SERVER)
    usage.count_kept(("unknown", b"{}"), SERVER)
    # Then each flag of the kept answer counts three times, in Prometheus's totals and in the store
    assert usage.settled_totals() == {("a", "on", "production"): 3, ("b", "off", "production"): 3}
    await usage.flush()
    assert (await usage_of(store, "a", NOON - timedelta(hours=1), NOON + timedelta(hours=1)))["total"] == 3
    assert (await usage_of(store, "b", NOON - timedelta(hours=1), NOON + timedelta(hours=1)))["total"] == 3


@pytest.mark.postgres
async def test_merge__two_replicas_merge_the_log_at_once__each_count_once(postgres_url: str) -> None:
    # Given two replicas on one PostgreSQL database that each flushed 300 buckets to the usage log
    async with two_replicas(postgres_url) as (first, replicas):
        flag = f"merged-{id(replicas)}"
        for replica in replicas:
            for user in range(300):
                replica.count([(flag, "production", f"app-{user}", "on")], SERVER, 3)
            assert await replica.flush() == 300
        # When both merge the log into the hour and day rows at the same moment, and again
        await asyncio.gather(*(replica.merge() for replica in replicas))
        await asyncio.gather(*(replica.merge() for replica in replicas))
        # Then every count is in its hour and its day exactly once
        hours = await usage_of(first, flag, NOON - timedelta(hours=1), NOON + timedelta(hours=1))
        days = await usage_of(first, flag, NOON - timedelta(days=3), NOON + timedelta(days=3))
        assert hours["total"] == days["total"] == 1800
        assert hours["period"] == "hour" and days["period"] == "day"


class CountingMerges(SqlStore):
    """The store, counting how often the usage log is merged."""

    merges = 0

    async def merge_usage_log(
        self, *, hourly_before: datetime | None = None, daily_before: datetime | None = None
    ) -> None:
        self.merges += 1
        await super().merge_usage_log(hourly_before=hourly_before, daily_before=daily_before)


@pytest.mark.postgres
async def test_reads__on_postgres_when_a_merge_is_due__log_merged_once_per_read_and_counts_exact(
    postgres_url: str,
) -> None:
    # Given a replica on PostgreSQL that counted evaluations a minute after its last merge, so
    # that its next flush is due to merge
    store = await CountingMerges.open(postgres_url)
    try:
        clock = Clock(NOON)
        usage = Usage(store, clock=clock)
        flag = f"read-{id(usage)}"
        clock.at = NOON + timedelta(seconds=61)
        usage.count([(flag, "production", "web", "on")], SERVER, 7)
        # When every flag's overview with its days is read (the flags list's `GET /usage`)
        overview = await usage.overview(7, daily=True)
        # Then the log was merged once, and the counts are exact
        assert store.merges == 1
        assert overview[flag]["total"] == 7 and overview[flag]["daily"] == [0, 0, 0, 0, 0, 0, 7]
        # And reading one flag's usage after more counts merges once more, exact too
        usage.count([(flag, "staging", "web", "off")], SERVER, 2)
        hour = {"since": NOON - timedelta(hours=1), "until": NOON + timedelta(hours=1)}
        found = await usage.of_flag(flag, **hour, environment=None, app=None)
        assert store.merges == 2
        assert found["by_environment"] == {"production": 7, "staging": 2}
    finally:
        await store.close()


def evaluation(flag: str, variant: str) -> Evaluation:
    return Evaluation(flag=flag, active=True, variant=variant, payload={"shown": True}, reason=Reason.ENABLED)


async def test_count_answer__answer_of_several_flags__each_flag_found_counted(store: SqlStore) -> None:
    # Given an answer of two flags and one the server does not have, for an app in production
    usage = Usage(store, clock=Clock(NOON))
    results = [evaluation("a", "on"), evaluation("b", "off"), flag_not_found("ghost")]
    context = {"identifier": "u1", "environment": "production", "app": "web"}
    # When it is counted twice for two users who got the same results, and once from OFREP
    usage.count_answer(Answered.of(results, context), BULK)
    usage.count_answer(Answered.of(results, {**context, "identifier": "u2"}), BULK)
    usage.count_answer(Answered.of(results[:1], context), OFREP)
    # Then each flag found counts once per evaluation, under its variant, source, environment and app
    assert usage.settled_totals() == {("a", "on", "production"): 3, ("b", "off", "production"): 2}
    await usage.flush()
    found = await usage_of(store, "a", NOON - timedelta(hours=1), NOON + timedelta(hours=1))
    assert found["by_source"] == {"bulk": 2, "ofrep": 1} and found["by_app"] == {"web": 3}
    ghost = await usage_of(store, "ghost", NOON - timedelta(hours=1), NOON + timedelta(hours=1))
    assert ghost["total"] == 0


async def test_count_result__single_evaluations__counted_per_flag_variant_environment_and_app(store: SqlStore) -> None:
    # Given a counter, and one shared result of a flag
    usage = Usage(store, clock=Clock(NOON))
    on = evaluation("a", "on")
    # When it is counted twice in production for the web app, once with no environment, and a flag
    # the server does not have is counted too
    usage.count_result(on, {"identifier": "u1", "environment": "production", "app": "web"}, SERVER)
    usage.count_result(on, {"identifier": "u2", "environment": "production", "app": "web"}, SERVER)
    usage.count_result(on, {"identifier": "u3"}, OFREP)
    usage.count_result(flag_not_found("ghost"), {"identifier": "u1"}, SERVER)
    # Then the flag counts three times, apart by environment, app and source; the missing flag not at all
    assert usage.settled_totals() == {("a", "on", "production"): 2, ("a", "on", ""): 1}
    await usage.flush()
    found = await usage_of(store, "a", NOON - timedelta(hours=1), NOON + timedelta(hours=1))
    assert found["by_app"] == {"web": 2, "": 1}
    assert found["by_source"] == {"server": 2, "ofrep": 1}
    assert found["by_environment"] == {"production": 2, "": 1}
    ghost = await usage_of(store, "ghost", NOON - timedelta(hours=1), NOON + timedelta(hours=1))
    assert ghost["total"] == 0


async def test_keep__answer_kept_again_after_serving__earlier_serves_counted_for_earlier_flags(
    store: SqlStore,
) -> None:
    # Given an answer kept and served again twice, under two sources
    usage = Usage(store, clock=Clock(NOON))
    usage.keep(("request",), Answered.of([evaluation("a", "on")], {}))
    usage.count_kept(("request",), SERVER)
    usage.count_kept(("request",), BULK)
    # When the same request is kept again with another answer (a flag changed) and served again once
    usage.keep(("request",), Answered.of([evaluation("a", "off")], {}))
    usage.count_kept(("request",), SERVER)
    # Then the serves before the change count the earlier variant, the one after it the new one
    await usage.flush()
    found = await usage_of(store, "a", NOON - timedelta(hours=1), NOON + timedelta(hours=1))
    assert found["by_variant"] == {"off": 1, "on": 2}
    assert found["by_source"] == {"bulk": 1, "server": 2}
