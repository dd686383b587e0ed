"""What keeping the recent-contexts sample costs (docs/impact.md), and what one impact preview takes.

    .venv/bin/python bench/recent.py [--calls 20000]

1. The evaluation endpoints with the sample on and off, side by side in one run, in process as
   bench/usage.py measures them (no server, no network: the figure is the time our code adds).
   "off" swaps the running app's sample for one of size 0, which returns at once. Alternating
   rounds, the best of each kept. Cases: an answer served again from the answer cache (the sample
   only marks its context recent), and an admin caller, whose answers are never kept (each call
   encodes its context).
2. `RecentContexts.offer` alone, for 10,000 distinct contexts of a typical size (µs per call).
3. `impact()` of one rollout change over a full sample of 10,000 contexts, 20 flags held (ms).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Callable

import orjson

from inprocess import HEADERS, TOKEN, bench_app, scope_of, side_by_side
from vexil.core.impact import Proposal, impact
from vexil.core.recent import RecentContexts

ROUNDS = 5
CONTEXT = {"environment": "production", "app": "web", "attributes": {"plan": "pro", "country": "NL", "age": 41}}


async def endpoints(calls: int) -> list[tuple[str, float, float]]:
    """Per endpoint: µs per call with the sample on, and off."""
    async with bench_app() as (app, runtime):
        admin = [*HEADERS, (b"authorization", b"Bearer " + TOKEN.encode())]
        names = [f"http-{i:02d}" for i in range(20)]
        query = b"identifier=user-123&environment=production&plan=pro"
        bulk = {"identifier": "user-123", "environment": "production", "flags": names}
        cases = {
            "GET /flags/http-07/evaluate (kept)": (scope_of("GET", "/flags/http-07/evaluate", query), b""),
            "GET /flags/http-07/evaluate (admin)": (scope_of("GET", "/flags/http-07/evaluate", query, admin), b""),
            "POST /evaluate (20 flags, kept)": (scope_of("POST", "/evaluate"), orjson.dumps(bulk)),
        }
        sampling, off = runtime.recent, RecentContexts(0)

        def use(recent: RecentContexts) -> Callable[[], None]:
            return lambda: setattr(runtime, "recent", recent)

        figures = await side_by_side(app, cases, {"on": use(sampling), "off": use(off)}, calls)
        runtime.recent = sampling
        return [(what, best["on"], best["off"]) for what, best in figures]


def offer_us(n: int = 10_000) -> float:
    contexts = [{"identifier": f"user-{i}", **CONTEXT} for i in range(n)]
    best = float("inf")
    for _ in range(ROUNDS):
        recent = RecentContexts()
        start = time.perf_counter()
        for context in contexts:
            recent.offer(context)
        best = min(best, (time.perf_counter() - start) / n * 1e6)
    return best


def impact_ms(n: int = 10_000) -> float:
    from vexil.engine import Snapshot

    flags = [{"name": f"flag-{i}", "enabled": True, "rollout_percentage": 10} for i in range(20)]
    snapshot = Snapshot(flags)
    recent = RecentContexts(n)
    for i in range(n):
        recent.offer({"identifier": f"user-{i}", **CONTEXT})
    proposal = Proposal(flags={"flag-3": {"name": "flag-3", "enabled": True, "rollout_percentage": 20}})
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        impact(snapshot, proposal, recent.contexts())
        best = min(best, (time.perf_counter() - start) * 1e3)
    return best


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20000)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}")
    for what, on, off in await endpoints(args.calls):
        print(f"{what:38} on {on:7.2f} µs   off {off:7.2f} µs   cost {(on - off) / off * 100:+5.1f} %")
    print(f"RecentContexts.offer, 10,000 distinct contexts: {offer_us():.2f} µs per call")
    print(f"impact() of a rollout change over 10,000 contexts (sample decoded included): {impact_ms():.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
