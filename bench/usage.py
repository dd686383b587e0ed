"""What counting flag usage costs (docs/usage.md): the evaluation endpoints with counting on and off,
side by side in one run, and one flush of 100,000 distinct buckets to PostgreSQL.

    .venv/bin/python bench/usage.py [--calls 100000] [--buckets 100000] [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432]

The endpoints are called in process, as bench/inprocess.py does (no server, no network: the figure
is the time our code adds): the same request again and again (answered from the answer cache, the
cheapest path, where counting weighs most), and for two of them a new user on every call. "off"
swaps the running app's counter for one that counts nothing (`Uncounted`, what VEXIL_USAGE=off
runs); the two are measured in alternating rounds (the order swapped every round), the best round
of each kept. Time is the process's CPU time, not the wall clock: on a machine shared with other
work, the wall clock mostly measures the others. The flush runs on a database of its own, dropped
afterwards; the merge of what it wrote (once a minute and before a read, not part of a flush) is
timed too, and both again for the same buckets, which then add to rows already there.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

import fixtures as fx
from inprocess import HEADERS, TOKEN, per_call, scope_of
from vexil.api.app import create_app
from vexil.config import Settings
from vexil.core.usage import SERVER, Uncounted, Usage
from vexil.store import SqlStore

ROUNDS = 10
USERS = itertools.count()  # a new user on every call, across rounds and sides


async def new_users_per_call(app: Any, request: Callable[[int], tuple[dict[str, Any], bytes]], calls: int) -> float:
    """µs per call when every call names a new user (nothing is answered from the answer cache):
    the best of 5 runs of `calls` requests, each built beforehand by `request(user number)`."""
    best = float("inf")
    statuses: list[int] = []

    async def send(event: dict[str, Any]) -> None:
        if event["type"] == "http.response.start":
            statuses.append(event["status"])

    for _ in range(5):
        built = [request(next(USERS)) for _ in range(calls)]
        messages = [{"type": "http.request", "body": body, "more_body": False} for _, body in built]
        start = time.process_time()
        for (scope, _), message in zip(built, messages, strict=True):

            async def receive(message: dict[str, Any] = message) -> dict[str, Any]:
                return message

            await app(scope, receive, send)
        best = min(best, (time.process_time() - start) / calls * 1e6)
    assert set(statuses) == {200}, statuses[:3]
    return best


async def endpoints(calls: int) -> list[tuple[str, float, float]]:
    """Per endpoint: µs per call with counting on, and off."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(data_dir=Path(tmp), admin_token=TOKEN))
        async with LifespanManager(app):
            runtime = app.slot.get()
            admin = [*HEADERS, (b"authorization", b"Bearer " + TOKEN.encode())]
            for body in fx.http_flags():
                await runtime.service.create_flag(body, actor="bench")
            names = [f"http-{i:02d}" for i in range(20)]
            context = {"identifier": "user-123", "environment": "production"}
            ofrep = orjson.dumps({"context": {"targetingKey": "user-123", "environment": "production"}})
            single = "GET /flags/http-07/evaluate"
            bulk = "POST /evaluate (20 flags)"
            cases = {
                single: (
                    scope_of("GET", "/flags/http-07/evaluate", b"identifier=user-123&environment=production"),
                    b"",
                ),
                bulk: (scope_of("POST", "/evaluate"), orjson.dumps({**context, "flags": names})),
                "POST /ofrep/.../flags/http-07": (
                    scope_of("POST", "/ofrep/v1/evaluate/flags/http-07", headers=admin),
                    ofrep,
                ),
                "POST /ofrep/.../flags (20 flags)": (
                    scope_of("POST", "/ofrep/v1/evaluate/flags", headers=admin),
                    ofrep,
                ),
            }
            new_users: dict[str, Callable[[int], tuple[dict[str, Any], bytes]]] = {
                single + ", new users": lambda user: (
                    scope_of("GET", "/flags/http-07/evaluate", f"identifier=u{user}&environment=production".encode()),
                    b"",
                ),
                bulk + ", new users": lambda user: (
                    scope_of("POST", "/evaluate"),
                    orjson.dumps({**context, "identifier": f"u{user}", "flags": names}),
                ),
            }
            counting, off = runtime.usage, Uncounted(runtime.usage._store)
            figures = []
            for what in [*cases, *new_users]:
                best = {"on": float("inf"), "off": float("inf")}
                for round_ in range(ROUNDS):
                    for side in ("on", "off") if round_ % 2 == 0 else ("off", "on"):
                        runtime.usage = counting if side == "on" else off
                        if what in cases:
                            scope, body = cases[what]
                            micros = await per_call(app, scope, body, calls // ROUNDS, time.process_time)
                        else:
                            micros = await new_users_per_call(app, new_users[what], calls // ROUNDS // 5)
                        best[side] = min(best[side], micros)
                runtime.usage = counting
                figures.append((what, best["on"], best["off"]))
            return figures


async def flush_seconds(server: str, buckets: int) -> tuple[float, float, float]:
    """Seconds one flush of `buckets` distinct buckets takes on a fresh PostgreSQL database, the
    merge of what it wrote into the hour and day rows (once a minute or before a read, not part of a
    flush), and a second flush and merge of the same buckets (which then add to rows already there)."""
    name = f"vexil_bench_usage_{os.getpid()}"
    engine = create_async_engine(f"{server}/test", isolation_level="AUTOCOMMIT", poolclass=NullPool)
    async with engine.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        store = await SqlStore.open(f"{server}/{name}")
        try:
            usage = Usage(store)
            times = []
            for _ in range(2):
                for i in range(buckets):
                    usage.count([(f"flag-{i % 500}", "production", f"app-{i // 500}", "on")], SERVER)
                start = time.perf_counter()
                await usage.flush()
                flushed = time.perf_counter()
                await usage.merge()
                times += [flushed - start, time.perf_counter() - flushed]
            return times[0], times[1], times[2] + times[3]
        finally:
            await store.close()
    finally:
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    parser.add_argument("--buckets", type=int, default=100_000)
    parser.add_argument("--flush-only", action="store_true", help="only the flush to PostgreSQL")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}")
    for what, on, off in [] if args.flush_only else await endpoints(args.calls):
        print(f"{what:34} on {on:7.2f} µs   off {off:7.2f} µs   cost {(on - off) / off * 100:+5.1f} %")
    flush, merge, again = await flush_seconds(args.postgres, args.buckets)
    print(f"flush of {args.buckets:,} distinct buckets to PostgreSQL: {flush:.2f} s")
    print(f"  then its merge into hour and day rows: {merge:.2f} s; both again for the same buckets: {again:.2f} s")
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
