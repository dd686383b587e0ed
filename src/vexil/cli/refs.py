"""`vexil refs [PATH]`: where each of the server's flags is named in a git work tree, printed per
flag (or as JSON), and with `--upload` sent to the server for the flag pages (docs/code-refs.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from vexil.cli.client import path as api_path
from vexil.cli.errors import InputError
from vexil.cli.refscan import PatternError, ScanError, by_flag, revision, scan, work_tree_root
from vexil.cli.state import State, json_option, pass_state

# What the server takes per flag in one upload (api/routes/code_refs.py); the rest is cut.
UPLOAD_LINES_PER_FLAG = 1000


@click.command("refs")
@click.argument("where", metavar="[PATH]", default=".", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--pattern",
    "patterns",
    multiple=True,
    metavar="REGEX",
    help="Also find names this way: a regular expression where {name} stands for the flag's name (repeatable).",
)
@click.option("--upload", is_flag=True, help="Send the result, with repository, branch and commit, to the server.")
@click.option("--repository", metavar="NAME", help="The repository's name (default: from the origin remote).")
@click.option("--branch", metavar="NAME", help="The branch (default: the one checked out; CI often has none).")
@json_option
@pass_state
def refs_command(
    state: State, where: str, patterns: tuple[str, ...], upload: bool, repository: str | None, branch: str | None
) -> None:
    """Find the server's flags in the files git tracks under PATH's work tree (default: here).

    A flag is found where its name is a whole string literal (quoted as the file's language quotes
    strings), or where one of the --pattern expressions matches.
    """
    try:
        root = work_tree_root(Path(where))
        found = by_flag(scan(root, flag_names(state), patterns))
        named = {"repository": repository, "branch": branch}
        result: dict[str, Any] = {**revision_fields(root), **{k: v for k, v in named.items() if v}, "refs": found}
    except (ScanError, PatternError) as exc:
        raise InputError(str(exc)) from exc
    if upload:
        body = {**result, "refs": {flag: lines[:UPLOAD_LINES_PER_FLAG] for flag, lines in found.items()}}
        result["uploaded"] = state.client().request("POST", "/code-refs", json=body)
    if state.json:
        click.echo(_json(result))
        return
    _print_human(result)


def flag_names(state: State) -> list[str]:
    flags = state.client().request("GET", api_path("flags"))["flags"]
    return [flag["name"] for flag in flags]


def revision_fields(root: Path) -> dict[str, str]:
    at = revision(root)
    return {"repository": at.repository, "branch": at.branch, "commit": at.commit}


def _json(data: Any) -> str:
    from vexil.cli.output import to_json

    return to_json(data)


def _print_human(result: dict[str, Any]) -> None:
    refs: dict[str, list[dict[str, Any]]] = result["refs"]
    for flag, lines in refs.items():
        click.echo(f"{flag} ({len(lines)} {'reference' if len(lines) == 1 else 'references'})")
        for line in lines:
            click.echo(f"  {line['path']}:{line['line']}: {line['text']}")
    where = f"{result['repository']} {result['branch']} {result['commit'][:12]}"
    click.echo(f"{len(refs)} {'flag' if len(refs) == 1 else 'flags'} referenced in {where}")
    if "uploaded" in result:
        click.echo(f"uploaded at {result['uploaded']['uploaded_at']}")
