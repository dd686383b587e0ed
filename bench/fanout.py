"""Fan-out of a flag change to N open `/stream` clients, and server memory per open stream.

    .venv/bin/python bench/fanout.py [--clients 1000,10000] [--toggles 20] [--no-pin] [--quick]

For each N, on a fresh server (`.venv/bin/vexil serve --port P --data-dir TMP`, VEXIL_ADMIN_TOKEN set):

1. 20 flags are created (rollouts, rules, multivariate splits with payloads, an override), plus
   `fanout-toggle`, the boolean flag that is toggled.
2. This process (not the server's) opens N SSE connections, `GET /stream?identifier=user-<i>&
   environment=production&plan=...`, with raw asyncio sockets on uvloop, and waits for every
   `snapshot`. Memory per stream: (server VmRSS with N streams open - VmRSS before) / N, from
   /proc/<pid>/status, one second after the last snapshot.
3. `--toggles` times: just before `POST /flags/fanout-toggle/toggle` (a keep-alive connection of its
   own), t0 = CLOCK_MONOTONIC; each client notes when the bytes of its `update` arrive. Every
   client's (t - t0) is a sample; reported: p50/p99/max over all samples, and the median and worst
   of the per-toggle time to the *last* client. The next toggle waits until every client has its
   update, then 200 ms.
4. SIGTERM with the N streams open: time until the server process has exited.

Then the same measurement against a floor: a bare ASGI app of a few lines (`floor_app` below)
served by uvicorn with Vexil's options, that keeps one future per stream and, on the toggle,
writes the same update to every stream. It is what this server software and this machine can do
at best; `--no-floor` skips it. Also reported: the CPU time server and clients used per toggle
(from /proc), which, unlike latencies, does not depend on what else the machine is running.

The clients' own reading is inside the figures: they share one event loop in one process, so with
10,000 streams the last socket is read after the 9,999 others. On this 2-core machine the server is
pinned to CPU 0 and this process to CPU 1 (`--no-pin` lets the scheduler place them).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-" + secrets.token_urlsafe(24)
TOGGLED = "fanout-toggle"
SERVER_CPU = "0"
CLIENT_CPU = "1"
PLANS = ("free", "team", "pro", "enterprise")


def flags() -> list[dict[str, Any]]:
    """20 create bodies of several kinds, and the toggled flag."""
    bodies: list[dict[str, Any]] = []
    for i, percent in enumerate([10, 25, 50, 75, 90, 33.33]):
        bodies.append({"name": f"fanout-{i:02d}", "enabled": True, "rollout_percentage": percent})
    for i in range(6, 13):
        condition = {"field": "attributes.plan", "operator": "in", "value": ["team", "pro"]}
        rules = [{"conditions": [condition], "rollout_percentage": 50, "serve": "on"}]
        bodies.append({"name": f"fanout-{i:02d}", "enabled": True, "rollout_percentage": 20, "rules": rules})
    for i in range(13, 17):
        variants = [
            {"name": "control", "payload": None, "weight": 0},
            {"name": "blue", "payload": {"color": "#00f"}, "weight": 1},
            {"name": "green", "payload": {"color": "#0f0"}, "weight": 2},
        ]
        bodies.append(
            {
                "name": f"fanout-{i:02d}",
                "enabled": True,
                "variants": variants,
                "default_variant": "control",
                "environments": {"production": {"rollout_percentage": 50}},
            }
        )
    bodies += [{"name": f"fanout-{i:02d}", "enabled": i % 2 == 0} for i in range(17, 20)]
    bodies.append({"name": TOGGLED, "enabled": False})
    return bodies


# --- the server -------------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(command: list[str], port: int, data_dir: Path, *, pin: bool) -> Server:
    if pin and shutil.which("taskset"):
        command = ["taskset", "-c", SERVER_CPU, *command]
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEXIL_")}
    env["VEXIL_ADMIN_TOKEN"] = TOKEN
    data_dir.mkdir(parents=True, exist_ok=True)
    log = (data_dir.parent / f"server-{port}.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    return Server(process, port, data_dir)


def wait_healthy(server: Server) -> Server:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"server exited with {server.process.returncode}")
        try:
            with urllib.request.urlopen(server.url + "/health", timeout=1) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server not healthy within 30 s")


def start_server(data_dir: Path, *, pin: bool) -> Server:
    port = free_port()
    command = [str(ROOT / ".venv/bin/vexil"), "serve", "--port", str(port), "--data-dir", str(data_dir)]
    server = wait_healthy(spawn(command, port, data_dir, pin=pin))
    for body in flags():
        admin_post(server, "/flags", body)
    return server


FLOOR_UPDATE = b'id: 0-1\nevent: update\ndata: {"flags":{"fanout-toggle":{"active":true}}}\n\n'


async def floor_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The baseline: a stream is a future; the toggle resolves them all (no evaluation, no diff).

    It tunes the garbage collector as Vexil does: untuned, its full collections over 10,000 streams
    would put it far behind Vexil, and it would not be a ceiling."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            gc.collect()  # the same collector settings as Vexil's (api/routes/live.py: tune_gc)
            gc.freeze()
            gc.set_threshold(100_000, 10, 10)
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    waiters: set[asyncio.Future[bytes]] = floor_app.waiters  # type: ignore[attr-defined]
    if scope["method"] == "POST" or scope["path"] == "/health":
        for waiter in list(waiters):
            if not waiter.done():
                waiter.set_result(FLOOR_UPDATE)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"{}"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
    await send({"type": "http.response.body", "body": b"event: snapshot\ndata: {}\n\n", "more_body": True})
    loop = asyncio.get_running_loop()
    while True:
        waiter = loop.create_future()
        waiters.add(waiter)
        chunk = await waiter
        waiters.discard(waiter)
        await send({"type": "http.response.body", "body": chunk, "more_body": True})


floor_app.waiters = set()  # type: ignore[attr-defined]


def serve_floor(port: int) -> None:
    import uvicorn

    options: dict[str, Any] = {"loop": "uvloop", "http": "httptools", "access_log": False, "log_level": "warning"}
    uvicorn.run(floor_app, host="127.0.0.1", port=port, timeout_graceful_shutdown=10, **options)


def start_floor(data_dir: Path, *, pin: bool) -> Server:
    port = free_port()
    command = [str(ROOT / ".venv/bin/python"), str(Path(__file__).resolve()), "--serve-floor", str(port)]
    return wait_healthy(spawn(command, port, data_dir, pin=pin))


def admin_post(server: Server, path: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        server.url + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


# --- the clients ------------------------------------------------------------------------------------


@dataclass
class Round:
    """One toggle: when it was sent and when each client saw its update."""

    t0: float = 0.0
    acknowledged: float = 0.0  # when the toggle's HTTP response was in
    seen: list[float] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    expected: int = 0


class SseClient(asyncio.Protocol):
    """Notes when the bytes of each round's `update` arrive (and that the `snapshot` did)."""

    def __init__(self, state: Bench) -> None:
        self.state = state
        self.tail = b""
        self.snapshot = False
        self.round: Round | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not an asyncio.Transport subclass

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        text = self.tail + data
        # Only a match that ends in the new bytes: one split across two reads is found once.
        start = max(0, len(self.tail) - 12)
        self.tail = text[-16:]
        if not self.snapshot and text.find(b"event: snapshot", start) >= 0:
            self.snapshot = True
            self.state.on_snapshot()
        if self.round is not self.state.round and text.find(b"event: update", start) >= 0:
            self.round = self.state.round
            self.state.on_update(now)

    def connection_lost(self, exc: Exception | None) -> None:
        self.state.lost += 1


