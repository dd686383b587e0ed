"""Replicas in step: how fast a write on one replica reaches another, and throughput with two.

    .venv/bin/python bench/replication.py [--writes 200] [--duration 10] [--no-throughput]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust; VEXIL_BENCH_POSTGRES to change it),
`redis-server` and `wrk`. A throwaway database and a redis-server on a free port are created for
the run and removed afterwards; nothing shared is touched.

1. Propagation lag, through Redis pub/sub and through PostgreSQL LISTEN/NOTIFY: two `vexil serve`
   replicas A and B on one database, the version check slowed to once a minute so that only the
   bus can be what delivers a change. `--writes` times (200), a flag is toggled on A; from the
   moment A acknowledges the write (its response is in), B is asked for the flag's evaluation
   until it answers the new value (**evaluation** lag), and the `update` event of a client stream
   open on B (`GET /stream`) is timed too (**stream** lag). p50/p99/max in ms. Target: p99 <= 100 ms.
2. Evaluation throughput with two replicas (PostgreSQL + Redis): wrk on
   `GET /flags/<f>/evaluate?identifier=user-123&environment=production`, 64 connections split
   32/32 over the two replicas (two wrk processes side by side; the figure is their sum), next to
   one replica with all 64. No CPU pinning: on a 2-core machine two servers and wrk share them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("VEXIL_BENCH_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432")
TOKEN = "bench-" + secrets.token_urlsafe(24)
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
FLAG = "lag"
EVAL_PATH = f"/flags/{FLAG}/evaluate?identifier=user-123&environment=production"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- services -----------------------------------------------------------------------------------


async def _admin(statement: str) -> None:
    engine = create_async_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def database() -> Iterator[str]:
    name = f"vexil_bench_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen([*command, "--dir", str(directory)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.kill()
        process.wait()


class Replica:
    def __init__(self, directory: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = directory / f"replica-{self.port}.log"
        environment = {k: v for k, v in os.environ.items() if not k.startswith("VEXIL_")}
        environment.update({"VEXIL_ADMIN_TOKEN": TOKEN, **env})
        command = [sys.executable, "-m", "vexil", "serve", "--port", str(self.port), "--data-dir", str(directory)]
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=environment)

    def wait_ready(self, bus: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"replica exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=1).json().get("bus") == f"{bus}: ok":
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.05)
        raise SystemExit(f"replica not ready:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def replicas(tmp: Path, count: int, env: dict[str, str], bus: str) -> Iterator[list[Replica]]:
    started = []
    try:
        for index in range(count):
            directory = tmp / f"{bus}-{index}-{secrets.token_hex(2)}"
            directory.mkdir()
            started.append(Replica(directory, env))
        for replica in started:
            replica.wait_ready(bus)
        yield started
    finally:
        for replica in started:
            replica.stop()


# --- 1. propagation lag -------------------------------------------------------------------------


class StreamClock:
    """A client stream on a replica; `arrivals` holds (monotonic time, active) of each update of FLAG."""

    def __init__(self, url: str) -> None:
        self.arrivals: list[tuple[float, bool]] = []
        self.opened = threading.Event()
        threading.Thread(target=self._read, args=(url,), daemon=True).start()
        if not self.opened.wait(10):
            raise SystemExit("the stream did not open")

    def _read(self, url: str) -> None:
        event = ""
        timeout = httpx.Timeout(5, read=None)
        with httpx.Client(timeout=timeout) as http, http.stream("GET", f"{url}/stream?identifier=user-123") as response:
            for line in response.iter_lines():
                if line.startswith("event: snapshot"):
                    self.opened.set()
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "update":
                    flags = json.loads(line[6:])["flags"]
                    if FLAG in flags:
                        self.arrivals.append((time.monotonic(), bool(flags[FLAG]["active"])))


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000
    return f"p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   max {ordered[-1] * 1000:6.1f} ms"


def measure_lag(a: Replica, b: Replica, writes: int) -> tuple[list[float], list[float]]:
    """(evaluation lags, stream lags) in seconds, one per write."""
    with httpx.Client(base_url=a.url, headers=ADMIN) as writer, httpx.Client(base_url=b.url) as reader:
        writer.post("/flags", json={"name": FLAG, "enabled": True}).raise_for_status()
        while not reader.get(EVAL_PATH).json()["active"]:
            time.sleep(0.001)
        clock = StreamClock(b.url)
        evaluation: list[float] = []
        acknowledged: list[tuple[float, bool]] = []
        for _ in range(writes):
            response = writer.post(f"/flags/{FLAG}/toggle")
            done = time.monotonic()
            response.raise_for_status()
            expected = response.json()["enabled"]
            acknowledged.append((done, expected))
            while reader.get(EVAL_PATH).json()["active"] is not expected:
                pass
            evaluation.append(time.monotonic() - done)
            time.sleep(0.005)  # let the stream event land before the next write
        deadline = time.monotonic() + 5
        while len(clock.arrivals) < writes and time.monotonic() < deadline:
            time.sleep(0.01)
    if len(clock.arrivals) != writes or [v for _, v in clock.arrivals] != [v for _, v in acknowledged]:
        raise SystemExit(f"the stream carried {len(clock.arrivals)} updates for {writes} writes")
    stream = [arrival - done for (arrival, _), (done, _) in zip(clock.arrivals, acknowledged, strict=True)]
    return evaluation, stream


# --- 2. throughput ------------------------------------------------------------------------------


def wrk(urls: list[str], seconds: int, connections: int) -> float:
    """Requests per second summed over one wrk process per URL, run side by side."""
    per = connections // len(urls)
    command = ["wrk", "-t1", f"-c{per}", f"-d{seconds}s"]
    processes = [subprocess.Popen([*command, url], stdout=subprocess.PIPE, text=True) for url in urls]
    total = 0.0
    for process in processes:
        out, _ = process.communicate()
        if "Non-2xx" in out or "Socket errors" in out:
            raise SystemExit(f"wrk saw errors:\n{out}")
        match = re.search(r"Requests/sec:\s+([\d.]+)", out)
        if match is None:
            raise SystemExit(f"unreadable wrk output:\n{out}")
        total += float(match.group(1))
    return total


def throughput(servers: list[Replica], seconds: int) -> tuple[float, float]:
    httpx.post(f"{servers[0].url}/flags", json={"name": FLAG, "enabled": True}, headers=ADMIN).raise_for_status()
    urls = [s.url + EVAL_PATH for s in servers]
    while not all(httpx.get(url).json()["active"] for url in urls):
        time.sleep(0.01)
    wrk(urls, 2, 64)  # warm-up
    both = wrk(urls, seconds, 64)
    wrk(urls[:1], 2, 64)
    one = wrk(urls[:1], seconds, 64)
    return one, both


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writes", type=int, default=200, help="writes per bus (200)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each measured wrk run (10)")
    parser.add_argument("--no-throughput", dest="throughput", action="store_false", help="skip part 2")
    args = parser.parse_args()
    for tool in ("redis-server", *(["wrk"] if args.throughput else [])):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="vexil-bench-") as name:
        tmp = Path(name)
        with redis_server(tmp) as redis:
            for bus, extra in (("redis", {"VEXIL_REDIS_URL": redis}), ("postgres", {})):
                with database() as url:
                    env = {"VEXIL_DATABASE_URL": url, "VEXIL_SYNC_INTERVAL": "60", **extra}
                    with replicas(tmp, 2, env, bus) as (a, b):
                        evaluation, stream = measure_lag(a, b, args.writes)
                label = "Redis pub/sub" if bus == "redis" else "LISTEN/NOTIFY"
                print(f"1. lag A -> B, {label:13}, {args.writes} writes")
                print(f"   evaluation on B: {percentiles(evaluation)}")
                print(f"   stream on B:     {percentiles(stream)}")
            if args.throughput:
                with database() as url:
                    env = {"VEXIL_DATABASE_URL": url, "VEXIL_REDIS_URL": redis}
                    with replicas(tmp, 2, env, "redis") as servers:
                        one, both = throughput(servers, args.duration)
                print(f"2. GET evaluate, wrk 64 connections, {args.duration} s")
                print(f"   one replica:                  {one:9.0f} req/s")
                print(f"   two replicas (32 + 32):       {both:9.0f} req/s")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
