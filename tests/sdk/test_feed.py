"""The feed without I/O: Server-Sent Events parsing, and configuration and change events applied to a Snapshot."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from vexil.sdk._feed import Feed, SseEvent, SseParser
from vexil.sdk.errors import InvalidResponse

STAFF = {"name": "staff", "conditions": [{"field": "email", "operator": "ends_with", "value": "@acme.com"}]}
IN_STAFF = {"conditions": [{"operator": "in_segment", "value": "staff"}], "serve": "on"}


def config(*flags: dict[str, Any], segments: list[dict[str, Any]] | None = None, event_id: str = "e-1") -> bytes:
    return orjson.dumps({"flags": list(flags), "segments": segments or [], "event_id": event_id})


def flags_event(flags: dict[str, Any], segments: list[dict[str, Any]] | None = None, event_id: str = "e-2") -> SseEvent:
    return SseEvent("flags", orjson.dumps({"flags": flags, "segments": segments}).decode(), event_id)


def feed_lines(parser: SseParser, text: str) -> list[SseEvent]:
    return [event for line in text.split("\n") if (event := parser.feed(line)) is not None]


# --- SseParser -------------------------------------------------------------------------------------


def test_sse_parser__events_comments_and_retry__events_with_their_ids() -> None:
    # Given
    parser = SseParser()
    text = 'retry: 2000\n\nid: a-1\nevent: config\ndata: {}\n\n: ping\n\nid: a-2\nevent: flags\ndata: {"x": 1}\n\n'
    # When
    events = feed_lines(parser, text)
    # Then
    assert events == [SseEvent("config", "{}", "a-1"), SseEvent("flags", '{"x": 1}', "a-2")]
    assert parser.last_id == "a-2"


def test_sse_parser__multiline_data_and_no_space__joined_with_newlines() -> None:
    # Given
    parser = SseParser()
    # When
    events = feed_lines(parser, "data:one\ndata: two\n\n")
    # Then
    assert events == [SseEvent("message", "one\ntwo", None)]


def test_sse_parser__event_without_id__keeps_the_last_id() -> None:
    # Given
    parser = SseParser()
    feed_lines(parser, "id: a-1\ndata: x\n\n")
    # When
    events = feed_lines(parser, "data: y\n\n")
    # Then
    assert events == [SseEvent("message", "y", "a-1")]


def test_sse_parser__id_with_nul__ignored() -> None:
    # Given
    parser = SseParser()
    # When
    events = feed_lines(parser, "id: a\0b\ndata: x\n\n")
    # Then
    assert events[0].id is None


def test_sse_parser__blank_line_without_data__no_event() -> None:
    # Given
    parser = SseParser()
    # When
    events = feed_lines(parser, "event: flags\n\n\n")
    # Then
    assert events == []


# --- Feed ------------------------------------------------------------------------------------------


def test_feed__first_config__snapshot_etag_and_position_without_changes() -> None:
    # Given
    feed = Feed()
    # When
    changed = feed.apply_config(config({"name": "beta", "enabled": True}), etag='W/"1"')
    # Then
    assert changed == frozenset()
    assert feed.snapshot is not None and feed.snapshot.evaluate("beta", {}).active
    assert (feed.etag, feed.event_id) == ('W/"1"', "e-1")
    assert feed.confirmed_at is not None


def test_feed__config_replaced__names_only_the_flags_that_differ() -> None:
    # Given
    feed = Feed()
    feed.apply_config(config({"name": "a", "enabled": True}, {"name": "b", "enabled": True}), etag=None)
    # When
    changed = feed.apply_config(config({"name": "a", "enabled": True}, {"name": "c"}), etag=None)
    # Then
    assert changed == {"b", "c"}


def test_feed__flags_event__upserts_removes_and_clears_the_etag() -> None:
    # Given
    feed = Feed()
    feed.apply_config(config({"name": "a", "enabled": True}, {"name": "b", "enabled": True}), etag='"1"')
    # When
    changed = feed.apply_event(flags_event({"a": {"name": "a", "enabled": False}, "b": None}))
    # Then
    assert changed == {"a", "b"}
    assert feed.snapshot is not None
    assert not feed.snapshot.evaluate("a", {}).active
    assert "b" not in feed.snapshot
    assert (feed.etag, feed.event_id) == (None, "e-2")


def test_feed__empty_flags_event__nothing_changed_etag_kept() -> None:
    # Given
    feed = Feed()
    feed.apply_config(config({"name": "a"}), etag='"1"')
    # When
    changed = feed.apply_event(flags_event({}))
    # Then
    assert changed == frozenset()
    assert (feed.etag, feed.event_id) == ('"1"', "e-2")


def test_feed__segments_changed__users_and_their_dependents_named() -> None:
    # Given
    feed = Feed()
    uses = {"name": "uses", "enabled": True, "rollout_percentage": 0, "rules": [IN_STAFF]}
    needs = {"name": "needs", "enabled": True, "prerequisites": [{"flag": "uses"}]}
    feed.apply_config(config(uses, needs, {"name": "other"}, segments=[STAFF]), etag=None)
    assert feed.snapshot is not None
    assert feed.snapshot.evaluate("uses", {"email": "x@acme.com"}).active
    # When
    wider = {**STAFF, "conditions": [{"field": "email", "operator": "contains", "value": "@"}]}
    changed = feed.apply_event(flags_event({}, segments=[wider]))
    # Then
    assert changed == {"uses", "needs"}
    assert feed.snapshot.evaluate("uses", {"email": "x@example.org"}).active


def test_feed__config_event__rebuilds_with_the_events_id() -> None:
    # Given
    feed = Feed()
    feed.apply_config(config({"name": "a"}), etag='"1"')
    # When
    changed = feed.apply_event(SseEvent("config", config({"name": "a", "enabled": True}).decode(), "f-9"))
    # Then
    assert changed == {"a"}
    assert (feed.etag, feed.event_id) == (None, "f-9")


def test_feed__unknown_event__ignored_but_its_id_counts() -> None:
    # Given
    feed = Feed()
    feed.apply_config(config({"name": "a"}), etag=None)
    # When
    changed = feed.apply_event(SseEvent("news", "{}", "e-7"))
    # Then
    assert changed == frozenset()
    assert feed.event_id == "e-7"


@pytest.mark.parametrize(
    "data",
    [
        "{not json",
        "[]",
        '{"flags": ["a"]}',
        '{"flags": {"a": 1}}',
        '{"flags": {"a": {"enabled": true}}}',
        '{"flags": {}, "segments": {"staff": {}}}',
    ],
)
def test_feed__malformed_flags_event__invalid_response_and_nothing_applied(data: str) -> None:
    # Given
    feed = Feed()
    feed.apply_config(config({"name": "a", "enabled": True}), etag='"1"')
    # When
    with pytest.raises(InvalidResponse):
        feed.apply_event(SseEvent("flags", data, "e-2"))
    # Then
    assert feed.snapshot is not None and feed.snapshot.evaluate("a", {}).active
    assert (feed.etag, feed.event_id) == ('"1"', "e-1")


def test_feed__flags_event_before_any_config__invalid_response() -> None:
    # Given
    feed = Feed()
    # When / Then
    with pytest.raises(InvalidResponse):
        feed.apply_event(flags_event({"a": None}))


@pytest.mark.parametrize("body", [b"nope", b'{"flags": {}}', b'{"flags": [{"enabled": true}]}', b'{"segments": [1]}'])
def test_feed__malformed_config__invalid_response_and_previous_kept(body: bytes) -> None:
    # Given
    feed = Feed()
    feed.apply_config(config({"name": "a", "enabled": True}), etag='"1"')
    # When
    with pytest.raises(InvalidResponse):
        feed.apply_config(body, etag='"2"')
    # Then
    assert feed.snapshot is not None and feed.snapshot.evaluate("a", {}).active
    assert feed.etag == '"1"'


def test_feed__forget_position__next_connection_fetches_everything() -> None:
    # Given
    feed = Feed()
    feed.apply_config(config({"name": "a"}), etag='"1"')
    # When
    feed.forget_position()
    # Then
    assert (feed.etag, feed.event_id) == (None, None)
    assert feed.snapshot is not None
