"""Test harness for the CLI: real `vexil serve` processes, and `Vexil`, which runs the CLI in-process
through `CliRunner` against one of them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner, Result

from vexil.cli import main

ADMIN_TOKEN = "vx_cli_test_admin_0123456789abcdef"
VEXIL_SCRIPT = Path(sys.executable).parent / "vexil"
STARTUP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_environ(**extra: str) -> dict[str, str]:
    """This process's environment without any VEXIL_* setting (so the caller's shell cannot leak in)."""
    environ = {key: value for key, value in os.environ.items() if not key.startswith("VEXIL_")}
    environ.update(extra)
    return environ


@dataclass
class ServerProcess:
    url: str
    token: str
    data_dir: Path
    log: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def http(self) -> httpx.Client:
        """Direct API access, for setting up what the CLI has no verb for (rules, segments)."""
        return httpx.Client(base_url=self.url, headers={"authorization": f"Bearer {self.token}"}, timeout=10)


def start_server(data_dir: Path) -> ServerProcess:
    """`vexil serve` through the real console script, with VEXIL_ADMIN_TOKEN; waits for /health."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = data_dir.parent / f"{data_dir.name}-server.log"
    command = [str(VEXIL_SCRIPT), "serve", "--port", str(port), "--data-dir", str(data_dir)]
    if not VEXIL_SCRIPT.exists():  # not installed as a script: the same entry point through Python
        command = [sys.executable, "-c", "from vexil.cli import main; main()", *command[1:]]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, env=clean_environ(VEXIL_ADMIN_TOKEN=ADMIN_TOKEN)
        )
    server = ServerProcess(f"http://127.0.0.1:{port}", ADMIN_TOKEN, data_dir, log, process)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"vexil serve exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"vexil serve not healthy within {STARTUP_TIMEOUT}s:\n{log.read_text(errors='replace')}")


@dataclass
class Vexil:
    """Runs `vexil --url <server> --token <admin> ARGS...` in-process through CliRunner."""

    url: str
    token: str | None
    runner: CliRunner = field(default_factory=CliRunner)

    def run(self, *args: str, input: str | None = None, env: dict[str, str | None] | None = None) -> Result:
        prefix = ["--url", self.url] + (["--token", self.token] if self.token is not None else [])
        environ: dict[str, str | None] = {key: None for key in os.environ if key.startswith("VEXIL_")}
        environ.update(env or {})
        result = self.runner.invoke(main, [*prefix, *args], input=input, env=environ)
        # Anything but SystemExit escaping the CLI is a bug: show its traceback.
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    def ok(self, *args: str, input: str | None = None) -> Result:
        result = self.run(*args, input=input)
        assert result.exit_code == 0, f"exit {result.exit_code}: {result.stderr}"
        assert result.stderr == ""
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok("--json", *args).stdout)

    def fails(self, *args: str, exit_code: int, env: dict[str, str | None] | None = None) -> str:
        """Runs a command that must fail; its one-line message (without the `vexil: error: ` prefix)."""
        result = self.run(*args, env=env)
        assert result.exit_code == exit_code, f"exit {result.exit_code}: {result.output}"
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("vexil: error: "), lines[0]
        assert result.stdout == ""
        return lines[0].removeprefix("vexil: error: ")
