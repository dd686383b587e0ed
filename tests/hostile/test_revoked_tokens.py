"""Revoking (or narrowing) a token ends the streams opened with it, within a second, on every
replica: each stream keeps the principal it was opened with, and is checked again whenever the
token cache changes. Anonymous streams on an open server, and the bootstrap admin token's, go on."""

from __future__ import annotations

import asyncio
import queue
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import orjson
import pytest

from tests.api.sse import CLOSED, Event, SseStream
from tests.bus.harness import RedisServer, start_replicas, stop_all
from tests.conftest import ADMIN, ADMIN_ENV, LiveServer, ok
from tests.postgres import create_database, drop_database
from vexil.core.auth import Principal, Role, TokenCache, hash_secret
from vexil.core.changes import ChangeHub
from vexil.core.streams import RETRY, ClientStream, SdkStream, Streams
from vexil.engine import Snapshot

REVOKED = {"error": "the token was revoked"}


def token(server: LiveServer, name: str, role: str) -> str:
    secret: str = ok(httpx.post(f"{server.url}/tokens", json={"name": name, "role": role}, headers=ADMIN))["token"]
    return secret


def revoke(server: LiveServer, name: str) -> None:
    ok(httpx.delete(f"{server.url}/tokens/{name}", headers=ADMIN))


def ending(stream: SseStream, timeout: float) -> list[Event]:
    """The events until the stream ends (flag data skipped); fails the test unless it ends within `timeout`."""
    started = time.monotonic()
    events: list[Event] = []
    while True:
        try:
            event = stream.next(max(0.0, timeout - (time.monotonic() - started)))
        except queue.Empty:
            pytest.fail(f"the stream did not end within {timeout} s; got {events}")
        if event is CLOSED:
            return events
        if event.event not in {"snapshot", "config", "update", "flags"}:
            events.append(event)


def opened(stream: SseStream) -> Event:
    """The first data event of a stream that was let in."""
    assert stream.response.status_code == 200, stream.response.read()
    return stream.next_data()


# --- one server ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_revoke__client_and_server_tokens_with_streams_open__both_end_within_a_second(
    live_server: Callable[..., LiveServer],
) -> None:
    # Given an open server, a client stream with a client token (?token=) and an SDK stream with a
    # server token, and the streams nothing should end: anonymous, and the bootstrap admin token's
    server = live_server(env=ADMIN_ENV)
    ok(httpx.post(f"{server.url}/flags", json={"name": "beta", "enabled": True}, headers=ADMIN))
    browser = token(server, "web", "client")
    backend = token(server, "backend", "server")
    with (
        SseStream(f"{server.url}/stream?identifier=u1&token={browser}") as client_stream,
        SseStream(f"{server.url}/sdk/stream", headers={"Authorization": f"Bearer {backend}"}) as sdk_stream,
        SseStream(f"{server.url}/stream?identifier=u2") as anonymous,
        SseStream(f"{server.url}/sdk/stream", headers=ADMIN) as bootstrap,
    ):
        for stream in (client_stream, sdk_stream, anonymous, bootstrap):
            opened(stream)
        # When both tokens are revoked
        revoke(server, "web")
        client_events = ending(client_stream, 1.0)
        revoke(server, "backend")
        sdk_events = ending(sdk_stream, 1.0)
        # Then each stream got an `error` event saying why, then the end of its body, within a second
        assert [(e.event, e.data) for e in client_events] == [("error", REVOKED)]
        assert [(e.event, e.data) for e in sdk_events] == [("error", REVOKED)]
        # And the anonymous and bootstrap-admin streams go on, and still get changes
        ok(httpx.post(f"{server.url}/flags/beta/toggle", headers=ADMIN))
        assert anonymous.next_data().event == "update"
        assert bootstrap.next_data().event == "flags"
    # And the revoked tokens open no new stream
    assert httpx.get(f"{server.url}/stream?token={browser}", timeout=5).status_code == 401
    assert httpx.get(f"{server.url}/sdk/stream", headers={"Authorization": f"Bearer {backend}"}).status_code == 401


