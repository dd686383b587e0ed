"""The webhooks' deliverer: a background task of every replica (started and stopped with the app)
that moves events from the outbox to their webhooks (docs/webhooks.md).

Each round it fans the outbox out into deliveries, claims the due ones (`SqlStore.claim_deliveries`:
each attempt is taken by exactly one replica) and POSTs each in its own task, at most `concurrency`
at once, so that a receiver that never answers holds one slot for `timeout` seconds and no more. A
2xx delivers; anything else is tried again with exponential backoff and jitter for 24 hours
(`core/webhooks.py`), then given up; every attempt is logged. A replica killed mid-attempt loses
only its lease: the delivery is due again when the lease ends, and another replica sends it (so a
receiver may see an event twice, and dedupes by its id). Times come from `clock`, so tests move time
without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import timedelta

import httpx

from vexil.core.sessions import Clock, utc_clock
from vexil.core.webhooks import SIGNATURE_HEADER, body, next_attempt, signature, wants
from vexil.store.sql import Attempted, Claim, SqlStore

log = logging.getLogger("vexil.webhooks")
# Outbox events made into deliveries per transaction.
FAN_OUT = 500


class Deliverer:
    """The webhooks' background task of one replica; `round()` is one pass (tests call it)."""

    def __init__(
        self,
        store: SqlStore,
        *,
        clock: Clock = utc_clock,
        timeout: float = 10.0,
        poll: float = 0.5,
        concurrency: int = 32,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.timeout = timeout
        self.poll = poll
        self.concurrency = concurrency
        # An attempt's lease: longer than any attempt takes, so that only a dead replica's runs out.
        self.lease = timedelta(seconds=timeout * 6)
        self.rng = rng or random.Random()
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self._sending: set[asyncio.Task[None]] = set()
        self._results: list[Attempted] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="vexil-webhooks")

    async def stop(self) -> None:
        """Stop claiming, let the attempts under way finish (each within `timeout`), close."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._sending:
            await asyncio.wait(self._sending)
        await self.record()
        await self._client.aclose()

    def poke(self) -> None:
        """Look for work now (after a write of this replica), not at the next poll."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            self._wake.clear()  # before the round: a wake-up during it starts the next one at once
            try:
                await self.round()
            except Exception:  # the database away for a moment: try again at the next poll
                log.exception("webhook deliveries failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)

    async def round(self) -> int:
        """Fan the outbox out, then start an attempt for each due delivery there is room for; how
        many attempts it started. `settle()` waits for them (tests)."""
        await self.record()
        if not await self.store.webhook_work_waiting(at=self.clock()):
            return 0
        while await self.store.fan_out_webhooks(wants, at=self.clock(), limit=FAN_OUT) == FAN_OUT:
            pass
        room = self.concurrency - len(self._sending)
        if room <= 0:
            return 0
        claims = await self.store.claim_deliveries(at=self.clock(), lease=self.lease, limit=room)
        for claim in claims:
            task = asyncio.create_task(self.attempt(claim))
            self._sending.add(task)
            task.add_done_callback(self._done)
        return len(claims)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        if len(self._sending) <= self.concurrency // 2:
            self._wake.set()  # room for a batch: claim it now, not one by one as each ends

    async def settle(self) -> None:
        """Wait for every attempt under way to be done and logged."""
        while self._sending:
            await asyncio.wait(set(self._sending))
        await self.record()

    async def attempt(self, claim: Claim) -> None:
        """POST one delivery, then log it and settle or reschedule it."""
        payload = body(claim.event, claim.format)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Vexil-Webhooks",
            SIGNATURE_HEADER: signature(claim.secret, payload, int(self.clock().timestamp())),
        }
        status: int | None = None
        error: str | None = None
        try:
            response = await self._client.post(claim.url, content=payload, headers=headers)
            status = response.status_code
        except httpx.TimeoutException:
            error = f"no answer within {self.timeout:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        now = self.clock()
        delivered = status is not None and 200 <= status < 300
        retry = None if delivered else next_attempt(claim.attempt, claim.created_at, now, self.rng)
        if not delivered and retry is None:
            log.warning("webhook %s gave up on event %s after %s attempts", claim.webhook_id, claim.event["id"],
                        claim.attempt)  # fmt: skip
        self._results.append(Attempted(claim, (status, error), now, retry))

    async def record(self) -> None:
        """Write the attempts done since the last call, in one transaction. Lost if this replica
        dies first: their leases run out and they are tried again."""
        done, self._results = self._results, []
        if done:
            try:
                await self.store.finish_deliveries(done)
            except Exception:
                log.exception("could not log %d webhook deliveries; they will be tried again", len(done))
