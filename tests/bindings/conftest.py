"""The npm package @vexil/client (src/vexil/web/client) as its users get it: packed with `npm pack`,
installed from the tarball with npm, bundled by esbuild with the real solid-js and react, or
type-checked by tsc. What the tests build with is pinned in tests/bindings/package.json (`make test`
runs its `npm ci`); without it, or without node and npm, the tests are skipped with that message,
except under CI=true, where they fail.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import browser

__all__ = ["browser"]  # Chromium, shared with tests/web

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
PACKAGE = ROOT / "src" / "vexil" / "web" / "client"
NODE_MODULES = HERE / "node_modules"
FRAMEWORKS = ("solid", "react")


def require(ready: bool, message: str) -> None:
    """Skip the test when a tool is missing, or fail under CI=true (where nothing may skip)."""
    if ready:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def run(*command: str | Path, cwd: Path = HERE) -> str:
    """Run a command to its end; fail the test with its output if it fails."""
    done = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, (
        f"{' '.join(map(str, command))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    )
    return done.stdout


def require_node_tools() -> None:
    require(shutil.which("node") is not None and shutil.which("npm") is not None, "node and npm are needed")
    require((NODE_MODULES / ".installed").exists(), "tests/bindings/node_modules missing: `make test` installs it")


@dataclass(frozen=True)
class Packed:
    """The tarball `npm pack` made of the package, and what `npm pack` said of it."""

    tarball: Path
    report: dict[str, Any]

    @property
    def files(self) -> set[str]:
        return {entry["path"] for entry in self.report["files"]}


@pytest.fixture(scope="session")
def packed(tmp_path_factory: pytest.TempPathFactory) -> Packed:
    """`npm pack` of src/vexil/web/client, as a publisher would run it."""
    require_node_tools()
    out = tmp_path_factory.mktemp("packed")
    report = json.loads(run("npm", "pack", "--json", "--pack-destination", out, PACKAGE, cwd=out))[0]
    return Packed(out / report["filename"], report)


@pytest.fixture(scope="session")
def installed(packed: Packed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory whose node_modules holds @vexil/client installed by npm from the tarball.

    Its peer dependencies are not installed there (`--legacy-peer-deps`): the bundler finds the one
    copy of each in tests/bindings/node_modules, as an application's own copy would be found.
    """
    app = tmp_path_factory.mktemp("app")
    flags = ("--no-audit", "--no-fund", "--no-save", "--no-package-lock", "--legacy-peer-deps", "--loglevel=error")
    run("npm", "install", "--prefix", app, *flags, packed.tarball, cwd=app)
    return app


@dataclass(frozen=True)
class Bundle:
    """A test app built by build.mjs: its directory (index.html, app.js) and esbuild's inputs."""

    framework: str
    directory: Path
    inputs: list[str]


@pytest.fixture(scope="session")
def bundles(installed: Path) -> dict[str, Bundle]:
    """Both test apps (apps/solid.js, apps/react.jsx), bundled against the installed package."""
    built = {}
    for framework in FRAMEWORKS:
        report = json.loads(run("node", HERE / "build.mjs", framework, installed))
        built[framework] = Bundle(framework, Path(report["out"]), report["inputs"])
    return built


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def app_origin(installed: Path, bundles: dict[str, Bundle]) -> Iterator[str]:
    """The built apps served from their own origin (another port than Vexil's), as a site would be."""
    handler = functools.partial(_QuietHandler, directory=str(installed))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
