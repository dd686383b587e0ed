"""`vexil serve`: the options become `Settings.from_env(...)` overrides. (The real server process
that every other CLI test talks to is itself started with `vexil serve`.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import vexil.server
from vexil.cli import main
from vexil.config import Settings


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    """Replaces `vexil.server.serve`; the settings it was called with."""
    calls: list[Settings] = []

    def serve(settings: Settings, *, verbose: bool = False) -> None:
        calls.append(settings)

    monkeypatch.setattr(vexil.server, "serve", serve)
    return calls


def test_serve__every_option__passed_to_settings(served: list[Settings], tmp_path: Path) -> None:
    # Given
    args = [
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "9001",
        "--data-dir",
        str(tmp_path),
        "--demo",
        "--workers",
        "3",
        "--database-url",
        "postgresql+asyncpg://db/vexil",
        "--redis-url",
        "redis://cache:6379/0",
    ]
    # When
    result = CliRunner().invoke(main, args, env={"VEXIL_PORT": None, "VEXIL_HOST": None})
    # Then
    assert result.exit_code == 0, result.output
    [settings] = served
    assert (settings.host, settings.port, settings.data_dir) == ("0.0.0.0", 9001, tmp_path)
    assert settings.database_url == "postgresql+asyncpg://db/vexil"
    assert settings.redis_url == "redis://cache:6379/0"
    assert (settings.demo, settings.workers) == (True, 3)


def test_serve__no_options__environment_and_defaults(served: list[Settings]) -> None:
    # Given
    env = {"VEXIL_PORT": "8111", "VEXIL_HOST": None, "VEXIL_DATA_DIR": None, "VEXIL_DATABASE_URL": None}
    # When
    result = CliRunner().invoke(main, ["serve"], env=env)
    # Then
    assert result.exit_code == 0, result.output
    [settings] = served
    assert (settings.host, settings.port, settings.data_dir) == ("127.0.0.1", 8111, Path("vexil-data"))
    assert (settings.database_url, settings.demo, settings.workers) == (None, False, 1)


def test_serve__bad_port_in_environment__usage_error(served: list[Settings]) -> None:
    # Given / When
    result = CliRunner().invoke(main, ["serve"], env={"VEXIL_PORT": "eighty"})
    # Then
    assert result.exit_code == 2
    assert result.stderr.startswith("vexil: error: invalid server settings: ")
    assert served == []


@pytest.mark.parametrize("args", [["--port", "0"], ["--port", "70000"], ["--workers", "0"]])
def test_serve__out_of_range_option__usage_error(served: list[Settings], args: list[str]) -> None:
    # Given / When
    result = CliRunner().invoke(main, ["serve", *args])
    # Then
    assert result.exit_code == 2
    assert result.stderr.startswith("vexil: error: Invalid value for '--")
    assert served == []
