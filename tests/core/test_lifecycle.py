"""The stale signals as pure functions (core/lifecycle.py): the `not_evaluated` hook that usage
counts will feed, and the edges of the other signals. The HTTP tests (tests/api/test_lifecycle.py)
show each signal end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from vexil.core.lifecycle import LIFETIMES, stale_signals
from vexil.store import format_time

CREATED = datetime(2026, 11, 1, tzinfo=UTC)


def flag(**fields: Any) -> dict[str, Any]:
    """A stored flag document with targeting (so that only the signal under test can hold)."""
    doc = {
        "name": "checkout",
        "kind": "kill_switch",
        "owner": "",
        "stale": False,
        "enabled": True,
        "rollout_percentage": 50,
        "rules": [],
        "allowlist": {},
        "prerequisites": [],
        "environments": {},
        "variants": [{"name": "off", "payload": None, "weight": 0}, {"name": "on", "payload": None, "weight": 1}],
        "default_variant": "off",
        "created_at": format_time(CREATED),
        "updated_at": format_time(CREATED),
    }
    return doc | fields


def names(signals: list[dict[str, Any]]) -> list[str]:
    return [signal["signal"] for signal in signals]


def test_not_evaluated__last_seen_8_days_ago__signal_with_last_seen() -> None:
    # Given a flag last evaluated 8 days before now
    now = CREATED + timedelta(days=30)
    seen = now - timedelta(days=8)
    # When its signals are asked with usage counts
    signals = stale_signals(flag(), now, last_seen={"checkout": seen})
    # Then it has not been evaluated for 8 days
    assert signals == [{"signal": "not_evaluated", "evidence": {"last_seen": format_time(seen), "days": 8}}]


def test_not_evaluated__seen_yesterday_or_no_usage_counts__no_signal() -> None:
    now = CREATED + timedelta(days=30)
    # Given usage counts that saw it yesterday, or no usage counts at all: no signal
    assert stale_signals(flag(), now, last_seen={"checkout": now - timedelta(days=1)}) == []
    assert stale_signals(flag(), now) == []


def test_not_evaluated__never_seen__counts_from_creation() -> None:
    # Given a flag never evaluated, created 6 and then 7 days ago
    signals_6 = stale_signals(flag(), CREATED + timedelta(days=6), last_seen={})
    signals_7 = stale_signals(flag(), CREATED + timedelta(days=7), last_seen={"checkout": None})
    # Then it is stale from its 7th day, with no last_seen
    assert signals_6 == []
    assert signals_7 == [{"signal": "not_evaluated", "evidence": {"last_seen": None, "days": 7}}]


def test_past_lifetime__each_kind__its_documented_lifetime() -> None:
    # Given each kind, 41 days old
    now = CREATED + timedelta(days=41)
    stale = {kind for kind in LIFETIMES if "past_lifetime" in names(stale_signals(flag(kind=kind), now))}
    # Then the release, experiment and operational flags are past their lifetime, not the permanent kinds
    assert LIFETIMES == {"release": 40, "experiment": 40, "operational": 7, "kill_switch": None, "permission": None}
    assert stale == {"release", "experiment", "operational"}


def test_one_variant__weighted_split_or_prerequisite__no_signal() -> None:
    now = CREATED + timedelta(days=30)
    split = [{"name": "a", "payload": None, "weight": 1}, {"name": "b", "payload": None, "weight": 1}]
    # Given 100 % rollouts that still serve several variants, or may be turned off by a prerequisite
    weighted = flag(rollout_percentage=100, variants=split, default_variant="a")
    required = flag(rollout_percentage=100, prerequisites=[{"flag": "other", "active": True, "variants": None}])
    # Then neither serves one variant to everyone; a plain 100 % rollout does
    assert stale_signals(weighted, now) == []
    assert stale_signals(required, now) == []
    assert names(stale_signals(flag(rollout_percentage=100), now)) == ["one_variant"]
