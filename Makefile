# The two commands: `make run` and `make test`. Both install what they need into .venv.
PY ?= python3
# bash with pipefail: an install whose output is filtered still fails when pip fails.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test check bench install clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip==24.3.1

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "== installing Vexil and its dependencies into $(VENV) (about a minute on a fresh machine)"
	$(BIN)/pip install --progress-bar off -e . | { grep -E '^(Collecting|Successfully)' || true; }
	@$(BIN)/python -c "import vexil" && touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	@echo "== installing Vexil with its development tools into $(VENV) (a few minutes on a fresh machine)"
	$(BIN)/pip install --progress-bar off -e '.[dev]' | { grep -E '^(Collecting|Successfully)' || true; }
	@$(BIN)/python -c "import vexil, pytest, mypy" && touch $@ $(STAMP)

NODE_STAMP := tests/node/node_modules/.installed

# The third-party JavaScript clients the protocol tests drive (tests/node/package.json, pinned).
$(NODE_STAMP): tests/node/package.json tests/node/package-lock.json
	@echo "== installing the JavaScript clients of the protocol tests into tests/node/node_modules"
	cd tests/node && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(STAMP)

run: $(STAMP)
	$(BIN)/vexil serve --demo

check: $(DEV_STAMP)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: check $(NODE_STAMP)
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium; fi
	$(BIN)/pytest -n 2 --dist loadfile

bench: $(DEV_STAMP)
	bench/run.sh

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
