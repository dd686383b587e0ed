"""`SdkRegistry` (core/sdks.py) on SQLite and PostgreSQL: reports kept in memory until a flush, merged
by replicas into one list, forgotten after the retention, and bounded whoever reports. Time comes
from a clock the tests move: nothing sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vexil.core.sdks import FRONTEND, SERVER, SdkLimits, SdkRegistry
from vexil.engine import Snapshot
from vexil.store import SqlStore
from vexil.unleash.usage import SdkReport, ToggleCount

START = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
SNAPSHOT = Snapshot(
    flags=[
        {"name": "theme", "enabled": True, "variants": [{"name": "dark", "weight": 1}, {"name": "light", "weight": 1}]},
        *({"name": f"flag-{i}", "enabled": True} for i in range(5)),
    ]
)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def move(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def registry(store: SqlStore, clock: Clock, limits: SdkLimits | None = None) -> SdkRegistry:
    return SdkRegistry(store, lambda: SNAPSHOT, clock=clock, limits=limits)


def report(app: str = "shop", instance: str = "i-1", toggles: dict[str, ToggleCount] | None = None) -> SdkReport:
    return SdkReport(app, instance, "unleash-node-sdk", "6.12.2", None, toggles or {})


async def test_registry__record__kept_in_memory_until_flushed(store: SqlStore) -> None:
    # Given
    clock = Clock()
    sdks = registry(store, clock)
    # When an SDK reports, and later the registry flushes
    sdks.record(
        report(toggles={"theme": ToggleCount(2, 1, {"dark": 2})}), kind=SERVER, environment="production", caller="t"
    )
    before = await store.list_sdk_instances()
    clock.move(seconds=5)
    written = await sdks.flush()
    # Then nothing reached the store before the flush, and everything after it
    assert (before, written, len(sdks)) == ([], 1, 0)
    [row] = await store.list_sdk_instances(usage=True)
    assert row == {
        "app": "shop",
        "instance": "i-1",
        "environment": "production",
        "kind": "server",
        "sdk": "unleash-node-sdk",
        "sdk_version": "6.12.2",
        "first_seen": "2026-12-04T20:00:00.000000Z",
        "last_seen": "2026-12-04T20:00:00.000000Z",
        "flags": 1,
        "usage": {"theme": {"yes": 2, "no": 1, "variants": {"dark": 2}, "last_seen": "2026-12-04T20:00:00.000000Z"}},
    }


async def test_registry__two_replicas__one_merged_list(store: SqlStore) -> None:
    # Given two replicas on one database, each with its own memory
    clock = Clock()
    first, second = registry(store, clock), registry(store, clock)
    # When the same instance reports to both, at different times, and both flush
    first.record(report(toggles={"theme": ToggleCount(1, 0, {"dark": 1})}), kind=SERVER, environment=None, caller="t")
    clock.move(minutes=1)
    upgraded = SdkReport("shop", "i-1", "unleash-node-sdk", "6.13.0", None, {"theme": ToggleCount(0, 2, {"light": 2})})
    second.record(upgraded, kind=SERVER, environment=None, caller="t")
    second.record(report("shop", "i-2"), kind=SERVER, environment=None, caller="t")
    await second.flush()
    await first.flush()
    # Then one list: counts added, the first and last sightings kept, the latest SDK version
    rows = await second.instances(usage=True)
    assert [(r["instance"], r["sdk_version"], r["first_seen"][11:19], r["last_seen"][11:19]) for r in rows] == [
        ("i-1", "6.13.0", "20:00:00", "20:01:00"),
        ("i-2", "6.12.2", "20:01:00", "20:01:00"),
    ]
    assert rows[0]["usage"]["theme"] == {
        "yes": 1,
        "no": 2,
        "variants": {"dark": 1, "light": 2},
        "last_seen": "2026-12-04T20:01:00.000000Z",
    }


async def test_registry__restarted__lists_what_was_flushed_at_stop(store_url: str) -> None:
    # Given a registry that recorded, then stopped with its server
    clock = Clock()
    store = await SqlStore.open(store_url)
    sdks = registry(store, clock)
    sdks.start()
    sdks.record(report(), kind=FRONTEND, environment="staging", caller="t")
    await sdks.stop()
    await store.close()
    # When a new server opens the same database
    reopened = await SqlStore.open(store_url)
    try:
        rows = await registry(reopened, clock).instances()
    finally:
        await reopened.close()
    # Then it lists the instance
    assert [(r["app"], r["kind"], r["environment"]) for r in rows] == [("shop", "frontend", "staging")]


async def test_registry__not_seen_for_the_retention__forgotten(store: SqlStore) -> None:
    # Given an instance seen once, and another that keeps reporting
    clock = Clock()
    sdks = registry(store, clock)
    sdks.record(report(instance="gone"), kind=SERVER, environment=None, caller="t")
    await sdks.flush()
    # When more than the retention (7 days) passes before the next flush
    clock.move(days=7, seconds=1)
    sdks.record(report(instance="alive"), kind=SERVER, environment=None, caller="t")
    await sdks.flush()
    # Then the silent one is gone
    assert [row["instance"] for row in await store.list_sdk_instances()] == ["alive"]


async def test_registry__bounds__instances_callers_flags_and_unknown_names_dropped(store: SqlStore) -> None:
    # Given small bounds
    sdks = registry(store, Clock(), SdkLimits(instances=3, instances_per_caller=2, flags_per_instance=2))
    counts = ToggleCount(1, 0, {"dark": 1, "sepia": 5, "disabled": 1})
    many = dict.fromkeys(("theme", "ghost", "flag-0", "flag-1", "flag-2"), counts)
    # When one caller reports three instances, another two, and one instance many flags
    kept = [
        sdks.record(report(instance="a", toggles=many), kind=SERVER, environment=None, caller="one"),
        sdks.record(report(instance="b"), kind=SERVER, environment=None, caller="one"),
        sdks.record(report(instance="c"), kind=SERVER, environment=None, caller="one"),
        sdks.record(report(instance="d"), kind=SERVER, environment=None, caller="two"),
        sdks.record(report(instance="e"), kind=SERVER, environment=None, caller="two"),
        sdks.record(report(instance="a"), kind=SERVER, environment=None, caller="two"),
    ]
    # Then a caller keeps at most two new instances, all callers three; an instance two flags, only
    # flags this server has, and only their variants (and `disabled`)
    assert kept == [True, True, False, True, False, True]
    assert sdks.dropped == 2 + 2  # instances c and e; flags flag-1 and flag-2 (ghost is no flag at all)
    rows = await sdks.instances(usage=True)
    assert [row["instance"] for row in rows] == ["a", "b", "d"]
    assert rows[0]["usage"] == {
        "theme": {
            "yes": 1,
            "no": 0,
            "variants": {"dark": 1, "disabled": 1},
            "last_seen": "2026-12-04T20:00:00.000000Z",
        },
        "flag-0": {"yes": 1, "no": 0, "variants": {"disabled": 1}, "last_seen": "2026-12-04T20:00:00.000000Z"},
    }
    # and after the flush each caller may report new instances again
    assert sdks.record(report(instance="f"), kind=SERVER, environment=None, caller="one")
