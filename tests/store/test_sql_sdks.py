"""`SqlStore.record_sdk_instances` and `list_sdk_instances` (store/_sdks.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vexil.store import InvalidValue, SqlStore
from vexil.store._sdks import COUNT_CEILING

T0 = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
LONG_AGO = T0 - timedelta(days=365)


def seen(instance: str = "i-1", at: datetime = T0, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "app": "shop",
        "instance": instance,
        "environment": None,
        "kind": "server",
        "sdk_name": "unleash-node-sdk",
        "sdk_version": "6.12.2",
        "first_seen": at,
        "last_seen": at,
        "usage": {},
    }
    return base | fields


def usage(yes: int, no: int = 0, **variants: int) -> dict[str, Any]:
    return {"theme": {"yes": yes, "no": no, "variants": variants, "last_seen": "2026-12-04T20:00:00.000000Z"}}


async def test_record_sdk_instances__same_key_again__merged(store: SqlStore) -> None:
    # Given an instance stored once
    await store.record_sdk_instances([seen(usage=usage(1, 2, dark=1))], forget=LONG_AGO)
    # When it is reported again later, with a new SDK version and more counts, and an earlier sighting
    later = seen(at=T0 + timedelta(hours=1), sdk_version="6.13.0", usage=usage(3, 0, dark=1, light=2))
    earlier = seen(at=T0 - timedelta(hours=1), sdk_name=None, sdk_version=None)
    await store.record_sdk_instances([later], forget=LONG_AGO)
    await store.record_sdk_instances([earlier], forget=LONG_AGO)
    # Then one row: the earliest first sighting, the latest last one and SDK, the counts added
    [row] = await store.list_sdk_instances(usage=True)
    assert (row["first_seen"], row["last_seen"]) == ("2026-12-04T19:00:00.000000Z", "2026-12-04T21:00:00.000000Z")
    assert (row["sdk"], row["sdk_version"]) == ("unleash-node-sdk", "6.13.0")
    assert row["usage"]["theme"]["yes"] == 4 and row["usage"]["theme"]["no"] == 2
    assert row["usage"]["theme"]["variants"] == {"dark": 2, "light": 2}


async def test_record_sdk_instances__environments__kept_apart(store: SqlStore) -> None:
    # When one instance id reports in two environments and in none
    batch = [seen(environment="production"), seen(environment="staging"), seen(environment=None)]
    await store.record_sdk_instances(batch, forget=LONG_AGO)
    # Then three instances, the one without an environment listed as null
    rows = await store.list_sdk_instances()
    assert [row["environment"] for row in rows] == [None, "production", "staging"]
    assert "usage" not in rows[0]


async def test_record_sdk_instances__counts__stop_at_the_ceiling(store: SqlStore) -> None:
    # Given counts near the ceiling
    await store.record_sdk_instances([seen(usage=usage(COUNT_CEILING - 1))], forget=LONG_AGO)
    # When more are added
    await store.record_sdk_instances([seen(usage=usage(10))], forget=LONG_AGO)
    # Then they stop at it instead of outgrowing what JSON readers hold
    [row] = await store.list_sdk_instances(usage=True)
    assert row["usage"]["theme"]["yes"] == COUNT_CEILING


async def test_record_sdk_instances__forget__deletes_the_silent_ones(store: SqlStore) -> None:
    # Given an instance last seen a week ago and one seen now
    await store.record_sdk_instances([seen("old", at=T0 - timedelta(days=7))], forget=LONG_AGO)
    # When a batch is recorded with a cutoff of a day ago
    await store.record_sdk_instances([seen("new")], forget=T0 - timedelta(days=1))
    # Then the old one is gone
    assert [row["instance"] for row in await store.list_sdk_instances()] == ["new"]


async def test_record_sdk_instances__unstorable_text__refused_before_sql(store: SqlStore) -> None:
    # When
    with pytest.raises(InvalidValue) as refused:
        await store.record_sdk_instances([seen("bad\x00id")], forget=LONG_AGO)
    # Then
    assert str(refused.value).startswith("instance: ")
    assert await store.list_sdk_instances() == []


async def test_record_sdk_instances__two_stores_at_once__nothing_lost(store: SqlStore, store_url: str) -> None:
    # Given a second store on the same database (another replica)
    other = await SqlStore.open(store_url)
    try:
        # When both flush the same instances at the same time, many times
        batches = [[seen(f"i-{n}", usage=usage(1)) for n in range(20)] for _ in range(10)]
        await asyncio.gather(
            *(target.record_sdk_instances(batch, forget=LONG_AGO) for batch in batches for target in (store, other))
        )
    finally:
        await other.close()
    # Then every count arrived
    rows = await store.list_sdk_instances(usage=True)
    assert len(rows) == 20
    assert {row["usage"]["theme"]["yes"] for row in rows} == {20}
