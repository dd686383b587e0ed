"""The committed export of a real Unleash server (tests/fixtures/unleash/make_export.sh), imported
into a real Vexil server through the CLI: for every context Unleash's own SDK answered, Vexil
answers the same, in the same environment (docs/migrating-from-unleash.md, "The guarantee")."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from tests.conftest import ADMIN, ADMIN_ENV, ADMIN_TOKEN, BACKENDS, LiveServer
from tests.unleash_import.recorded import FIXTURES, unleash_as_vexil, vexil_context
from vexil.cli import main

ANSWERS = json.loads((FIXTURES / "answers.json").read_text())


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest, live_server: Callable[..., LiveServer]) -> LiveServer:
    """A real `vexil serve` on SQLite, or on a PostgreSQL database of this module's own."""
    args = ["--database-url", request.getfixturevalue("postgres_database")] if request.param == "postgres" else []
    return live_server(*args, env=ADMIN_ENV)


def import_with_cli(server: LiveServer, *files: Path) -> Any:
    result = CliRunner().invoke(
        main, ["--url", server.url, "--token", ADMIN_TOKEN, "--json", "import", "--from", "unleash", *map(str, files)]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def answer(http: httpx.Client, flag: str, environment: str, context: dict[str, Any]) -> list[Any]:
    response = http.post(f"/flags/{flag}/evaluate", json={**vexil_context(context), "environment": environment})
    assert response.status_code == 200, response.text
    result = response.json()
    return [result["active"], result["variant"], result["payload"]]


def test_import_unleash__recorded_contexts__same_answers_as_unleash(server: LiveServer) -> None:
    # Given the real Unleash export imported into a real Vexil server through the CLI
    created = import_with_cli(server, FIXTURES / "export.json")
    assert sorted(created["flags"]) == sorted(ANSWERS["answers"]["production"])
    # When every recorded context is evaluated in its environment
    expected, got = [], []
    with httpx.Client(base_url=server.url, headers=ADMIN, timeout=10) as http, ThreadPoolExecutor(4) as pool:
        for environment, features in ANSWERS["answers"].items():
            for flag, rows in features.items():
                contexts = ANSWERS["contexts"]
                answers = pool.map(lambda c, f=flag, e=environment: answer(http, f, e, c), contexts)
                for index, (row, vexil) in enumerate(zip(rows, answers, strict=True)):
                    expected.append((environment, flag, index, unleash_as_vexil(flag, row)))
                    got.append((environment, flag, index, vexil))
    # Then each is exactly what Unleash's SDK answered
    assert len(expected) == sum(len(rows) for f in ANSWERS["answers"].values() for rows in f.values()) > 10_000
    wrong = [(e, g) for e, g in zip(expected, got, strict=True) if e != g]
    assert wrong == []
