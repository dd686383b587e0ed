"""The recent-contexts sample (core/recent.py): distinct, bounded, newest kept, never oversized."""

from __future__ import annotations

from vexil.core.recent import RecentContexts


def test_recent__same_context_twice__kept_once() -> None:
    # Given a sample
    recent = RecentContexts(10)
    # When the same context is offered twice, with its keys in another order the second time
    context = {"identifier": "u1", "environment": "production", "attributes": {"plan": "pro", "age": 3}}
    recent.offer(context)
    recent.offer({"attributes": {"age": 3, "plan": "pro"}, "environment": "production", "identifier": "u1"})
    # Then it is one context
    assert recent.contexts() == [context]


def test_recent__more_than_size__the_oldest_dropped() -> None:
    # Given a sample of three
    recent = RecentContexts(3)
    # When four contexts are offered, the first one again before the fourth
    for name in ("a", "b", "c", "a", "d"):
        recent.offer({"identifier": name})
    # Then the least recently offered one ("b") went, and the others are kept oldest first
    assert [context["identifier"] for context in recent.contexts()] == ["c", "a", "d"]
    assert len(recent) == 3


def test_recent__answer_served_again__its_context_is_recent_again() -> None:
    # Given two contexts, the first of which had its answer kept under an answer-cache key
    recent = RecentContexts(2)
    recent.offer({"identifier": "a"}, ("GET", b"identifier=a"))
    recent.offer({"identifier": "b"})
    # When that answer is served again and then a third context arrives
    recent.seen(("GET", b"identifier=a"))
    recent.offer({"identifier": "c"})
    # Then "a" stayed and "b", now the oldest, went
    assert [context["identifier"] for context in recent.contexts()] == ["a", "c"]


def test_recent__unknown_answer_key__changes_nothing() -> None:
    recent = RecentContexts(2)
    recent.offer({"identifier": "a"})
    recent.seen(("never", "kept"))
    assert recent.contexts() == [{"identifier": "a"}]


def test_recent__oversized_or_unencodable_context__skipped() -> None:
    # Given a sample that keeps contexts of at most 100 bytes
    recent = RecentContexts(10, max_bytes=100)
    # When a large context and one holding an integer past 64 bits are offered
    recent.offer({"identifier": "u1", "attributes": {"blob": "x" * 200}})
    recent.offer({"identifier": "u2", "attributes": {"huge": 2**70}})
    # Then neither is kept, and both are counted as skipped
    assert recent.contexts() == []
    assert recent.skipped == 2


def test_recent__size_zero__keeps_nothing() -> None:
    recent = RecentContexts(0)
    recent.offer({"identifier": "u1"})
    assert len(recent) == 0


def test_recent__contexts__fresh_objects_the_caller_may_change() -> None:
    # Given a kept context
    recent = RecentContexts(2)
    recent.offer({"identifier": "u1"})
    # When the caller changes what it was given
    recent.contexts()[0]["identifier"] = "changed"
    # Then the sample is as it was
    assert recent.contexts() == [{"identifier": "u1"}]
