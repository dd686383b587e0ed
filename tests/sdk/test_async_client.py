"""`AsyncClient` through `httpx.MockTransport`: the same behaviours as `Client`, in a task of the loop."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from tests.sdk.fakes import END, FAST, FakeVexil, await_for, flag, sse
from vexil.engine import Reason
from vexil.sdk import ERROR, AsyncClient, Client, ErrorCode, Evaluation, SyncState

FLAGS = [flag("beta"), flag("rollout", rollout_percentage=0, allowlist={"vip": "on"})]


@pytest.fixture
def fake() -> Iterator[FakeVexil]:
    service = FakeVexil(FLAGS)
    yield service
    service.closed.set()


def local(fake: FakeVexil, **kwargs: Any) -> AsyncClient:
    options = dataclasses.replace(FAST, transport=fake.async_transport())
    client = AsyncClient("http://vexil", token="server-token", mode="local", options=options, **kwargs)
    fake.end_streams_on_close(client)
    return client


async def test_async_local__first_configuration__ready_and_answers(fake: FakeVexil) -> None:
    # Given
    async with local(fake) as client:
        # When
        ready = await client.wait_until_ready(3)
        # Then
        assert ready
        assert await client.is_enabled("beta") is True
        assert await client.variant("rollout", {"identifier": "vip"}) == "on"
        assert await client.payload("beta", default=7) == 7
        assert await client.evaluate("rollout", {"identifier": "vip"}) == Evaluation(
            "rollout", True, "on", None, Reason.ALLOWLIST
        )
        assert set(await client.evaluate_all()) == {"beta", "rollout"}
        assert await await_for(lambda: client.state is SyncState.READY)


async def test_async_local__flags_event__applied_and_listeners_called(fake: FakeVexil) -> None:
    # Given
    async with local(fake) as client:
        await client.wait_until_ready(3)
        seen: list[frozenset[str]] = []
        client.on_change(seen.append)
        # When
        fake.push(sse("flags", {"flags": {"beta": flag("beta", enabled=False)}, "segments": None}, "e-2"))
        # Then
        assert await await_for(lambda: bool(seen))
        assert seen == [frozenset({"beta"})]
        assert await client.is_enabled("beta") is False


async def test_async_local__stream_ends__resumes_with_etag_and_last_event_id(fake: FakeVexil) -> None:
    # Given
    async with local(fake) as client:
        await client.wait_until_ready(3)
        # When
        fake.push(END)
        # Then
        assert await await_for(lambda: fake.streams_opened >= 2)
        assert fake.paths("/sdk/config")[1].headers["if-none-match"] == '"v1"'
        assert fake.paths("/sdk/stream")[1].headers["last-event-id"] == "e-1"


async def test_async_local__first_evaluation__starts_the_feed(fake: FakeVexil) -> None:
    # Given
    client = local(fake)
    # When
    first = await client.evaluate("beta")
    # Then
    assert first.error_code is ErrorCode.NOT_READY and first.reason == ERROR
    assert await client.wait_until_ready(3)
    assert await client.is_enabled("beta")
    await client.close()


async def test_async_local__service_down__defaults_then_stale_keeps_serving(fake: FakeVexil) -> None:
    # Given
    fake.down = True
    async with local(fake) as client:
        # When
        ready = await client.wait_until_ready(0.1)
        # Then
        assert not ready
        assert await client.is_enabled("beta", default=True) is True
        assert await await_for(lambda: client.state is SyncState.ERROR)
        # And: once it comes up and goes again, the last configuration stays
        fake.down = False
        assert await client.wait_until_ready(3)
        fake.down = True
        fake.push(END)
        assert await await_for(lambda: client.state is SyncState.STALE)
        assert await client.is_enabled("beta") is True


async def test_async_local__close__cancels_the_task(fake: FakeVexil) -> None:
    # Given
    client = local(fake)
    await client.wait_until_ready(3)
    task = client._task
    # When
    await client.close()
    await client.close()
    # Then
    assert task is not None and task.done()
    assert client.state is SyncState.CLOSED
    assert await client.is_enabled("beta")


async def test_async_remote__answers_and_failures(fake: FakeVexil) -> None:
    # Given
    options = dataclasses.replace(FAST, transport=fake.async_transport())
    async with AsyncClient("http://vexil", environment="production", options=options) as client:
        # When
        result = await client.evaluate("rollout", {"identifier": "vip"})
        # Then
        assert result == Evaluation("rollout", True, "on", None, Reason.ALLOWLIST)
        assert orjson.loads(fake.requests[-1].content) == {"identifier": "vip", "environment": "production"}
        assert (await client.evaluate_all())["beta"].active
        fake.down = True
        assert await client.is_enabled("beta", default=True) is True
        assert (await client.evaluate("beta")).error_code is ErrorCode.UNREACHABLE
        assert await client.variant("beta", default="d") == "d"
        assert await client.payload("beta", default=1) == 1
        assert await client.evaluate_all() == {}


def test_clients__wrong_transport_kind__type_error() -> None:
    # Given
    sync_only = httpx.HTTPTransport()
    # When / Then
    with pytest.raises(TypeError):
        AsyncClient("http://vexil", options=dataclasses.replace(FAST, transport=sync_only))
    with pytest.raises(TypeError):
        Client("http://vexil", options=dataclasses.replace(FAST, transport=httpx.AsyncHTTPTransport()))
    sync_only.close()
