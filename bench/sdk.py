"""The Python SDK's local evaluation next to the engine it runs: what `Client.is_enabled` adds per call.

    .venv/bin/python bench/sdk.py [--quick]

A local-evaluation `vexil.sdk.Client` is fed the 100 flags of `bench/engine.py` (fixtures.py) by an
`httpx.MockTransport` standing in for `/sdk/config` and `/sdk/stream` (sockets are disabled for the
whole process), and its answers are checked against the engine's for 1,000 users and every flag.
Then the same loops as `bench/engine.py` (a simple flag, a 50 % rollout over 1,000 users, a rule
of three conditions over 1,000 users) are timed calling:

- `snapshot.evaluate(name, ctx)`: the engine directly, as `bench/engine.py` measures it;
- `snapshot.evaluate(name, ctx).active`: the engine plus reading the answer, the same work as
  `is_enabled` does;
- `client.is_enabled(name, ctx)`: the SDK, with no default context (the context is passed through),
  counting each evaluation for its usage reports (docs/usage.md), as it does by default;
- the same on a client that counts nothing (`Options(metrics_interval=0)`): "uncounted";
- `client.is_enabled(name, ctx)` on a client with `environment` and `app` set: each call's context
  is merged over the defaults (one dict built per call);
- `await client.is_enabled(name, ctx)` on an `AsyncClient` (a coroutine per call).

Each figure is the best of several repeats (7; 3 with `--quick`; `--repeat N`) of short samples
taken interleaved, so that a burst of load on the machine hits every variant alike, timed in the
thread's CPU time (`time.thread_time`), which time spent descheduled by other processes does not
inflate; in ns per call. "overhead" is the SDK's figure minus the engine's `evaluate(...).active`;
"counting" is the SDK's figure minus the uncounted one.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import socket
import threading
import time
import timeit
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import httpx
import orjson

import fixtures as fx

FLAGS = fx.mixed_names(100)
NAME = {kind: next(name for name, k in FLAGS if k == kind) for kind in (fx.SIMPLE, fx.ROLLOUT, fx.CONDITIONS)}
DOCS = [fx.vexil_flag(name, kind) for name, kind in FLAGS]
WORKLOADS = [
    ("a", "a. simple flag (on, 100 %)", fx.SIMPLE),
    ("b", "b. 50 % rollout, 1,000 users", fx.ROLLOUT),
    ("c", "c. 3 conditions, 1,000 users", fx.CONDITIONS),
]


def forbid_network() -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"benchmark: network access attempted {args[1:]!r}")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse  # type: ignore[assignment]
    socket.getaddrinfo = refuse  # type: ignore[assignment]


class Feed:
    """`/sdk/config` and an idle `/sdk/stream`, in memory."""

    def __init__(self) -> None:
        self.stop = threading.Event()

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/sdk/config":
            body = {"environment": None, "flags": DOCS, "segments": [], "event_id": "bench-1"}
            return httpx.Response(200, content=orjson.dumps(body), headers={"ETag": '"bench"'})
        if request.url.path == "/sdk/stream":
            return httpx.Response(200, headers={"Content-Type": "text/event-stream"}, content=self._idle())
        return httpx.Response(404)

    def _idle(self) -> Iterator[bytes]:
        while not self.stop.wait(0.05):
            yield b": ping\n\n"


def build_client(metrics_interval: float = 60.0, **kwargs: Any) -> Any:
    """A local client on its own in-memory feed, whose idle stream ends when the client closes."""
    from vexil.sdk import Client, Options, SyncState

    feed = Feed()
    client = Client(
        "http://bench",
        token="bench",
        mode="local",
        options=Options(transport=httpx.MockTransport(feed.handle), metrics_interval=metrics_interval),
        **kwargs,
    )
    client.on_state(lambda state: feed.stop.set() if state is SyncState.CLOSED else None)
    if not client.wait_until_ready(10):
        raise SystemExit(f"the client got no configuration: {client.last_error}")
    return client


def check_answers(snapshot: Any, plain: Any, defaults: Any, ctxs: Sequence[Mapping[str, Any]]) -> list[str]:
    """The SDK must give the engine's answer, for every flag and user."""
    problems = []
    for name, _ in FLAGS:
        for ctx in ctxs:
            expected = snapshot.evaluate(name, ctx).active
            if plain.is_enabled(name, ctx) is not expected:
                problems.append(f"{name} {ctx['identifier']}: SDK {not expected}, engine {expected}")
            merged = {**ctx, "environment": "production", "app": "web"}
            if defaults.is_enabled(name, ctx) is not snapshot.evaluate(name, merged).active:
                problems.append(f"{name} {ctx['identifier']} (with defaults): differs from the engine")
    return problems


def calling(fn: Callable[..., Any], name: str, users: list[Mapping[str, Any]]) -> Callable[[], None]:
    """A loop calling `fn(name, ctx)` for each of `users`."""

    def run() -> None:
        for ctx in users:
            fn(name, ctx)

    return run


