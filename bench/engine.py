"""In-process evaluation: Vexil's engine next to the Unleash and GrowthBook Python SDKs.

Run with the benchmark virtualenv (it has Vexil, UnleashClient and growthbook):

    .bench-venv/bin/python bench/engine.py [--quick] [--profile]

Each SDK gets the same 100 flags (a third simple, a third 50 % rollouts, a third with one rule of
three conditions, see fixtures.py) in its own vocabulary, and each is first checked for the right
answers over the same 1,000 users, so the comparison is between equal work. Figures are the best
of several repeats of timeit loops, in nanoseconds per evaluation, and include the Python call
that any caller pays (the "call floor" line shows what an empty function costs in the same loop).

No network: sockets are disabled for the whole process before any SDK is built.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import socket
import sys
import tempfile
import time
import timeit
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

import fixtures as fx

TARGET = 3.0
FLAGS = fx.mixed_names(100)
NAME = {kind: next(name for name, k in FLAGS if k == kind) for kind in (fx.SIMPLE, fx.ROLLOUT, fx.CONDITIONS)}
ALL_NAMES = [name for name, _ in FLAGS]


def forbid_network() -> None:
    """Make every outgoing connection fail loudly: the SDKs must run from their bootstrap alone."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"benchmark: network access attempted {args[1:]!r}")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse  # type: ignore[assignment]
    socket.getaddrinfo = refuse  # type: ignore[assignment]


# --- the three SDKs ----------------------------------------------------------------------------------


def build_vexil() -> Any:
    from vexil.engine import Snapshot

    return Snapshot([fx.vexil_flag(name, kind) for name, kind in FLAGS], [])


def build_unleash(cache_dir: str) -> Any:
    from UnleashClient import UnleashClient
    from UnleashClient.cache import FileCache
    from UnleashClient.utils import InstanceAllowType

    cache = FileCache("vexil-bench", directory=cache_dir)
    cache.bootstrap_from_dict(fx.unleash_bootstrap(FLAGS))
    client = UnleashClient(
        url="http://unleash.invalid/api",  # never contacted: no registration, metrics or fetching
        app_name="vexil-bench",
        disable_metrics=True,
        disable_registration=True,
        refresh_interval=3600,
        cache=cache,
        multiple_instance_mode=InstanceAllowType.SILENTLY_ALLOW,
    )
    client.initialize_client(fetch_toggles=False)  # offline: features come from the bootstrapped cache
    return client


def build_growthbook() -> Any:
    from growthbook import GrowthBook

    # No api_host/client_key: features come only from this dict, nothing is fetched.
    return GrowthBook(features=fx.growthbook_features(FLAGS))


# --- workloads -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    per_call: int  # evaluations in one call of the measured function
    unit: str  # what one reported figure covers


WORKLOADS = [
    Workload("a", "a. simple flag (on, 100 %)", 1000, "ns/eval"),
    Workload("b", "b. 50 % rollout, 1,000 users", 1000, "ns/eval"),
    Workload("c", "c. 3 conditions, 1,000 users", 1000, "ns/eval"),
    Workload("d", "d. all 100 flags, 1 user", 1, "ns/100 flags"),
]


def vexil_runs(snap: Any, users: Sequence[Mapping[str, Any]]) -> dict[str, Callable[[], Any]]:
    ctxs = [fx.vexil_context(u) for u in users]
    one = ctxs[0]
    evaluate, evaluate_all = snap.evaluate, snap.evaluate_all
    simple, rollout, cond = NAME[fx.SIMPLE], NAME[fx.ROLLOUT], NAME[fx.CONDITIONS]

    def a() -> None:
        for _ in ctxs:
            evaluate(simple, one)

    def b() -> None:
        for ctx in ctxs:
            evaluate(rollout, ctx)

    def c() -> None:
        for ctx in ctxs:
            evaluate(cond, ctx)

    def d() -> Any:
        return evaluate_all(one)

    return {"a": a, "b": b, "c": c, "d": d}


def unleash_runs(client: Any, users: Sequence[Mapping[str, Any]]) -> dict[str, Callable[[], Any]]:
    ctxs = [fx.unleash_context(u) for u in users]
    one = ctxs[0]
    is_enabled = client.is_enabled
    simple, rollout, cond = NAME[fx.SIMPLE], NAME[fx.ROLLOUT], NAME[fx.CONDITIONS]

    def a() -> None:
        for _ in ctxs:
            is_enabled(simple, one)

    def b() -> None:
        for ctx in ctxs:
            is_enabled(rollout, ctx)

    def c() -> None:
        for ctx in ctxs:
            is_enabled(cond, ctx)

    def d() -> list[bool]:
        return [is_enabled(name, one) for name in ALL_NAMES]

    return {"a": a, "b": b, "c": c, "d": d}


