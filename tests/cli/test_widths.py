"""Tables at 80 columns with long names: every line fits, and no word is broken in half."""

from __future__ import annotations

import re
import uuid

import pytest
from rich.cells import cell_len

from .harness import Vexil

WIDTH = 80
SEPARATORS = re.compile(r"[\s│┃┆║|━─┏┓┗┛┡┩┳┻╇╈┠┨└┘┌┐├┤┼┬┴]+")


def long_name(kind: str) -> str:
    """A name of 40 characters starting `xq` and ending `qz`, so that any piece of it is recognisable."""
    return f"xq{kind}-{uuid.uuid4().hex}"[:38] + "qz"


def assert_fits(output: str, words: list[str]) -> None:
    """Every line is at most WIDTH cells, and each word shows whole, or as a prefix ending in "…"."""
    lines = output.splitlines()
    assert lines, "nothing printed"
    assert all(cell_len(line) <= WIDTH for line in lines), max(lines, key=cell_len)
    tokens = [token.strip('",[]') for line in lines for token in SEPARATORS.split(line)]
    for word in words:
        for token in tokens:
            if token and token != word and (word.startswith(token) or word.endswith(token)):
                assert token.endswith("…"), f"{word!r} is broken: {token!r} printed"
            if token.endswith("…") and token.startswith("xq"):
                assert any(w.startswith(token[:-1]) for w in words), token


@pytest.fixture
def narrow(vexil: Vexil) -> Vexil:
    vexil.runner.env = {"COLUMNS": str(WIDTH)}
    return vexil


def test_tables__80_columns_long_names__fit_without_broken_words(narrow: Vexil) -> None:
    # Given: long names everywhere a table shows one
    env, token, flag, segment = (long_name(kind) for kind in ("env", "token", "flag", "seg"))
    narrow.ok("env", "create", env)
    narrow.ok("token", "create", token, "--role", "client", "--env", env)
    narrow.ok("segment", "create", segment, "-d", "customers in production " * 4, "--when", f"plan in {env},b")
    narrow.ok("flag", "create", flag, "-d", "a description long enough to need wrapping " * 3, "--enabled")
    narrow.ok("rule", "add", flag, "--env", env, "--when", f"in_segment {segment}", "--when", f"region eq {env}")
    narrow.ok("flag", "allow", flag, token, "--env", env)
    words = [env, token, flag, segment]
    # When / Then
    for command in (
        ["env", "list"],
        ["token", "list"],
        ["segment", "list"],
        ["segment", "get", segment],
        ["flag", "list", "-q", flag],
        ["flag", "get", flag],
        ["rule", "list", flag, "--env", env],
        ["audit", "--flag", flag],
    ):
        assert_fits(narrow.ok(*command).stdout, words)


def test_token_list__80_columns__short_values_stay_whole(narrow: Vexil) -> None:
    # Given: a long token name bound to a long environment name
    env, token = long_name("env"), long_name("token")
    narrow.ok("env", "create", env)
    narrow.ok("token", "create", token, "--role", "client", "--env", env)
    # When
    row = [line for line in narrow.ok("token", "list").stdout.splitlines() if token[:15] in line]
    # Then: the long names give way, the role and status do not
    assert len(row) == 1
    assert "client" in row[0]
    assert "active" in row[0]
