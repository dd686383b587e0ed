"""Connected SDKs: which apps and SDK instances use this Vexil, and what they counted.

SDKs tell Vexil about themselves (Unleash's `register` and `metrics` posts): the app, the instance,
the SDK's name and version, and, in metrics, how often each flag was asked (yes, no, and per
variant). `SdkRegistry.record` keeps that in memory on the request path, without touching the
database; `flush` merges what was kept into the store in one transaction, every `interval` seconds
from `start()` until `stop()` (which flushes a last time), and before every listing. So every
replica, and a restarted server, lists the same instances: the store holds the truth, each replica
only the few seconds not yet flushed.

Memory is bounded whoever calls: between two flushes at most `instances` instances are kept, at
most `instances_per_caller` of them reported with one token, and per instance the counts of at
most `flags_per_instance` flags, and only of flags this server has, and of their variants (plus
`disabled`, what SDKs report for a flag that is off). What is over a bound is dropped (and
counted in `dropped`): a report never fails for it. An instance not seen for `retention` is deleted
when a flush runs. Times come from `clock`, so tests move time without waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vexil.core.flushing import PeriodicFlush
from vexil.engine import Snapshot
from vexil.store import SqlStore, StoreError, format_time, merge_usage, utcnow
from vexil.unleash.frontend import DISABLED_VARIANT
from vexil.unleash.usage import SdkReport

log = logging.getLogger("vexil.sdks")

Clock = Callable[[], datetime]
Key = tuple[str, str, str | None]  # (app, instance, environment)
# What kind of SDK reported: one that evaluates itself (`server`), or asks the frontend API.
SERVER, FRONTEND = "server", "frontend"


@dataclass(frozen=True, slots=True)
class SdkLimits:
    """What one replica keeps between flushes, and how long the store keeps an instance."""

    instances: int = 10_000
    instances_per_caller: int = 1_000
    flags_per_instance: int = 1_000
    retention: timedelta = timedelta(days=7)
    interval: float = 10.0  # seconds between flushes


class _Seen:
    """One instance as reported since the last flush."""

    __slots__ = ("first_seen", "kind", "last_seen", "sdk_name", "sdk_version", "usage")

    def __init__(self, kind: str, now: datetime) -> None:
        self.kind = kind
        self.first_seen = self.last_seen = now
        self.sdk_name: str | None = None
        self.sdk_version: str | None = None
        self.usage: dict[str, Any] = {}

    def doc(self, key: Key) -> dict[str, Any]:
        app, instance, environment = key
        return {
            "app": app,
            "instance": instance,
            "environment": environment,
            "kind": self.kind,
            "sdk_name": self.sdk_name,
            "sdk_version": self.sdk_version,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "usage": self.usage,
        }

    def absorb(self, later: _Seen) -> None:
        """Take in what `later` (reported after this) says."""
        self.first_seen = min(self.first_seen, later.first_seen)
        if later.last_seen >= self.last_seen:
            self.last_seen, self.kind = later.last_seen, later.kind
            if later.sdk_name is not None:
                self.sdk_name, self.sdk_version = later.sdk_name, later.sdk_version
        self.usage = merge_usage(self.usage, later.usage)


class SdkRegistry(PeriodicFlush):
    what = "connected SDK instances"

    def __init__(
        self,
        store: SqlStore,
        snapshot: Callable[[], Snapshot],
        *,
        clock: Clock = utcnow,
        limits: SdkLimits | None = None,
    ) -> None:
        super().__init__()
        self._store = store
        self._snapshot = snapshot
        self._clock = clock
        self.limits = limits or SdkLimits()
        self._pending: dict[Key, _Seen] = {}
        self._per_caller: Counter[str] = Counter()
        self._lock = asyncio.Lock()
        self.dropped = 0

    def __len__(self) -> int:
        """Instances kept in memory, not flushed yet."""
        return len(self._pending)

    def record(self, report: SdkReport, *, kind: str, environment: str | None, caller: str) -> bool:
        """Keep what `report` says until the next flush; False when the bounds dropped the instance."""
        now = self._clock()
        key = (report.app, report.instance, environment)
        seen = self._pending.get(key)
        if seen is None:
            limits = self.limits
            if len(self._pending) >= limits.instances or self._per_caller[caller] >= limits.instances_per_caller:
                self.dropped += 1
                return False
            seen = self._pending[key] = _Seen(kind, now)
            self._per_caller[caller] += 1
        seen.last_seen, seen.kind = max(seen.last_seen, now), kind
        if report.sdk_name is not None:
            seen.sdk_name, seen.sdk_version = report.sdk_name, report.sdk_version
        if report.toggles:
            seen.usage = merge_usage(seen.usage, self._usage(report, seen, format_time(now)))
        return True

    def _usage(self, report: SdkReport, seen: _Seen, stamp: str) -> dict[str, Any]:
        """The report's counts of this server's flags and their variants, within the instance's bound."""
        snapshot = self._snapshot()
        room = self.limits.flags_per_instance - len(seen.usage)
        usage: dict[str, Any] = {}
        for flag, count in report.toggles.items():
            doc = snapshot.get_doc(flag)
            if doc is None:
                continue
            if flag not in seen.usage:
                if room <= 0:
                    self.dropped += 1
                    continue
                room -= 1
            known = {variant.get("name") for variant in doc.get("variants") or ()} | {DISABLED_VARIANT}
            variants = {name: n for name, n in count.variants.items() if name in known}
            usage[flag] = {"yes": count.yes, "no": count.no, "variants": variants, "last_seen": stamp}
        return usage

    async def flush(self) -> int:
        """Write what was kept to the store; how many instances. On a store error what was taken
        is kept again for the next flush, and the error raised."""
        async with self._lock:
            batch, self._pending, self._per_caller = self._pending, {}, Counter()
            if not batch:
                return 0
            try:
                await self._store.record_sdk_instances(
                    [seen.doc(key) for key, seen in batch.items()], forget=self._clock() - self.limits.retention
                )
            except StoreError:
                self._restore(batch)
                raise
            return len(batch)

    def _restore(self, batch: dict[Key, _Seen]) -> None:
        for key, seen in batch.items():
            later = self._pending.get(key)
            if later is not None:
                seen.absorb(later)
            self._pending[key] = seen

    async def instances(self, *, usage: bool = False) -> list[dict[str, Any]]:
        """Every instance the store knows, this replica's latest reports included."""
        await self.flush()
        return await self._store.list_sdk_instances(usage=usage)

    def flush_interval(self) -> float:
        return self.limits.interval

    def pending(self) -> int:
        return len(self._pending)
