"""`GET`/`POST /stream` against a real server process (docs/live.md): snapshot, updates with only
what changed for this context, resuming, heartbeats, secrecy, slow clients and SIGTERM."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.api.sse import CLOSED, SseStream
from tests.conftest import ADMIN, ADMIN_ENV, LiveServer, ok

pytestmark = pytest.mark.slow


def test_stream__connect__retry_then_snapshot_of_every_client_result(server: LiveServer, admin: httpx.Client) -> None:
    # Given two flags
    ok(admin.post("/flags", json={"name": "on-flag", "enabled": True}))
    ok(admin.post("/flags", json={"name": "off-flag"}))
    # When a client connects
    with SseStream(f"{server.url}/stream?identifier=u1&environment=production") as stream:
        first = stream.next()
        snapshot = stream.next()
    # Then the retry comes first, then a snapshot with only the client fields of every flag
    assert first.retry == 2000
    assert snapshot.event == "snapshot" and snapshot.id is not None
    assert snapshot.flags == {
        "on-flag": {"active": True, "variant": "on", "payload": None, "reason": "enabled"},
        "off-flag": {"active": False, "variant": "off", "payload": None, "reason": "disabled"},
    }
    assert stream.response.headers["content-type"].startswith("text/event-stream")


def test_stream__toggle__update_with_only_that_flag(server: LiveServer, admin: httpx.Client) -> None:
    # Given a client with its snapshot of three flags
    for name in ("a", "b", "c"):
        ok(admin.post("/flags", json={"name": name}))
    with SseStream(f"{server.url}/stream?identifier=u1") as stream:
        snapshot = stream.next_data()
        # When one flag is toggled
        ok(admin.post("/flags/b/toggle"))
        update = stream.next()
    # Then one update names that flag only, with a newer id
    assert update.event == "update"
    assert update.flags == {"b": {"active": True, "variant": "on", "payload": None, "reason": "enabled"}}
    assert update.id != snapshot.id


def test_stream__change_that_keeps_this_context_value__nothing_sent(server: LiveServer, admin: httpx.Client) -> None:
    # Given a disabled flag and another one, and a client
    ok(admin.post("/flags", json={"name": "dark"}))
    ok(admin.post("/flags", json={"name": "other"}))
    with SseStream(f"{server.url}/stream?identifier=u1") as stream:
        stream.next_data()
        # When the disabled flag's rollout and allowlist change (still disabled for everyone),
        # another user's allowlist entry is added to `other`, then `other` is toggled
        ok(admin.patch("/flags/dark", json={"rollout_percentage": 30, "allowlist": {"u1": "on"}}))
        ok(admin.patch("/flags/other", json={"allowlist": {"someone-else": "on"}}))
        ok(admin.post("/flags/other/toggle"))
        update = stream.next()
    # Then the first event after the snapshot is the toggle of `other`, alone
    assert update.event == "update"
    assert update.flags == {"other": {"active": True, "variant": "on", "payload": None, "reason": "enabled"}}


def test_stream__flag_deleted_or_created__null_then_result(server: LiveServer, admin: httpx.Client) -> None:
    # Given a flag and a client
    ok(admin.post("/flags", json={"name": "doomed", "enabled": True}))
    with SseStream(f"{server.url}/stream?identifier=u1") as stream:
        stream.next_data()
        # When it is deleted, then created again
        ok(admin.delete("/flags/doomed"))
        deleted = stream.next()
        ok(admin.post("/flags", json={"name": "doomed"}))
        created = stream.next()
    # Then the deletion maps it to null, the creation to its result
    assert deleted.flags == {"doomed": None}
    assert created.flags == {"doomed": {"active": False, "variant": "off", "payload": None, "reason": "disabled"}}


def test_stream__segment_changed__update_for_the_flags_using_it(server: LiveServer, admin: httpx.Client) -> None:
    # Given a flag served to a segment that does not include this user yet
    staff = [{"field": "email", "operator": "ends_with", "value": "@acme.example"}]
    ok(admin.post("/segments", json={"name": "staff", "conditions": staff}))
    rule = {"conditions": [{"operator": "in_segment", "value": "staff"}], "serve": "on"}
    ok(admin.post("/flags", json={"name": "beta", "enabled": True, "rollout_percentage": 0, "rules": [rule]}))
    ok(admin.post("/flags", json={"name": "plain", "enabled": True}))
    with SseStream(f"{server.url}/stream?identifier=u1&email=ann@other.example") as stream:
        before = stream.next_data()
        # When the segment is widened to the user's domain
        widened = [{"field": "email", "operator": "ends_with", "value": "@other.example"}]
        ok(admin.patch("/segments/staff", json={"conditions": widened}))
        update = stream.next()
    # Then the flag that uses the segment changes for this user, and only it
    assert before.flags["beta"]["reason"] == "rollout_excluded"
    assert update.flags == {"beta": {"active": True, "variant": "on", "payload": None, "reason": "rule_match"}}


def test_stream__last_event_id_known__what_changed_since_as_one_update(server: LiveServer, admin: httpx.Client) -> None:
    # Given a client that saw a snapshot, then went away while two flags changed
    for name in ("a", "b", "c"):
        ok(admin.post("/flags", json={"name": name}))
    with SseStream(f"{server.url}/stream?identifier=u1") as stream:
        seen = stream.next_data().id
    ok(admin.post("/flags/a/toggle"))
    ok(admin.delete("/flags/c"))
    # When it reconnects with Last-Event-ID (the header, or the query parameter EventSource cannot send)
    assert seen is not None
    with SseStream(f"{server.url}/stream?identifier=u1", headers={"Last-Event-ID": seen}) as stream:
        by_header = stream.next_data()
    with SseStream(f"{server.url}/stream?identifier=u1&last_event_id={seen}") as stream:
        by_query = stream.next_data()
    # Then one update carries both changes
    on = {"active": True, "variant": "on", "payload": None, "reason": "enabled"}
    assert by_header.event == by_query.event == "update"
    assert by_header.flags == by_query.flags == {"a": on, "c": None}
    assert by_header.id == by_query.id != seen


def test_stream__last_event_id_unknown__fresh_snapshot(server: LiveServer, admin: httpx.Client) -> None:
    # Given a flag
    ok(admin.post("/flags", json={"name": "a"}))
    # When a client resumes with an id from another process (or run)
    with SseStream(f"{server.url}/stream?identifier=u1", headers={"Last-Event-ID": "0badc0de-5"}) as stream:
        event = stream.next_data()
    # Then it gets a snapshot
    assert event.event == "snapshot"
    assert set(event.flags) == {"a"}


def test_stream__heartbeat_interval__ping_comments(live_server: Callable[..., LiveServer]) -> None:
    # Given a server that pings every 0.2 s
    server = live_server(env={**ADMIN_ENV, "VEXIL_STREAM_HEARTBEAT": "0.2"})
    with SseStream(f"{server.url}/stream") as stream:
        stream.next_data()
        # When nothing changes for a while
        started = time.monotonic()
        ping = stream.next(skip_pings=False)
        second = stream.next(skip_pings=False)
    # Then `: ping` comments arrive
    assert ping.comments == ["ping"] and second.comments == ["ping"]
    assert time.monotonic() - started < 3


def test_stream__post__json_context_and_only_the_listed_flags(server: LiveServer, admin: httpx.Client) -> None:
    # Given a flag for one plan, and another flag
    rule = {"conditions": [{"field": "attributes.plan", "operator": "eq", "value": "pro"}], "serve": "on"}
    ok(admin.post("/flags", json={"name": "pro-only", "enabled": True, "rollout_percentage": 0, "rules": [rule]}))
    ok(admin.post("/flags", json={"name": "unlisted", "enabled": True}))
    body = {"identifier": "u1", "attributes": {"plan": "pro"}, "flags": ["pro-only", "missing"]}
    with SseStream(f"{server.url}/stream", method="POST", json=body) as stream:
        snapshot = stream.next_data()
        # When the unlisted flag changes, then a listed one
        ok(admin.post("/flags/unlisted/toggle"))
        ok(admin.post("/flags/pro-only/toggle"))
        update = stream.next()
    # Then the snapshot and updates cover the listed flags only (an unknown one as POST /evaluate says)
    assert snapshot.flags == {
        "pro-only": {"active": True, "variant": "on", "payload": None, "reason": "rule_match"},
        "missing": {"active": False, "variant": None, "payload": None, "reason": "flag_not_found"},
    }
    assert update.flags == {"pro-only": {"active": False, "variant": "off", "payload": None, "reason": "disabled"}}


def test_stream_and_evaluate__targeting_configuration__never_in_the_raw_bytes(
    server: LiveServer, admin: httpx.Client
) -> None:
    # Given flags whose rules, conditions, percentages, weights, allowlists and segments carry
    # distinctive values
    segment = [{"field": "country", "operator": "in", "value": ["zz-secret-country"]}]
    ok(admin.post("/segments", json={"name": "secret-segment", "conditions": segment}))
    condition = {"field": "email", "operator": "ends_with", "value": "@secret-domain.example"}
    flag = {
        "name": "guarded",
        "enabled": True,
        "rollout_percentage": 37.25,
        "variants": [
            {"name": "control", "weight": 0},
            {"name": "blue", "weight": 1913, "payload": {"shade": "navy"}},
            {"name": "green", "weight": 1877},
        ],
        "default_variant": "control",
        "allowlist": {"other-user-4242": "green"},
        "rules": [
            {"conditions": [condition], "rollout_percentage": 61.75, "serve": "blue"},
            {"conditions": [{"operator": "in_segment", "value": "secret-segment"}], "serve": "green"},
        ],
        "environments": {"production": {"rollout_percentage": 12.5, "allowlist": {"another-user-777": "blue"}}},
    }
    ok(admin.post("/flags", json=flag))
    secrets = [
        b"secret-domain",
        b"zz-secret-country",
        b"secret-segment",
        b"37.25",
        b"61.75",
        b"12.5",
        b"1913",
        b"1877",
        b"other-user-4242",
        b"another-user-777",
        b"ends_with",
        b"conditions",
        b"rules",
        b"allowlist",
        b"weight",
        b"rollout",
        b"segment",
    ]
    context = {"identifier": "me", "environment": "production", "email": "me@secret-domain.example"}
    # When a stream sees a snapshot and an update, and POST /evaluate answers
    with SseStream(f"{server.url}/stream", method="POST", json=context) as stream:
        stream.next_data()
        ok(admin.post("/flags/guarded/toggle"))
        assert stream.next_data().flags["guarded"]["reason"] == "disabled"
        ok(admin.post("/flags/guarded/toggle"))
        assert stream.next_data().flags["guarded"]["variant"] == "blue"
        raw_stream = bytes(stream.raw)
    raw_evaluate = httpx.post(f"{server.url}/evaluate", json=context).content
    # Then none of the configuration is in what a client received
    assert b"navy" in raw_stream  # (the payload is the client's to see)
    for secret in secrets:
        assert secret not in raw_stream, secret
        assert secret not in raw_evaluate, secret


def test_stream__client_tokens_required__token_header_or_query(live_server: Callable[..., LiveServer]) -> None:
    # Given a server that requires client tokens, and a client token
    server = live_server(env={**ADMIN_ENV, "VEXIL_REQUIRE_CLIENT_TOKEN": "true"})
    created = ok(httpx.post(f"{server.url}/tokens", json={"name": "web", "role": "client"}, headers=ADMIN))
    secret = created["token"]
    # When streams are opened without, with a wrong, and with the token
    none = httpx.get(f"{server.url}/stream", timeout=5)
    wrong = httpx.get(f"{server.url}/stream?token=vx_wrong", timeout=5)
    with SseStream(f"{server.url}/stream?token={secret}") as by_query:
        by_query_event = by_query.next_data()
    with SseStream(f"{server.url}/stream", headers={"Authorization": f"Bearer {secret}"}) as by_header:
        by_header_event = by_header.next_data()
    # Then only the token opens it, and the error is JSON
    assert none.status_code == wrong.status_code == 401
    assert "error" in none.json()
    assert by_query_event.event == by_header_event.event == "snapshot"


def test_stream__cors__allowed_origin_header(server: LiveServer) -> None:
    with SseStream(f"{server.url}/stream", headers={"Origin": "http://app.example"}) as stream:
        stream.next_data()
        assert stream.response.headers["access-control-allow-origin"] == "*"


def test_stream__stalled_client__others_updated_promptly_and_it_resyncs(
    server: LiveServer, admin: httpx.Client
) -> None:
    # Given a flag whose "on" variant carries a large payload, a client that stops reading after
    # its first bytes, and a client that reads
    variants = [{"name": "off", "weight": 0}, {"name": "on", "weight": 1, "payload": {"blob": "x" * 600_000}}]
    ok(admin.post("/flags", json={"name": "big", "variants": variants, "default_variant": "off"}))
    stalled = socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])))
    stalled.sendall(b"GET /stream?identifier=slow HTTP/1.1\r\nHost: test\r\n\r\n")
    assert b"200" in stalled.recv(100)
    delays: list[float] = []
    with SseStream(f"{server.url}/stream?identifier=fast") as fast:
        fast.next_data()
        # When the flag is toggled 40 times (12 MB to each client)
        for _ in range(40):
            started = time.monotonic()
            ok(admin.post("/flags/big/toggle"))
            assert fast.next_data().event == "update"
            delays.append(time.monotonic() - started)
    # Then the reading client got every update promptly
    assert max(delays) < 2, delays
    # And the stalled one, once it reads again, is resynchronized with a fresh snapshot
    stalled.settimeout(10)
    snapshots = updates = 0
    tail = b""
    while snapshots < 2:
        chunk = stalled.recv(1 << 20)
        assert chunk, "stream closed before the resync"
        # Count the event names that end in this chunk (the tail holds a name split across two).
        window = tail + chunk
        start = max(0, len(tail) - 14)
        snapshots += window.count(b"event: snapshot", start)
        updates += window.count(b"event: update", start)
        tail = window[-16:]
    stalled.close()
    assert updates < 40


def test_stream__disconnect__listener_removed(server: LiveServer, admin: httpx.Client) -> None:
    # Given clients that connect and go away
    ok(admin.post("/flags", json={"name": "a"}))
    for _ in range(3):
        with SseStream(f"{server.url}/stream") as stream:
            stream.next_data()
    # When a change is published, and a new client connects
    ok(admin.post("/flags/a/toggle"))
    with SseStream(f"{server.url}/stream") as stream:
        event = stream.next_data()
    # Then the server still answers (the departed streams' listeners were dropped, see the unit test)
    assert event.event == "snapshot"


def test_sigterm__open_streams__server_exits_promptly(live_server: Callable[..., LiveServer], tmp_path: Path) -> None:
    # Given a server with open client and SDK streams (uvicorn's lifecycle lines show with --verbose)
    server = live_server("--verbose", env=ADMIN_ENV)
    streams = [SseStream(f"{server.url}/stream?identifier=u{i}") for i in range(3)]
    streams.append(SseStream(f"{server.url}/sdk/stream", headers=ADMIN))
    for stream in streams:
        stream.next_data()
    # When it is sent SIGTERM
    started = time.monotonic()
    code = server.stop(signal.SIGTERM, timeout=15)
    elapsed = time.monotonic() - started
    # Then every stream ends and the process exits cleanly within a few seconds
    assert code in {0, -signal.SIGTERM}
    assert elapsed < 5, elapsed
    for stream in streams:
        assert stream.next_data(timeout=5) is CLOSED
        stream.close()
    assert "Application shutdown complete" in server.output()
    assert "Traceback" not in server.output()
