"""Flag usage: how often each flag was evaluated, by environment, app, variant, source and hour.

Every server-side evaluation (and every count an SDK reports) is counted on the request path: one
dictionary update in memory, no I/O. The hottest paths count least: an answer served again from the
answer cache adds one to a counter kept with it (`count_kept`: no clock, no allocation), an
answer of several flags is counted whole (`count_answer`, keyed by the engine's shared results,
which hash by identity), and so is a single flag's (`count_result`); all are spread over their
flags' buckets when settled (`settle`: at each flush, and for Prometheus), in the hour of the
settling. Counts that clients report, with a time of their own, go through `count`.
`flush` hands the buckets to the store, which adds them to the `flag_usage` rows (through an
append-only log merged every minute on PostgreSQL, `store/_usage.py`), so replicas sharing one
PostgreSQL add up instead of overwriting each other.
`start()` flushes every `interval` seconds (at most 10) and `stop()` flushes a last time, at
shutdown: a process killed with SIGKILL loses at most one interval's counts.

Memory is bounded: between two flushes at most `buckets` distinct buckets are kept; counts for a
bucket beyond that are dropped (and counted in `dropped`). Times come from `clock` (seconds since
the epoch), so tests move time without waiting. docs/usage.md describes the whole feature.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import _count_elements  # type: ignore[attr-defined]  # Counter.update's C loop
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from vexil.core.flushing import PeriodicFlush
from vexil.engine import Evaluation, Reason, Snapshot
from vexil.store import SqlStore, StoreError, UsageRow
from vexil.unleash.usage import SdkReport

log = logging.getLogger("vexil.usage")

Clock = Callable[[], float]
# (flag, environment, app, variant): what one evaluation counts; '' stands for "none".
Tally = tuple[str, str, str, str]
# (flag, environment, app, variant, source, hour since the epoch)
Bucket = tuple[str, str, str, str, str, int]

# The sources, as `by_source` names them (docs/usage.md): evaluations a server answered, evaluations
# SDKs that evaluate locally report (`sdk`), and reads browser and frontend clients report (`client`).
SERVER, BULK, OFREP, COMPAT, FRONTEND, STREAM, SDK = "server", "bulk", "ofrep", "compat", "frontend", "stream", "sdk"
CLIENT = "client"
HOUR = 3600
NOT_FOUND = Reason.FLAG_NOT_FOUND
# Seconds between two merges of the flushed counts into the stored hour and day rows (and prunes).
MERGE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class UsageLimits:
    """What one replica keeps between flushes, and how long the store keeps buckets."""

    buckets: int = 200_000
    interval: float = 10.0  # seconds between flushes
    hourly_retention: timedelta = timedelta(days=30)
    daily_retention: timedelta = timedelta(days=365)


class Answered(NamedTuple):
    """What an answer counts, kept whole on the request path and turned into tallies only when
    settled: its results are the engine's prebuilt, shared `Evaluation`s, which hash by identity, so
    the tuple is quick to build and to hash, and `count_answer` counts each result in C."""

    results: tuple[Evaluation, ...]
    environment: str
    app: str

    @classmethod
    def of(cls, results: Iterable[Evaluation], context: dict[str, Any]) -> Answered:
        return cls(tuple(results), context.get("environment") or "", context.get("app") or "")

    def tallies(self) -> list[Tally]:
        """One tally per flag found (a flag the server does not have is not counted)."""
        environment, app = self.environment, self.app
        return [
            (r.flag, environment, app, r.variant or "") for r in self.results if r.reason is not Reason.FLAG_NOT_FOUND
        ]


class Usage(PeriodicFlush):
    what = "flag usage buckets"

    def __init__(self, store: SqlStore, *, clock: Clock = time.time, limits: UsageLimits | None = None) -> None:
        super().__init__()
        self._store = store
        self._clock = clock
        self.limits = limits or UsageLimits()
        # bucket -> [count, last seen (epoch seconds)]
        self._pending: dict[Bucket, list[float]] = {}
        # Per answer kept by the answer cache, what serving it again counts: its `Answered`, one
        # object shared (`_shared`) by every answer that counts the same, so that a new user's
        # answer leaves no object for the cyclic garbage collector to walk, which in a server's heap
        # would cost more than counting it.
        self._kept: dict[Any, Answered] = {}
        self._shared: dict[Answered, Answered] = {}
        # Per kept answer served again: [times since the last settle, its source, what it counts]. A
        # kept answer served again is still an evaluation, and the hottest path of all: one
        # dictionary lookup and one addition, no clock, no tuple; `settle` spreads the count over
        # the answer's flags.
        self._hits: dict[Any, list[Any]] = {}
        # Totals flushed since start, per (flag, variant, environment), for Prometheus (as bounded as
        # buckets); `settled_totals` adds what is not flushed yet.
        self.totals: dict[tuple[str, str, str], int] = {}
        # (environment, app, source) -> times each result was counted since the last settle
        # (`count_answer`, `count_result`): results are shared and hash by identity, so a result
        # is counted in C and kept alive here until settled.
        self._answers: dict[tuple[str, str, str], dict[Evaluation, int]] = {}
        # (result, environment, app, source) -> times counted since the last settle (`count_result`).
        self._results: dict[tuple[Evaluation, Any, Any, str], int] = {}
        self._lock = asyncio.Lock()
        self.dropped = 0
        self._merged = clock()  # when the store last merged and pruned

    def __len__(self) -> int:
        """Buckets kept in memory, not flushed yet."""
        return len(self._pending)

    def count(self, tallies: Iterable[Tally], source: str, n: int = 1) -> None:
        """Count `n` evaluations of each of `tallies`, from `source`, now."""
        now = self._clock()
        self._add(tallies, source, int(now // HOUR), n, now)

    def _add(self, tallies: Iterable[Tally], source: str, hour: int, n: int, last: float) -> None:
        pending = self._pending
        for flag, environment, app, variant in tallies:
            key = (flag, environment, app, variant, source, hour)
            entry = pending.get(key)
            if entry is not None:
                entry[0] += n
                if last > entry[1]:
                    entry[1] = last
            elif len(pending) < self.limits.buckets:
                pending[key] = [n, last]
            else:
                self.dropped += n

    def _fold(self, totals: dict[tuple[str, str, str], int], batch: dict[Bucket, list[float]]) -> None:
        """Add the buckets of `batch` to Prometheus's `totals` (once per bucket, not per evaluation)."""
        for (flag, environment, _, variant, _, _), (count, _) in batch.items():
            key = (flag, variant, environment)
            before = totals.get(key)
            if before is not None:
                totals[key] = before + int(count)
            elif len(totals) < self.limits.buckets:
                totals[key] = int(count)

    def count_answer(self, answer: Answered, source: str) -> None:
        """Count one evaluation of each flag `answer` holds, from `source`: per result a count in C
        (the loop `Counter.update` runs, without its checks), nothing kept per answer; `settle`
        spreads the counts over the flags' buckets, in the hour it runs (at most one flush interval
        late)."""
        group = (answer.environment, answer.app, source)
        counts = self._answers.get(group)
        if counts is None:
            if len(self._answers) >= self.limits.buckets:
                self.settle()
            counts = self._answers[group] = {}
        _count_elements(counts, answer.results)
        if len(counts) >= self.limits.buckets:  # flags not found are new results every time
            self.settle()

    def count_result(self, result: Evaluation, context: dict[str, Any], source: str) -> None:
        """Count one evaluation of one flag for `context` (not a flag not found): one addition under
        the shared result, the context's environment and app, and `source`; `settle` spreads it,
        as it does `count_answer`'s."""
        if result.reason is NOT_FOUND:
            return
        key = (result, context.get("environment"), context.get("app"), source)
        results = self._results
        n = results.get(key)
        if n is not None:
            results[key] = n + 1
        elif len(results) < self.limits.buckets:
            results[key] = 1
        else:
            self.settle()
            results[key] = 1

    def keep(self, answer_key: Any, answered: Answered) -> None:
        """Remember what the answer kept under `answer_key` counts (bounded like the answer cache's
        own memory of requests: it starts over when full, after settling what was served from it)."""
        kept = self._kept
        if len(kept) >= self.limits.buckets or len(self._shared) >= self.limits.buckets:
            self.settle()
            kept.clear()
            self._hits.clear()
            self._shared.clear()
        served = self._hits.pop(answer_key, None)
        if served is not None and served[0]:
            self._settle_one(served, self._clock())
        kept[answer_key] = self._shared.setdefault(answered, answered)

    def count_kept(self, answer_key: Any, source: str) -> None:
        """Count an answer served again from the answer cache: one addition per answer, however many
        flags it holds; `settle` spreads it over its flags, in the hour it runs (at the latest the
        next flush: at most one flush interval late)."""
        cell = self._hits.get(answer_key)
        if cell is not None and cell[1] == source:
            cell[0] += 1
            return
        counted = self._kept.get(answer_key)
        if counted is None:
            return
        if cell is not None and cell[0]:  # served again under another source: the first one settled
            self._settle_one(cell, self._clock())
        self._hits[answer_key] = [1, source, counted]

    def _settle_one(self, cell: list[Any], now: float) -> None:
        self._add(cell[2].tallies(), cell[1], int(now // HOUR), cell[0], now)
        cell[0] = 0

    def settle(self) -> None:
        """Spread what was counted whole (answers served again, `count_answer`, `count_result`) over
        the buckets of the flags it holds, now: every flush does, and Prometheus's totals."""
        now = self._clock()
        for cell in self._hits.values():
            if cell[0]:
                self._settle_one(cell, now)
        answers, self._answers = self._answers, {}
        results, self._results = self._results, {}
        hour = int(now // HOUR)
        for (result, environment, app, source), n in results.items():
            self._add(((result.flag, environment or "", app or "", result.variant or ""),), source, hour, n, now)
        for (environment, app, source), counts in answers.items():
            for result, n in counts.items():
                if result.reason is not Reason.FLAG_NOT_FOUND:
                    self._add(((result.flag, environment, app, result.variant or ""),), source, hour, n, now)

    def settled_totals(self) -> dict[tuple[str, str, str], int]:
        """Totals since start per (flag, variant, environment), answers served again included."""
        self.settle()
        totals = dict(self.totals)
        self._fold(totals, self._pending)
        return totals

    def take(self) -> list[UsageRow]:
        """What was counted since the last flush, as rows for the store; memory starts over."""
        self.settle()
        batch, self._pending = self._pending, {}
        hours: dict[int, datetime] = {}  # a flush holds a few hours: one datetime each
        rows: list[UsageRow] = []
        append = rows.append
        for (flag, environment, app, variant, source, hour), (count, last) in batch.items():
            at = hours.get(hour)
            if at is None:
                at = hours[hour] = datetime.fromtimestamp(hour * HOUR, UTC)
            append((flag, environment, app, variant, source, at, int(count), datetime.fromtimestamp(last, UTC)))
        return rows

    async def flush(self, *, merging: bool = True) -> int:
        """Add what was counted to the store, and every `MERGE_SECONDS` merge it (`merge`) unless not
        `merging` (a read follows, which merges the log itself: once per read); how many buckets. On
        a store error the counts are kept for the next flush, and the error raised."""
        async with self._lock:
            self.settle()
            pending = self._pending
            rows = self.take()
            try:
                await self._store.add_usage(rows)
            except StoreError:
                self._restore(pending)
                raise
            self._fold(self.totals, pending)
            if merging and not 0 <= self._clock() - self._merged < MERGE_SECONDS:
                await self.merge()
            return len(rows)

    async def merge(self) -> None:
        """Have the store fold what was flushed into its hour and day rows (on PostgreSQL flushes only
        append, `store/_usage.py`), and prune what is past retention."""
        now = self._clock()
        at = datetime.fromtimestamp(now, UTC)
        await self._store.merge_usage_log(
            hourly_before=at - self.limits.hourly_retention, daily_before=at - self.limits.daily_retention
        )
        self._merged = now

    def _restore(self, batch: dict[Bucket, list[float]]) -> None:
        for key, (count, last) in batch.items():
            entry = self._pending.setdefault(key, [0, last])
            entry[0] += count
            entry[1] = max(entry[1], last)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    async def of_flag(
        self, flag: str, *, since: datetime, until: datetime, environment: str | None, app: str | None
    ) -> dict[str, Any]:
        """One flag's usage between `since` and `until` (this replica's counts flushed first)."""
        await self.flush(merging=False)
        return await self._store.flag_usage(flag, since=since, until=until, environment=environment, app=app)

    async def overview(self, days: int = 7, *, daily: bool = False) -> dict[str, dict[str, Any]]:
        """Per flag counted: its total over the last `days` and when it was last seen; with `daily`,
        its count on each of those days, today's last (this replica's counts flushed first)."""
        await self.flush(merging=False)
        return await self._store.usage_overview(until=self.now(), days=days, daily=daily)

    def flush_interval(self) -> float:
        return self.limits.interval

    def pending(self) -> int:
        return len(self._pending)


class Uncounted(Usage):
    """A counter that counts nothing (`VEXIL_USAGE=off`): what is stored still reads back."""

    def count(self, tallies: Iterable[Tally], source: str, n: int = 1) -> None:
        return None

    def count_answer(self, answer: Answered, source: str) -> None:
        return None

    def count_result(self, result: Evaluation, context: dict[str, Any], source: str) -> None:
        return None

    def keep(self, answer_key: Any, answered: Answered) -> None:
        return None

    def count_kept(self, answer_key: Any, source: str) -> None:
        return None


def count_report(usage: Usage, snapshot: Snapshot, report: SdkReport, environment: str | None, source: str) -> None:
    """Count what a client reported (Unleash metrics, from SDKs that evaluate locally or browsers
    that read values): of this server's flags only, per variant the flag has (a boolean flag's
    `on` and `off` included, as the server counts them); the rest count under ''."""
    for flag, counted in report.toggles.items():
        compiled = snapshot.get_compiled(flag)
        if compiled is None:
            continue
        known = {variant.name for variant in compiled.variants}
        shown = 0
        for variant, n in counted.variants.items():
            if variant in known and n > 0:
                usage.count(((flag, environment or "", report.app, variant),), source, n)
                shown += n
        rest = counted.yes + counted.no - shown
        if rest > 0:
            usage.count(((flag, environment or "", report.app, ""),), source, rest)
