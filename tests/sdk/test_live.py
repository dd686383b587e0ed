"""The SDK against real `vexil serve` processes on loopback: changes made through the admin API reach
local-evaluation clients, a restart is survived, an unreachable server leaves the last configuration
in place, and a client that never connected answers defaults."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from tests.conftest import ADMIN_ENV, free_port, start_server
from tests.sdk.conftest import Vexil
from tests.sdk.fakes import FAST, await_for, wait_for
from vexil.engine import Reason
from vexil.sdk import AsyncClient, Client, ErrorCode, Evaluation, SyncState

pytestmark = pytest.mark.slow

# How long a change may take to reach a connected client (it takes milliseconds on loopback).
CHANGE_WITHIN = 2.0
# How long a client may take to be back after a server restart (its backoff is FAST's, at most 0.1 s).
RESYNC_WITHIN = 10.0
OPTIONS = dataclasses.replace(FAST, stream_idle_timeout=30.0)


def test_local_client__flag_toggled_through_admin_api__reaches_it(shared_vexil: Vexil) -> None:
    # Given
    shared_vexil.create_flag("live_sync", enabled=True)
    with Client(shared_vexil.url, token=shared_vexil.server_token, mode="local", options=OPTIONS) as client:
        assert client.wait_until_ready(5)
        assert wait_for(lambda: client.state is SyncState.READY)
        seen: list[frozenset[str]] = []
        client.on_change(seen.append)
        assert client.is_enabled("live_sync")
        # When
        started = time.monotonic()
        shared_vexil.toggle("live_sync")
        # Then
        assert wait_for(lambda: not client.is_enabled("live_sync"), CHANGE_WITHIN)
        assert time.monotonic() - started < CHANGE_WITHIN
        assert frozenset({"live_sync"}) in seen
        age = client.config_age
        assert age is not None and age < CHANGE_WITHIN


async def test_async_local_client__flag_toggled_through_admin_api__reaches_it(shared_vexil: Vexil) -> None:
    # Given
    shared_vexil.create_flag("live_async", enabled=True)
    async with AsyncClient(shared_vexil.url, token=shared_vexil.server_token, mode="local", options=OPTIONS) as client:
        assert await client.wait_until_ready(5)
        seen: list[frozenset[str]] = []
        client.on_change(seen.append)
        assert await client.is_enabled("live_async")
        # When
        await asyncio.to_thread(shared_vexil.toggle, "live_async")
        # Then
        assert await await_for(lambda: frozenset({"live_async"}) in seen, CHANGE_WITHIN)
        assert not await client.is_enabled("live_async")


def test_local_client__environment_override_set__reaches_that_environment_only(shared_vexil: Vexil) -> None:
    # Given
    shared_vexil.create_flag("live_env", enabled=True)
    token = shared_vexil.server_token
    with (
        Client(shared_vexil.url, token=token, mode="local", environment="production", options=OPTIONS) as production,
        Client(shared_vexil.url, token=token, mode="local", environment="staging", options=OPTIONS) as staging,
    ):
        assert production.wait_until_ready(5) and staging.wait_until_ready(5)
        changed: list[frozenset[str]] = []
        staging.on_change(changed.append)
        # When
        response = shared_vexil.admin.post(
            "/flags/live_env/environments", json={"environment": "production", "enabled": False}
        )
        response.raise_for_status()
        # Then
        assert wait_for(lambda: production.evaluate("live_env").reason is Reason.DISABLED, CHANGE_WITHIN)
        assert staging.evaluate("live_env").reason is Reason.ENABLED
        doc = production._snapshot.get_doc("live_env") if production._snapshot else None
        assert doc is not None and set(doc["environments"]) == {"production"}


def test_remote_client__live_server__same_answers_as_the_api(shared_vexil: Vexil) -> None:
    # Given
    shared_vexil.create_flag(
        "live_remote", enabled=True, rollout_percentage=0, rules=[{"conditions": [], "serve": "on"}]
    )
    with (
        Client(shared_vexil.url, token=shared_vexil.server_token, options=OPTIONS) as server_side,
        Client(shared_vexil.url, options=OPTIONS) as anonymous,
    ):
        # When
        admin_view = server_side.evaluate("live_remote", {"identifier": "u"})
        client_view = anonymous.evaluate("live_remote", {"identifier": "u"})
        # Then
        assert admin_view == Evaluation("live_remote", True, "on", None, Reason.RULE_MATCH, 0)
        assert client_view == Evaluation("live_remote", True, "on", None, Reason.RULE_MATCH, None)
        assert anonymous.evaluate("live_missing").error_code is ErrorCode.FLAG_NOT_FOUND


def test_local_client__wrong_token__never_ready_and_defaults(shared_vexil: Vexil) -> None:
    # Given
    with Client(shared_vexil.url, token="vx_not_a_token", mode="local", options=OPTIONS) as client:
        # When
        ready = client.wait_until_ready(0.5)
        # Then
        assert not ready
        assert client.is_enabled("live_sync", default=True) is True
        assert client.last_error is not None and "401" in str(client.last_error)


def test_local_client__never_connected__defaults_without_raising() -> None:
    # Given: nothing listens on this port
    url = f"http://127.0.0.1:{free_port()}"
    with (
        Client(url, token="vx_server", mode="local", options=OPTIONS) as client,
        Client(url, options=OPTIONS) as remote,
    ):
        # When
        ready = client.wait_until_ready(0.3)
        # Then
        assert not ready
        assert wait_for(lambda: client.state is SyncState.ERROR)
        assert client.is_enabled("anything", default=True) is True
        assert client.variant("anything", default="control") == "control"
        assert client.payload("anything", default={"limit": 3}) == {"limit": 3}
        assert client.evaluate("anything").error_code is ErrorCode.NOT_READY
        assert client.config_age is None
        assert remote.is_enabled("anything", default=True) is True
        assert remote.evaluate("anything").error_code is ErrorCode.UNREACHABLE


async def test_local_clients__server_down_changed_elsewhere_and_restarted__serve_then_resync(vexil: Vexil) -> None:
    # Given: a sync and an async local client, both current
    vexil.create_flag("resilient", enabled=True)
    token = vexil.server_token
    sync_client = Client(vexil.url, token=token, mode="local", options=OPTIONS)
    async_client = AsyncClient(vexil.url, token=token, mode="local", options=OPTIONS)
    try:
        assert sync_client.wait_until_ready(5) and await async_client.wait_until_ready(5)
        sync_changes: list[frozenset[str]] = []
        sync_client.on_change(sync_changes.append)

        # When: the server goes away
        await asyncio.to_thread(vexil.stop)
        # Then: both keep serving the last configuration
        assert await await_for(lambda: sync_client.state is SyncState.STALE and async_client.state is SyncState.STALE)
        assert sync_client.is_enabled("resilient") and await async_client.is_enabled("resilient")
        await asyncio.sleep(0.3)
        age = sync_client.config_age
        assert age is not None and age >= 0.3

        # When: meanwhile another process changes the data, and the server comes back on its port
        other = await asyncio.to_thread(start_server, vexil.server.data_dir, env=ADMIN_ENV)
        try:
            await asyncio.to_thread(lambda: vexil.admin.post(f"{other.url}/flags/resilient/toggle").raise_for_status())
        finally:
            await asyncio.to_thread(other.stop)
        assert sync_client.is_enabled("resilient")  # still the last configuration it saw
        await asyncio.to_thread(vexil.restart)

        # Then: both fetch what they missed
        assert await await_for(lambda: not sync_client.is_enabled("resilient"), RESYNC_WITHIN)
        assert await _eventually_disabled(async_client, "resilient")
        assert frozenset({"resilient"}) in sync_changes
        assert await await_for(lambda: sync_client.state is SyncState.READY, RESYNC_WITHIN)

        # And: the new process's changes stream to them as before
        await asyncio.to_thread(vexil.toggle, "resilient")
        assert await await_for(lambda: sync_client.is_enabled("resilient"), CHANGE_WITHIN)
        assert await _eventually_enabled(async_client, "resilient")
    finally:
        sync_client.close()
        await async_client.close()


async def _eventually_disabled(client: AsyncClient, name: str) -> bool:
    deadline = time.monotonic() + RESYNC_WITHIN
    while await client.is_enabled(name):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def _eventually_enabled(client: AsyncClient, name: str) -> bool:
    deadline = time.monotonic() + CHANGE_WITHIN
    while not await client.is_enabled(name):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True
