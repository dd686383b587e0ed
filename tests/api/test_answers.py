"""Answers kept for clients that ask the same thing again, and never served once a flag changed."""

from __future__ import annotations

import httpx

from tests.conftest import ADMIN, ok
from vexil.api.answers import ENTRY_OVERHEAD, AnswerCache


def test_cache__same_request_same_seq__kept_answer() -> None:
    # Given an answer kept at publication 3
    cache = AnswerCache(1024 * 1024)
    assert cache.put(b"request", 3, b"answer", 7) is False  # seen once: not kept yet, and it says so
    assert cache.get(b"request", 3) is None
    assert cache.put(b"request", 3, b"answer", 7) is True
    # When asked again at 3, then after publication 4
    # Then it is served at 3 only
    assert cache.get(b"request", 3) == b"answer"
    assert cache.get(b"request", 4) is None


def test_cache__over_budget__oldest_dropped_and_size_bounded() -> None:
    # Given a cache of 10 entries' worth
    answer = b"x" * 100
    cache = AnswerCache(2 * 10 * (100 + 8 + ENTRY_OVERHEAD))
    # When 1,000 different requests are kept
    for i in range(1000):
        cache.put(b"req-%04d" % i, 1, answer, 8)
        cache.put(b"req-%04d" % i, 1, answer, 8)
    # Then only the most recent few are held, the newest among them
    assert len(cache) <= 21  # two generations of 10, the young one one entry over when it ages
    assert cache.get(b"req-0999", 1) == answer
    assert cache.get(b"req-0000", 1) is None


def test_cache__recently_used__survives_aging() -> None:
    cache = AnswerCache(2 * 4 * (10 + 1 + ENTRY_OVERHEAD))
    for _ in range(2):
        cache.put(b"hot", 1, b"h" * 10, 1)
    for i in range(30):
        cache.put(b"c%d" % i, 1, b"c" * 10, 1)
        cache.put(b"c%d" % i, 1, b"c" * 10, 1)
        assert cache.get(b"hot", 1) == b"h" * 10  # used all along: moved back into the young generation


def test_cache__requests_seen_once__never_kept() -> None:
    # Given many requests, each seen once (a new user each time)
    cache = AnswerCache(1024 * 1024)
    for i in range(1000):
        cache.put(b"user-%d" % i, 1, b"answer", 8)
    # Then none is kept
    assert len(cache) == 0


def test_cache__large_request__not_kept() -> None:
    cache = AnswerCache(1024 * 1024)
    cache.put(b"r", 1, b"a", 10_000)
    assert cache.put(b"r", 1, b"a", 10_000) is False
    assert cache.get(b"r", 1) is None


async def test_evaluate__flag_changes__next_answer_is_new(client: httpx.AsyncClient) -> None:
    # Given a client that asked once (the answer is kept)
    ok(await client.post("/flags", json={"name": "kept", "enabled": True}, headers=ADMIN))
    body = {"identifier": "u1", "flags": ["kept"]}
    assert ok(await client.post("/evaluate", json=body))["flags"]["kept"]["active"] is True
    single = ok(await client.get("/flags/kept/evaluate?identifier=u1"))
    assert single["active"] is True
    # When the flag is switched off and the same client asks again
    ok(await client.post("/flags/kept/toggle", headers=ADMIN))
    # Then it gets the new answer, on both endpoints
    assert ok(await client.post("/evaluate", json=body))["flags"]["kept"]["reason"] == "disabled"
    assert ok(await client.get("/flags/kept/evaluate?identifier=u1"))["reason"] == "disabled"


async def test_evaluate__no_identifier__each_call_draws_again(client: httpx.AsyncClient) -> None:
    # Given a 50 % rollout and a context without an identifier
    ok(await client.post("/flags", json={"name": "coin", "enabled": True, "rollout_percentage": 50}, headers=ADMIN))
    # When it is asked many times
    reasons = {
        ok(await client.post("/evaluate", json={"flags": ["coin"]}))["flags"]["coin"]["reason"] for _ in range(60)
    }
    # Then the random draw is not frozen by a kept answer
    assert reasons == {"rollout_included", "rollout_excluded"}


async def test_evaluate__admin_after_client__admin_answer_with_rule(client: httpx.AsyncClient) -> None:
    rule = {"conditions": [{"field": "plan", "operator": "eq", "value": "pro"}], "serve": "on"}
    ok(await client.post("/flags", json={"name": "ruled", "enabled": True, "rules": [rule]}, headers=ADMIN))
    path = "/flags/ruled/evaluate?identifier=u1&plan=pro"
    assert "rule" not in ok(await client.get(path))
    assert ok(await client.get(path, headers=ADMIN))["rule"] == 0
