"""The CLI against a real server: a `vexil serve` process per test session (per xdist worker),
driven through `CliRunner` (and, where exit codes and stderr matter, the real console script)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from .harness import ServerProcess, Vexil, start_server


@pytest.fixture(scope="session")
def vexil_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server shared by this worker's tests; each test uses its own flag names."""
    server = start_server(tmp_path_factory.mktemp("shared") / "data")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def private_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of its own, for tests that replace the whole state (import)."""
    server = start_server(tmp_path_factory.mktemp("private") / "data")
    yield server
    server.stop()


@pytest.fixture
def vexil(vexil_server: ServerProcess) -> Vexil:
    return Vexil(vexil_server.url, vexil_server.token)


@pytest.fixture
def new_name() -> Callable[[str], str]:
    """Unique names (`new_name("checkout")` -> `checkout-3f9a...`): tests run in parallel on shared servers."""

    def make(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:12]}"

    return make


@pytest.fixture
def flag(vexil: Vexil, new_name: Callable[[str], str]) -> str:
    """A new boolean flag, off."""
    name = new_name("flag")
    vexil.ok("flag", "create", name)
    return name
