"""Store contract: opening, closing, durability and the SQLite settings behind it."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import vexil
from vexil.store import SqlStore, StoreUnavailable, sqlite_url

WRITER = """
import asyncio, sys
from vexil.store import SqlStore

async def main(url):
    store = await SqlStore.open(url)
    for i in range(100_000):
        await store.create_flag({"name": f"f{i}"}, actor="writer")
        print(f"f{i}", flush=True)  # acknowledged: create_flag has returned

asyncio.run(main(sys.argv[1]))
"""


async def test_reopen__same_database__data_survives(store: SqlStore, store_url: str) -> None:
    # Given
    await store.create_flag({"name": "f", "environments": {"qa": {"enabled": True}}, "apps": ["web"]}, actor="a")
    await store.create_segment({"name": "s"}, actor="alice")
    await store.create_token(name="t", role="admin", secret_hash="h", prefix="vx", actor="alice")
    state = await store.export_state()
    audit = await store.list_audit()
    await store.close()

    # When
    reopened = await SqlStore.open(store_url)
    try:
        # Then
        assert (await reopened.export_state())["flags"] == state["flags"]
        assert (await reopened.export_state())["environments"] == state["environments"]
        assert await reopened.list_segments() == state["segments"]
        assert await reopened.active_token_hashes() == [("h", "t", "admin", None)]
        assert await reopened.list_audit() == audit
    finally:
        await reopened.close()


async def test_open__two_at_once_on_a_new_database__both_work_and_seed_once(store_url: str) -> None:
    # Given an empty database (the `store` fixture is not used: nothing is opened yet)
    # When
    first, second = await asyncio.gather(SqlStore.open(store_url), SqlStore.open(store_url))

    # Then
    try:
        assert [e["name"] for e in await first.list_environments()] == ["development", "staging", "production"]
        assert await second.list_environments() == await first.list_environments()
    finally:
        await first.close()
        await second.close()


async def test_open__new_sqlite_file_while_another_connection_writes__waits_for_it(tmp_path: Path) -> None:
    # Given a new database file whose write lock another connection holds for a moment (SQLite
    # does not apply its busy timeout to the switch to WAL: the store must wait on its own)
    (tmp_path / "data").mkdir()
    blocker = sqlite3.connect(tmp_path / "data" / "vexil.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    release = asyncio.get_running_loop().call_later(0.2, blocker.execute, "COMMIT")
    try:
        # When
        store = await SqlStore.open(sqlite_url(tmp_path / "data"))
    finally:
        release.cancel()
        blocker.close()

    # Then
    try:
        assert [e["name"] for e in await store.list_environments()] == ["development", "staging", "production"]
        async with store.engine.connect() as connection:
            assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        await store.close()


async def test_ping__open_store__answers(store: SqlStore) -> None:
    # Given an open store / When / Then
    await store.ping()


async def test_open__sqlite__wal_full_sync_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    # Given
    store = await SqlStore.open(sqlite_url(tmp_path / "nested" / "dir"))
    try:
        # When
        async with store.engine.connect() as connection:
            pragmas = {
                name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        await store.close()

    # Then
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 10_000}
    assert (tmp_path / "nested" / "dir" / "vexil.db").is_file()


async def test_open__sqlite_directory_is_a_file__store_unavailable(tmp_path: Path) -> None:
    # Given
    (tmp_path / "taken").write_text("not a directory")

    # When / Then
    with pytest.raises(StoreUnavailable) as raised:
        await SqlStore.open(sqlite_url(tmp_path / "taken" / "data"))
    assert raised.value.__cause__ is not None


@pytest.mark.postgres
async def test_open__postgres_unreachable__store_unavailable() -> None:
    # Given a port nothing listens on / When / Then
    with pytest.raises(StoreUnavailable) as raised:
        await SqlStore.open("postgresql://postgres@127.0.0.1:9/vexil")
    assert raised.value.__cause__ is not None


async def test_create_flag__writer_killed_with_sigkill__every_acknowledged_write_survives(tmp_path: Path) -> None:
    # Given a process writing flags as fast as it can, printing each one once create_flag returned
    url = sqlite_url(tmp_path / "data")
    src = str(Path(vexil.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE, env=env, text=True)
    assert writer.stdout is not None
    acknowledged = [writer.stdout.readline().strip() for _ in range(40)]

    # When
    writer.send_signal(signal.SIGKILL)
    acknowledged += [line.strip() for line in writer.stdout]
    writer.wait(timeout=10)

    # Then
    store = await SqlStore.open(url)
    try:
        stored = {flag["name"] for flag in await store.list_flags()}
    finally:
        await store.close()
    assert "" not in acknowledged
    assert set(acknowledged) <= stored
