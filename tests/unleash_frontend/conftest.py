"""Fixtures of the Unleash frontend and connected-SDK tests: a real `vexil serve` process, tokens,
and the real third-party clients driven unmodified (Node scripts under tests/node/)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, ADMIN_ENV, LiveServer, ok, start_server

NODE_DIR = Path(__file__).parents[1] / "node"


@dataclass
class Vexil:
    """A live server, with an admin client and a way to make tokens."""

    server: LiveServer
    http: httpx.Client

    def token(self, name: str, role: str, environment: str | None = None) -> str:
        body = {"name": name, "role": role} | ({"environment": environment} if environment else {})
        secret: str = ok(self.http.post("/tokens", json=body))["token"]
        return secret

    def flag(self, name: str, **fields: Any) -> dict[str, Any]:
        created: dict[str, Any] = ok(self.http.post("/flags", json={"name": name, **fields}))
        return created


@pytest.fixture
def vexil(live_server: Callable[..., LiveServer]) -> Iterator[Vexil]:
    server = live_server(env=ADMIN_ENV)
    with httpx.Client(base_url=server.url, headers=ADMIN, timeout=10) as http:
        yield Vexil(server, http)


@pytest.fixture(scope="module")
def shared_vexil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vexil]:
    """One server for a module's tests that change nothing (refusals)."""
    server = start_server(tmp_path_factory.mktemp("shared") / "data", env=ADMIN_ENV)
    try:
        with httpx.Client(base_url=server.url, headers=ADMIN, timeout=10) as http:
            yield Vexil(server, http)
    finally:
        server.stop(signal.SIGKILL)


def node() -> str:
    """The `node` executable; a missing one fails the test (never a skip: CI must run these)."""
    found = shutil.which("node")
    assert found is not None, "node is not installed: the third-party JavaScript clients cannot run"
    assert (NODE_DIR / "node_modules" / "unleash-proxy-client").is_dir(), (
        "run `make tests/node/node_modules/.installed`"
    )
    return found


def run_node(script: str, job: dict[str, Any], timeout: float = 120) -> list[Any]:
    """Run `tests/node/<script>` with `job` as its first stdin line; its JSON output lines."""
    done = subprocess.run(
        [node(), script], cwd=NODE_DIR, input=json.dumps(job) + "\n", capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{script} failed ({done.returncode}):\n{done.stderr}\n{done.stdout}"
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


class NodeSession:
    """A Node script kept running, for a conversation: it prints a JSON line, the test acts, says so."""

    def __init__(self, script: str, job: dict[str, Any]) -> None:
        self.process = subprocess.Popen(
            [node(), script],
            cwd=NODE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.say(json.dumps(job))

    def say(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def read(self) -> Any:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=10)
            assert self.process.stderr is not None
            raise AssertionError(f"the script ended ({self.process.returncode}): {self.process.stderr.read()}")
        return json.loads(line)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
