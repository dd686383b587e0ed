"""How long `vexil refs` takes to scan a work tree, by number of flag names (docs/code-refs.md).

    .venv/bin/python bench/refs_scan.py [PATH] [--names 10 1000 10000]

The scan alone (`vexil.cli.refscan.scan`), without the server: made-up names `bench_flag_<n>`
that a tree seldom holds, so the figure is the cost of reading every tracked file and looking
each quoted run up. Best of three runs per count.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from vexil.cli.refscan import scan, tracked_files, work_tree_root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=".")
    parser.add_argument("--names", type=int, nargs="+", default=[10, 1000, 10000])
    args = parser.parse_args()
    root = work_tree_root(Path(args.path))
    print(f"{root}: {len(tracked_files(root))} tracked files")
    for count in args.names:
        names = [f"bench_flag_{n}" for n in range(count)]
        best = min(_timed(root, names) for _ in range(3))
        print(f"{count:>6} names: {best * 1000:.0f} ms")


def _timed(root: Path, names: list[str]) -> float:
    start = time.perf_counter()
    scan(root, names)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
