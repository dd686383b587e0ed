"""`GET /api/client/features` of a real `vexil serve` with 1,000 flags: full answers (200) and
unchanged ones (304, `If-None-Match`), measured with wrk, plus the time to build the feed after a
change (the first request pays for translating every flag; the next ones are served from memory).

    .venv/bin/python bench/unleash_client.py [--flags 1000] [--duration 10] [--connections 16]

Prints the load average first: figures taken while other work runs are lower than the machine can do.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ADMIN = "vx_bench_admin_0123456789abcdef"
SPEC = {"Unleash-Client-Spec": "5.2.0"}


def flags(count: int) -> list[dict[str, Any]]:
    """A mix of what real flag sets hold: boolean rollouts, rules with conditions, variants, segments."""
    draw = random.Random(1)
    made: list[dict[str, Any]] = []
    for index in range(count):
        flag: dict[str, Any] = {"name": f"flag-{index:04}", "enabled": draw.random() < 0.9}
        kind = index % 4
        if kind == 0:
            flag["rollout_percentage"] = draw.choice([10, 25, 50, 100])
        elif kind == 1:
            email = {"field": "email", "operator": "ends_with", "value": "@acme.com", "case_insensitive": True}
            country = {"field": "country", "operator": "in", "value": ["fr", "de", "nl"]}
            flag["rules"] = [{"conditions": [email, country], "serve": "on"}]
            flag["rollout_percentage"] = 20
        elif kind == 2:
            flag["variants"] = [
                {"name": "control", "weight": 50},
                {"name": "blue", "weight": 25, "payload": {"colour": "#00f"}},
                {"name": "green", "weight": 25, "payload": "green"},
            ]
            flag["allowlist"] = {f"user-{n}": "blue" for n in range(5)}
        else:
            flag["rules"] = [{"conditions": [{"operator": "in_segment", "value": "beta"}], "serve": "on"}]
            flag["rollout_percentage"] = 0
        made.append(flag)
    return made


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VEXIL_")} | {"VEXIL_ADMIN_TOKEN": ADMIN}
    vexil = Path(sys.executable).parent / "vexil"
    command = [str(vexil), "serve", "--port", str(port), "--data-dir", str(data_dir)]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("vexil serve did not become healthy")


def wrk(url: str, headers: dict[str, str], duration: int, connections: int) -> str:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"50%\s+(\S+)", output)
    p99 = re.search(r"99%\s+(\S+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return (
        f"{float(rate.group(1)) if rate else 0:,.0f} req/s, p50 {p50.group(1) if p50 else '?'}, "
        f"p99 {p99.group(1) if p99 else '?'}" + (f", {errors.group(1)} errors" if errors else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flags", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (apt-get install wrk)")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        process = start(Path(tmp) / "data", port)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=120) as admin:
                segment = {"name": "beta", "conditions": [{"field": "plan", "operator": "in", "value": ["beta"]}]}
                state = {"flags": flags(options.flags), "segments": [segment], "environments": []}
                admin.post("/import", json=state).raise_for_status()
                token = admin.post("/tokens", json={"name": "bench", "role": "server"}).json()["token"]
                headers = {"Authorization": token, **SPEC}
                builds = []
                for _ in range(5):
                    admin.post("/flags/flag-0000/toggle").raise_for_status()
                    started = time.perf_counter()
                    first = admin.get("/api/client/features", headers=headers)
                    builds.append((time.perf_counter() - started) * 1000)
                    first.raise_for_status()
                served = len(first.json()["features"])
                print(
                    f"{options.flags} flags, {served} served, {int(first.headers['Vexil-Left-Out-Count'])} left out, "
                    f"body {len(first.content) / 1024:,.0f} KiB"
                )
                print(
                    f"first request after a change (translation + answer): best {min(builds):.1f} ms, "
                    f"median {sorted(builds)[2]:.1f} ms"
                )
                etag = first.headers["ETag"]
            url = base + "/api/client/features"
            print(f"200 (full feed):  {wrk(url, headers, options.duration, options.connections)}")
            print(
                "304 (If-None-Match): "
                + wrk(url, {**headers, "If-None-Match": etag}, options.duration, options.connections)
            )
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
