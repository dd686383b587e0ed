# The two commands: `make run` and `make test`. Both install what they need into .venv.
PY ?= python3
# bash with pipefail: an install whose output is filtered still fails when pip fails.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# Two distributions from this repository (docs/packaging.md): vexil-sdk (the engine and the Python
# SDK) and vexil (the server), installed in editable mode with the exact versions of constraints.txt.
SDK := packages/vexil-sdk
LOCK := constraints.txt
INSTALL := $(BIN)/pip install --progress-bar off -c $(LOCK) -e $(SDK)

.PHONY: run test check bench install lock clean screenshots

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip==24.3.1

$(STAMP): pyproject.toml $(SDK)/pyproject.toml $(LOCK) | $(BIN)/python
	@echo "== installing Vexil and its dependencies into $(VENV) (about a minute on a fresh machine)"
	$(INSTALL) -e . | { grep -E '^(Collecting|Successfully)' || true; }
	@$(BIN)/python -c "import vexil" && touch $@

$(DEV_STAMP): pyproject.toml $(SDK)/pyproject.toml $(LOCK) | $(BIN)/python
	@echo "== installing Vexil with its development tools into $(VENV) (a few minutes on a fresh machine)"
	$(INSTALL) -e '.[dev]' | { grep -E '^(Collecting|Successfully)' || true; }
	@$(BIN)/python -c "import vexil, pytest, mypy" && touch $@ $(STAMP)

NODE_STAMP := tests/node/node_modules/.installed

# The third-party JavaScript clients the protocol tests drive (tests/node/package.json, pinned).
$(NODE_STAMP): tests/node/package.json tests/node/package-lock.json
	@echo "== installing the JavaScript clients of the protocol tests into tests/node/node_modules"
	cd tests/node && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

BINDINGS_STAMP := tests/bindings/node_modules/.installed

# What the tests of the npm package @vexil/client build its pages and type-check with: solid-js,
# react, react-dom, @types/react, typescript, esbuild (tests/bindings/package.json, pinned).
$(BINDINGS_STAMP): tests/bindings/package.json tests/bindings/package-lock.json
	@echo "== installing SolidJS, React and TypeScript for the npm package's tests into tests/bindings/node_modules"
	cd tests/bindings && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(STAMP)

run: $(STAMP)
	$(BIN)/vexil serve --demo

check: $(DEV_STAMP)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: check $(NODE_STAMP) $(BINDINGS_STAMP)
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium; fi
	$(BIN)/pytest -n 2 --dist loadfile

# constraints.txt again after a dependency changed in a pyproject.toml: what is pinned stays as it is,
# what is new is resolved and pinned (delete a line first to upgrade that package).
lock: | $(BIN)/python
	rm -rf .lock-venv && $(PY) -m venv .lock-venv
	.lock-venv/bin/pip install -q --upgrade pip==24.3.1
	.lock-venv/bin/pip install -q -c $(LOCK) ./$(SDK) '.[dev]'
	{ sed -n '/^#/p' $(LOCK); .lock-venv/bin/pip freeze | grep -viE '^(vexil|vexil-sdk)( |==|@)'; } > $(LOCK).new
	mv $(LOCK).new $(LOCK) && rm -rf .lock-venv

# The README's screenshots (docs/img/) taken again from the UI as it is now, in Chromium against a real
# server; not part of `make test`, which must leave tracked files as they are.
screenshots: $(DEV_STAMP)
	VEXIL_DOCS_SCREENSHOTS=1 $(BIN)/pytest -q tests/web/test_ui_pages.py -k test_docs_screenshots

bench: $(DEV_STAMP)
	bench/run.sh

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
