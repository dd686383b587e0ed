"""Importing the SDK loads nothing of the server: no web framework, database driver or bus client
(the SDK ships without them, as vexil-sdk: docs/packaging.md). Not click: httpx imports it
for its command line whenever it is installed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SERVER_MODULES = ("fastapi", "starlette", "sqlalchemy", "uvicorn", "asyncpg", "redis", "pydantic", "alembic")
SERVER_PACKAGES = ("vexil.api", "vexil.core", "vexil.store", "vexil.bus", "vexil.cli", "vexil.server", "vexil.config")


@pytest.mark.parametrize("module", ["vexil.sdk", "vexil.sdk.provider", "vexil.engine"])
def test_sdk_import__fresh_interpreter__no_server_module_loaded(module: str) -> None:
    # Given a fresh interpreter where every server dependency is installed (this environment)
    script = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    # When it imports the SDK
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    # Then none of the server's modules, nor its frameworks, were loaded
    modules: list[str] = json.loads(done.stdout)
    assert module in modules
    assert [name for name in modules if name.split(".")[0] in SERVER_MODULES or name.startswith(SERVER_PACKAGES)] == []
