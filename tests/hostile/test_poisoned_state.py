"""Finding 3 of "Nothing a caller sends takes Vexil down", against a real server: one accepted admin
write used to break serving for every client, across restarts. A value no surface can encode is now
refused before it is committed; a database that already holds one is served around; a write made
while streams are open is answered and reaches every stream."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.api.sse import SseStream
from tests.conftest import ADMIN, ADMIN_ENV, LiveServer, admin_client, ok

READS = ["/flags", "/export", "/sdk/config", "/segments", "/audit", "/environments"]


def deep(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = {"a": value}
    return value


def assert_serving(server: LiveServer) -> None:
    """Every read and every evaluation answers, and a new stream opens with its snapshot."""
    with admin_client(server) as admin:
        for path in READS:
            assert admin.get(path).status_code == 200, path
    assert httpx.post(server.url + "/evaluate", json={"identifier": "u1"}).status_code == 200
    with SseStream(f"{server.url}/stream?identifier=u1") as stream:
        assert stream.next_data().event == "snapshot"


@pytest.mark.parametrize(
    "payload",
    [pytest.param(deep(300), id="nested-300"), pytest.param(2**64, id="2^64"), pytest.param("\udfff", id="surrogate")],
)
def test_write__unencodable_payload_with_streams_open__refused_serving_intact_across_restart(
    live_server: Callable[..., LiveServer], payload: Any
) -> None:
    # Given a real server with client and SDK streams open
    server = live_server(env=ADMIN_ENV)
    with admin_client(server) as admin:
        ok(admin.post("/flags", json={"name": "kept", "enabled": True}))
        with (
            SseStream(f"{server.url}/stream?identifier=u1") as client_stream,
            SseStream(f"{server.url}/sdk/stream", headers=ADMIN) as sdk_stream,
        ):
            assert client_stream.next_data().event == "snapshot"
            assert sdk_stream.next_data().event == "config"
            # When the poisonous write is sent, as Python's json sends it
            body = {"name": "poison", "variants": [{"name": "on", "payload": payload}, {"name": "off"}]}
            refused = admin.post("/flags", content=json.dumps(body).encode())
            # Then it is refused in plain words and nothing was committed
            assert refused.status_code == 400, refused.text
            assert admin.get("/flags/poison").status_code == 404
            # And a write that follows is answered, and reaches both open streams
            ok(admin.post("/flags/kept/toggle"))
            assert client_stream.next_data().flags == {
                "kept": {"active": False, "variant": "off", "payload": None, "reason": "disabled"}
            }
            assert "kept" in sdk_stream.next_data().flags
    assert_serving(server)
    # And after a restart, too
    server.stop()
    restarted = live_server(env=ADMIN_ENV, data_dir=server.data_dir)
    assert_serving(restarted)
    assert ok(httpx.get(restarted.url + "/health"))["quarantined"] == []


def test_start__database_holding_unencodable_values__served_around_and_named(
    live_server: Callable[..., LiveServer],
) -> None:
    # Given a database into which an older version (or a hand) wrote values no encoder can take
    server = live_server(env=ADMIN_ENV)
    with admin_client(server) as admin:
        for name in ("good", "bad"):
            ok(admin.post("/flags", json={"name": name, "enabled": True}))
    server.stop()
    database = sqlite3.connect(server.data_dir / "vexil.db")
    bad = (
        '[{"name": "off", "payload": null, "weight": 0}, {"name": "on", "payload": 18446744073709551616, "weight": 1}]'
    )
    database.execute("UPDATE flags SET variants = ? WHERE name = 'bad'", (bad,))
    database.execute("UPDATE audit_events SET after = ?", ('{"x": NaN}',))
    database.commit()
    database.close()
    # When the server starts on it
    restarted = live_server(env=ADMIN_ENV, data_dir=server.data_dir)
    # Then it names what it left out, and serves everything else
    health = ok(httpx.get(restarted.url + "/health"))
    assert (health["status"], health["quarantined"]) == ("degraded", ["flag bad"])
    assert_serving(restarted)
    evaluated = ok(httpx.post(restarted.url + "/evaluate", json={"identifier": "u1"}))
    assert set(evaluated["flags"]) == {"good"}
