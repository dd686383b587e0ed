"""The package's public surface: `vexil.cli.main`, the console script's entry point."""

from __future__ import annotations

import subprocess
import sys

import click

import vexil.cli


def test_cli_package__all__only_main() -> None:
    # Given / When / Then
    assert vexil.cli.__all__ == ["main"]
    assert isinstance(vexil.cli.main, click.Group)


def test_cli_package__import__server_not_loaded() -> None:
    # Given: a fresh interpreter
    heavy = "{'fastapi', 'uvicorn', 'sqlalchemy'}"
    code = f"import sys, vexil.cli; print(sorted({{m.split('.')[0] for m in sys.modules}} & {heavy}))"
    # When
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    # Then: every command but `serve` starts without the server's dependencies
    assert result.stdout.strip() == "[]"


def test_cli_package__import__client_libraries_not_loaded_until_a_verb_needs_them() -> None:
    # Given: a fresh interpreter
    client_side = "{'httpx', 'rich'}"
    code = f"import sys, vexil.cli; print(sorted({{m.split('.')[0] for m in sys.modules}} & {client_side}))"
    # When
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    # Then: `vexil serve` (the server's cold start) does not pay for the CLI's HTTP client and tables
    assert result.stdout.strip() == "[]"
