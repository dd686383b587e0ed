"""What counting flag usage costs over HTTP (docs/usage.md): two real `vexil serve` processes, one
counting (the default) and one started with `VEXIL_USAGE=off`, asked the same requests with wrk in
alternating rounds, side by side in one run.

    .venv/bin/python bench/usage_http.py [--duration 5] [--warmup 1] [--rounds 3] [--new-users] [--no-pin]

Both servers hold the 20 flags of bench/http.sh (fixtures.http_flags) and are pinned to CPU 0, wrk
to CPU 1 (only one server is asked at a time). Per endpoint, each round runs wrk on the counting
server then on the other (the order swapped every round, so that neither always runs first); the
best round of each is kept, and the least CPU time per request the server used in a round (user +
system, /proc), which other work on the machine disturbs far less than throughput. Endpoints:
`GET /flags/http-07/evaluate`, `POST /evaluate` (the 20 flags), and OFREP's single and bulk
evaluation with a client token; one user again and again (the answer cache's path, where counting
weighs most), and with `--new-users` a new user on every request too.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from throughput import (
    BENCH,
    OFREP_BULK,
    OFREP_SINGLE,
    SINGLE_PATH,
    WrkResult,
    api,
    check_tools,
    create_flags,
    free_port,
    load_average,
    ofrep_body,
    running,
    vexil_command,
    wrk,
)


def cases(names: list[str], secret: str, new_users: bool) -> dict[str, tuple[str, dict[str, object]]]:
    """Per endpoint: the URL path and wrk's options (script, environment, headers)."""
    post, users = BENCH / "evaluate_post.lua", BENCH / "users.lua"
    token = (f"Authorization: Bearer {secret}",)
    bulk = json.dumps({"identifier": "user-123", "environment": "production", "flags": names})
    found: dict[str, tuple[str, dict[str, object]]] = {
        "GET /flags/http-07/evaluate": (SINGLE_PATH, {}),
        "POST /evaluate (20 flags)": ("/evaluate", {"script": post, "env": {"VEXIL_BENCH_BODY": bulk}}),
        "POST /ofrep/v1/evaluate/flags/http-07": (
            OFREP_SINGLE,
            {"script": post, "env": {"VEXIL_BENCH_BODY": ofrep_body("user-123")}, "headers": token},
        ),
        "POST /ofrep/v1/evaluate/flags (20)": (
            OFREP_BULK,
            {"script": post, "env": {"VEXIL_BENCH_BODY": ofrep_body("user-123")}, "headers": token},
        ),
    }
    if new_users:
        single = SINGLE_PATH.replace("user-123", "user-%d")
        found["GET /flags/http-07/evaluate, new users"] = ("/", {"script": users, "env": {"VEXIL_BENCH_PATH": single}})
        found["POST /evaluate (20 flags), new users"] = (
            "/",
            {"script": users, "env": {"VEXIL_BENCH_PATH": "/evaluate", "VEXIL_BENCH_BODY": bulk.replace("123", "%d")}},
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds of each measured wrk run (5)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of the uncounted wrk run before each (1)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per endpoint and side (3)")
    parser.add_argument("--new-users", action="store_true", help="also a new user on every request")
    parser.add_argument("--no-pin", dest="pin", action="store_false", help="do not pin servers and wrk to CPUs")
    args = parser.parse_args()
    check_tools(args)
    print(f"{load_average()} at the start")
    with tempfile.TemporaryDirectory(prefix="vexil-bench-usage-") as name:
        tmp = Path(name)
        ports = {"on": free_port(), "off": free_port()}
        (tmp / "on").mkdir()
        (tmp / "off").mkdir()
        env = {"on": {}, "off": {"VEXIL_USAGE": "off"}}
        with (
            running(
                vexil_command(ports["on"], tmp / "on"), ports["on"], tmp / "on.log", pin=args.pin, env=env["on"]
            ) as on,
            running(
                vexil_command(ports["off"], tmp / "off"), ports["off"], tmp / "off.log", pin=args.pin, env=env["off"]
            ) as off,
        ):
            servers = {"on": on, "off": off}
            secrets, names = {}, []
            for side, server in servers.items():
                names = create_flags(server.port)
                secrets[side] = api(server.port, "POST", "/tokens", {"name": "bench", "role": "client"})["token"]
            print(f"wrk -t2 -c64 -d{args.duration}s after a {args.warmup} s warm-up, best of {args.rounds} rounds")
            header = f"{'endpoint':<42} | {'counting on':>12} | {'off':>12} | throughput lost"
            print(f"{header} | server CPU µs/request on / off")
            for what in cases(names, "", args.new_users):
                best: dict[str, WrkResult | None] = {"on": None, "off": None}
                cpu = {"on": float("inf"), "off": float("inf")}
                for round_ in range(args.rounds):
                    for side in ("on", "off") if round_ % 2 == 0 else ("off", "on"):
                        server = servers[side]
                        path, options = cases(names, secrets[side], args.new_users)[what]
                        url = f"http://127.0.0.1:{server.port}{path}"
                        wrk(url, args.warmup, pin=args.pin, **options)  # type: ignore[arg-type]
                        result = wrk(url, args.duration, pin=args.pin, pid=server.process.pid, **options)  # type: ignore[arg-type]
                        kept = best[side]
                        if kept is None or result.rps > kept.rps:
                            best[side] = result
                        cpu[side] = min(cpu[side], result.cpu_us)
                counted, uncounted = best["on"], best["off"]
                assert counted is not None and uncounted is not None
                lost = (uncounted.rps - counted.rps) / uncounted.rps * 100
                added = (cpu["on"] - cpu["off"]) / cpu["off"] * 100
                print(
                    f"{what:<42} | {counted.rps:>8,.0f} r/s | {uncounted.rps:>8,.0f} r/s | {lost:>+14.1f} % | "
                    f"{cpu['on']:5.1f} / {cpu['off']:5.1f} ({added:+.1f} %)",
                    flush=True,
                )
    print(f"{load_average()} at the end")


if __name__ == "__main__":
    main()
