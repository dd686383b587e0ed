"""Finding 4: `vexil serve --workers 2` left its workers serving after the master was killed
(kill -9), so that a restart failed with "address already in use". Now a worker shuts down when its
master is gone."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.conftest import ADMIN_ENV, LiveServer, start_server
from tests.hostile.conftest import port_of, wait_until


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc."""
    children: dict[int, set[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), set()).add(int(entry.name))
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), set()):
            found.add(child)
            pending.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    return state != "Z"  # a zombie has exited, and waits for a parent to collect it


def test_workers__master_killed_9__workers_exit_and_a_restart_binds_the_port(
    live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    # Given `vexil serve --workers 2`, serving
    server = live_server("--workers", "2", env=ADMIN_ENV)
    workers = descendants(server.process.pid)
    assert len(workers) >= 2
    assert httpx.get(server.url + "/health").status_code == 200
    # When its master is killed with SIGKILL
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=5)
    # Then every worker exits within a few seconds
    assert wait_until(lambda: not any(alive(pid) for pid in workers), timeout=10), [
        pid for pid in workers if alive(pid)
    ]
    # And a new server starts on the same port
    restarted = start_server(server.data_dir, env=ADMIN_ENV, port=port_of(server))
    try:
        assert httpx.get(restarted.url + "/health").status_code == 200
    finally:
        restarted.stop(signal.SIGKILL)
