"""The application's own cost per request, without a server or a network: µs per ASGI call.

    .venv/bin/python bench/inprocess.py [--calls 20000] [--profile]

Builds the app on a fresh SQLite directory with the 20 flags of bench/http.sh (fixtures.http_flags),
then calls it directly as uvicorn would (scope, receive, send) for the same two requests that
bench/http.sh sends with wrk, their OFREP counterparts (with a token, which OFREP requires), and for
a raw ASGI hello-world. What it prints is the time our code
adds to each request on top of the server's own work; bench/http.sh gives the figures over HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from asgi_lifespan import LifespanManager

import fixtures as fx
from vexil.api.app import create_app
from vexil.config import Settings

TOKEN = "vx_bench_inprocess_admin_token_0123456789"
HEADERS = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), (b"accept", b"*/*")]

Send = Callable[[dict[str, Any]], Awaitable[None]]


async def hello(scope: dict[str, Any], receive: Any, send: Send) -> None:
    body = b'{"hello":"world"}'
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def scope_of(
    method: str, path: str, query: bytes = b"", headers: list[tuple[bytes, bytes]] = HEADERS
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": method,
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": headers,
    }


async def per_call(
    app: Any, scope: dict[str, Any], body: bytes, calls: int, timer: Callable[[], float] = time.perf_counter
) -> float:
    """µs per call, the best of 5 rounds (wall time by default; `time.process_time` counts only this
    process's CPU, which other work on the machine disturbs far less)."""
    message = {"type": "http.request", "body": body, "more_body": False}
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return message

    async def send(event: dict[str, Any]) -> None:
        if event["type"] == "http.response.start":
            statuses.append(event["status"])

    best = float("inf")
    for _ in range(5):
        statuses.clear()
        start = timer()
        for _ in range(calls):
            await app(scope, receive, send)
        best = min(best, (timer() - start) / calls * 1e6)
        assert set(statuses) == {200}, statuses[:3]
    return best


@asynccontextmanager
async def bench_app() -> AsyncIterator[tuple[Any, Any]]:
    """The app on a fresh SQLite directory, started, with the 20 flags of bench/http.sh: (app, runtime)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(data_dir=Path(tmp), admin_token=TOKEN))
        async with LifespanManager(app):
            runtime = app.slot.get()
            for body in fx.http_flags():
                await runtime.service.create_flag(body, actor="bench")
            yield app, runtime


async def side_by_side(
    app: Any, cases: dict[str, tuple[dict[str, Any], bytes]], sides: dict[str, Callable[[], None]], calls: int
) -> list[tuple[str, dict[str, float]]]:
    """Per case, µs per call on each side (`sides`: name -> what switches the app to it), measured
    in alternating rounds and the best round of each kept, so that other load weighs on all alike."""
    rounds = 5
    figures = []
    for what, (scope, body) in cases.items():
        best = dict.fromkeys(sides, float("inf"))
        for _ in range(rounds):
            for side, switch in sides.items():
                switch()
                best[side] = min(best[side], await per_call(app, scope, body, calls // rounds))
        figures.append((what, best))
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(data_dir=Path(tmp), admin_token=TOKEN))
        async with LifespanManager(app):
            admin = [*HEADERS, (b"authorization", b"Bearer " + TOKEN.encode())]
            for body in fx.http_flags():
                sent: list[dict[str, Any]] = []

                async def send(event: dict[str, Any], sent: list[dict[str, Any]] = sent) -> None:
                    sent.append(event)

                async def receive(body: dict[str, Any] = body) -> dict[str, Any]:
                    return {"type": "http.request", "body": orjson.dumps(body), "more_body": False}

                await app(scope_of("POST", "/flags", headers=admin), receive, send)
                assert sent[0]["status"] == 201, sent
            single = scope_of("GET", "/flags/http-07/evaluate", b"identifier=user-123&environment=production")
            bulk = scope_of("POST", "/evaluate")
            names = [f"http-{i:02d}" for i in range(20)]
            bulk_body = orjson.dumps({"identifier": "user-123", "environment": "production", "flags": names})
            ofrep_one = scope_of("POST", "/ofrep/v1/evaluate/flags/http-07", headers=admin)
            ofrep_all = scope_of("POST", "/ofrep/v1/evaluate/flags", headers=admin)
            ofrep_body = orjson.dumps({"context": {"targetingKey": "user-123", "environment": "production"}})
            if args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                await per_call(app, single, b"", args.calls // 5)
                await per_call(app, bulk, bulk_body, args.calls // 5)
                profiler.disable()
                pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            figures = {
                "hello-world (raw ASGI)": await per_call(hello, scope_of("GET", "/"), b"", args.calls),
                "GET /flags/http-07/evaluate": await per_call(app, single, b"", args.calls),
                "POST /evaluate (20 flags)": await per_call(app, bulk, bulk_body, args.calls),
                "POST /ofrep/.../flags/http-07": await per_call(app, ofrep_one, ofrep_body, args.calls),
                "POST /ofrep/.../flags (20 flags)": await per_call(app, ofrep_all, ofrep_body, args.calls),
            }
    for what, micros in figures.items():
        print(f"{what:32} {micros:7.2f} µs per call")
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
