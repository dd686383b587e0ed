"""vexil-sdk, the Python SDK's own distribution (packages/vexil-sdk), as an application installs it.

The acceptance test of issue 11: installed from the repository into a fresh virtual environment,
next to deliberately old pydantic, fastapi and sqlalchemy releases and at the lowest versions its
ranges allow, it evaluates locally against a real Vexil server and imports nothing of the server.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

import vexil
from tests.conftest import ADMIN, ADMIN_ENV, LiveServer
from tests.packaging.conftest import SDK_PROJECT, fresh_venv, run

pytestmark = pytest.mark.slow

# What an older application already has (pydantic 1, the FastAPI and SQLAlchemy of its day), and
# the SDK's own dependencies at the lowest versions its pyproject.toml allows.
APPLICATION = ["pydantic==1.10.13", "fastapi==0.95.2", "sqlalchemy==1.4.52"]
LOWEST = ["httpx==0.27.0", "mmh3==4.1.0", "google-re2==1.1", "orjson==3.9.0", "openfeature-sdk==0.10.0"]
SERVER_MODULES = ("fastapi", "starlette", "sqlalchemy", "uvicorn", "asyncpg", "redis", "pydantic", "alembic")
SERVER_PACKAGES = ("vexil.api", "vexil.core", "vexil.store", "vexil.bus", "vexil.cli", "vexil.server", "vexil.config")


def test_vexil_sdk__installed_beside_old_pydantic_fastapi_sqlalchemy__evaluates_locally_without_server_modules(
    live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    # Given a real Vexil server with a multivariate flag, user-7 allowlisted to "green", and a server token
    server = live_server(env=ADMIN_ENV)
    with httpx.Client(base_url=server.url, headers=ADMIN, timeout=10) as api:
        variants = [{"name": "blue", "payload": {"hex": "#00f"}}, {"name": "green", "payload": {"hex": "#0a0"}}]
        flag = {"name": "banner", "enabled": True, "variants": variants, "allowlist": {"user-7": "green"}}
        api.post("/flags", json=flag).raise_for_status()
        token = api.post("/tokens", json={"name": "sdk", "role": "server"}).raise_for_status().json()["token"]
    # and a fresh virtual environment holding an older application's stack
    bin_dir = fresh_venv(tmp_path / "venv")
    run(bin_dir / "pip", "install", "--progress-bar", "off", *APPLICATION, *LOWEST)

    # When vexil-sdk (with its OpenFeature extra) is installed there from the repository
    run(bin_dir / "pip", "install", "--progress-bar", "off", f"{SDK_PROJECT}[openfeature]")

    # Then the older stack is untouched, and nothing of the server came with it
    report = json.loads(
        run(bin_dir / "python", "-I", Path(__file__).with_name("sdk_probe.py"), server.url, token, "banner", "user-7")
    )
    assert report["versions"] == {
        "vexil-sdk": vexil.__version__,
        "pydantic": "1.10.13",
        "fastapi": "0.95.2",
        "sqlalchemy": "1.4.52",
        "httpx": "0.27.0",
        "mmh3": "4.1.0",
        "google-re2": "1.1",
        "orjson": "3.9.0",
    }
    assert Path(report["vexil_file"]).is_relative_to(tmp_path / "venv"), "vexil came from the repository"
    assert report["server_importable"] is False
    # and local evaluation against the real server gave the server's answer
    assert (report["ready"], report["variant"], report["payload"], report["reason"]) == (
        True,
        "green",
        {"hex": "#0a0"},
        "allowlist",
    )
    assert report["provider"] == "VexilProvider"
    # and none of the server's modules, nor its frameworks, were imported
    imported = [name for name in report["modules"] if name.split(".")[0] in SERVER_MODULES]
    imported += [name for name in report["modules"] if name.startswith(SERVER_PACKAGES)]
    assert imported == []
