"""The SQLite files and their directory: readable by their owner only, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from vexil.store import SqlStore, private_directory, sqlite_url

COMPANIONS = ("vexil.db", "vexil.db-wal", "vexil.db-shm")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask while the test runs: files would be created 0666, directories 0777."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("open_umask")
async def test_open__new_database_under_umask_0__files_0600_directory_0700(tmp_path: Path) -> None:
    # Given
    data_dir = tmp_path / "data"

    # When
    store = await SqlStore.open(sqlite_url(data_dir))
    try:
        await store.create_flag({"name": "f"}, actor="alice")

        # Then
        assert mode(data_dir) == 0o700
        assert {name: mode(data_dir / name) for name in COMPANIONS} == dict.fromkeys(COMPANIONS, 0o600)
    finally:
        await store.close()


async def test_open__existing_files_world_readable__tightened_to_0600(tmp_path: Path) -> None:
    # Given a database written once, then opened up to everyone (as an older version left it)
    data_dir = tmp_path / "data"
    store = await SqlStore.open(sqlite_url(data_dir))
    await store.create_flag({"name": "f"}, actor="alice")
    await store.close()
    (data_dir / "vexil.db-wal").touch()
    (data_dir / "vexil.db-shm").touch()
    for name in COMPANIONS:
        os.chmod(data_dir / name, 0o644)

    # When
    store = await SqlStore.open(sqlite_url(data_dir))
    try:
        # Then
        assert {name: mode(data_dir / name) for name in COMPANIONS} == dict.fromkeys(COMPANIONS, 0o600)
        assert [f["name"] for f in await store.list_flags()] == ["f"]
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(0o2775, 0o2700, id="open-to-the-group-tightened"),
        pytest.param(0o1777, 0o1777, id="shared-like-tmp-left-alone"),
    ],
)
def test_private_directory__existing_directory__others_bits_removed_unless_shared(
    tmp_path: Path, before: int, after: int
) -> None:
    # Given
    directory = tmp_path / "data"
    directory.mkdir()
    os.chmod(directory, before)

    # When
    private_directory(directory)

    # Then
    assert mode(directory) == after
