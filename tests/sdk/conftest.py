"""Real Vexil servers for the SDK: started with an admin token, with a server token for local evaluation."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, ADMIN_ENV, LiveServer, start_server


@dataclass
class Vexil:
    """A running server, its admin API, and a server token for the SDK."""

    server: LiveServer
    admin: httpx.Client
    server_token: str = ""
    env: dict[str, str] = field(default_factory=dict)  # the server's settings beyond the admin token
    _stopped: list[LiveServer] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def create_flag(self, name: str, **fields: Any) -> dict[str, Any]:
        response = self.admin.post("/flags", json={"name": name, **fields})
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def toggle(self, name: str) -> None:
        self.admin.post(f"/flags/{name}/toggle").raise_for_status()

    def stop(self) -> None:
        self.server.stop()
        self._stopped.append(self.server)

    def restart(self) -> None:
        """A new process on the same port and data directory (the old one must be stopped)."""
        port = int(self.url.rsplit(":", 1)[1])
        self.server = start_server(self.server.data_dir, env={**ADMIN_ENV, **self.env}, port=port)
        self.admin.close()
        self.admin = httpx.Client(base_url=self.url, headers=ADMIN, timeout=10)

    def close(self) -> None:
        self.admin.close()
        for server in [*self._stopped, self.server]:
            server.stop(signal.SIGKILL)


def start_vexil(data_dir: Path, env: dict[str, str] | None = None) -> Vexil:
    server = start_server(data_dir, env={**ADMIN_ENV, **(env or {})})
    vexil = Vexil(server, httpx.Client(base_url=server.url, headers=ADMIN, timeout=10), env=env or {})
    response = vexil.admin.post("/tokens", json={"name": "sdk", "role": "server"})
    response.raise_for_status()
    vexil.server_token = response.json()["token"]
    return vexil


@pytest.fixture
def vexil(tmp_path: Path) -> Iterator[Vexil]:
    """A fresh server for one test (for tests that stop or restart it)."""
    started = start_vexil(tmp_path / "data")
    yield started
    started.close()


@pytest.fixture(scope="module")
def shared_vexil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vexil]:
    """One server for a module's tests that leave it running (each uses its own flag names)."""
    started = start_vexil(tmp_path_factory.mktemp("vexil") / "data")
    yield started
    started.close()
