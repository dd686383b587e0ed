"""`vexil refs` against a real server, in a git repository the test makes: Python, JavaScript, Go and
Java files that name flags, a file git ignores that must not be found, and names that only look alike."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .harness import ServerProcess, Vexil

NewName = Callable[[str], str]


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def make_repository(root: Path, files: dict[str, str]) -> Path:
    """A git repository holding `files`, committed on `main` with `origin` at acme/shop."""
    repo = root / "shop"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "dev@example.com")
    git(repo, "config", "user.name", "Dev")
    git(repo, "remote", "add", "origin", "git@example.com:acme/shop.git")
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "shop")
    return repo


@pytest.fixture
def names(vexil: Vexil, new_name: NewName) -> tuple[str, str, str]:
    """Three flags on the server: `checkout`, `search` (referenced) and `unused` (referenced nowhere)."""
    made = (new_name("checkout"), new_name("search"), new_name("unused"))
    for name in made:
        vexil.ok("flag", "create", name)
    return made


def shop_files(checkout: str, search: str, unused: str) -> dict[str, str]:
    return {
        ".gitignore": "build/\n*.log\n",
        "app/checkout.py": f'import vexil\n\nif client.enabled("{checkout}"):\n    pay()\n',
        "web/search.ts": f"const on = await client.getBooleanValue(`{search}`, false);\n",
        "web/legacy.js": f"track('{checkout}');\n// {search} in a comment is not a reference\n",
        "svc/main.go": f'package main\n\nfunc run() {{\n\tif client.Bool("{search}", false) {{\n\t}}\n}}\n',
        "svc/Pay.java": f'class Pay {{\n  boolean on() {{ return client.getBooleanValue("{checkout}", false); }}\n}}\n',
        # Only quoted whole names count: a longer name, and a Java char-quoted name, are not it.
        "svc/Other.java": f"String a = \"{checkout}-v2\";\nchar[] b = '{search}';\n",
        "docs/notes.md": f"The {unused} flag is described here but never quoted.\n",
        # Ignored by .gitignore: never tracked, never scanned.
        "build/bundle.js": f'enabled("{unused}");\n',
        "server.log": f'"{unused}" evaluated\n',
    }


def test_refs__fixture_repository__finds_exactly_the_quoted_names(
    vexil: Vexil, names: tuple[str, str, str], tmp_path: Path
) -> None:
    # Given a repository whose files name two of the server's flags, and an ignored build that names the third
    checkout, search, unused = names
    repo = make_repository(tmp_path, shop_files(*names))
    # When it is scanned
    found = vexil.json("refs", str(repo))
    # Then exactly the quoted names in tracked files are found, by file and line
    lines = {flag: [(ref["path"], ref["line"]) for ref in refs] for flag, refs in found["refs"].items()}
    assert {flag: lines.get(flag) for flag in names} == {
        checkout: [("app/checkout.py", 3), ("svc/Pay.java", 2), ("web/legacy.js", 1)],
        search: [("svc/main.go", 4), ("web/search.ts", 1)],
        unused: None,
    }
    assert found["refs"][checkout][0]["text"] == f'if client.enabled("{checkout}"):'
    # And the revision is the repository's
    assert (found["repository"], found["branch"], found["commit"]) == (
        "acme/shop",
        "main",
        git(repo, "rev-parse", "HEAD"),
    )


def test_refs__extra_pattern__finds_constants_too(vexil: Vexil, names: tuple[str, str, str], tmp_path: Path) -> None:
    # Given a flag named in an annotation without quotes, which no default pattern finds
    unused = names[2]
    repo = make_repository(tmp_path, {"App.kt": f"@Flag(name = {unused})\nval x = 1\n"})
    assert unused not in vexil.json("refs", str(repo))["refs"]
    # When the team's pattern is added
    found = vexil.json("refs", str(repo), "--pattern", r"@Flag\(name = {name}\)")
    # Then the line is found
    assert [(r["path"], r["line"]) for r in found["refs"][unused]] == [("App.kt", 1)]


def test_refs__human_output__flag_then_its_lines(vexil: Vexil, names: tuple[str, str, str], tmp_path: Path) -> None:
    # Given the fixture repository
    checkout, search, _ = names
    repo = make_repository(tmp_path, shop_files(*names))
    # When it is scanned for a person
    output = vexil.ok("refs", str(repo)).stdout
    # Then each flag found is followed by its file:line and the line itself
    lines = output.splitlines()
    at = lines.index(f"{search} (2 references)")
    assert lines[at + 1 : at + 3] == [
        f'  svc/main.go:4: if client.Bool("{search}", false) {{',
        f"  web/search.ts:1: const on = await client.getBooleanValue(`{search}`, false);",
    ]
    assert f"{checkout} (3 references)" in lines


def test_refs__upload__the_flag_page_lists_the_references(
    vexil: Vexil, vexil_server: ServerProcess, names: tuple[str, str, str], tmp_path: Path
) -> None:
    # Given the fixture repository on a feature branch
    checkout, search, unused = names
    repo = make_repository(tmp_path, shop_files(*names))
    git(repo, "checkout", "-q", "-b", f"feature-{checkout}")
    # When it is scanned and uploaded
    result = vexil.json("refs", str(repo), "--upload")
    # Then the server lists the branch for each flag found, and nothing for the flag found nowhere
    assert result["uploaded"]["flags"] == 2
    with vexil_server.http() as http:
        on_page: dict[str, Any] = {name: http.get(f"/flags/{name}/code-refs").json() for name in names}
        listed = http.get("/code-refs").json()["code_refs"]
    [entry] = on_page[search]["code_refs"]
    assert (entry["repository"], entry["branch"]) == ("acme/shop", f"feature-{checkout}")
    assert [(r["path"], r["line"]) for r in entry["references"]] == [("svc/main.go", 4), ("web/search.ts", 1)]
    assert on_page[unused]["code_refs"] == []
    assert (result["uploaded"]["branch"], result["commit"]) in [(s["branch"], s["commit"]) for s in listed]


def test_refs__not_a_work_tree__input_error(vexil: Vexil, tmp_path: Path) -> None:
    # Given a directory outside any git repository
    # When it is scanned
    message = vexil.fails("refs", str(tmp_path), exit_code=2)
    # Then git's reason is the message
    assert "not a git repository" in message


def test_refs__pattern_without_name__input_error(vexil: Vexil, names: tuple[str, str, str], tmp_path: Path) -> None:
    # Given a repository, and a pattern that does not say where the name goes
    repo = make_repository(tmp_path, shop_files(*names))
    # When it is used
    message = vexil.fails("refs", str(repo), "--pattern", "flag(", exit_code=2)
    # Then the message says what is missing
    assert "{name}" in message


def test_refs__detached_checkout_named_by_options__upload_uses_the_names(
    vexil: Vexil, vexil_server: ServerProcess, names: tuple[str, str, str], tmp_path: Path
) -> None:
    # Given a CI-style checkout: a detached HEAD, no branch to read
    search = names[1]
    repo = make_repository(tmp_path, shop_files(*names))
    git(repo, "checkout", "-q", "--detach")
    # When it is uploaded with the repository and branch named
    branch = f"release-{search}"
    result = vexil.json("refs", str(repo), "--upload", "--repository", "acme/shop-ci", "--branch", branch)
    # Then the server keeps the scan under those names
    assert (result["uploaded"]["repository"], result["uploaded"]["branch"]) == ("acme/shop-ci", branch)
    with vexil_server.http() as http:
        found = http.get(f"/flags/{search}/code-refs").json()["code_refs"]
    assert [(e["repository"], e["branch"]) for e in found] == [("acme/shop-ci", branch)]
