"""Fixtures of the API tests that need a real server process."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.conftest import ADMIN_ENV, LiveServer, admin_client


@pytest.fixture
def server(live_server: Callable[..., LiveServer]) -> LiveServer:
    """A real `vexil serve` whose admin token is ADMIN_TOKEN."""
    return live_server(env=ADMIN_ENV)


@pytest.fixture
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    with admin_client(server) as http:
        yield http
