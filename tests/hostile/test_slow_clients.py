"""Finding 3: slow clients.

3,000 sockets sending partial headers or bodies were never closed; near the open-file limit new
clients, /health included, were refused. Now headers and bodies have deadlines (408, then the
connection is closed), headers a size limit (431), and connections a per-process limit below the
open-file limit, past which a request gets 503 with Retry-After but /health is still answered.
"""

from __future__ import annotations

import json
import select
import time
from collections.abc import Callable

import httpx

from tests.conftest import ADMIN, ADMIN_ENV, LiveServer
from tests.hostile.conftest import (
    MIB,
    closed_by_server,
    connect,
    create_flag,
    first_response,
    memory,
    read_answer,
    read_until,
    request_head,
    status_of,
    wait_until,
)


def test_partial_headers__600_sockets_on_256_descriptors__health_answers_and_all_closed_within_the_timeout(
    few_files_server: Callable[..., LiveServer],
) -> None:
    # Given a server that may open 256 files, whose requests have 2 s to send their headers
    server = few_files_server(256, env={**ADMIN_ENV, "VEXIL_HEADER_TIMEOUT": "2"})
    # When 600 clients connect and send part of their headers, and no more
    started = time.monotonic()
    slow = [connect(server) for _ in range(600)]
    for sock in slow:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: vexil\r\nX-Slow: ")
    # Then /health answers meanwhile (at once, or within the second that connections past the
    # limit have before they are closed)
    assert wait_until(lambda: _health(server) == 200, timeout=2)
    for _ in range(3):
        assert _health(server) == 200
        time.sleep(0.2)
    # And every slow socket is closed by the server within the timeout (and a little)
    assert wait_until(lambda: all(closed_by_server(sock) for sock in slow), timeout=6)
    assert time.monotonic() - started < 8
    for sock in slow:
        sock.close()
    assert httpx.get(server.url + "/health").status_code == 200


def _health(server: LiveServer) -> int | str:
    try:
        return httpx.get(server.url + "/health", timeout=3).status_code
    except httpx.TransportError as exc:
        return repr(exc)


def test_partial_headers__408_in_plain_words_then_closed(live_server: Callable[..., LiveServer]) -> None:
    # Given a server whose requests have 1 s to send their headers
    server = live_server(env={**ADMIN_ENV, "VEXIL_HEADER_TIMEOUT": "1"})
    with connect(server) as silent, connect(server) as partial, connect(server) as kept:
        # When one client sends nothing, one part of its headers, and one a request then part of another
        partial.sendall(b"POST /evaluate HTTP/1.1\r\nHost: vexil\r\n")
        kept.sendall(request_head("GET", "/health"))
        assert first_response(kept)[0] == 200
        kept.sendall(b"GET /health HTTP/1.1\r\n")
        # Then each is answered 408 and closed after the timeout
        for sock in (silent, partial, kept):
            answer = read_answer(sock)
            assert status_of(answer) == 408, answer
            assert answer.endswith(b'{"error":"the request\'s headers did not arrive within 1 s"}')


def test_slow_body__cut_off_at_the_body_timeout(live_server: Callable[..., LiveServer]) -> None:
    # Given a server whose request bodies have 1 s to arrive
    server = live_server(env={**ADMIN_ENV, "VEXIL_BODY_TIMEOUT": "1"})
    for path, headers in (("/evaluate", {}), ("/flags", ADMIN)):
        with connect(server) as sock:
            # When a body is sent a byte every 0.2 s
            started = time.monotonic()
            sock.sendall(request_head("POST", path, length=100, headers=headers) + b'{"name": "')
            for _ in range(10):
                if select.select([sock], [], [], 0.2)[0]:  # the server answered
                    break
                sock.sendall(b"x")
            # Then it is answered 408 and the connection closed, after about the timeout
            answer = read_answer(sock)
            assert status_of(answer) == 408, (path, answer)
            assert b"the request's body did not arrive within 1 s" in answer
            assert 0.9 < time.monotonic() - started < 3
    # And a body answered early (no token: 401) is cut off all the same if the rest never comes
    with connect(server) as sock:
        sock.sendall(request_head("POST", "/flags", length=1000) + b"{")
        assert first_response(sock)[0] == 401
        assert wait_until(lambda: closed_by_server(sock), timeout=3)


