#!/usr/bin/env bash
# HTTP throughput (wrk) and cold start of a real `vexil serve`; see bench/throughput.py for the details.
# (The Python side is not called http.py: run as a script, bench/ comes first on sys.path and a
# bench/http.py would shadow the standard library's `http` package.)
set -euo pipefail
cd "$(dirname "$0")/.."
exec .bench-venv/bin/python bench/throughput.py "$@"
