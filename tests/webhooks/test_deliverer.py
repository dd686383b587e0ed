"""The webhooks' deliverer against real HTTP receivers, on SQLite and PostgreSQL, with a clock the
tests move (no sleeping for retries): signed deliveries, retries with backoff until a 2xx, a
receiver that never answers, giving up after 24 hours, and the events filter (docs/webhooks.md)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.webhooks.receiver import HANG, Receiver, receiver
from vexil.core.deliverer import Deliverer
from vexil.store import SqlStore

SECRET = "whsec-0123456789"
START = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def deliverer(store: SqlStore, clock: Clock) -> AsyncIterator[Deliverer]:
    """A deliverer not started: each test runs its rounds."""
    made = Deliverer(store, clock=clock, timeout=0.5, rng=random.Random(15))
    yield made
    await made.stop()


async def subscribe(store: SqlStore, hook: Receiver, **fields: Any) -> int:
    doc = await store.create_webhook(
        {"url": hook.url, "secret": SECRET, "events": {}, "format": "vexil", **fields}, at=START, actor="root"
    )
    return int(doc["id"])


async def deliver(deliverer: Deliverer) -> None:
    """One round, and its attempts finished."""
    await deliverer.round()
    await deliverer.settle()


def verified(headers: dict[str, str], body: bytes) -> bool:
    """The recipe of docs/webhooks.md, written out as a receiver would."""
    fields = dict(part.split("=", 1) for part in headers["Vexil-Signature"].split(","))
    expected = hmac.new(SECRET.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"]) and abs(time.time() - int(fields["t"])) < 10 * 86400


async def test_deliverer__flag_created__receiver_gets_the_signed_audit_event(
    store: SqlStore, deliverer: Deliverer, clock: Clock
) -> None:
    with receiver() as hook:
        # Given a webhook, and a flag created after it
        await subscribe(store, hook)
        await store.create_flag({"name": "checkout"}, actor="ann")
        # When the deliverer runs a round
        await deliver(deliverer)
        # Then the receiver got the event, signed with the subscription's secret
        [got] = hook.received
        assert verified(got.headers, got.body)
        event = got.json
        assert set(event) == {"id", "at", "actor", "action", "entity", "entity_id", "environment", "before", "after"}
        assert (event["actor"], event["action"], event["entity"], event["entity_id"]) == (
            "ann", "create", "flag", "checkout"
        )  # fmt: skip
        assert event["after"]["name"] == "checkout"
        # And a tampered body does not verify
        assert not verified(got.headers, got.body.replace(b"checkout", b"checkouT"))


async def test_deliverer__receiver_fails_three_times__fourth_attempt_delivers_and_log_has_all(
    store: SqlStore, deliverer: Deliverer, clock: Clock
) -> None:
    with receiver(500, 503, 502) as hook:
        # Given a webhook whose receiver fails three times
        webhook = await subscribe(store, hook)
        await store.create_flag({"name": "checkout"}, actor="ann")
        # When the deliverer runs, and time moves to each retry
        for _ in range(4):
            await deliver(deliverer)
            clock.advance(timedelta(hours=1, minutes=30))
        # Then the receiver got the same event four times, and accepted the fourth
        assert len(set(hook.event_ids())) == 1
        assert len(hook.event_ids()) == 4
        # And the log says each attempt, newest first
        log = await store.webhook_attempts(webhook)
        assert [(a["attempt"], a["status"], a["outcome"]) for a in log] == [
            (4, 200, "delivered"), (3, 502, "retry"), (2, 503, "retry"), (1, 500, "retry")
        ]  # fmt: skip
        assert log[0]["next_retry"] is None and all(a["next_retry"] for a in log[1:])
        # And a later round sends nothing more
        await deliver(deliverer)
        assert len(hook.received) == 4


async def test_deliverer__retry_not_yet_due__nothing_sent(store: SqlStore, deliverer: Deliverer, clock: Clock) -> None:
    with receiver(500) as hook:
        # Given a delivery that failed once
        await subscribe(store, hook)
        await store.create_flag({"name": "checkout"}, actor="ann")
        await deliver(deliverer)
        # When the deliverer runs again five seconds later (the first retry waits at least ten)
        clock.advance(timedelta(seconds=5))
        await deliver(deliverer)
        # Then nothing more was sent
        assert len(hook.received) == 1


async def test_deliverer__receiver_never_answers__others_delivered_and_attempt_logged(
    store: SqlStore, deliverer: Deliverer, clock: Clock
) -> None:
    with receiver(HANG) as stuck, receiver() as fine:
        # Given a webhook whose receiver never answers, and another one
        stuck_id = await subscribe(store, stuck)
        await subscribe(store, fine)
        await store.create_flag({"name": "checkout"}, actor="ann")
        # When the deliverer runs a round
        await deliverer.round()
        # Then the other receiver gets the event while the first attempt still waits
        while not fine.received:
            await asyncio.sleep(0.01)
        assert not (await store.webhook_attempts(stuck_id))
        await deliverer.settle()
        # And the attempt that got no answer is logged, with its retry
        [attempt] = await store.webhook_attempts(stuck_id)
        assert attempt["status"] is None and "no answer" in attempt["error"]
        assert attempt["outcome"] == "retry" and attempt["next_retry"]


async def test_deliverer__receiver_always_fails__gives_up_after_24_hours(
    store: SqlStore, deliverer: Deliverer, clock: Clock
) -> None:
    with receiver(*[500] * 100) as hook:
        # Given a receiver that always fails
        webhook = await subscribe(store, hook)
        await store.create_flag({"name": "checkout"}, actor="ann")
        # When the deliverer runs every hour for two days
        for _ in range(48):
            await deliver(deliverer)
            clock.advance(timedelta(hours=1))
        # Then it tried with growing gaps, then gave up within 24 hours of the first attempt
        log = await store.webhook_attempts(webhook)
        assert log[0]["outcome"] == "failed" and log[0]["next_retry"] is None
        assert all(a["outcome"] == "retry" for a in log[1:])
        assert datetime.fromisoformat(log[0]["at"].replace("Z", "+00:00")) - START <= timedelta(hours=24)
        assert 5 < len(log) <= 30


async def test_deliverer__events_filter__only_matching_events_sent(store: SqlStore, deliverer: Deliverer) -> None:
    with receiver() as hook, receiver() as everything:
        # Given a webhook for flag checkout's toggles, and one for every event
        await subscribe(store, hook, events={"flags": ["checkout"], "actions": ["toggle"]})
        await subscribe(store, everything)
        await store.create_flag({"name": "checkout"}, actor="ann")
        await store.create_flag({"name": "search"}, actor="ann")
        await store.update_flag("checkout", lambda f: {**f, "enabled": True}, actor="ann", action="toggle")
        await store.update_flag("search", lambda f: {**f, "enabled": True}, actor="ann", action="toggle")
        # When the deliverer runs
        await deliver(deliverer)
        # Then the filtered one got checkout's toggle only; the other, all four
        assert [(e.json["entity_id"], e.json["action"]) for e in hook.received] == [("checkout", "toggle")]
        assert len(everything.received) == 4


async def test_deliverer__test_event__sent_only_to_its_webhook(store: SqlStore, deliverer: Deliverer) -> None:
    with receiver() as tested, receiver() as other:
        # Given two webhooks
        webhook = await subscribe(store, tested)
        await subscribe(store, other)
        # When a test event is recorded for the first, and the deliverer runs
        event_id = await store.record_webhook_test(webhook, actor="root")
        await deliver(deliverer)
        # Then only the first got it
        assert tested.event_ids() == [event_id]
        assert other.received == []
