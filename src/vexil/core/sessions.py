"""Sign-in and sessions of people (docs/people.md): what the session cookie's secret opens, for how
long, and how often a sign-in may fail.

A session's secret is 256 random bits, given to the browser once in an HttpOnly cookie; the
database keeps only its SHA-256 (`store/_people.py`), so that every replica knows the session and
signing out anywhere ends it everywhere. Each sign-in makes a new secret: a cookie the browser
held before is never promoted to a signed-in one (no session fixation). A session ends when it has
been idle longer than `SessionPolicy.idle`, or lived longer than `SessionPolicy.absolute`, whatever
its use. The CSRF token of a session is derived from its secret (`csrf_token`): the server computes
it again from the cookie of each request, so nothing more is stored, and a page that cannot read the
cookie cannot compute it either.

Looking a session up costs a database read, so the people and times of sessions seen within the
last `CACHE_SECONDS` are kept in this process's memory: a sign-out or a disabled person on another
replica takes effect here within that much time (at once on this replica). The evaluation
endpoints never look at sessions: they read tokens only (`core/auth.py`), as before.

Whoever keeps a session's principal for long (an open stream, `core/streams.py`) asks `refusal`
again: at once after a sign-out or a change to people here (`subscribe`), and periodically for
expiry and for what other replicas did.

Sign-in failures are counted in memory, per email and per client address, over a sliding window
(`SignInThrottle`): past the limit, sign-in answers 429 until the oldest failure leaves the
window. Each replica counts its own, so N replicas allow up to N times the limit.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from vexil.core.auth import PERSON, Principal, Role, hash_secret
from vexil.core.people import normal_email, verify_password
from vexil.core.validation import InvalidInput
from vexil.store.sql import SqlStore

Clock = Callable[[], datetime]
CACHE_SECONDS = 5.0
# A session's last use is written at most this often (the idle lifetime is this precise).
TOUCH_EVERY = timedelta(minutes=1)
CACHE_SIZE = 10_000
# Keys (emails, addresses) the throttle remembers at most: past it, those whose failures all left
# the window are forgotten (an attacker trying many emails cannot grow it without bound).
THROTTLE_KEYS = 100_000
WRONG_CREDENTIALS = "email or password is wrong"
SESSION_ENDED = "the session has ended (signed out, expired, or the person disabled or removed): sign in again"
ROLE_CHANGED = "the person's role changed: reconnect"


def utc_clock() -> datetime:
    return datetime.now(UTC)


def new_session_secret() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(secret: str) -> str:
    """The CSRF token of the session whose cookie holds `secret` (not the secret, nor its stored hash)."""
    return hashlib.sha256(b"vexil-csrf:" + secret.encode("utf-8", "surrogatepass")).hexdigest()


def csrf_matches(secret: str, presented: str | None) -> bool:
    return presented is not None and secrets.compare_digest(csrf_token(secret), presented)


class TooManyAttempts(Exception):
    """Sign-in refused for a while (429), `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WrongCredentials(Exception):
    """The email is unknown, the password wrong, or the person disabled (401, one message for all)."""


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle: timedelta = timedelta(hours=12)
    absolute: timedelta = timedelta(days=7)
    # Failed sign-ins allowed within `window`, per email and per client address.
    per_email: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)

    def expired(self, created: datetime, last_seen: datetime, now: datetime) -> bool:
        return now - last_seen >= self.idle or now - created >= self.absolute


class SignInThrottle:
    """Failed sign-ins per key (an email, an address) within a sliding window; in memory, per process."""

    def __init__(self, policy: SessionPolicy, clock: Clock) -> None:
        self.policy = policy
        self.clock = clock
        self._failures: dict[str, deque[datetime]] = {}

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and now - failures[0] >= self.policy.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def check(self, email: str, address: str) -> None:
        now = self.clock()
        for key, limit, what in (
            (f"email:{email}", self.policy.per_email, "this email"),
            (f"address:{address}", self.policy.per_address, "this address"),
        ):
            failures = self._recent(key, now)
            if len(failures) >= limit:
                wait = self.policy.window - (now - failures[0])
                seconds = max(1, int(wait.total_seconds() + 0.999))
                raise TooManyAttempts(f"too many failed sign-ins for {what}: try again in {seconds} seconds", seconds)

    def failed(self, email: str, address: str) -> None:
        now = self.clock()
        if len(self._failures) >= THROTTLE_KEYS:
            self._failures = {
                key: failures for key, failures in self._failures.items() if now - failures[-1] < self.policy.window
            }
        for key in (f"email:{email}", f"address:{address}"):
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, email: str) -> None:
        self._failures.pop(f"email:{email}", None)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new session: the cookie's secret (to be sent once), its CSRF token, and the person."""

    secret: str
    csrf_token: str
    person: dict[str, Any]


class Sessions:
    """Sign-in, sign-out and the lookup of a session cookie, over the store (see the module)."""

    def __init__(self, store: SqlStore, *, policy: SessionPolicy | None = None, clock: Clock = utc_clock) -> None:
        self.store = store
        self.policy = policy or SessionPolicy()
        self.clock = clock
        self.throttle = SignInThrottle(self.policy, clock)
        # secret hash -> (principal, created, last seen, cached at)
        self._cache: dict[str, tuple[Principal, datetime, datetime, datetime]] = {}
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener()` after each sign-out and each change to people here; returns the
        function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _ended(self) -> None:
        for listener in list(self._listeners):
            listener()

    async def sign_in(self, email: Any, password: Any, *, address: str) -> SignedIn:
        """A new session for the person with `email` and `password`; `WrongCredentials`, or
        `TooManyAttempts` past the throttle's limits (checked before the password)."""
        if not isinstance(password, str):
            raise InvalidInput("password: give the password as text")
        try:
            key = normal_email(email)
        except InvalidInput:
            key = str(email)[:254].lower()
        self.throttle.check(key, address)
        found = await self.store.person_for_sign_in(key) if "@" in key else None
        person, stored = found if found is not None else (None, None)
        matches = await asyncio.to_thread(verify_password, stored, password)
        if person is None or not matches or person["disabled"]:
            self.throttle.failed(key, address)
            raise WrongCredentials(WRONG_CREDENTIALS)
        self.throttle.succeeded(key)
        return await self.start(person)

    async def start(self, person: dict[str, Any]) -> SignedIn:
        """A new session for `person`, whose credentials were checked (a password here, or single
        sign-on, `core/sso.py`): always a new secret, never one the browser held before."""
        secret = new_session_secret()
        now = self.clock()
        await self.store.start_session(hash_secret(secret), person["id"], now=now, oldest=now - self.policy.absolute)
        return SignedIn(secret, csrf_token(secret), person)

    async def sign_out(self, secret: str) -> None:
        digest = hash_secret(secret)
        self._cache.pop(digest, None)
        await self.store.end_session(digest)
        self._ended()

    async def principal(self, secret: str) -> Principal | None:
        """The signed-in person of a session cookie's `secret`; None for an unknown, expired or
        signed-out session, or a disabled person."""
        digest = hash_secret(secret)
        now = self.clock()
        cached = self._cache.get(digest)
        if cached is not None and (now - cached[3]).total_seconds() < CACHE_SECONDS:
            principal, created, last_seen, cached_at = cached
        else:
            cached_at = now
            found = await self.store.session_person(digest)
            if found is None:
                self._cache.pop(digest, None)
                return None
            person, created, last_seen = found
            principal = Principal(person["email"], Role(person["role"]), digest, kind=PERSON, person_id=person["id"])
        if self.policy.expired(created, last_seen, now):
            self._cache.pop(digest, None)
            await self.store.end_session(digest)
            return None
        if now - last_seen >= TOUCH_EVERY:
            await self.store.touch_session(digest, now=now)
            last_seen = now
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[digest] = (principal, created, last_seen, cached_at)
        return principal

    def forget(self) -> None:
        """Drop the cached sessions (after a change to people here: a role, a disabled person)."""
        self._cache.clear()
        self._ended()

    async def refusal(self, principal: Principal) -> str | None:
        """Why the session `principal` was authenticated with no longer stands for it (ended,
        expired, the person disabled or removed, or given another role), in plain words; None while
        it does. Not a use of the session: its last use is not moved."""
        found = await self.store.session_person(principal.key)
        if found is None:
            return SESSION_ENDED
        person, created, last_seen = found
        if self.policy.expired(created, last_seen, self.clock()):
            return SESSION_ENDED
        return None if person["role"] == principal.role.value else ROLE_CHANGED