class Bench:
    def __init__(self, server: Server, clients: int) -> None:
        self.server = server
        self.wanted = clients
        self.connected = 0
        self.lost = 0
        self.all_connected = asyncio.Event()
        self.round = Round()
        self.protocols: list[SseClient] = []

    def on_snapshot(self) -> None:
        self.connected += 1
        if self.connected == self.wanted:
            self.all_connected.set()

    def on_update(self, now: float) -> None:
        current = self.round
        current.seen.append(now)
        if len(current.seen) >= current.expected:
            current.done.set()

    async def open_clients(self) -> None:
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(256)

        async def one(i: int) -> None:
            async with gate:
                transport, protocol = await loop.create_connection(
                    lambda: SseClient(self), "127.0.0.1", self.server.port
                )
                plan = PLANS[i % len(PLANS)]
                request = (
                    f"GET /stream?identifier=user-{i}&environment=production&plan={plan} HTTP/1.1\r\nHost: b\r\n\r\n"
                )
                transport.write(request.encode())
                self.protocols.append(protocol)

        await asyncio.gather(*(one(i) for i in range(self.wanted)))
        await asyncio.wait_for(self.all_connected.wait(), timeout=120)

    async def toggle(self, writer: asyncio.StreamWriter, reader: asyncio.StreamReader) -> Round:
        self.round = current = Round(expected=self.wanted)
        request = (
            f"POST /flags/{TOGGLED}/toggle HTTP/1.1\r\nHost: b\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Length: 0\r\n\r\n"
        )
        current.t0 = time.perf_counter()
        writer.write(request.encode())
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(
            next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
        )
        await reader.readexactly(length)
        current.acknowledged = time.perf_counter()
        await asyncio.wait_for(current.done.wait(), timeout=60)
        return current

    def close(self) -> None:
        for protocol in self.protocols:
            if protocol.transport is not None:
                protocol.transport.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