def growthbook_runs(gb: Any, users: Sequence[Mapping[str, Any]]) -> dict[str, Callable[[], Any]]:
    attrs = [fx.growthbook_attributes(u) for u in users]
    one = attrs[0]
    set_attributes, is_on = gb.set_attributes, gb.is_on
    simple, rollout, cond = NAME[fx.SIMPLE], NAME[fx.ROLLOUT], NAME[fx.CONDITIONS]

    def a() -> None:
        set_attributes(one)  # once: the user does not matter for this flag
        for _ in attrs:
            is_on(simple)

    def b() -> None:
        for attributes in attrs:
            set_attributes(attributes)
            is_on(rollout)

    def c() -> None:
        for attributes in attrs:
            set_attributes(attributes)
            is_on(cond)

    def d() -> list[bool]:
        set_attributes(one)
        return [is_on(name) for name in ALL_NAMES]

    return {"a": a, "b": b, "c": c, "d": d}


# --- correctness, before any timing ---------------------------------------------------------------------


def _vexil_on(snap: Any, name: str, user: Mapping[str, Any]) -> bool:
    return bool(snap.evaluate(name, fx.vexil_context(user)).active)


def _all_active(result: Any) -> dict[str, bool]:
    """`evaluate_all`'s answer as {name: active}, whether it is a mapping or a sequence of Evaluations."""
    items = result.values() if isinstance(result, Mapping) else result
    return {ev.flag: bool(ev.active) for ev in items}


Answer = Callable[[str, Mapping[str, Any]], bool]


