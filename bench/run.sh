#!/usr/bin/env bash
# Every benchmark, in order (`make bench` runs this from the repository root):
#   1. bench/engine.py  in-process evaluation: Vexil vs the Unleash and GrowthBook SDKs, Snapshot cold start
#   2. bench/http.sh    HTTP throughput with wrk vs a raw ASGI hello-world, server cold start
# Usage: bench/run.sh [--quick]   (--quick: fewer repeats and 3 s wrk runs, for a smoke test)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.bench-venv
STAMP=$VENV/.installed
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1

# The SDKs being compared live only in their own virtualenv, never in the project's .venv.
if [ ! -x "$VENV/bin/python" ] || [ bench/requirements.txt -nt "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
    echo "== setting up $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -e . -r bench/requirements.txt
    touch "$STAMP"
fi

if ! command -v wrk >/dev/null 2>&1; then
    echo "== installing wrk (Debian package)"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get install -y -qq wrk >/dev/null 2>&1 || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk; }
fi

echo "== 1. in-process evaluation (bench/engine.py)"
if [ "$QUICK" = 1 ]; then
    "$VENV/bin/python" bench/engine.py --quick
else
    "$VENV/bin/python" bench/engine.py
fi

echo
echo "== 2. HTTP throughput and cold start (bench/http.sh)"
if [ "$QUICK" = 1 ]; then
    bench/http.sh --duration 3 --warmup 1 --cold-runs 2
else
    bench/http.sh
fi