@pytest.mark.slow
def test_revoke__first_start_admin_token__its_streams_end(live_server: Callable[..., LiveServer]) -> None:
    # Given a server started without VEXIL_ADMIN_TOKEN (its admin token was created on first start),
    # a second admin token, and an SDK stream opened with the first one
    server = live_server()
    first = (server.data_dir / "admin-token").read_text().strip()
    first_admin = {"Authorization": f"Bearer {first}"}
    other = ok(httpx.post(f"{server.url}/tokens", json={"name": "ops", "role": "admin"}, headers=first_admin))
    with SseStream(f"{server.url}/sdk/stream", headers=first_admin) as stream:
        opened(stream)
        # When the other admin revokes it
        ok(httpx.delete(f"{server.url}/tokens/admin", headers={"Authorization": f"Bearer {other['token']}"}))
        events = ending(stream, 1.0)
    # Then its stream ended too
    assert [(e.event, e.data) for e in events] == [("error", REVOKED)]


@pytest.mark.slow
def test_revoke__client_tokens_required__header_token_stream_ends(live_server: Callable[..., LiveServer]) -> None:
    # Given a server that requires client tokens, and a POST /stream with the token in a header
    server = live_server(env={**ADMIN_ENV, "VEXIL_REQUIRE_CLIENT_TOKEN": "1"})
    secret = token(server, "app", "client")
    with SseStream(
        f"{server.url}/stream", method="POST", json={"identifier": "u1"}, headers={"Authorization": f"Bearer {secret}"}
    ) as stream:
        opened(stream)
        # When the token is revoked
        revoke(server, "app")
        events = ending(stream, 1.0)
    # Then the stream ends with the reason
    assert [(e.event, e.data) for e in events] == [("error", REVOKED)]


# --- the stream itself, in process ----------------------------------------------------------------------


def fake_service() -> Any:
    return SimpleNamespace(
        snapshot=Snapshot([{"name": "beta", "enabled": True}]), hub=ChangeHub(), segments=[], tokens=TokenCache()
    )


def principal_of(tokens: TokenCache, secret: str, role: Role) -> Principal:
    return tokens.require(secret, role)


async def test_token_narrowed__streams_open__server_stream_ends_with_the_reason_client_stream_goes_on() -> None:
    # Given a token with the server role, and a client stream and an SDK stream opened with it
    service = fake_service()
    service.tokens.replace([(hash_secret("vx_s"), "backend", "server", None)])
    streams = Streams(service)
    principal = principal_of(service.tokens, "vx_s", Role.SERVER)
    sdk = SdkStream(streams, None, last_event_id=None, principal=principal)
    client = ClientStream(streams, {"identifier": "u1"}, flags=None, last_event_id=None, principal=principal)
    sdk.open()
    client.open()
    # When the cache is rebuilt with that token narrowed to the client role
    service.tokens.replace([(hash_secret("vx_s"), "backend", "client", None)])
    # Then the SDK stream says why and ends; the client stream, which needs no more, goes on
    assert sdk.waiter() is None
    assert sdk.take() == b'event: error\ndata: {"error":"the token no longer has the server role"}\n\n'
    assert sdk.waiter() is None and sdk.take() is None
    assert client.waiter() is not None
    await streams.stop()


async def test_stream_opened__token_revoked_since_authenticated__only_the_reason_is_sent() -> None:
    # Given a stream authenticated with a token that was revoked before the stream opened
    service = fake_service()
    service.tokens.replace([(hash_secret("vx_c"), "web", "client", None)])
    principal = principal_of(service.tokens, "vx_c", Role.CLIENT)
    service.tokens.replace([])
    streams = Streams(service)
    stream = ClientStream(streams, {"identifier": "u1"}, flags=None, last_event_id=None, principal=principal)
    # When it opens
    first = stream.open()
    # Then no flag is sent: the retry line, the reason, and the end
    assert first == RETRY
    assert stream.take() == b'event: error\ndata: {"error":"the token was revoked"}\n\n'
    assert stream.take() is None
    await streams.stop()