async def measure(server: Server, clients: int, toggles: int) -> dict[str, Any]:
    idle = server.rss_kib()
    bench = Bench(server, clients)
    started = time.perf_counter()
    await bench.open_clients()
    opened_in = time.perf_counter() - started
    # This process's own garbage collections would show in the figures: keep them out of sight.
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 10, 10)
    await asyncio.sleep(1)
    loaded = server.rss_kib()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    samples: list[float] = []
    lasts: list[float] = []
    writes: list[float] = []
    cpu_server, cpu_client = server.cpu_seconds(), time.process_time()
    for _ in range(toggles):
        current = await bench.toggle(writer, reader)
        latencies = [t - current.t0 for t in current.seen]
        samples += latencies
        lasts.append(max(latencies))
        writes.append(current.acknowledged - current.t0)
        await asyncio.sleep(0.2)
    cpu_server, cpu_client = server.cpu_seconds() - cpu_server, time.process_time() - cpu_client
    writer.close()
    result = {
        # CPU per toggle, including the 200 ms pauses (the server's heartbeat ticker, idle loops)
        "server_cpu_ms": cpu_server / toggles * 1000,
        "client_cpu_ms": cpu_client / toggles * 1000,
        "clients": clients,
        "opened_s": opened_in,
        "rss_idle_mib": idle / 1024,
        "rss_open_mib": loaded / 1024,
        "kib_per_stream": (loaded - idle) / clients,
        "p50_ms": percentile(samples, 50) * 1000,
        "p99_ms": percentile(samples, 99) * 1000,
        "max_ms": max(samples) * 1000,
        "last_median_ms": statistics.median(lasts) * 1000,
        "last_worst_ms": max(lasts) * 1000,
        "write_median_ms": statistics.median(writes) * 1000,
        "write_worst_ms": max(writes) * 1000,
        "lost": bench.lost,
    }
    # SIGTERM with every stream still open.
    t0 = time.perf_counter()
    server.process.send_signal(signal.SIGTERM)
    while server.process.poll() is None:
        await asyncio.sleep(0.01)
    result["sigterm_exit_s"] = time.perf_counter() - t0
    bench.close()
    return result


def run(clients: int, toggles: int, *, pin: bool, floor: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="vexil-fanout-") as tmp:
        server = (start_floor if floor else start_server)(Path(tmp) / "data", pin=pin)
        try:
            try:
                import uvloop

                runner = uvloop.run
            except ImportError:
                runner = asyncio.run
            return runner(measure(server, clients, toggles))
        finally:
            if server.process.poll() is None:
                server.process.kill()
                server.process.wait()


def report(label: str, r: dict[str, Any]) -> None:
    print(
        f"{label:<6} {r['clients']:>7} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['max_ms']:>8.1f}"
        f" {r['last_median_ms']:>13.1f} {r['last_worst_ms']:>13.1f} {r['kib_per_stream']:>11.1f}"
        f" {r['rss_idle_mib']:>8.1f}→{r['rss_open_mib']:<8.1f} {r['sigterm_exit_s']:>10.2f}"
        f" {r['server_cpu_ms']:>7.0f}/{r['client_cpu_ms']:<8.0f}"
        f" {r['write_median_ms']:>6.1f}/{r['write_worst_ms']:<6.1f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="1000,10000", help="comma-separated N (default 1000,10000)")
    parser.add_argument("--toggles", type=int, default=20)
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and clients to separate CPUs")
    parser.add_argument("--quick", action="store_true", help="N=200,1000 and 5 toggles: a smoke test")
    parser.add_argument("--no-floor", action="store_true", help="skip the bare-uvicorn baseline")
    parser.add_argument("--serve-floor", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_floor:
        serve_floor(args.serve_floor)
        return
    counts = [200, 1000] if args.quick else [int(n) for n in args.clients.split(",")]
    toggles = 5 if args.quick else args.toggles
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = max(counts) + 1000
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
        if hard < need:
            sys.exit(f"ulimit -n is {hard}: {max(counts)} clients need {need} descriptors (raise the hard limit)")
    pin = not args.no_pin and shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
    if pin:
        os.sched_setaffinity(0, {int(CLIENT_CPU)})
    print(f"load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs; pinned: {pin}")
    print(
        f"{'server':<6} {'clients':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'last(med) ms':>13}"
        f" {'last(max) ms':>13} {'KiB/stream':>11} {'RSS idle→open MiB':>18} {'SIGTERM s':>10} {'CPU/toggle ms':>16}"
        f" {'write ms':>13}"
    )
    for n in counts:
        report("vexil", run(n, toggles, pin=pin))
        if not args.no_floor:
            report("floor", run(n, toggles, pin=pin, floor=True))
    print(f"({toggles} toggles per N; CPU/toggle: server/clients; targets: p99 ≤ 50 ms at 1,000, ≤ 500 ms at 10,000;")
    print(" ≤ 30 KiB per stream)")


if __name__ == "__main__":
    main()
