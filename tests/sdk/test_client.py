"""`Client` through `httpx.MockTransport` (tests/sdk/fakes.py): remote and local evaluation, the feed's
ETag and resumption, listeners, and the promise that evaluation never raises."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from tests.sdk.fakes import END, FAST, FakeVexil, flag, sse, wait_for
from vexil.engine import Reason
from vexil.sdk import ERROR, Client, ErrorCode, Evaluation, Options, SyncState
from vexil.sdk.errors import InvalidResponse, Unauthorized

PRICING = flag(
    "pricing",
    variants=[
        {"name": "basic", "payload": {"price": 10}, "weight": 0},
        {"name": "premium", "payload": {"price": 20}, "weight": 1},
    ],
    default_variant="basic",
    allowlist={"vip": "premium"},
    rollout_percentage=0,
)
FLAGS = [flag("beta"), flag("off", enabled=False), PRICING]


@pytest.fixture
def fake() -> Iterator[FakeVexil]:
    service = FakeVexil(FLAGS)
    yield service
    service.closed.set()


def local(fake: FakeVexil, **kwargs: Any) -> Client:
    options = dataclasses.replace(FAST, transport=fake.sync_transport())
    client = Client("http://vexil", token="server-token", mode="local", options=options, **kwargs)
    fake.end_streams_on_close(client)
    return client


def remote(fake: FakeVexil, **kwargs: Any) -> Client:
    return Client(
        "http://vexil", token="t", options=dataclasses.replace(FAST, transport=fake.sync_transport()), **kwargs
    )


# --- local evaluation ------------------------------------------------------------------------------


def test_local__first_configuration__ready_and_answers(fake: FakeVexil) -> None:
    # Given
    with local(fake) as client:
        # When
        ready = client.wait_until_ready(3)
        # Then
        assert ready and client.is_ready
        assert wait_for(lambda: client.state is SyncState.READY)
        assert client.is_enabled("beta") is True
        assert client.is_enabled("off", default=True) is False
        assert client.variant("pricing", {"identifier": "vip"}) == "premium"
        assert client.payload("pricing", {"identifier": "vip"}) == {"price": 20}
        assert client.evaluate("pricing", {"identifier": "vip"}) == Evaluation(
            "pricing", True, "premium", {"price": 20}, Reason.ALLOWLIST
        )
        age = client.config_age
        assert age is not None and 0 <= age < 3
    # And: the token went with every request
    assert {r.headers["authorization"] for r in fake.requests} == {"Bearer server-token"}


def test_local__unknown_flag__defaults_and_flag_not_found(fake: FakeVexil) -> None:
    # Given
    with local(fake) as client:
        client.wait_until_ready(3)
        # When
        result = client.evaluate("nope")
        # Then
        assert client.is_enabled("nope", default=True) is True
        assert client.variant("nope", default="v") == "v"
        assert client.payload("nope", default={"d": 1}) == {"d": 1}
        assert result == Evaluation("nope", False, None, None, Reason.FLAG_NOT_FOUND, None, ErrorCode.FLAG_NOT_FOUND)


def test_local__variant_without_payload__payload_default(fake: FakeVexil) -> None:
    # Given
    with local(fake) as client:
        client.wait_until_ready(3)
        # When
        payload = client.payload("beta", default="fallback")
        # Then
        assert payload == "fallback"


def test_local__flags_event__applied_and_listeners_called(fake: FakeVexil) -> None:
    # Given
    with local(fake) as client:
        client.wait_until_ready(3)
        seen: list[frozenset[str]] = []
        client.on_change(seen.append)
        # When
        fake.push(sse("flags", {"flags": {"beta": flag("beta", enabled=False), "off": None}, "segments": None}, "e-2"))
        # Then
        assert wait_for(lambda: not client.is_enabled("beta"))
        assert seen == [frozenset({"beta", "off"})]
        assert client.evaluate("off").reason is Reason.FLAG_NOT_FOUND


def test_local__unsubscribed_listener__not_called(fake: FakeVexil) -> None:
    # Given
    with local(fake) as client:
        client.wait_until_ready(3)
        seen: list[frozenset[str]] = []
        unsubscribe = client.on_change(seen.append)
        # When
        unsubscribe()
        fake.push(sse("flags", {"flags": {"beta": flag("beta", enabled=False)}, "segments": None}, "e-2"))
        # Then
        assert wait_for(lambda: not client.is_enabled("beta"))
        assert seen == []


def test_local__listener_raises__logged_and_the_feed_goes_on(fake: FakeVexil, caplog: pytest.LogCaptureFixture) -> None:
    # Given
    with local(fake) as client:
        client.wait_until_ready(3)

        def broken(names: frozenset[str]) -> None:
            raise RuntimeError("listener bug")

        client.on_change(broken)
        # When
        fake.push(sse("flags", {"flags": {"beta": flag("beta", enabled=False)}, "segments": None}, "e-2"))
        fake.push(sse("flags", {"flags": {"off": flag("off")}, "segments": None}, "e-3"))
        # Then
        assert wait_for(lambda: client.is_enabled("off"))
        assert not client.is_enabled("beta")
    assert "a vexil listener raised" in caplog.text


def test_local__stream_ends__reconnects_with_if_none_match_and_last_event_id(fake: FakeVexil) -> None:
    # Given
    with local(fake) as client:
        client.wait_until_ready(3)
        # When
        fake.push(END)
        # Then
        assert wait_for(lambda: fake.streams_opened >= 2)
        configs, streams = fake.paths("/sdk/config"), fake.paths("/sdk/stream")
        assert "if-none-match" not in configs[0].headers
        assert configs[1].headers["if-none-match"] == '"v1"'
        assert streams[1].headers["last-event-id"] == "e-1"
        assert client.is_enabled("beta")


def test_local__reconnect_after_a_change__fetches_the_whole_configuration(fake: FakeVexil) -> None:
    # Given: a change applied from the stream, so the held ETag no longer describes what is held
    with local(fake) as client:
        client.wait_until_ready(3)
        fake.push(sse("flags", {"flags": {"beta": flag("beta", enabled=False)}, "segments": None}, "e-2"))
        assert wait_for(lambda: not client.is_enabled("beta"))
        # When
        fake.push(END)
        # Then
        assert wait_for(lambda: fake.streams_opened >= 2)
        configs, streams = fake.paths("/sdk/config"), fake.paths("/sdk/stream")
        assert "if-none-match" not in configs[1].headers
        assert streams[1].headers["last-event-id"] == "e-1"  # the refetched configuration's own position


def test_local__malformed_event__last_configuration_kept_and_resynced(fake: FakeVexil) -> None:
    # Given
    with local(fake) as client:
        client.wait_until_ready(3)
        # When
        fake.push(b"id: e-2\nevent: flags\ndata: {not json\n\n")
        # Then
        assert wait_for(lambda: fake.streams_opened >= 2)
        assert isinstance(client.last_error, InvalidResponse)
        assert "if-none-match" not in fake.paths("/sdk/config")[1].headers
        assert client.is_enabled("beta")


def test_local__service_down_before_first_configuration__defaults_never_raise(fake: FakeVexil) -> None:
    # Given
    fake.down = True
    with local(fake) as client:
        # When
        ready = client.wait_until_ready(0.2)
        # Then
        assert not ready
        assert wait_for(lambda: client.state is SyncState.ERROR)
        assert client.is_enabled("beta", default=True) is True
        assert client.variant("pricing", default="basic") == "basic"
        assert client.payload("pricing", default={"price": 0}) == {"price": 0}
        assert client.evaluate("beta").error_code is ErrorCode.NOT_READY
        assert client.evaluate_all() == {}
        assert client.config_age is None


def test_local__service_lost__stale_and_last_configuration_served(fake: FakeVexil) -> None:
    # Given
    with local(fake) as client:
        client.wait_until_ready(3)
        states: list[SyncState] = []
        client.on_state(states.append)
        # When
        fake.down = True
        fake.push(END)
        # Then
        assert wait_for(lambda: client.state is SyncState.STALE)
        assert client.is_enabled("beta") is True
        # And: back, it is ready again
        fake.down = False
        assert wait_for(lambda: client.state is SyncState.READY)
        assert states[:2] == [SyncState.STALE, SyncState.READY]


def test_local__token_refused__unauthorized_error(fake: FakeVexil) -> None:
    # Given
    fake.status = 403
    with local(fake) as client:
        # When
        assert wait_for(lambda: client.last_error is not None)
        # Then
        assert isinstance(client.last_error, Unauthorized)
        assert client.last_error.status_code == 403
        assert "refused by the test" in str(client.last_error)


def test_local__environment__sent_and_other_environments_refused(
    fake: FakeVexil, caplog: pytest.LogCaptureFixture
) -> None:
    # Given
    with local(fake, environment="production") as client:
        client.wait_until_ready(3)
        # When
        result = client.evaluate("beta", {"environment": "staging"})
        # Then
        assert fake.paths("/sdk/config")[0].url.params["environment"] == "production"
        assert client.is_enabled("beta", {"environment": "staging"}, default=False) is False
        assert client.is_enabled("beta", {"environment": "production"}) is True
        assert result.error_code is ErrorCode.INVALID_CONTEXT and result.reason == ERROR
    assert caplog.text.count("holds environment 'production' only") == 1


def test_local__evaluate_all__every_flag(fake: FakeVexil) -> None:
    # Given
    with local(fake) as client:
        client.wait_until_ready(3)
        # When
        results = client.evaluate_all({"identifier": "vip"})
        # Then
        assert {name: r.variant for name, r in results.items()} == {"beta": "on", "off": "off", "pricing": "premium"}


def test_local__close__stops_the_feed_and_keeps_answering(fake: FakeVexil) -> None:
    # Given
    client = local(fake)
    client.wait_until_ready(3)
    # When
    client.close()
    client.close()
    # Then
    assert client.state is SyncState.CLOSED
    assert client._thread is not None and not client._thread.is_alive()
    assert client.is_enabled("beta")


def test_local__without_token__value_error() -> None:
    # When / Then
    with pytest.raises(ValueError, match="server token"):
        Client("http://vexil", mode="local")


def test_client__unknown_mode__value_error() -> None:
    # When / Then
    with pytest.raises(ValueError, match="mode"):
        Client("http://vexil", mode="hybrid")  # type: ignore[arg-type]


# --- remote evaluation -----------------------------------------------------------------------------


def test_remote__answers__from_the_service_with_the_rule(fake: FakeVexil) -> None:
    # Given
    fake.flags = [flag("ruled", rollout_percentage=0, rules=[{"conditions": [], "serve": "on"}])]
    with remote(fake) as client:
        # When
        result = client.evaluate("ruled", {"identifier": "u"})
        # Then
        assert result == Evaluation("ruled", True, "on", None, Reason.RULE_MATCH, 0)
        assert client.is_enabled("ruled") is True
        assert client.variant("ruled") == "on"
        assert client.config_age is None and client.state is SyncState.READY and client.wait_until_ready(0)
        request = fake.paths("/flags/ruled/evaluate")[0]
        assert request.method == "POST" and orjson.loads(request.content) == {"identifier": "u"}


def test_remote__default_context__merged_under_the_calls(fake: FakeVexil) -> None:
    # Given
    options = dataclasses.replace(
        FAST, transport=fake.sync_transport(), context={"attributes": {"plan": "pro", "tier": 1}, "country": "NL"}
    )
    with Client("http://vexil", environment="production", app="web", options=options) as client:
        # When
        client.is_enabled("beta", {"identifier": 42, "environment": "staging", "attributes": {"plan": "team"}})
        # Then
        body = orjson.loads(fake.requests[-1].content)
        assert body == {
            "identifier": "42",  # what the engine reads an integer as; the API takes text
            "environment": "staging",
            "app": "web",
            "country": "NL",
            "attributes": {"plan": "team", "tier": 1},
        }


def test_remote__unknown_flag__default(fake: FakeVexil) -> None:
    # Given
    with remote(fake) as client:
        # When
        result = client.evaluate("nope")
        # Then
        assert client.is_enabled("nope", default=True) is True
        assert result.reason is Reason.FLAG_NOT_FOUND and result.error_code is ErrorCode.FLAG_NOT_FOUND


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ({"down": True}, ErrorCode.UNREACHABLE),
        ({"status": 401}, ErrorCode.UNAUTHORIZED),
        ({"status": 500}, ErrorCode.GENERAL),
        ({"evaluate_body": b"<html>"}, ErrorCode.PARSE_ERROR),
        ({"evaluate_body": b'{"active": true, "variant": "on", "reason": "because"}'}, ErrorCode.PARSE_ERROR),
        ({"evaluate_body": b'{"active": "yes", "variant": "on", "reason": "enabled"}'}, ErrorCode.PARSE_ERROR),
    ],
    ids=["down", "401", "500", "not-json", "unknown-reason", "bad-active"],
)
def test_remote__failure__default_and_error_code(fake: FakeVexil, setup: dict[str, Any], code: ErrorCode) -> None:
    # Given
    for key, value in setup.items():
        setattr(fake, key, value)
    with remote(fake) as client:
        # When
        result = client.evaluate("beta")
        # Then
        assert result.reason == ERROR and result.error_code is code
        assert result.active is False and result.variant is None
        assert client.is_enabled("beta", default=True) is True
        assert client.variant("beta", default="x") == "x"
        assert client.payload("beta", default=3) == 3
        assert client.evaluate_all() == {}
        assert client.last_error is not None


def test_remote__evaluate_all__every_flag(fake: FakeVexil) -> None:
    # Given
    with remote(fake) as client:
        # When
        results = client.evaluate_all({"identifier": "vip"})
        # Then
        assert results["pricing"] == Evaluation("pricing", True, "premium", {"price": 20}, Reason.ALLOWLIST)
        assert set(results) == {"beta", "off", "pricing"}


def test_remote__name_needing_quoting__one_path_segment(fake: FakeVexil) -> None:
    # Given
    with remote(fake) as client:
        # When
        client.evaluate("a/b c")
        # Then
        assert fake.requests[-1].url.raw_path == b"/flags/a%2Fb%20c/evaluate"


# --- never raises ----------------------------------------------------------------------------------


@pytest.mark.parametrize("context", [None, {}, {"identifier": object()}, "not a mapping", {"attributes": [1]}])
def test_local__odd_contexts__answers_without_raising(fake: FakeVexil, context: Any) -> None:
    # Given
    with local(fake) as client:
        client.wait_until_ready(3)
        # When
        enabled = client.is_enabled("beta", context)
        # Then
        assert enabled is True
        assert client.evaluate("beta", context).variant == "on"


def test_remote__unserializable_context__default_and_logged(fake: FakeVexil, caplog: pytest.LogCaptureFixture) -> None:
    # Given
    caplog.set_level(logging.ERROR, "vexil.sdk")
    with remote(fake) as client:
        # When
        enabled = client.is_enabled("beta", {"attributes": {"x": object()}}, default=True)
        result = client.evaluate("beta", {"attributes": {"x": object()}})
        # Then
        assert enabled is True
        assert result.error_code is ErrorCode.GENERAL
    assert "evaluating flag 'beta' failed" in caplog.text


def test_backoff__grows_doubling_to_the_cap__each_within_its_jitter() -> None:
    # Given
    client = Client("http://vexil", options=Options(backoff_initial=1.0, backoff_max=8.0))
    # When
    delays = [client._next_delay() for _ in range(6)]
    # Then
    for delay, ceiling in zip(delays, [1, 2, 4, 8, 8, 8], strict=True):
        assert ceiling / 2 <= delay <= ceiling
    client.close()