async def test_token_cache__rebuilt_unchanged__listeners_not_called() -> None:
    # Given a token cache with a listener
    tokens = TokenCache()
    calls: list[None] = []
    unsubscribe = tokens.subscribe(lambda: calls.append(None))
    # When it is rebuilt with the same tokens twice, then with one more, then after unsubscribing
    tokens.replace([(hash_secret("vx_a"), "a", "client", None)])
    tokens.replace([(hash_secret("vx_a"), "a", "client", None)])
    tokens.replace([(hash_secret("vx_a"), "a", "client", None), (hash_secret("vx_b"), "b", "admin", None)])
    unsubscribe()
    tokens.replace([])
    # Then only the rebuilds that changed something called it
    assert len(calls) == 2


async def test_stream__listener_fails__stream_ends_with_the_reason_and_the_change_goes_on() -> None:
    # Given a stream whose reaction to changes fails, and another listener after it
    service = fake_service()
    streams = Streams(service)

    class Failing(ClientStream):
        __slots__ = ()

        def on_change(self, seq: int, names: frozenset[str]) -> None:
            raise ValueError("cannot encode")

    stream = Failing(streams, {"identifier": "u1"}, flags=None, last_event_id=None)
    stream.open()
    stream.take()
    others: list[frozenset[str]] = []
    service.hub.subscribe(lambda seq, names: others.append(names))
    # When a change is published
    service.hub.publish(["beta"])
    # Then the failing stream ends with a reason, and the other listener got the change
    assert others == [{"beta"}]
    farewell = stream.take()
    assert farewell is not None and orjson.loads(farewell.split(b"data: ")[1]) == {
        "error": "the server could not prepare an update; reconnect"
    }
    assert stream.take() is None
    await streams.stop()


# --- two replicas --------------------------------------------------------------------------------------


@pytest.fixture
def database() -> Iterator[str]:
    url = asyncio.run(create_database())
    yield url
    asyncio.run(drop_database(url))


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_revoke_on_replica_a__streams_on_replica_b_end_within_two_seconds(database: str, tmp_path: Path) -> None:
    # Given two replicas on one PostgreSQL and one Redis, tokens made on A, and streams open on B
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    env = {"VEXIL_DATABASE_URL": database, "VEXIL_REDIS_URL": redis.url, "VEXIL_SYNC_INTERVAL": "5"}
    a, b = start_replicas(tmp_path, 2, env)
    try:
        deadline = time.monotonic() + 10
        while not all(httpx.get(f"{r.url}/health").json()["bus"] == "redis: ok" for r in (a, b)):
            assert time.monotonic() < deadline, "the replicas did not join the bus"
            time.sleep(0.05)
        browser = token(a, "web", "client")
        backend = token(a, "backend", "server")
        deadline = time.monotonic() + 5
        while httpx.get(f"{b.url}/sdk/config", headers={"Authorization": f"Bearer {backend}"}).status_code != 200:
            assert time.monotonic() < deadline, "B never accepted the token made on A"
            time.sleep(0.02)
        with (
            SseStream(f"{b.url}/stream?identifier=u1&token={browser}") as client_stream,
            SseStream(f"{b.url}/sdk/stream", headers={"Authorization": f"Bearer {backend}"}) as sdk_stream,
        ):
            opened(client_stream)
            opened(sdk_stream)
            # When both tokens are revoked on A
            revoke(a, "web")
            revoke(a, "backend")
            # Then both streams on B end with the reason, within two seconds (the bus, not the 5 s check)
            client_events = ending(client_stream, 2.0)
            sdk_events = ending(sdk_stream, 2.0)
        assert [(e.event, e.data) for e in client_events] == [("error", REVOKED)]
        assert [(e.event, e.data) for e in sdk_events] == [("error", REVOKED)]
    finally:
        stop_all([a, b])
        redis.kill()
