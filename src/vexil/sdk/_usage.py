"""What a local client evaluated, counted in memory and reported in batches (docs/usage.md).

A client in local mode answers without asking the server, so the server cannot count what it
answered: the client counts each evaluation here (per flag, environment, app, variant, and whether
it was active) and reports the counts every `metrics_interval` seconds and on `close()`, as
Unleash's server SDKs do, in the body Unleash's `POST /api/client/metrics` takes (one body per
environment and app: `{"appName", "instanceId", "environment", "bucket": {"start", "stop",
"toggles": {flag: {"yes", "no", "variants": {variant: n}}}}}`). The server counts them under the
source `sdk`. Remote clients count nothing: the server counted their evaluations.

Counting is on the evaluation path and costs a dictionary lookup and a `next()` on the key's
`itertools.count`, which is atomic under the GIL: threads evaluating at once lose no count, with no
lock. The counts are taken by swapping the dictionary; an evaluation that already held a counter
of the old dictionary when it was taken may be lost (the instant of a swap, never more).

Memory is bounded: at most `MAX_KEYS` distinct keys between two reports, counts for a new key past
that are dropped (and counted in `dropped`); a report that fails for want of a server keeps its
counts for the next one, within the same bound. No I/O here: the shells in `client.py` send.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

# (flag, environment, app, variant, active); '' stands for "none named"
Key = tuple[str, str, str, str, bool]

MAX_KEYS = 10_000
# The most flags one metrics post may report (the server refuses more: `vexil.unleash.usage`).
MAX_TOGGLES = 5_000
# An app must be named in a metrics body: what a client that names none reports as.
DEFAULT_APP = "default"
# The server's heartbeat on the change stream: while connected, the feed wakes at least this often,
# so a report due within this much of its deadline is sent at the last wake before it.
WAKE = 15.0


def _iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


class EvaluationCounts:
    """Evaluations counted since the last report, and when the next report is due."""

    def __init__(self, interval: float, clock: Callable[[], float]) -> None:
        if interval <= 0:
            raise ValueError("metrics_interval must be a number of seconds above 0")
        self.interval = interval
        self._clock = clock
        self._counters: dict[Key, Iterator[int]] = {}
        self._unsent: dict[Key, int] = {}  # what a failed report gives back
        self._since = datetime.now(UTC)
        self._due = clock() + self._lead()
        self.dropped = 0

    def _lead(self) -> float:
        """Seconds from one report to the next wake that sends one: early enough that the wake
        after it (at most `WAKE` later) would already be past `interval`."""
        return max(self.interval - WAKE, self.interval / 2)

    def count(self, key: Key) -> None:
        counter = self._counters.get(key)
        if counter is None:
            if len(self._counters) >= MAX_KEYS:
                self.dropped += 1
                return
            counter = self._counters.setdefault(key, itertools.count())
        next(counter)

    def due(self) -> bool:
        return self._clock() >= self._due

    def take(self) -> tuple[dict[Key, int], str, str]:
        """The counts since the last report with the instants they span; counting starts over."""
        counters, self._counters = self._counters, {}
        unsent, self._unsent = self._unsent, {}
        taken = unsent
        for key, counter in counters.items():
            n = next(counter)
            if n:
                taken[key] = taken.get(key, 0) + n
        start, self._since = self._since, datetime.now(UTC)
        self._due = self._clock() + self._lead()
        return taken, _iso(start), _iso(self._since)

    def give_back(self, counts: dict[Key, int]) -> None:
        """Counts a report could not deliver, kept for the next one (within `MAX_KEYS`)."""
        unsent = self._unsent
        for key, n in counts.items():
            if key in unsent or len(unsent) < MAX_KEYS:
                unsent[key] = unsent.get(key, 0) + n
            else:
                self.dropped += n


def metrics_bodies(
    counts: dict[Key, int], start: str, stop: str, *, instance: str, sdk: str
) -> list[tuple[dict[Key, int], dict[str, Any]]]:
    """One Unleash metrics body per (environment, app), each with the counts it carries."""
    groups: dict[tuple[str, str], dict[Key, int]] = {}
    for key, n in counts.items():
        groups.setdefault((key[1], key[2]), {})[key] = n
    bodies = []
    for (environment, app), group in sorted(groups.items()):
        by_flag: dict[str, dict[Key, int]] = {}
        for key, n in group.items():
            by_flag.setdefault(key[0], {})[key] = n
        flags = sorted(by_flag)
        # Within what one post may carry (`vexil.unleash.usage`: MAX_TOGGLES flags a post).
        for first in range(0, len(flags), MAX_TOGGLES):
            carried: dict[Key, int] = {}
            toggles: dict[str, dict[str, Any]] = {}
            for flag in flags[first : first + MAX_TOGGLES]:
                toggle: dict[str, Any] = {"yes": 0, "no": 0, "variants": {}}
                for key, n in by_flag[flag].items():
                    variant, active = key[3], key[4]
                    toggle["yes" if active else "no"] += n
                    toggle["variants"][variant] = toggle["variants"].get(variant, 0) + n
                    carried[key] = n
                toggles[flag] = toggle
            body: dict[str, Any] = {
                "appName": app or DEFAULT_APP,
                "instanceId": instance,
                "sdkVersion": sdk,
                "bucket": {"start": start, "stop": stop, "toggles": toggles},
            }
            if environment:
                body["environment"] = environment
            bodies.append((carried, body))
    return bodies
