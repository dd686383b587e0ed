"""Finding 1: anonymous memory exhaustion through `POST /import`.

The whole body (up to 256 MiB) was read and parsed before the token was checked: one anonymous
60 MiB request took the server from 81 MB to 1.7 GB. Now every route checks the token first, and
bodies are limited by route and caller, while they are read.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx

from tests.conftest import ADMIN, ADMIN_ENV, LiveServer, admin_client, ok
from tests.hostile.conftest import MIB, connect, first_response, memory, request_head
from vexil.api.deps import NO_CSRF, SESSION_ENDED


def _tokens(server: LiveServer) -> dict[str, str]:
    with admin_client(server) as admin:
        return {
            role: ok(admin.post("/tokens", json={"name": role, "role": role}))["token"] for role in ("client", "server")
        }


def _viewer_session(server: LiveServer) -> tuple[str, str]:
    """The cookie header and CSRF token of a signed-in viewer person."""
    password = "a viewer's password"
    with admin_client(server) as admin:
        ok(
            admin.post(
                "/users", json={"email": "viewer@example.com", "name": "V", "password": password, "role": "viewer"}
            )
        )
    response = httpx.post(server.url + "/session", json={"email": "viewer@example.com", "password": password})
    return f"vexil_session={response.cookies['vexil_session']}", ok(response)["csrf_token"]


def test_import__anonymous_60_mib__401_before_the_body_and_server_rss_grows_under_20_mb(
    live_server: Callable[..., LiveServer],
) -> None:
    # Given a server, and an export of 60 MiB (many small objects: the shape that cost 1.7 GB)
    server = live_server(env=ADMIN_ENV)
    flag = b'{"name": "f", "tags": [' + b",".join([b'"t"'] * 300) + b"]}"
    body = b'{"flags": [' + b",".join([flag] * 52000) + b'], "segments": [], "environments": []}'
    assert len(body) > 60 * MIB
    peak_before = memory(server)["VmHWM"]
    # When it is sent without a token: the headers and its first 64 KiB
    with connect(server) as sock:
        sock.sendall(request_head("POST", "/import", length=len(body)) + body[: 64 * 1024])
        status, headers, answer = first_response(sock)
        # Then the answer is a 401 before the rest is sent
        assert (status, json.loads(answer)) == (401, {"error": "this needs an admin token"})
        assert headers["www-authenticate"] == "Bearer"
        # And the rest of the body is dropped as it comes, on a connection that still works
        sock.sendall(body[64 * 1024 :])
        sock.sendall(request_head("GET", "/health"))
        assert first_response(sock)[0] == 200
    # And the server's peak memory grew by less than 20 MB
    assert memory(server)["VmHWM"] - peak_before < 20 * MIB


# Each write, and the role it needs (docs/spec.md §4).
WRITES = [
    ("POST", "/import", "admin"),
    ("POST", "/flags", "editor"),
    ("PATCH", "/flags/x", "editor"),
    ("POST", "/flags/x/environments", "editor"),
    ("DELETE", "/segments/x", "editor"),
    ("POST", "/tokens", "admin"),
    ("POST", "/flags/create", "editor"),
    ("PUT", "/api/admin/flags/x", "editor"),
    ("POST", "/users", "admin"),
]


def test_writes__without_the_role__401_or_403_before_a_byte_of_the_body(
    live_server: Callable[..., LiveServer],
) -> None:
    # Given a server with a client and a server token, and a signed-in viewer
    server = live_server(env=ADMIN_ENV)
    tokens = _tokens(server)
    cookie, csrf = _viewer_session(server)
    cases = [
        ({}, 401, "this needs an {role} token"),
        ({"cookie": cookie}, 403, NO_CSRF),
        ({"cookie": cookie, "x-csrf-token": csrf}, 403, "this needs the {role} role; viewer@example.com is a viewer"),
        ({"Authorization": "Bearer vx_wrong"}, 401, "invalid token"),
        ({"Authorization": f"Bearer {tokens['client']}"}, 403, "this needs an {role} token"),
        ({"x-api-key": tokens["server"]}, 403, "this needs an {role} token"),
        ({"cookie": "vexil_session=not-a-session"}, 401, SESSION_ENDED),
    ]
    for method, path, role in WRITES:
        for headers, expected, words in cases:
            message = words.format(role=role)
            with connect(server) as sock:
                # When only the headers of a 100 MiB write are sent
                sock.sendall(request_head(method, path, length=100 * MIB, headers=headers))
                # Then it is refused at once, with the token's status
                status, _, answer = first_response(sock)
                assert (status, json.loads(answer)) == (expected, {"error": message}), (method, path, headers)


def test_body_limits__by_route_and_caller__413_from_the_length_or_while_reading(
    live_server: Callable[..., LiveServer],
) -> None:
    # Given a server with a client and a server token
    server = live_server(env=ADMIN_ENV)
    tokens = _tokens(server)
    client = {"Authorization": f"Bearer {tokens['client']}"}
    reader = {"Authorization": f"Bearer {tokens['server']}"}
    over_64_kib = json.dumps({"identifier": "u", "attributes": {"note": "x" * 4000, "more": ["y" * 4000] * 17}})
    assert 64 * 1024 < len(over_64_kib) < 1024 * 1024
    cases = [
        # evaluation: 64 KiB for anonymous and client callers, 1 MiB for server and admin ones
        ("POST", "/evaluate", {}, 65 * 1024, 413),
        ("POST", "/stream", client, 65 * 1024, 413),
        ("POST", "/flags/x/evaluate", {}, 65 * 1024, 413),
        # admin writes: 1 MiB; the import: 256 MiB
        ("POST", "/flags", ADMIN, MIB + 1, 413),
        ("POST", "/import", ADMIN, 256 * MIB + 1, 413),
    ]
    for method, path, headers, length, expected in cases:
        with connect(server) as sock:
            # When only the headers are sent, with a Content-Length past the limit
            sock.sendall(request_head(method, path, length=length, headers=headers))
            # Then the answer is a 413, before any of the body
            status, _, answer = first_response(sock)
            assert status == expected, (path, answer)
            assert b"the most this endpoint takes from this caller" in answer
    # And a chunked body without a length is cut off once past the limit
    with connect(server) as sock:
        sock.sendall(request_head("POST", "/evaluate", headers={"Transfer-Encoding": "chunked"}))
        for _ in range(10):
            sock.sendall(b"2000\r\n" + b" " * 0x2000 + b"\r\n")
        assert first_response(sock)[0] == 413
    # And within their limits the same bodies are answered
    assert httpx.post(server.url + "/evaluate", content=over_64_kib, headers=reader).status_code == 200
    assert httpx.post(server.url + "/evaluate", content=over_64_kib, headers=ADMIN).status_code == 200


def test_body_limits__settings__smaller_limits_apply(live_server: Callable[..., LiveServer]) -> None:
    # Given a server whose limits are set lower than the defaults
    env = {**ADMIN_ENV, "VEXIL_MAX_CLIENT_BODY_KB": "4", "VEXIL_MAX_BODY_KB": "16", "VEXIL_MAX_IMPORT_MB": "1"}
    server = live_server(env=env)
    context = json.dumps({"identifier": "u", "attributes": {"note": "x" * 3000, "other": "y" * 3000}})
    # Then each applies to its callers and routes
    assert httpx.post(server.url + "/evaluate", content=context).status_code == 413
    assert httpx.post(server.url + "/evaluate", content=context, headers=ADMIN).status_code == 200
    flag = {"name": "big", "description": "d" * 17000}
    assert httpx.post(server.url + "/flags", json=flag, headers=ADMIN).status_code == 413
    export = {
        "flags": [{"name": f"f{i}", "description": "d" * 900} for i in range(100)],
        "segments": [],
        "environments": [],
    }
    assert httpx.post(server.url + "/import", json=export, headers=ADMIN).status_code == 200
    export["flags"] = export["flags"] * 12
    assert httpx.post(server.url + "/import", json=export, headers=ADMIN).status_code == 413
