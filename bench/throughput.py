"""HTTP throughput of a real `vexil serve` with wrk, next to a raw ASGI hello-world; and cold start.

    .bench-venv/bin/python bench/throughput.py [--duration 10] [--warmup 2] [--no-pin]

1. Starts `vexil serve` (the project's .venv) on a fresh data directory with VEXIL_ADMIN_TOKEN set,
   creates the 20 flags of fixtures.http_flags() through `POST /flags`, checks the answers, then
   runs wrk (2 threads, 64 connections) against
   - `GET /flags/http-07/evaluate?identifier=user-123&environment=production` (one flag), and
   - `POST /evaluate` with the 20 flag names (bench/evaluate_post.lua),
   each after a warm-up run that is not counted; with a client token, OFREP too:
   `POST /ofrep/v1/evaluate/flags/http-07` and `POST /ofrep/v1/evaluate/flags` (every flag: the 20).
2. Serves bench/hello.py (uvicorn with Vexil's exact options, same interpreter) and runs wrk on it.
3. Cold start: imports 1,000 realistic flags (fixtures.realistic_flags) into a data directory
   through `POST /import`, stops the server, then times process start → first 200 from /health.

The machine has 2 cores: by default the server is pinned to CPU 0 and wrk to CPU 1 with taskset,
so that they do not fight over one core (--no-pin lets the scheduler place them).
"""

from __future__ import annotations

import argparse
import http.client
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
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fixtures as fx

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
TOKEN = "bench-" + secrets.token_urlsafe(24)
SERVER_CPU = "0"
WRK_CPU = "1"


def project_bin(name: str) -> Path:
    """The project's own virtualenv (what `make run` uses); the benchmark venv's editable install otherwise."""
    for venv in (ROOT / ".venv", ROOT / ".bench-venv"):
        if (venv / "bin" / name).exists():
            return venv / "bin" / name
    raise SystemExit(f"no {name} in .venv or .bench-venv: run `make install` first")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def vexil_command(port: int, data_dir: Path) -> list[str]:
    vexil = project_bin("vexil")
    probe = subprocess.run([str(vexil), "serve", "--help"], capture_output=True, check=False)
    if probe.returncode == 0:
        return [str(vexil), "serve", "--port", str(port), "--data-dir", str(data_dir)]
    # The console script's `serve` is not there yet: the same server through the library.
    code = (
        "from pathlib import Path; from vexil.config import Settings; from vexil.server import serve; "
        f"serve(Settings(port={port}, data_dir=Path({str(data_dir)!r}), admin_token={TOKEN!r}))"
    )
    return [str(project_bin("python")), "-c", code]


# --- processes -------------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    started: float

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def start(command: list[str], port: int, log: Path, *, pin: bool, env: dict[str, str] | None = None) -> Server:
    if pin:
        command = ["taskset", "-c", SERVER_CPU, *command]
    env = {**os.environ, "VEXIL_ADMIN_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1", **(env or {})}
    with log.open("ab") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=log.parent)
    return Server(process, port, log, started)


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextmanager
def running(
    command: list[str], port: int, log: Path, *, pin: bool, path: str = "/health", env: dict[str, str] | None = None
) -> Iterator[Server]:
    server = start(command, port, log, pin=pin, env=env)
    try:
        wait_ready(server, path)
        yield server
    finally:
        stop(server)


def get(port: int, path: str, timeout: float = 2.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_ready(server: Server, path: str = "/health", timeout: float = 30.0) -> float:
    """Poll until `path` answers 200; returns seconds since the process was started."""
    deadline = server.started + timeout
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"server exited with {server.process.returncode}:\n{server.tail()}")
        try:
            status, _ = get(server.port, path, timeout=1.0)
            if status == 200:
                return time.perf_counter() - server.started
        except OSError:
            pass
        time.sleep(0.002)
    raise SystemExit(f"server not ready after {timeout} s:\n{server.tail()}")


