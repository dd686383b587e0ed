"""Test harness for the CLI: real `vexil serve` processes, and `Vexil`, which runs the CLI in-process
through `CliRunner` against one of them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner, Result

from tests.conftest import start_server as start_live_server
from vexil.cli import main

ADMIN_TOKEN = "vx_cli_test_admin_0123456789abcdef"


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
    live = start_live_server(data_dir, env={"VEXIL_ADMIN_TOKEN": ADMIN_TOKEN})
    return ServerProcess(live.url, ADMIN_TOKEN, data_dir, live.log, live.process)


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
