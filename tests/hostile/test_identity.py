"""Who did what: a token cannot pass itself off as the admin token or as Vexil in the audit log; and
the files that hold everything are their owner's only, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN, ADMIN_ENV, LiveServer, admin_client, ok


@pytest.mark.parametrize(
    ("name", "whose"),
    [("admin", "the configured admin token's"), ("vexil", "Vexil's own")],
)
async def test_create_token__reserved_name__400_saying_why(client: httpx.AsyncClient, name: str, whose: str) -> None:
    # Given / When
    response = await client.post("/tokens", json={"name": name, "role": "client"}, headers=ADMIN)

    # Then
    assert response.status_code == 400
    assert response.json()["error"] == (
        f"name: {name!r} is reserved (it is {whose} name in the audit log, which must tell them apart); "
        "choose another name"
    )
    assert ok(await client.get("/tokens", headers=ADMIN))["tokens"] == []


async def test_create_token__name_only_like_a_reserved_one__created(client: httpx.AsyncClient) -> None:
    # Given / When
    created = [
        await client.post("/tokens", json={"name": n, "role": "client"}, headers=ADMIN) for n in ("admin2", "vexil-ci")
    ]

    # Then
    assert [r.status_code for r in created] == [201, 201]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_serve__umask_0__data_directory_0700_database_files_0600(live_server: Callable[..., LiveServer]) -> None:
    # Given a server started (and written to) under the most permissive umask
    previous = os.umask(0)
    try:
        server = live_server(env=ADMIN_ENV)
    finally:
        os.umask(previous)
    with admin_client(server) as http:
        ok(http.post("/flags", json={"name": "f"}))

    # When
    modes = {path.name: _mode(path) for path in server.data_dir.iterdir()}

    # Then
    assert _mode(server.data_dir) == 0o700
    assert modes == {"vexil.db": 0o600, "vexil.db-wal": 0o600, "vexil.db-shm": 0o600}


def test_serve__existing_data_directory_open_to_all__tightened_on_start(
    live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    # Given a data directory and database left open to everyone by an earlier run
    data_dir = tmp_path / "data"
    first = live_server(env=ADMIN_ENV, data_dir=data_dir)
    first.stop()
    os.chmod(data_dir, 0o755)
    for path in data_dir.iterdir():
        os.chmod(path, 0o644)

    # When
    live_server(env={}, data_dir=data_dir)

    # Then
    assert _mode(data_dir) == 0o700
    assert {path.name: _mode(path) for path in data_dir.iterdir()} == {
        "vexil.db": 0o600,
        "vexil.db-wal": 0o600,
        "vexil.db-shm": 0o600,
        "admin-token": 0o600,
    }
