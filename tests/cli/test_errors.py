"""Failures: one line `vexil: error: ...` on stderr, a meaningful exit code, never a traceback."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import VEXIL_SCRIPT, clean_environ, free_port

from .harness import ServerProcess, Vexil

EXIT_API, EXIT_USAGE, EXIT_UNREACHABLE = 1, 2, 3


def run_script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed `vexil` console script, as a user runs it."""
    return subprocess.run(
        [str(VEXIL_SCRIPT), *args], capture_output=True, text=True, timeout=30, env=clean_environ(**(env or {}))
    )


def test_cli__nothing_listening__unreachable_exit_3() -> None:
    # Given
    url = f"http://127.0.0.1:{free_port()}"
    # When
    message = Vexil(url, "any-token").fails("flag", "list", exit_code=EXIT_UNREACHABLE)
    # Then
    assert message.startswith(f"cannot reach the Vexil server at {url}: ")


def test_cli__wrong_token__server_401_message(vexil_server: ServerProcess) -> None:
    # Given
    vexil = Vexil(vexil_server.url, "vx_not_a_real_token")
    # When
    message = vexil.fails("flag", "list", exit_code=EXIT_API)
    # Then
    assert message == "invalid token (HTTP 401)"


def test_cli__no_token_anywhere__401_with_hint(vexil_server: ServerProcess, tmp_path: Path) -> None:
    # Given: no --token, no VEXIL_TOKEN, and an empty data directory
    vexil = Vexil(vexil_server.url, None)
    # When
    message = vexil.fails("flag", "list", exit_code=EXIT_API, env={"VEXIL_DATA_DIR": str(tmp_path)})
    # Then
    assert message.startswith("this needs a server token (HTTP 401)")
    assert "pass --token, set VEXIL_TOKEN" in message


def test_cli__token_file_in_data_dir__used_by_default(vexil_server: ServerProcess, tmp_path: Path) -> None:
    # Given: the server's admin token in $VEXIL_DATA_DIR/admin-token, as `vexil serve` writes it
    (tmp_path / "admin-token").write_text(vexil_server.token + "\n")
    vexil = Vexil(vexil_server.url, None)
    # When
    result = vexil.run("--json", "flag", "list", env={"VEXIL_DATA_DIR": str(tmp_path)})
    # Then
    assert result.exit_code == 0, result.stderr


def test_cli__url_and_token_from_environment__used(vexil_server: ServerProcess) -> None:
    # Given
    env = {"VEXIL_URL": vexil_server.url, "VEXIL_TOKEN": vexil_server.token}
    # When
    result = run_script("--json", "token", "list", env=env)
    # Then
    assert result.returncode == 0, result.stderr
    assert result.stdout.lstrip().startswith("[")


@pytest.mark.parametrize("url", ["ftp://127.0.0.1", "127.0.0.1:8000"], ids=["scheme", "no-scheme"])
def test_cli__bad_url__usage_exit_2(url: str) -> None:
    # Given / When
    message = Vexil(url, "t").fails("flag", "list", exit_code=EXIT_USAGE)
    # Then
    assert message.startswith("invalid server URL")


class _NotVexil(BaseHTTPRequestHandler):
    """Some other web server: HTML, a 200 for `/`-anything and a 502 for `/flags/broken`."""

    def do_GET(self) -> None:
        status = 502 if self.path.startswith("/flags/broken") else 200
        body = b"<html>\n<h1>Bad Gateway</h1>\n</html>" if status == 502 else b"<html>hello</html>"
        self.send_response(status)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def not_vexil() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotVexil)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_cli__not_a_vexil_server__not_json_error(not_vexil: str) -> None:
    # Given / When
    message = Vexil(not_vexil, "t").fails("flag", "list", exit_code=EXIT_API)
    # Then
    assert message == f"the server at {not_vexil} did not answer JSON; is it a Vexil server?"


def test_cli__proxy_error_page__reason_and_status(not_vexil: str) -> None:
    # Given / When
    message = Vexil(not_vexil, "t").fails("flag", "get", "broken", exit_code=EXIT_API)
    # Then
    assert message == "Bad Gateway (HTTP 502)"


def test_cli__unknown_command__usage_exit_2() -> None:
    # Given / When
    message = Vexil("http://127.0.0.1:1", "t").fails("flag", "frobnicate", exit_code=EXIT_USAGE)
    # Then
    assert message == "No such command 'frobnicate'."


@pytest.mark.parametrize(
    ("args", "exit_code", "start"),
    [
        (["flag", "list"], EXIT_UNREACHABLE, "vexil: error: cannot reach the Vexil server"),
        (["flag", "rollout", "x", "101"], EXIT_USAGE, "vexil: error: Invalid value for 'PERCENT'"),
        (["flag", "list", "--bogus"], EXIT_USAGE, "vexil: error: No such option '--bogus'"),
        (["import", "/nonexistent/file.json"], EXIT_USAGE, "vexil: error: Invalid value for 'FILE'"),
    ],
    ids=["unreachable", "bad-percent", "bad-option", "missing-file"],
)
def test_console_script__failure__one_line_no_traceback(args: list[str], exit_code: int, start: str) -> None:
    # Given: a server URL where nothing listens
    url = f"http://127.0.0.1:{free_port()}"
    # When
    result = run_script("--url", url, "--token", "t", *args)
    # Then
    assert result.returncode == exit_code
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(start), result.stderr
    assert "Traceback" not in result.stderr


def test_console_script__wrong_token__exit_1_one_line(vexil_server: ServerProcess) -> None:
    # Given / When
    result = run_script("--url", vexil_server.url, "--token", "wrong", "flag", "get", "anything")
    # Then
    assert result.returncode == EXIT_API
    assert result.stderr == "vexil: error: invalid token (HTTP 401)\n"


def test_console_script__unknown_flag__exit_1_one_line(vexil_server: ServerProcess) -> None:
    # Given / When
    result = run_script("--url", vexil_server.url, "--token", vexil_server.token, "flag", "get", "no-such-flag-x")
    # Then
    assert result.returncode == EXIT_API
    assert result.stderr == "vexil: error: flag 'no-such-flag-x' not found (HTTP 404)\n"


def test_console_script__help__exit_0() -> None:
    # Given / When
    result = run_script("--help")
    # Then
    assert result.returncode == 0
    assert "flag" in result.stdout and "serve" in result.stdout
