"""The two wheels built from this repository, and the server installed from them (not in editable
mode): each file belongs to one distribution, and the installed server serves the browser client."""

from __future__ import annotations

import signal
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import vexil
from tests.conftest import ADMIN_ENV, LiveServer, clean_environ, free_port, wait_healthy
from tests.packaging.conftest import LOCK, ROOT, SDK_PROJECT, fresh_venv, run

pytestmark = pytest.mark.slow

CLIENT = ROOT / "src" / "vexil" / "web" / "client"
SDK_PARTS = ("vexil/__init__.py", "vexil/py.typed", "vexil/engine/", "vexil/sdk/")


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`pip wheel` of both projects, as the Docker image builds them."""
    out = tmp_path_factory.mktemp("wheels")
    run(ROOT / ".venv" / "bin" / "pip", "wheel", "--no-deps", "--wheel-dir", out, SDK_PROJECT, ROOT, timeout=300)
    return {path.name.split("-")[0]: path for path in out.glob("*.whl")}


def names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return [name for name in archive.namelist() if ".dist-info/" not in name]


def test_wheels__vexil_sdk__holds_the_engine_and_sdk_only(wheels: dict[str, Path]) -> None:
    # When the SDK's wheel is opened
    files = names(wheels["vexil_sdk"])
    # Then it holds the package's __init__.py, the engine and the SDK, each file of the repository's
    assert [name for name in files if not name.startswith(SDK_PARTS)] == []
    assert "vexil/engine/snapshot.py" in files and "vexil/sdk/client.py" in files
    for name in files:
        assert (ROOT / "src" / name).is_file(), name
    assert wheels["vexil_sdk"].name.startswith(f"vexil_sdk-{vexil.__version__}-")


def test_wheels__vexil__holds_the_rest_and_nothing_of_the_sdk(wheels: dict[str, Path]) -> None:
    # When the server's wheel is opened
    files = names(wheels["vexil"])
    # Then it has none of vexil-sdk's files (it depends on vexil-sdk for them), and everything else
    assert [name for name in files if name.startswith(SDK_PARTS)] == []
    assert {"vexil/api/app.py", "vexil/web/client/client.js", "vexil/web/ui/index.html"} <= set(files)
    sources = {str(path.relative_to(ROOT / "src")) for path in (ROOT / "src" / "vexil").rglob("*.py")}
    assert sources - set(files) == {name for name in sources if name.startswith(SDK_PARTS)}


@pytest.fixture(scope="module")
def installed_server(wheels: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`vexil serve` of a fresh virtual environment where both wheels were installed with constraints.txt."""
    base = tmp_path_factory.mktemp("installed")
    bin_dir = fresh_venv(base / "venv")
    run(bin_dir / "pip", "install", "--progress-bar", "off", "-c", LOCK, *wheels.values(), timeout=900)
    port = free_port()
    log = base / "server.log"
    command = [str(bin_dir / "vexil"), "serve", "--port", str(port), "--data-dir", str(base / "data")]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, cwd=base, stdout=sink, stderr=subprocess.STDOUT, env=clean_environ(**ADMIN_ENV)
        )
    server = LiveServer(process, f"http://127.0.0.1:{port}", base / "data", log)
    wait_healthy(server)
    yield server
    server.stop(signal.SIGKILL)


def test_installed_server__web_client__the_npm_package_files(installed_server: LiveServer) -> None:
    # When the server installed from its wheel is asked for the browser client and its bindings
    with httpx.Client(base_url=installed_server.url, timeout=10) as http:
        served = {name: http.get(f"/web/{name}") for name in ("client.js", "solid.js", "react.js", "client.d.ts")}
        ui = http.get("/ui/")
        info = http.get("/").json()
    # Then it serves the package's very files, as JavaScript, and the admin UI
    for name, response in served.items():
        assert response.status_code == 200, name
        assert response.content == (CLIENT / name).read_bytes(), name
    assert served["client.js"].headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert ui.status_code == 200 and "<html" in ui.text
    assert info["version"] == vexil.__version__
