"""Session lifetimes and the sign-in throttle, on a real store with a clock the test moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.people.helpers import PASSWORD
from vexil.core.people import People
from vexil.core.sessions import SessionPolicy, Sessions, TooManyAttempts, WrongCredentials
from vexil.store import SqlStore

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


POLICY = SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=8))


async def signed_in(store: SqlStore, clock: Clock) -> tuple[Sessions, str]:
    await People(store).create(
        {"email": "rita@example.com", "name": "Rita", "password": PASSWORD, "role": "editor"}, actor="test"
    )
    sessions = Sessions(store, policy=POLICY, clock=clock)
    return sessions, (await sessions.sign_in("rita@example.com", PASSWORD, address="10.0.0.1")).secret


async def test_session__idle_past_the_idle_lifetime__ends(store: SqlStore) -> None:
    # Given a session used 29 minutes after sign-in
    clock = Clock()
    sessions, secret = await signed_in(store, clock)
    clock.now += timedelta(minutes=29)
    assert (await sessions.principal(secret)) is not None
    # When it is next used 30 minutes after that use (from another replica: no cache)
    clock.now += timedelta(minutes=30)
    other = Sessions(store, policy=POLICY, clock=clock)
    # Then it has ended, here and there
    assert await other.principal(secret) is None
    assert await sessions.principal(secret) is None


async def test_session__used_often__still_ends_at_the_absolute_lifetime(store: SqlStore) -> None:
    # Given a session used every 20 minutes
    clock = Clock()
    sessions, secret = await signed_in(store, clock)
    while clock.now - START < timedelta(hours=8) - timedelta(minutes=20):
        clock.now += timedelta(minutes=20)
        principal = await sessions.principal(secret)
        assert principal is not None and principal.name == "rita@example.com"
    # When 8 hours have passed since sign-in
    clock.now = START + timedelta(hours=8)
    # Then it has ended
    assert await sessions.principal(secret) is None


async def test_throttle__failures_leave_the_window__sign_in_works_again(store: SqlStore) -> None:
    # Given five failed sign-ins
    clock = Clock()
    sessions, _ = await signed_in(store, clock)
    for _ in range(5):
        with pytest.raises(WrongCredentials):
            await sessions.sign_in("rita@example.com", "wrong wrong", address="10.0.0.2")
    # When the right password comes at once, and then once the window has passed
    with pytest.raises(TooManyAttempts) as refused:
        await sessions.sign_in("RITA@example.com", PASSWORD, address="10.0.0.3")
    assert refused.value.retry_after == 15 * 60
    clock.now += timedelta(minutes=15)
    # Then it is refused first, and accepted after
    assert (await sessions.sign_in("rita@example.com", PASSWORD, address="10.0.0.3")).person["role"] == "editor"


async def test_throttle__one_address_trying_many_emails__is_stopped(store: SqlStore) -> None:
    clock = Clock()
    sessions, _ = await signed_in(store, clock)
    for index in range(20):
        with pytest.raises(WrongCredentials):
            await sessions.sign_in(f"user{index}@example.com", "guess guess", address="10.9.9.9")
    with pytest.raises(TooManyAttempts, match="this address"):
        await sessions.sign_in("rita@example.com", PASSWORD, address="10.9.9.9")