def test_headers__over_64_kib__431_then_closed(live_server: Callable[..., LiveServer]) -> None:
    # Given a server
    server = live_server(env=ADMIN_ENV)
    with connect(server) as sock:
        # When a request's headers go on past 64 KiB
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: vexil\r\n")
        for i in range(20):
            try:
                sock.sendall(f"X-Filler-{i}: {'x' * 4000}\r\n".encode())
            except OSError:
                break
        # Then it is answered 431 and closed
        answer = read_answer(sock)
    assert status_of(answer) == 431
    assert json.loads(answer.partition(b"\r\n\r\n")[2]) == {
        "error": "the request's line and headers are over 65536 bytes"
    }
    assert httpx.get(server.url + "/health").status_code == 200


def test_connection_limit__past_it__503_with_retry_after_health_answered_streams_kept(
    live_server: Callable[..., LiveServer],
) -> None:
    # Given a server that keeps 20 connections per process, 19 of them open streams
    server = live_server(env={**ADMIN_ENV, "VEXIL_MAX_CONNECTIONS": "20"})
    create_flag(server, "watched")
    streams = [connect(server) for _ in range(19)]
    for sock in streams:
        sock.sendall(request_head("GET", "/stream?identifier=u"))
        read_until(sock, b"event: snapshot")
    with connect(server) as twentieth, connect(server) as past, connect(server) as health:
        # When a 20th and a 21st client ask for an evaluation, and a 22nd for /health
        twentieth.sendall(request_head("GET", "/flags/watched/evaluate"))
        past.sendall(request_head("GET", "/flags/watched/evaluate"))
        health.sendall(request_head("GET", "/health"))
        # Then the 20th is answered, the 21st refused with a 503 that says when to retry, and
        # /health is answered
        assert first_response(twentieth)[0] == 200
        status, headers, body = first_response(past)
        assert (status, headers["retry-after"]) == (503, "1")
        assert json.loads(body) == {
            "error": "the server is at its limit of open connections (VEXIL_MAX_CONNECTIONS): retry shortly"
        }
        assert first_response(health)[0] == 200
    # And the open streams are kept: a change reaches them (once the three above are counted out)
    with httpx.Client(base_url=server.url, headers=ADMIN) as admin:
        assert wait_until(lambda: admin.post("/flags/watched/toggle").status_code == 200, timeout=3)
    for sock in streams:
        read_until(sock, b"event: update")
        sock.close()
    # And once they are gone, new clients are served
    assert wait_until(lambda: httpx.get(server.url + "/flags/watched/evaluate").status_code == 200, timeout=3)


def test_partial_bodies__past_the_pending_limit__503_and_server_rss_bounded(
    live_server: Callable[..., LiveServer],
) -> None:
    # Given a server that receives at most 100 bodies at a time, each within 2 s
    server = live_server(env={**ADMIN_ENV, "VEXIL_MAX_PENDING_BODIES": "100", "VEXIL_BODY_TIMEOUT": "2"})
    before = memory(server)["VmRSS"]
    # When 300 anonymous clients send 60 KiB of a 64,000-byte evaluation body, and no more
    slow = [connect(server) for _ in range(300)]
    for sock in slow:
        sock.sendall(request_head("POST", "/evaluate", length=64_000) + b'{"note": "' + b"x" * 60_000)
    # Then those past the first 100 are refused at once with a 503 that says when to retry
    answers = [read_answer(sock) for sock in slow[100:]]
    assert {status_of(answer) for answer in answers} == {503}
    assert b"retry-after: 1\r\n" in answers[0]
    # And a body that comes whole is still answered, and the server holds little for the others
    assert httpx.post(server.url + "/evaluate", json={"identifier": "u"}).status_code == 200
    assert memory(server)["VmRSS"] - before < 30 * MIB
    # And the first 100 get their 408 at the body timeout
    assert {status_of(read_answer(sock)) for sock in slow[:100]} == {408}
    for sock in slow:
        sock.close()
