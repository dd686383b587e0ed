"""A big import while evaluations go on: how long it takes, and how long evaluations wait meanwhile.

    .venv/bin/python bench/import.py [--flags 10000] [--database-url URL] [--no-pin] [--json]

1. A fresh `vexil serve` (VEXIL_ADMIN_TOKEN set; SQLite in a temporary directory, or `--database-url`).
2. A thread of this process evaluates `GET /flags/flag-0000/evaluate?identifier=user-<i>` in a loop
   on a keep-alive connection of its own (a new identifier each time, so nothing is answered from a
   kept answer), noting when each request was sent and how long its answer took.
3. Once both are warm (the evaluator answered for a second; `POST /import` answered once, a 401
   without a token, since FastAPI builds a route on its first request), the main thread sends
   `POST /import` with `--flags` realistic flag documents
   (`fixtures.realistic_flags`) and the benchmark segments, and times it until the answer is in.
4. Reported: the import's duration, how many evaluations were answered while it ran, and the
   p50 / p99 / max of their latencies (every request that was waiting at some point of the import);
   `--json`: as one JSON object (tests/hostile/test_big_import.py runs this script so).

The server is pinned to CPU 0 and this process to CPU 1 (`--no-pin`: let the kernel place them).
Target on a quiet machine: 10,000 flags in a few seconds, and no evaluation waiting more than 100 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import multiprocessing
import os
import selectors
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import orjson

import fixtures as fx
from fanout import CLIENT_CPU, TOKEN, Server, free_port, spawn, wait_healthy

EVALUATED = "/flags/flag-0000/evaluate?identifier=user-"


def import_body(count: int) -> bytes:
    """An export document of `count` flags and the benchmark segments."""
    state: dict[str, Any] = {
        "version": 1,
        "environments": [{"name": name} for name in ("development", "staging", "production")],
        "flags": fx.realistic_flags(count),
        "segments": fx.segment_docs(),
    }
    return orjson.dumps(state)


class Evaluator(threading.Thread):
    """Evaluates one flag in a loop on one connection; `samples` holds (sent at, seconds waited)."""

    def __init__(self, server: Server) -> None:
        super().__init__(name="evaluator", daemon=True)
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        self.samples: list[tuple[float, float]] = []
        self.failures = 0
        self.stop = threading.Event()

    def run(self) -> None:
        count = 0
        while not self.stop.is_set():
            count += 1
            sent = time.monotonic()
            self.connection.request("GET", f"{EVALUATED}{count}")
            response = self.connection.getresponse()
            response.read()
            self.samples.append((sent, time.monotonic() - sent))
            if response.status != 200:
                self.failures += 1

    def during(self, start: float, end: float) -> list[float]:
        """The latencies of the requests that were waiting at some moment between `start` and `end`."""
        return [waited for sent, waited in self.samples if sent <= end and sent + waited >= start]


def post_import(server: Server, body: bytes, *, token: str | None = TOKEN) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    connection.request("POST", "/import", body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def served_flags(server: Server) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", "/health")
    return int(orjson.loads(connection.getresponse().read())["flags"])


def figures(count: int, seconds: float, latencies: list[float], failures: int) -> dict[str, Any]:
    ms = sorted(value * 1000 for value in latencies)
    return {
        "flags": count,
        "seconds": round(seconds, 3),
        "evaluations": len(ms),
        "failed": failures,
        "p50_ms": round(statistics.median(ms), 1) if ms else None,
        "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1) if ms else None,
        "max_ms": round(ms[-1], 1) if ms else None,
    }


def report(result: dict[str, Any]) -> None:
    print(f"import of {result['flags']:,} flags: {result['seconds']:.2f} s")
    if result["streams"]:
        print(f"{result['streams']} client streams open: the last had its snapshot {result['streams_settled_s']} s in")
    if not result["evaluations"]:
        print("no evaluation was answered during the import")
        return
    print(
        f"evaluations during it: {result['evaluations']:,} (failed: {result['failed']}); "
        f"latency p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, max {result['max_ms']} ms"
    )


class Streams:
    """`count` client streams (`GET /stream`) read by a process of their own (so that reading them
    takes nothing from the evaluator's process), which notes each one's bytes and last arrival."""

    def __init__(self, server: Server, count: int) -> None:
        self.received = multiprocessing.Array("q", count)
        self.last = multiprocessing.Array("d", count)
        self.stop = multiprocessing.Event()
        self.ready = multiprocessing.Event()
        self.process = multiprocessing.Process(target=self._read, args=(server.port, count), daemon=True)
        self.process.start()
        if count and not self.ready.wait(30):
            raise SystemExit("the streams did not open")

    def _read(self, port: int, count: int) -> None:
        selector = selectors.DefaultSelector()
        for index in range(count):
            sock = socket.create_connection(("127.0.0.1", port))
            path = f"/stream?identifier=user-{index}&environment=production"
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, index)
        self.ready.set()
        while not self.stop.is_set():
            for key, _ in selector.select(0.05):
                with contextlib.suppress(BlockingIOError):
                    data = key.fileobj.recv(1 << 16)  # type: ignore[union-attr]
                    self.received[key.data] += len(data)
                    self.last[key.data] = time.monotonic()

    def settled(self, before: list[int], expected: int, timeout: float) -> float | None:
        """When the last stream had received `expected` bytes more than `before` (None: not in time)."""
        deadline = time.monotonic() + timeout
        while any(now - then < expected for now, then in zip(self.received[:], before, strict=True)):
            if time.monotonic() > deadline:
                return None
            time.sleep(0.01)
        return max(self.last[:], default=None)

    def close(self) -> None:
        self.stop.set()
        self.process.join(timeout=10)


def measure(count: int, database_url: str | None, *, pin: bool, streams: int = 0) -> dict[str, Any]:
    """Start a server, import `count` flags while evaluating (and with `streams` client streams
    open, until each has had its fresh snapshot), and return the figures."""
    body = import_body(count)
    with tempfile.TemporaryDirectory(prefix="vexil-bench-import-") as tmp:
        port = free_port()
        data_dir = Path(tmp) / "data"
        command = [sys.executable, "-m", "vexil", "serve", "--port", str(port), "--data-dir", str(data_dir)]
        if database_url:
            command += ["--database-url", database_url]
        server = wait_healthy(spawn(command, port, data_dir, pin=pin))
        try:
            evaluator = Evaluator(server)
            evaluator.start()
            # Warm: the evaluator's connection is open and answered, and the import route has answered
            # once (FastAPI builds a route on its first request: a one-time cost of any route).
            status, _ = post_import(server, b"{}", token=None)
            assert status == 401, status
            readers = Streams(server, streams)
            time.sleep(1)
            before = readers.received[:]
            start = time.monotonic()
            status, answer = post_import(server, body)
            end = time.monotonic()
            # Each stream's snapshot of the imported flags is at least ~50 bytes a flag.
            settled = readers.settled(before, 50 * count, timeout=600) if streams else end
            readers.close()
            time.sleep(0.2)
            evaluator.stop.set()
            evaluator.join(timeout=10)
            if status != 200:
                raise SystemExit(f"import failed: {status} {answer[:500]!r}")
            if settled is None:
                raise SystemExit("some stream never had the imported flags")
            if served_flags(server) != count:
                raise SystemExit(f"the server does not serve the {count} imported flags: {answer!r}")
            window = max(end, settled)
            result = figures(count, end - start, evaluator.during(start, window), evaluator.failures)
            return {**result, "streams": streams, "streams_settled_s": round(window - start, 3)}
        finally:
            server.process.terminate()
            server.process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flags", type=int, default=10_000, help="how many flags to import")
    parser.add_argument("--database-url", help="a database of the benchmark's own (default: SQLite in a temp dir)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the server and this process to CPUs")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object only")
    parser.add_argument("--streams", type=int, default=0, help="client streams open during the import")
    args = parser.parse_args()
    pin = not args.no_pin and shutil.which("taskset") is not None
    if pin:
        os.sched_setaffinity(0, {int(CLIENT_CPU)})
    if not args.json:
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    result = measure(args.flags, args.database_url, pin=pin, streams=args.streams)
    if args.json:
        print(orjson.dumps(result).decode())
    else:
        report(result)


if __name__ == "__main__":
    main()