def check_answers(snap: Any, client: Any, gb: Any, users: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every SDK must give the expected answers; returns a few facts for the report, exits otherwise."""

    def gb_on(name: str, user: Mapping[str, Any]) -> bool:
        gb.set_attributes(fx.growthbook_attributes(user))
        return bool(gb.is_on(name))

    answers: dict[str, Answer] = {
        "vexil": lambda name, user: _vexil_on(snap, name, user),
        "unleash": lambda name, user: bool(client.is_enabled(name, fx.unleash_context(user))),
        "growthbook": gb_on,
    }
    facts: list[str] = []
    problems: list[str] = []
    _check_workloads(answers, users, facts, problems)
    _check_all_flags(snap, answers, users[0], problems)
    if problems:
        raise SystemExit("wrong answers, not timing:\n  " + "\n  ".join(problems))
    return facts


def _check_workloads(
    answers: Mapping[str, Answer], users: Sequence[Mapping[str, Any]], facts: list[str], problems: list[str]
) -> None:
    """Workloads a-c over the 1,000 users: simple all on, rollout about half, conditions exactly as computed."""
    got = {sdk: {kind: [on(NAME[kind], u) for u in users] for kind in NAME} for sdk, on in answers.items()}
    expected = [fx.matches_three(u) for u in users]
    for sdk, by_kind in got.items():
        if not all(by_kind[fx.SIMPLE]):
            problems.append(f"{sdk}: the simple flag is off for some users")
        share = sum(by_kind[fx.ROLLOUT]) / len(users)
        facts.append(f"{sdk}: rollout 50 % → {share:.1%} of {len(users)} users")
        if not 0.45 <= share <= 0.55:
            problems.append(f"{sdk}: the 50 % rollout served {share:.1%}")
        if by_kind[fx.CONDITIONS] != expected:
            wrong = sum(a != b for a, b in zip(by_kind[fx.CONDITIONS], expected, strict=True))
            problems.append(f"{sdk}: the conditions flag is wrong for {wrong} users")
    if got["vexil"][fx.ROLLOUT] != got["unleash"][fx.ROLLOUT]:
        problems.append("vexil and unleash bucket the 50 % rollout differently (docs/spec.md promises the same)")
    else:
        facts.append("vexil and unleash put exactly the same users in the 50 % rollout")
    facts.append(f"conditions flag: {sum(expected)} of {len(users)} users match, the same for all three SDKs")


def _expected(kind: str, name: str, user: Mapping[str, Any], answers: Mapping[str, Answer]) -> bool:
    if kind == fx.SIMPLE:
        return True
    if kind == fx.CONDITIONS:
        return fx.matches_three(user)
    return answers["unleash"](
        name, user
    )  # rollouts: Vexil must bucket exactly as Unleash (GrowthBook hashes its own way)


def _check_all_flags(snap: Any, answers: Mapping[str, Answer], user: Mapping[str, Any], problems: list[str]) -> None:
    """Workload d: every one of the 100 flags, through evaluate_all and one by one."""
    everything = _all_active(snap.evaluate_all(fx.vexil_context(user)))
    if len(everything) != len(FLAGS):
        problems.append(f"vexil evaluate_all returned {len(everything)} results for {len(FLAGS)} flags")
    for name, kind in FLAGS:
        want = _expected(kind, name, user, answers)
        if everything.get(name) != want or answers["vexil"](name, user) != want:
            problems.append(f"vexil evaluate_all/evaluate: {name} is not {want}")
        if kind != fx.ROLLOUT and answers["growthbook"](name, user) != want:
            problems.append(f"growthbook: {name} is not {want}")


# --- timing ---------------------------------------------------------------------------------------------------


def best_ns(fn: Callable[[], Any], per_call: int, repeat: int) -> float:
    """Best of `repeat` timeit runs (each at least 0.2 s), in ns per evaluation."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number / per_call * 1e9


def call_floor(repeat: int) -> float:
    """A loop of 1,000 calls to a function that does nothing: the per-call cost no SDK can go under."""
    ctxs = [fx.vexil_context(u) for u in fx.users()]

    def noop(name: str, context: Any) -> None:
        return None

    def loop() -> None:
        for ctx in ctxs:
            noop("x", ctx)

    return best_ns(loop, 1000, repeat)


def cold_start(repeat: int) -> tuple[float, float, int]:
    """ms to build a Snapshot from 1,000 realistic flag documents: (first build, best build, flag count)."""
    from vexil.engine import Snapshot

    raw = orjson.dumps(fx.realistic_flags(1000))
    segments = fx.segment_docs()
    times = []
    for _ in range(repeat):
        docs = orjson.loads(raw)  # fresh documents each time, as a load from the store gives
        gc.collect()
        start = time.perf_counter()
        snap = Snapshot(docs, segments)
        times.append((time.perf_counter() - start) * 1e3)
    count = len(_all_active(snap.evaluate_all({"identifier": "user-1"})))
    return times[0], min(times), count


def profile_vexil(run: Callable[[], Any], title: str, lines: int = 14) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(200):
        run()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(lines)
    return f"--- cProfile of vexil, {title} (200 passes, sorted by own time) ---\n" + out.getvalue().strip()


def _fmt(ns: float) -> str:
    return f"{ns:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 7")
    parser.add_argument("--profile", action="store_true", help="profile every Vexil workload, not only the misses")
    args = parser.parse_args()
    repeat = 3 if args.quick else 7

    from importlib.metadata import version

    forbid_network()
    users = fx.users()
    print(
        f"python {sys.version.split()[0]}; vexil {version('vexil')}, UnleashClient {version('UnleashClient')} "
        f"(yggdrasil-engine {version('yggdrasil-engine')}), growthbook {version('growthbook')}"
    )
    print(f"load average {os.getloadavg()[0]:.2f} (1 min) at the start; the machine may be shared")
    with tempfile.TemporaryDirectory(prefix="vexil-bench-unleash-") as cache_dir:
        snap, client, gb = build_vexil(), build_unleash(cache_dir), build_growthbook()
        try:
            print("correctness (checked before timing):")
            for fact in check_answers(snap, client, gb, users):
                print(f"  {fact}")
            runs = {
                "vexil": vexil_runs(snap, users),
                "unleash": unleash_runs(client, users),
                "growthbook": growthbook_runs(gb, users),
            }
            results: dict[str, dict[str, float]] = {w.key: {} for w in WORKLOADS}
            for w in WORKLOADS:
                for sdk, by_workload in runs.items():
                    results[w.key][sdk] = best_ns(by_workload[w.key], w.per_call, repeat)
        finally:
            client.destroy()

    floor = call_floor(repeat)
    first_ms, best_ms, count = cold_start(5)

    print()
    header = (
        f"{'workload':<32} | {'unit':<12} | {'vexil':>9} | {'unleash':>9} | {'growthbook':>10} | speed-up vs faster"
    )
    print(header)
    print("-" * len(header))
    misses = []
    for w in WORKLOADS:
        r = results[w.key]
        faster_name = min(("unleash", "growthbook"), key=lambda s: r[s])
        speedup = r[faster_name] / r["vexil"]
        mark = "" if speedup >= TARGET else f"  (< {TARGET:.0f}x target)"
        if speedup < TARGET:
            misses.append(w)
        print(
            f"{w.title:<32} | {w.unit:<12} | {_fmt(r['vexil']):>9} | {_fmt(r['unleash']):>9} | "
            f"{_fmt(r['growthbook']):>10} | {speedup:5.1f}x ({faster_name}){mark}"
        )
    print(f"{'python call floor (no-op fn)':<32} | {'ns/eval':<12} | {_fmt(floor):>9} |")
    print()
    print(f"cold start: Snapshot from {count} realistic flag docs: first {first_ms:.1f} ms, best of 5 {best_ms:.1f} ms")
    print(f"best of {repeat} repeats; target: vexil ≥ {TARGET:.0f}x faster than the faster SDK on every workload")

    to_profile = WORKLOADS if args.profile else misses
    if to_profile:
        print()
        for w in to_profile:
            print(profile_vexil(runs["vexil"][w.key], w.title))


if __name__ == "__main__":
    main()
