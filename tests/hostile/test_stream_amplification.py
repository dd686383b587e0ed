"""Finding 2: anonymous amplification through `POST /stream`.

A 1 MiB body listing 95,000 flag names held about 35 MB per stream; 100 such streams took the
server to 3.3 GB. Now an anonymous or client body is at most 64 KiB, a `flags` list at most 1,000
different names (unknown ones keep no result), a context is bounded (api/context.py), and all
open streams together are held within VEXIL_STREAM_MEMORY_MB: a new stream past it is refused with
503 and Retry-After, and no open stream is dropped.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable

import httpx

from tests.api.sse import SseStream
from tests.conftest import ADMIN_ENV, LiveServer, admin_client, ok
from tests.hostile.conftest import (
    MIB,
    connect,
    create_flag,
    first_response,
    memory,
    read_until,
    request_head,
    response_head,
)


def _open_stream(server: LiveServer, body: bytes) -> tuple[socket.socket, int, dict[str, str]]:
    """A `POST /stream` on a socket of its own: the socket, the status and the headers."""
    sock = connect(server)
    sock.sendall(request_head("POST", "/stream", length=len(body)) + body)
    status, headers, _ = response_head(sock)
    return sock, status, headers


def test_stream__100_anonymous_bodies_of_95000_names__refused_and_server_rss_bounded(
    live_server: Callable[..., LiveServer],
) -> None:
    # Given a server, and the body of the finding: 95,000 flag names in under 1 MiB
    server = live_server(env=ADMIN_ENV)
    body = json.dumps({"identifier": "u", "flags": [f"f{i}" for i in range(95_000)]}).encode()
    assert len(body) < MIB
    peak_before = memory(server)["VmHWM"]
    # When 100 anonymous clients send it to POST /stream, each on its own connection
    sockets = []
    for _ in range(100):
        sock = connect(server)
        sock.sendall(request_head("POST", "/stream", length=len(body)) + body)
        sockets.append(sock)
    statuses = [first_response(sock)[0] for sock in sockets]
    for sock in sockets:
        sock.close()
    # Then every one is refused as too large, and the server's peak memory hardly moved
    assert statuses == [413] * 100
    assert memory(server)["VmHWM"] - peak_before < 20 * MIB


def test_stream__100_of_the_largest_allowed_requests__served_and_server_rss_bounded(
    live_server: Callable[..., LiveServer],
) -> None:
    # Given a server with a flag, and the most one anonymous stream may ask for: 1,000 names
    # (999 of them no flag) and a context near its bounds, under 64 KiB
    server = live_server(env=ADMIN_ENV)
    create_flag(server, "real")
    names = ["real", *(f"ghost-flag-{i:05d}" for i in range(999))]
    attributes = {f"a{i}": "v" * 40 for i in range(400)}
    body = json.dumps({"identifier": "u", "flags": names, "attributes": attributes}).encode()
    assert len(body) < 64 * 1024
    before = memory(server)["VmRSS"]
    # When 100 anonymous clients open such a stream
    opened = [_open_stream(server, body) for _ in range(100)]
    # Then each is served, and the 100 together hold less than 40 MB (under 400 KB a stream)
    assert {status for _, status, _ in opened} == {200}
    assert memory(server)["VmRSS"] - before < 40 * MIB
    for sock, _, _ in opened:
        sock.close()
    # And past the bounds, the request is refused in plain words
    too_many = json.dumps({"flags": [f"f{i}" for i in range(1001)]})
    refused = httpx.post(server.url + "/stream", content=too_many)
    assert (refused.status_code, refused.json()) == (
        400,
        {"error": "flags: list at most 1000 different names, or leave it out for every flag"},
    )
    # And a name given many times counts once
    with SseStream(f"{server.url}/stream", method="POST", json={"flags": ["real"] * 5000}) as stream:
        assert stream.next_data().flags == {
            "real": {"active": True, "variant": "on", "payload": None, "reason": "enabled"}
        }


def test_streams__past_their_memory__new_stream_503_with_retry_after_and_open_ones_kept(
    live_server: Callable[..., LiveServer],
) -> None:
    # Given a server whose streams may hold 1 MiB together (about 60 streams), and a flag
    server = live_server(env={**ADMIN_ENV, "VEXIL_STREAM_MEMORY_MB": "1"})
    create_flag(server, "watched")
    body = json.dumps({"identifier": "u", "attributes": {"plan": "pro"}}).encode()
    # When 100 clients open a stream
    opened = [_open_stream(server, body) for _ in range(100)]
    statuses = [status for _, status, _ in opened]
    # Then the first ones are served and the others refused with a 503 that says when to retry
    served = statuses.count(200)
    assert 40 <= served < 100 and statuses == [200] * served + [503] * (100 - served)
    assert opened[-1][2]["retry-after"] == "10"
    # And the open streams are all kept: a change reaches the first and the last one served
    with admin_client(server) as admin:
        ok(admin.post("/flags/watched/toggle"))
    for sock, _, _ in (opened[0], opened[served - 1]):
        read_until(sock, b"event: update")
    # And once some streams end, new ones are served again
    for sock, _, _ in opened:
        sock.close()
    with SseStream(f"{server.url}/stream", method="POST", json={"identifier": "again"}) as stream:
        assert "watched" in stream.next_data().flags


def test_context__past_its_bounds__400_in_plain_words(live_server: Callable[..., LiveServer]) -> None:
    # Given a server
    server = live_server(env=ADMIN_ENV)
    cases = [
        ({"attributes": {f"k{i}": i for i in range(600)}}, "the context holds more than 1000 keys and values"),
        ({"attributes": {"tags": list(range(1001))}}, "the context holds more than 1000 keys and values"),
        ({"attributes": {"a": [[[[[[[[1]]]]]]]]}}, "attributes: a context is nested at most 8 levels deep"),
        ({"attributes": {"note": "x" * 16385}}, "attributes: use strings of at most 16384 characters"),
        ({"identifier": "x" * 16385}, "identifier: use strings of at most 16384 characters"),
    ]
    for body, message in cases:
        # When an evaluation or a stream is asked for with it
        for path in ("/evaluate", "/stream"):
            response = httpx.post(server.url + path, json=body)
            # Then it is refused, saying which bound
            assert (response.status_code, response.json()) == (400, {"error": message}), path
    # And the same holds for a query string
    response = httpx.get(server.url + "/flags/x/evaluate", params={"note": "x" * 16385})
    assert (response.status_code, response.json()) == (400, {"error": "note: use strings of at most 16384 characters"})
