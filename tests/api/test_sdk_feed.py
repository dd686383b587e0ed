"""The server-SDK feed against a real server process (docs/live.md): `GET /sdk/config` with its
ETag, and `GET /sdk/stream` carrying the changed flag documents and segments, resumable."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.sse import SseStream
from tests.conftest import ADMIN, LiveServer, ok

pytestmark = pytest.mark.slow


def token(admin: httpx.Client, name: str, role: str) -> dict[str, str]:
    secret = ok(admin.post("/tokens", json={"name": name, "role": role}))["token"]
    return {"Authorization": f"Bearer {secret}"}


def narrowed(doc: dict[str, Any], environment: str) -> dict[str, Any]:
    overrides = doc["environments"]
    return {**doc, "environments": {environment: overrides[environment]} if environment in overrides else {}}


def test_sdk_feed__tokens__server_and_admin_only(server: LiveServer, admin: httpx.Client) -> None:
    # Given a client and a server token
    client_token = token(admin, "web", "client")
    server_token = token(admin, "backend", "server")
    for path in ("/sdk/config", "/sdk/stream"):
        # When the feed is asked without a token, with the client token
        anonymous = httpx.get(server.url + path, timeout=5)
        as_client = httpx.get(server.url + path, headers=client_token, timeout=5)
        # Then 401 and 403, as JSON
        assert anonymous.status_code == 401, path
        assert as_client.status_code == 403, path
        assert "error" in as_client.json()
    # And the server token reads both
    assert httpx.get(server.url + "/sdk/config", headers=server_token).status_code == 200
    with SseStream(server.url + "/sdk/stream", headers=server_token) as stream:
        assert stream.next_data().event == "config"


def test_sdk_config__etag__304_until_the_configuration_changes(server: LiveServer, admin: httpx.Client) -> None:
    # Given a flag and the configuration's ETag
    ok(admin.post("/flags", json={"name": "a"}))
    first = admin.get("/sdk/config?environment=production")
    etag = first.headers["etag"]
    # When asked again with If-None-Match, before and after a change
    unchanged = admin.get("/sdk/config?environment=production", headers={"If-None-Match": etag})
    ok(admin.post("/flags/a/toggle"))
    changed = admin.get("/sdk/config?environment=production", headers={"If-None-Match": etag})
    # Then 304 with the same ETag and no body, then 200 with a new one
    assert unchanged.status_code == 304 and unchanged.headers["etag"] == etag and unchanged.content == b""
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["flags"][0]["enabled"] is True


def test_sdk_config__environment__flag_documents_with_only_its_override(
    server: LiveServer, admin: httpx.Client
) -> None:
    # Given flags with overrides for several environments, and a segment
    environments = {"production": {"enabled": True}, "staging": {"rollout_percentage": 5}}
    ok(admin.post("/flags", json={"name": "a", "environments": environments}))
    ok(admin.post("/flags", json={"name": "b", "environments": {"staging": {"enabled": True}}}))
    ok(admin.post("/segments", json={"name": "staff", "conditions": []}))
    documents = {name: ok(admin.get(f"/flags/{name}")) for name in ("a", "b")}
    # When the configuration is read for production, and for no environment
    production = ok(admin.get("/sdk/config?environment=production"))
    everything = ok(admin.get("/sdk/config"))
    # Then the documents are those of GET /flags/{name}, narrowed to production's override
    assert production["environment"] == "production"
    assert production["flags"] == [narrowed(documents["a"], "production"), narrowed(documents["b"], "production")]
    assert everything["environment"] is None
    assert everything["flags"] == [documents["a"], documents["b"]]
    assert [s["name"] for s in production["segments"]] == ["staff"]
    assert production["event_id"]


def test_sdk_stream__connect__config_event_as_the_feed(server: LiveServer, admin: httpx.Client) -> None:
    # Given a flag
    ok(admin.post("/flags", json={"name": "a", "environments": {"production": {"enabled": True}}}))
    # When an SDK connects for production
    with SseStream(server.url + "/sdk/stream?environment=production", headers=ADMIN) as stream:
        event = stream.next_data()
    # Then its first event is `config`, the body of /sdk/config
    assert event.event == "config"
    assert event.data == ok(admin.get("/sdk/config?environment=production"))
    assert event.id == event.data["event_id"]


def test_sdk_stream__changes__documents_nulls_and_segments(server: LiveServer, admin: httpx.Client) -> None:
    # Given a prerequisite chain and an SDK stream for production
    ok(admin.post("/flags", json={"name": "base", "environments": {"staging": {"enabled": True}}}))
    ok(admin.post("/flags", json={"name": "child", "prerequisites": [{"flag": "base"}]}))
    with SseStream(server.url + "/sdk/stream?environment=production", headers=ADMIN) as stream:
        stream.next_data()
        # When the base flag is toggled, a segment created, and the child deleted
        toggled = ok(admin.post("/flags/base/toggle"))
        on_toggle = stream.next()
        ok(admin.post("/segments", json={"name": "staff", "conditions": []}))
        on_segment = stream.next()
        ok(admin.delete("/flags/child"))
        on_delete = stream.next()
    # Then each `flags` event carries what changed: the toggled document (narrowed; its unchanged
    # dependent is not resent), the full segment list, a null for the deleted flag
    assert on_toggle.event == "flags"
    assert on_toggle.data == {"flags": {"base": narrowed(toggled, "production")}, "segments": None}
    assert on_segment.data["flags"] == {}
    assert [s["name"] for s in on_segment.data["segments"]] == ["staff"]
    assert on_delete.data == {"flags": {"child": None}, "segments": None}
    assert len({on_toggle.id, on_segment.id, on_delete.id}) == 3


def test_sdk_stream__last_event_id__known_resumes_unknown_starts_over(server: LiveServer, admin: httpx.Client) -> None:
    # Given an SDK that saw the configuration, then went away while things changed
    ok(admin.post("/flags", json={"name": "a"}))
    ok(admin.post("/flags", json={"name": "gone"}))
    with SseStream(server.url + "/sdk/stream", headers=ADMIN) as stream:
        seen = stream.next_data().id
    assert seen is not None
    created = ok(admin.post("/flags", json={"name": "new"}))
    ok(admin.delete("/flags/gone"))
    ok(admin.post("/segments", json={"name": "staff", "conditions": []}))
    # When it reconnects with that id, and with one this process never issued
    with SseStream(server.url + "/sdk/stream", headers={**ADMIN, "Last-Event-ID": seen}) as stream:
        resumed = stream.next_data()
    with SseStream(server.url + "/sdk/stream?last_event_id=0badc0de-3", headers=ADMIN) as stream:
        fresh = stream.next_data()
    # Then the first gets one `flags` event with everything since, the other a `config`
    assert resumed.event == "flags"
    assert resumed.data["flags"] == {"new": created, "gone": None}
    assert [s["name"] for s in resumed.data["segments"]] == ["staff"]
    assert fresh.event == "config"
    assert [f["name"] for f in fresh.data["flags"]] == ["a", "new"]
