"""`vexil user create|list`: the first admin person, made on the server machine without a token."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from click.testing import CliRunner

from tests.conftest import LiveServer, ok
from vexil.cli.app import cli

PASSWORD = "first admin password"


def run(*args: str, data_dir: Path, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*args, "--data-dir", str(data_dir)], input=stdin, env={"VEXIL_DATABASE_URL": ""})
    return result.exit_code, result.output


def test_user_create__admin_on_a_new_data_directory__signs_in_to_the_server(
    tmp_path: Path, live_server: Callable[..., LiveServer]
) -> None:
    # Given a new data directory, and no token anywhere
    data_dir = tmp_path / "data"
    # When the first admin is made there, typing the password twice
    code, output = run(
        "user", "create", "Ada@Example.com", "--name", "Ada", "--admin", data_dir=data_dir, stdin=f"{PASSWORD}\n" * 2
    )
    # Then she is added, listed, and signs in to a server on that directory
    assert code == 0, output
    assert output.strip().endswith("Added ada@example.com (admin).")
    code, listed = run("--json", "user", "list", data_dir=data_dir)
    assert code == 0 and '"email": "ada@example.com"' in listed
    server = live_server(data_dir=data_dir)
    with httpx.Client(base_url=server.url) as http:
        person = ok(http.post("/session", json={"email": "ada@example.com", "password": PASSWORD}))
        assert (person["kind"], person["role"]) == ("person", "admin")
        assert ok(http.get("/users"))["people"][0]["email"] == "ada@example.com"


def test_user_create__short_password__exit_2_in_plain_words(tmp_path: Path) -> None:
    code, output = run(
        "user", "create", "bo@example.com", "--name", "Bo", "--password", "short", data_dir=tmp_path / "data"
    )
    assert code == 2
    assert "password: use 10 to 1024 characters" in output
