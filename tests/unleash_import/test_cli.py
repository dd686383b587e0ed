"""`vexil import --from unleash FILE...` against a real server: what it prints, and its one-line errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.harness import ServerProcess, Vexil, start_server
from tests.unleash_import.recorded import FIXTURES


@pytest.fixture
def vexil(tmp_path: Path) -> Iterator[Vexil]:
    server: ServerProcess = start_server(tmp_path / "data")
    yield Vexil(server.url, server.token)
    server.stop()


def split_export(tmp_path: Path) -> list[Path]:
    """export.json as Unleash hands it out: one file per environment, and the segment list."""
    files = []
    for index, document in enumerate(json.loads((FIXTURES / "export.json").read_text())):
        files.append(tmp_path / f"unleash-{index}.json")
        files[-1].write_text(json.dumps(document))
    return files


def test_import_from_unleash__one_file_per_environment__flags_created_and_warnings_on_stderr(
    vexil: Vexil, tmp_path: Path
) -> None:
    # Given Unleash's exports of two environments and its segment list, as separate files
    files = split_export(tmp_path)
    # When they are imported
    result = vexil.run("import", "--from", "unleash", *map(str, files))
    # Then the summary is on stdout, each warning one line on stderr
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "Imported 34 flags and 3 segments from Unleash."
    assert "vexil: warning: segment 'Pro Plans' is named 'pro-plans' in Vexil" in result.stderr.splitlines()
    assert vexil.json("flag", "get", "variants-strategy")["default_variant"] == "disabled"


def test_import_from_unleash__again__one_line_conflict_and_exit_1(vexil: Vexil) -> None:
    vexil.run("import", "--from", "unleash", str(FIXTURES / "export.json"))
    message = vexil.fails("import", "--from", "unleash", str(FIXTURES / "export.json"), exit_code=1)
    assert message.startswith("already exists: flag custom-stickiness, flag deps-child-off, ")


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (b"{nope", "is not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
        (b'{"flags": []}', "is not an Unleash export"),
        (b"\xff\xfe", "is not UTF-8 text"),
    ],
    ids=["not-json", "vexil-export", "not-utf8"],
)
def test_import_from_unleash__unreadable_file__one_line_usage_error(
    vexil: Vexil, tmp_path: Path, content: bytes, complaint: str
) -> None:
    source = tmp_path / "bad.json"
    source.write_bytes(content)
    message = vexil.fails("import", "--from", "unleash", str(source), exit_code=2)
    assert message.startswith(f"{source} {complaint}")
    assert vexil.json("flag", "list") == []


def test_import_from_unleash__features_it_cannot_reproduce__one_line_naming_them_exit_1(vexil: Vexil) -> None:
    message = vexil.fails("import", "--from", "unleash", str(FIXTURES / "refused.json"), exit_code=1)
    assert message.startswith("7 problems, nothing imported: feature ref-date: DATE_AFTER compares the clock")
    assert vexil.json("flag", "list") == []