def api(port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    """A JSON request as admin (or with `headers`' own token)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = conn.getresponse()
        data = response.read()
        if response.status >= 300:
            raise SystemExit(f"{method} {path} → {response.status}: {data[:500]!r}")
        return json.loads(data) if data else None
    finally:
        conn.close()


# --- wrk ---------------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    rps: float
    p50: str
    p99: str
    requests: int
    cpu_us: float = 0.0  # the server process's CPU time (user + system) per request

    def __str__(self) -> str:
        return f"{self.rps:>9,.0f} req/s   p50 {self.p50:>8}   p99 {self.p99:>8}   {self.cpu_us:5.1f} µs CPU/req"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(  # noqa: PLR0913 - wrk's own options, passed through from measure()
    url: str,
    seconds: int,
    *,
    pin: bool,
    script: Path | None = None,
    env: dict[str, str] | None = None,
    headers: tuple[str, ...] = (),
    pid: int | None = None,
) -> WrkResult:
    command = ["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    if script is not None:
        command += ["-s", str(script)]
    if pin:
        command = ["taskset", "-c", WRK_CPU, *command]
    cpu_before = cpu_seconds(pid) if pid else 0.0
    done = subprocess.run(
        [*command, url], capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False
    )
    cpu = cpu_seconds(pid) - cpu_before if pid else 0.0
    out = done.stdout
    if done.returncode != 0 or "Requests/sec" not in out:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{out}\n{done.stderr}")
    for bad in ("Non-2xx or 3xx responses", "Socket errors"):
        if bad in out:
            raise SystemExit(f"wrk saw errors, the figure would be meaningless:\n{out}")

    def find(pattern: str) -> str:
        match = re.search(pattern, out, re.M)
        return match.group(1) if match else "?"

    requests = int(find(r"^\s+(\d+) requests in"))
    return WrkResult(
        rps=float(find(r"^Requests/sec:\s+([\d.]+)")),
        p50=find(r"^\s+50%\s+(\S+)"),
        p99=find(r"^\s+99%\s+(\S+)"),
        requests=requests,
        cpu_us=cpu / requests * 1e6 if requests else 0.0,
    )


def measure(url: str, args: argparse.Namespace, **kwargs: Any) -> WrkResult:
    wrk(url, args.warmup, pin=args.pin, **kwargs)  # warm-up, not counted
    return wrk(url, args.duration, pin=args.pin, **kwargs)


# --- the three measurements ---------------------------------------------------------------------------------


def create_flags(port: int) -> list[str]:
    names = []
    for body in fx.http_flags():
        names.append(api(port, "POST", "/flags", body)["name"])
    return names


def check_answers(port: int, names: list[str]) -> str:
    """The endpoints must answer correctly before their throughput means anything."""
    status, body = get(port, f"/flags/{fx.HTTP_SINGLE}/evaluate?identifier=user-123&environment=production")
    single = json.loads(body)
    if status != 200 or "variant" not in single:
        raise SystemExit(f"single-flag evaluation answered {status}: {body!r}")
    bulk = api(port, "POST", "/evaluate", {"identifier": "user-123", "environment": "production", "flags": names})
    results = bulk.get("flags", bulk.get("results", bulk)) if isinstance(bulk, dict) else bulk
    if len(results) != len(names):
        raise SystemExit(f"POST /evaluate answered {len(results)} results for {len(names)} flags: {bulk!r}")
    return f"{fx.HTTP_SINGLE} for user-123 → {single}; POST /evaluate → {len(results)} results, {len(body)} B single"


@dataclass
class Suite:
    """The four evaluation figures of one server: one user again and again, and a new user each time."""

    single: WrkResult
    bulk: WrkResult
    single_new: WrkResult
    bulk_new: WrkResult


SINGLE_PATH = f"/flags/{fx.HTTP_SINGLE}/evaluate?identifier=user-123&environment=production"


def run_suite(port: int, pid: int, names: list[str], args: argparse.Namespace, headers: tuple[str, ...]) -> Suite:
    base = f"http://127.0.0.1:{port}"
    body = json.dumps({"identifier": "user-123", "environment": "production", "flags": names})
    new_users = {
        "VEXIL_BENCH_PATH": f"/flags/{fx.HTTP_SINGLE}/evaluate?identifier=user-%d&environment=production",
    }
    new_bodies = {
        "VEXIL_BENCH_PATH": "/evaluate",
        "VEXIL_BENCH_BODY": body.replace("user-123", "user-%d"),
    }
    lua = BENCH / "users.lua"
    return Suite(
        single=measure(base + SINGLE_PATH, args, headers=headers, pid=pid),
        bulk=measure(
            f"{base}/evaluate",
            args,
            script=BENCH / "evaluate_post.lua",
            env={"VEXIL_BENCH_BODY": body},
            headers=headers,
            pid=pid,
        ),
        single_new=measure(base + "/", args, script=lua, env=new_users, headers=headers, pid=pid),
        bulk_new=measure(base + "/", args, script=lua, env=new_bodies, headers=headers, pid=pid),
    )


OFREP_SINGLE = f"/ofrep/v1/evaluate/flags/{fx.HTTP_SINGLE}"
OFREP_BULK = "/ofrep/v1/evaluate/flags"


def ofrep_body(user: str) -> str:
    return json.dumps({"context": {"targetingKey": user, "environment": "production"}})


def check_ofrep(port: int, secret: str, names: list[str]) -> str:
    """OFREP must answer the same flags before its throughput means anything."""
    headers = {"Authorization": f"Bearer {secret}"}
    single = api(port, "POST", OFREP_SINGLE, json.loads(ofrep_body("user-123")), headers=headers)
    bulk = api(port, "POST", OFREP_BULK, json.loads(ofrep_body("user-123")), headers=headers)
    keys = sorted(item.get("key") for item in bulk.get("flags", []))
    if "value" not in single or keys != sorted(names):
        raise SystemExit(f"OFREP answered {single!r} and {len(keys)} flags: {bulk!r}")
    return f"OFREP {fx.HTTP_SINGLE} → {single}; bulk → {len(keys)} flags"


def run_ofrep(port: int, pid: int, args: argparse.Namespace, headers: tuple[str, ...]) -> Suite:
    """OFREP's two endpoints (a token is required), one user and a new user each time."""
    base = f"http://127.0.0.1:{port}"
    post = BENCH / "evaluate_post.lua"
    lua = BENCH / "users.lua"
    new_user = ofrep_body("user-%d")
    return Suite(
        single=measure(
            base + OFREP_SINGLE,
            args,
            script=post,
            env={"VEXIL_BENCH_BODY": ofrep_body("user-123")},
            headers=headers,
            pid=pid,
        ),
        bulk=measure(
            base + OFREP_BULK,
            args,
            script=post,
            env={"VEXIL_BENCH_BODY": ofrep_body("user-123")},
            headers=headers,
            pid=pid,
        ),
        single_new=measure(
            base + "/",
            args,
            script=lua,
            env={"VEXIL_BENCH_PATH": OFREP_SINGLE, "VEXIL_BENCH_BODY": new_user},
            headers=headers,
            pid=pid,
        ),
        bulk_new=measure(
            base + "/",
            args,
            script=lua,
            env={"VEXIL_BENCH_PATH": OFREP_BULK, "VEXIL_BENCH_BODY": new_user},
            headers=headers,
            pid=pid,
        ),
    )


def bench_vexil(tmp: Path, args: argparse.Namespace, *, client_tokens: bool) -> tuple[Suite, Suite | None, str]:
    """Vexil's figures; with `client_tokens`, a server that requires them, asked with one, and OFREP."""
    port = free_port()
    data = tmp / f"vexil-data-{int(client_tokens)}"
    data.mkdir()
    extra = {"VEXIL_REQUIRE_CLIENT_TOKEN": "true"} if client_tokens else {}
    with running(vexil_command(port, data), port, tmp / "vexil.log", pin=args.pin, env=extra) as server:
        names = create_flags(port)
        headers: tuple[str, ...] = ()
        if client_tokens:
            secret = api(port, "POST", "/tokens", {"name": "bench-client", "role": "client"})["token"]
            headers = (f"Authorization: Bearer {secret}",)
            facts = f"client token required ({len(secret)} characters); {check_ofrep(port, secret, names)}"
        else:
            facts = check_answers(port, names)
        suite = run_suite(port, server.process.pid, names, args, headers)
        ofrep = run_ofrep(port, server.process.pid, args, headers) if client_tokens else None
        return suite, ofrep, facts


def bench_hello(tmp: Path, args: argparse.Namespace) -> tuple[WrkResult, WrkResult]:
    """The hello-world, asked plainly and with the same Authorization header as the token runs (the
    server parses it either way: the fair baseline for them)."""
    port = free_port()
    command = [str(project_bin("python")), str(BENCH / "hello.py"), str(port)]
    with running(command, port, tmp / "hello.log", pin=args.pin, path="/") as server:
        plain = measure(f"http://127.0.0.1:{port}/", args, pid=server.process.pid)
        header = (f"Authorization: Bearer vx_{'x' * 43}",)
        with_token = measure(f"http://127.0.0.1:{port}/", args, pid=server.process.pid, headers=header)
        return plain, with_token


def bench_cold_start(tmp: Path, args: argparse.Namespace) -> tuple[list[float], int]:
    data = tmp / "cold-data"
    data.mkdir()
    port = free_port()
    command = vexil_command(port, data)
    with running(command, port, tmp / "cold-fill.log", pin=args.pin):
        state = {"version": 1, "flags": fx.realistic_flags(1000), "segments": fx.segment_docs()}
        imported = api(port, "POST", "/import", state)
    times = []
    flags = -1
    for _ in range(args.cold_runs):
        server = start(command, port, tmp / "cold.log", pin=args.pin)
        try:
            times.append(wait_ready(server))
            flags = json.loads(get(port, "/health")[1]).get("flags", -1)
        finally:
            stop(server)
    if flags != 1000:
        raise SystemExit(f"cold start: /health reports {flags} flags after importing {imported}")
    return times, flags


def import_seconds(runs: int = 3) -> tuple[float, float]:
    """(bare interpreter start, importing the server's modules) in s, medians: where cold start goes."""
    python = str(project_bin("python"))
    code = (
        "import time; t = time.perf_counter(); import vexil.cli, vexil.api.app, vexil.server; "
        "print(time.perf_counter() - t)"
    )
    bare, imports = [], []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([python, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - started)
        imports.append(float(subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout))
    return statistics.median(bare), statistics.median(imports)


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def check_tools(args: argparse.Namespace) -> None:
    """Stop unless wrk is installed; pin processes to CPUs (`args.pin`) only where that is possible."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (bench/run.sh does it)")
    if args.pin and (shutil.which("taskset") is None or (os.cpu_count() or 1) < 2):
        args.pin = False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of each measured wrk run (10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of the uncounted wrk run before (2)")
    parser.add_argument("--cold-runs", type=int, default=5, help="timed cold starts (5)")
    parser.add_argument("--no-pin", dest="pin", action="store_false", help="do not pin server and wrk to CPUs")
    args = parser.parse_args()
    check_tools(args)

    with tempfile.TemporaryDirectory(prefix="vexil-bench-http-") as name:
        tmp = Path(name)
        suite, _, facts = bench_vexil(tmp, args, client_tokens=False)
        tokens, ofrep, token_facts = bench_vexil(tmp, args, client_tokens=True)
        assert ofrep is not None
        hello, hello_token = bench_hello(tmp, args)
        cold, flags = bench_cold_start(tmp, args)
        bare, imports = import_seconds()

    placement = f"server on CPU {SERVER_CPU}, wrk on CPU {WRK_CPU} (taskset)" if args.pin else "not pinned"
    print(f"wrk -t2 -c64 -d{args.duration}s after a {args.warmup} s warm-up; {os.cpu_count()} cores, {placement}")
    print(f"{load_average()} at the end (the machine is shared: other work running lowers every figure)")
    print(f"checked: {facts}")
    print()
    print(f"{'endpoint':<58} | {'throughput':>15} | latency, server CPU per request")
    print("-" * 118)
    single_path = "GET /flags/" + fx.HTTP_SINGLE + "/evaluate, "
    for label, figures in (("", suite), ("client token, ", tokens)):
        print(f"{single_path + label + 'one user':<58} | {figures.single}")
        print(f"{'POST /evaluate 20 flags, ' + label + 'one user':<58} | {figures.bulk}")
        print(f"{single_path + label + 'a new user each time':<58} | {figures.single_new}")
        print(f"{'POST /evaluate 20 flags, ' + label + 'a new user each time':<58} | {figures.bulk_new}")
    ofrep_single = "POST /ofrep/v1/evaluate/flags/" + fx.HTTP_SINGLE + ", "
    print(f"{ofrep_single + 'one user':<58} | {ofrep.single}")
    print(f"{'POST /ofrep/v1/evaluate/flags (20 flags), one user':<58} | {ofrep.bulk}")
    print(f"{ofrep_single + 'a new user each time':<58} | {ofrep.single_new}")
    print(f"{'POST /ofrep/v1/evaluate/flags (20 flags), a new user each time':<58} | {ofrep.bulk_new}")
    print(f"{'raw ASGI hello-world (bench/hello.py)':<58} | {hello}")
    print(f"{'raw ASGI hello-world, with an Authorization header':<58} | {hello_token}")
    print()
    print(f"{'/ hello-world':<58} | {'throughput':>10} | {'CPU':>5} | target")
    for label, figures, baseline in (
        ("", suite, hello),
        ("client token, ", tokens, hello_token),
        ("OFREP, ", ofrep, hello_token),
    ):
        for what, result, target in (
            ("single flag, " + label + "one user", figures.single, 0.7),
            ("20 flags, " + label + "one user", figures.bulk, 0.5),
            ("single flag, " + label + "a new user each time", figures.single_new, 0.7),
            ("20 flags, " + label + "a new user each time", figures.bulk_new, 0.5),
        ):
            ratio = result.rps / baseline.rps
            cpu = baseline.cpu_us / result.cpu_us if result.cpu_us else 0.0
            verdict = "meets" if ratio >= target else "MISSES"
            print(f"{what:<58} | {ratio:>10.2f} | {cpu:>5.2f} | {verdict} ≥ {target}")
    print(f"(client token: {token_facts}; compared with the hello-world asked with the same header)")
    median = statistics.median(cold)
    verdict = "meets" if median < 1.0 else "MISSES"
    runs = ", ".join(f"{t * 1000:.0f}" for t in cold)
    print(
        f"cold start with {flags} flags, process start → first 200 from /health: median {median * 1000:.0f} ms "
        f"(runs: {runs} ms; {verdict} the < 1 s target)"
    )
    print(
        f"  of which: bare interpreter start {bare * 1000:.0f} ms, importing vexil.cli + vexil.api.app + "
        f"vexil.server {imports * 1000:.0f} ms; the rest is opening/migrating the store, loading and compiling "
        "the flags, binding the port"
    )


if __name__ == "__main__":
    sys.exit(main())
