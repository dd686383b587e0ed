"""What a local client evaluated, counted in memory and reported in batches (docs/usage.md).

A client in local mode answers without asking the server, so the server cannot count what it
answered: the client counts each evaluation here (per flag, environment, app, variant, and whether
it was active) and reports the counts every `metrics_interval` seconds and on `close()`, as
Unleash's server SDKs do, in the body Unleash's `POST /api/client/metrics` takes (one body per
environment and app: `{"appName", "instanceId", "environment", "bucket": {"start", "stop",
"toggles": {flag: {"yes", "no", "variants": {variant: n}}}}}`). The server counts them under the
source `sdk`. Remote clients count nothing: the server counted their evaluations.

Counting is on the evaluation path, so it is shaped for CPython, where every call costs tens of
nanoseconds: `is_enabled` counts with subscripts and one call, `next(...)` on the counter of the
evaluation's environment, app, flag and variant, an `itertools.count`, which is atomic under the
GIL: threads evaluating at once lose no count, with no lock. The counts are taken by swapping the
dictionary; an evaluation that already held a counter of the old one when it was taken may be lost
(the instant of a swap, never more).

Memory is bounded: at most `MAX_KEYS` distinct keys between two reports, counts for a new key past
that are dropped (and counted in `dropped`); a report that fails for want of a server keeps its
counts for the next one, within the same bound. No I/O here: the shells in `client.py` send.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from vexil.engine import Evaluation

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


def _text(value: Any) -> str:
    """An environment or app as counted: a context's text, else '' ("none named")."""
    return value if value.__class__ is str else ""


def _iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


class EvaluationCounts:
    """Evaluations counted since the last report, and when the next report is due.

    `tree` holds the counters: environment -> app (as the context holds them) -> flag -> variant ->
    counter, nested rather than keyed by a tuple, which would cost more to build and hash than
    the rest of the count. The client's `is_enabled` counts inline, with
    `next(tree[environment][app][flag][variant])`, and calls `count` when that raises (a first
    evaluation, or a context whose environment or app cannot be a key).
    """

    def __init__(self, interval: float, clock: Callable[[], float]) -> None:
        if interval <= 0:
            raise ValueError("metrics_interval must be a number of seconds above 0")
        self.interval = interval
        self._clock = clock
        self.tree: dict[Any, dict[Any, dict[str, dict[str, Iterator[int]]]]] = {}
        self._active: dict[tuple[str, str], bool] = {}  # per flag and variant counted: whether active
        self._keys = 0  # counters in `tree`, within MAX_KEYS
        self._unsent: dict[Key, int] = {}  # what a failed report gives back
        self._since = datetime.now(UTC)
        self._due = clock() + self._lead()
        self.dropped = 0

    def _lead(self) -> float:
        """Seconds from one report to the next wake that sends one: early enough that the wake
        after it (at most `WAKE` later) would already be past `interval`."""
        return max(self.interval - WAKE, self.interval / 2)

    def count(self, result: Evaluation, context: Mapping[str, Any]) -> None:
        """Count one evaluation of `result` for `context` (the call's, over the client's defaults);
        an unknown flag (no variant) is not counted."""
        variant = result.variant
        if variant is None:
            return
        environment, app = context.get("environment"), context.get("app")
        try:
            hash((environment, app))
        except TypeError:  # not text: counted as none named
            environment, app = _text(environment), _text(app)
        flags = self.tree.setdefault(environment, {}).setdefault(app, {})
        variants = flags.get(result.flag)
        if variants is None:
            variants = flags.setdefault(result.flag, {})
        counter = variants.get(variant)
        if counter is None:
            if self._keys >= MAX_KEYS:
                self.dropped += 1
                return
            self._keys += 1
            self._active[(result.flag, variant)] = result.active
            counter = variants.setdefault(variant, itertools.count())
        next(counter)

    def empty(self) -> bool:
        """Whether there is nothing to report."""
        return not self.tree and not self._unsent

    def due(self) -> bool:
        return self._clock() >= self._due

    def take(self) -> tuple[dict[Key, int], str, str]:
        """The counts since the last report with the instants they span; counting starts over."""
        tree, self.tree = self.tree, {}
        active, self._active = self._active, {}
        self._keys = 0
        taken, self._unsent = self._unsent, {}
        for environment, apps in tree.items():
            for app, flags in apps.items():
                for flag, variants in flags.items():
                    for variant, counter in variants.items():
                        n = next(counter)
                        if n:
                            key = (flag, _text(environment), _text(app), variant, active.get((flag, variant), True))
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