def loops(
    snapshot: Any, plain: Any, uncounted: Any, defaults: Any, ctxs: Sequence[Mapping[str, Any]]
) -> dict[str, dict[str, Callable[[], Any]]]:
    evaluate = snapshot.evaluate
    one = ctxs[0]
    runs: dict[str, dict[str, Callable[[], Any]]] = {}
    for key, _, kind in WORKLOADS:
        name = NAME[kind]
        users = [one] * len(ctxs) if kind == fx.SIMPLE else list(ctxs)

        def engine_active(name: str = name, users: list[Mapping[str, Any]] = users) -> None:
            for ctx in users:
                evaluate(name, ctx).active  # noqa: B018 (reading the answer is the point)

        runs[key] = {
            "engine": calling(evaluate, name, users),
            "engine_active": engine_active,
            "sdk": calling(plain.is_enabled, name, users),
            "sdk_uncounted": calling(uncounted.is_enabled, name, users),
            "sdk_defaults": calling(defaults.is_enabled, name, users),
        }
    return runs


def async_loops(ctxs: Sequence[Mapping[str, Any]], repeat: int) -> dict[str, float]:
    """Best ns per `await client.is_enabled(...)`, per workload."""
    from vexil.sdk import AsyncClient, Options

    async def measure() -> dict[str, float]:
        transport = httpx.MockTransport(lambda request: httpx.Response(404))
        client = AsyncClient("http://bench", token="bench", mode="local", options=Options(transport=transport))
        # Fed directly: a MockTransport stream for the async client would need an async body.
        config = orjson.dumps({"environment": None, "flags": DOCS, "segments": [], "event_id": "bench-1"})
        client._on_config(httpx.Response(200, content=config, request=httpx.Request("GET", "http://bench/sdk/config")))
        results: dict[str, float] = {}
        for key, _, kind in WORKLOADS:
            name = NAME[kind]
            users = [ctxs[0]] * len(ctxs) if kind == fx.SIMPLE else list(ctxs)
            best = float("inf")
            for _ in range(repeat):
                start = time.thread_time()
                for _ in range(20):
                    for ctx in users:
                        await client.is_enabled(name, ctx)
                best = min(best, (time.thread_time() - start) / (20 * len(users)) * 1e9)
            results[key] = best
        await client.close()
        return results

    return asyncio.run(measure())


def best_interleaved(variants: Mapping[str, Callable[[], Any]], per_call: int, repeat: int) -> dict[str, float]:
    """Best ns per call of each variant; short samples (about 50 ms), interleaved across variants."""
    timers = {label: timeit.Timer(fn, timer=time.thread_time) for label, fn in variants.items()}
    number = max(1, max(timer.autorange()[0] for timer in timers.values()) // 4)
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(repeat):
        for label, timer in timers.items():
            best[label] = min(best[label], timer.timeit(number) / number / per_call * 1e9)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 7")
    parser.add_argument("--repeat", type=int, help="repeats (more find the quiet moments of a busy machine)")
    args = parser.parse_args()
    repeat = args.repeat or (3 if args.quick else 7)
    forbid_network()

    plain, defaults = build_client(), build_client(environment="production", app="web")
    uncounted = build_client(metrics_interval=0)
    snapshot = plain._snapshot
    ctxs = [fx.vexil_context(user) for user in fx.users()]
    problems = check_answers(snapshot, plain, defaults, ctxs)
    if problems:
        raise SystemExit("wrong answers:\n" + "\n".join(problems[:20]))

    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; best of {repeat}, ns per call")
    runs = loops(snapshot, plain, uncounted, defaults, ctxs)
    gc.collect()
    gc.disable()
    try:
        figures = {key: best_interleaved(runs[key], len(ctxs), repeat) for key, _, _ in WORKLOADS}
    finally:
        gc.enable()
    awaited = async_loops(ctxs, repeat)
    columns = ("evaluate", ".active", "is_enabled", "overhead", "uncounted", "counting", "+defaults", "async")
    header = f"{'workload':<30} " + " ".join(f"{c:>{max(len(c), 9)}}" for c in columns)
    print(header)
    print("-" * len(header))
    for key, label, _ in WORKLOADS:
        f = figures[key]
        overhead = f["sdk"] - f["engine_active"]
        print(
            f"{label:<30} {f['engine']:>9,.0f} {f['engine_active']:>9,.0f} {f['sdk']:>10,.0f} "
            f"{overhead:>+9,.0f} {f['sdk_uncounted']:>9,.0f} {f['sdk'] - f['sdk_uncounted']:>+9,.0f} "
            f"{f['sdk_defaults']:>9,.0f} {awaited[key]:>9,.0f}"
        )
    plain.close()
    uncounted.close()
    defaults.close()


if __name__ == "__main__":
    main()
