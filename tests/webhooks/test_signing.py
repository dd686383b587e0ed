"""The pure part of webhooks (core/webhooks.py): signatures, replays, the environment an event
changed, the filters and the backoff."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest

from vexil.core.webhooks import (
    BadWebhook,
    check_events,
    check_url,
    environment_of,
    next_attempt,
    signature,
    verify,
    wants,
)

SECRET = "whsec-0123456789"
BODY = b'{"id":1}'


def flag_event(before: dict[str, object], after: dict[str, object], **fields: object) -> dict[str, object]:
    event = {"id": 1, "actor": "ann", "action": "update", "entity": "flag", "entity_id": "checkout"}
    return {**event, "before": before, "after": after, **fields}


def test_verify__signed_now__valid() -> None:
    assert verify(SECRET, BODY, signature(SECRET, BODY, 1_700_000_000), now=1_700_000_010)


def test_verify__replayed_an_hour_later__refused() -> None:
    assert not verify(SECRET, BODY, signature(SECRET, BODY, 1_700_000_000), now=1_700_003_600)


def test_verify__other_secret_or_body_or_garbage__refused() -> None:
    header = signature(SECRET, BODY, 1_700_000_000)
    assert not verify("other-secret", BODY, header, now=1_700_000_000)
    assert not verify(SECRET, b'{"id":2}', header, now=1_700_000_000)
    assert not verify(SECRET, BODY, "garbage", now=1_700_000_000)


def test_environment_of__one_override_changed__names_it() -> None:
    before = {"enabled": False, "environments": {"production": {"enabled": False}}, "version": 1}
    after = {"enabled": False, "environments": {"production": {"enabled": True}}, "version": 2}
    assert environment_of(flag_event(before, after)) == "production"


def test_environment_of__own_configuration_changed__none() -> None:
    before = {"enabled": False, "environments": {"production": {"enabled": False}}}
    after = {"enabled": True, "environments": {"production": {"enabled": False}}}
    assert environment_of(flag_event(before, after)) is None


def test_wants__environment_filter__matches_its_overrides_and_own_changes_only() -> None:
    staging = flag_event({"environments": {}}, {"environments": {"staging": {"enabled": True}}})
    own = flag_event({"enabled": False}, {"enabled": True})
    production = flag_event({"environments": {}}, {"environments": {"production": {"enabled": True}}})
    filters = {"environments": ["production"]}
    assert [wants(filters, 1, e) for e in (staging, own, production)] == [False, True, True]


def test_next_attempt__doubles_then_gives_up_after_24_hours() -> None:
    # Given a delivery made at noon, failing at each retry
    start = datetime(2026, 12, 5, 12, tzinfo=UTC)
    rng, now, gaps = random.Random(1), start, []
    for attempt in range(1, 100):
        due = next_attempt(attempt, start, now, rng)
        if due is None:
            break
        gaps.append(due - now)
        now = due
    # Then the gaps grow from 10 s to at most an hour (with up to 20 % jitter), within 24 hours
    assert timedelta(seconds=10) <= gaps[0] <= timedelta(seconds=12)
    assert all(later >= earlier * 0.8 for earlier, later in itertools.pairwise(gaps))
    assert max(gaps) <= timedelta(hours=1.2)
    assert now - start <= timedelta(hours=24)


@pytest.mark.parametrize("url", ["ftp://x.example", "example.com/hook", "http://", "javascript:alert(1)"])
def test_check_url__not_http_with_a_host__refused(url: str) -> None:
    with pytest.raises(BadWebhook, match="http"):
        check_url(url)


def test_check_events__unknown_key_or_empty_list__refused() -> None:
    with pytest.raises(BadWebhook, match="teams"):
        check_events({"teams": ["a"]})
    with pytest.raises(BadWebhook, match="non-empty"):
        check_events({"flags": []})
