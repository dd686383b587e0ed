"""`vexil export [FILE]` and `vexil import FILE`: the whole state as one JSON file, imported after
showing what it would create, change and delete (`import_plan.py`), merged with `--merge`, undone
with `--undo`; and `vexil import --from unleash FILE...`: Unleash's export, added beside what the
server holds.

The server applies an import all or nothing; the CLI checks the file's shape first so that a wrong
file (not JSON, not an export) is refused before anything is sent, with a line-and-column message.
An Unleash file is converted by the server (`POST /import/unleash`, docs/migrating-from-unleash.md),
which refuses, naming each feature and why, whatever it cannot reproduce exactly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from vexil.cli import import_plan, render
from vexil.cli.client import Upload
from vexil.cli.errors import InputError
from vexil.cli.state import State, json_option, pass_state

CHUNK = 64 * 1024
TRANSFER_TIMEOUT = 300.0
EXPORT_KEYS = frozenset({"version", "exported_at", "environments", "flags", "segments"})
SECTIONS = ("environments", "segments", "flags")


def _counts(state: dict[str, Any]) -> dict[str, int]:
    return {section: len(state.get(section) or []) for section in ("flags", "segments", "environments")}


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[key]} {key}" for key in ("flags", "segments", "environments"))


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@json_option
@pass_state
def export_command(state: State, file: Path | None) -> None:
    """Export the whole state to FILE (or stdout).

    Flags with their overrides and apps, segments and environments, as one JSON document.
    """
    data = state.client().request("GET", "/export", timeout=TRANSFER_TIMEOUT)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if file is None or str(file) == "-":
        click.echo(text, nl=False)
        return
    # Write beside the target, then rename: an interrupted export never leaves half a file.
    partial = file.with_name(f".{file.name}.{os.getpid()}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(file)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InputError(f"cannot write {file}: {exc.strerror or exc}") from exc
    counts = _counts(data)
    state.output.show({"file": str(file), **counts}, lambda: render.message(f"Exported {_summary(counts)} to {file}."))


class ImportProgress:
    """Reading, validating and uploading bars, then a spinner while the server applies the file."""

    def __init__(self, *, enabled: bool | None) -> None:
        console = Console(stderr=True, force_terminal=True if enabled else None)
        show = console.is_terminal if enabled is None else enabled
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=console,
            disable=not show,
            transient=False,
        )

    def __enter__(self) -> ImportProgress:
        self.progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.progress.stop()

    def read(self, file: Path) -> bytes:
        try:
            size = file.stat().st_size
            task = self.progress.add_task(f"Reading {file.name}", total=size or 1)
            chunks = []
            with file.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    chunks.append(chunk)
                    self.progress.advance(task, len(chunk))
        except OSError as exc:
            raise InputError(f"cannot read {file}: {exc.strerror or exc}") from exc
        self.progress.update(task, completed=size or 1)
        return b"".join(chunks)

    def validate(self, raw: bytes, file: Path) -> dict[str, Any]:
        task = self.progress.add_task("Validating", total=None)
        data = parse_export(raw, file)
        self.progress.update(task, total=sum(len(data.get(s) or []) for s in SECTIONS) or 1)
        for section in SECTIONS:
            for index, item in enumerate(data.get(section) or []):
                check_item(section, index, item, file)
                self.progress.advance(task)
        check_unique(data, file)
        self.progress.update(task, completed=self.progress.tasks[task].total)
        return data

    def upload(self, body: bytes) -> Iterator[bytes]:
        task = self.progress.add_task("Uploading", total=len(body))
        for start in range(0, len(body), CHUNK):
            chunk = body[start : start + CHUNK]
            yield chunk
            self.progress.advance(task, len(chunk))
        self.progress.add_task("Applying on the server (all or nothing)", total=None)


def parse_export(raw: bytes, file: Path) -> dict[str, Any]:
    data = parse_json(raw, file)
    if not isinstance(data, dict) or "flags" not in data:
        raise InputError(f"{file} is not a Vexil export: expected an object with a 'flags' list (see vexil export)")
    unknown = sorted(set(data) - EXPORT_KEYS)
    if unknown:
        raise InputError(f"{file} is not a Vexil export: unknown key {unknown[0]!r}")
    for section in SECTIONS:
        if section in data and not isinstance(data[section], list):
            raise InputError(f"{file}: '{section}' must be a list")
    return data


def check_item(section: str, index: int, item: Any, file: Path) -> None:
    where = f"{file}: {section}[{index}]"
    if not isinstance(item, dict):
        raise InputError(f"{where} is not an object")
    name = item.get("name", item.get("key")) if section == "flags" else item.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(f"{where} has no name")


def check_unique(data: dict[str, Any], file: Path) -> None:
    for section in SECTIONS:
        seen: set[str] = set()
        for item in data.get(section) or []:
            name = item.get("name", item.get("key"))
            if name in seen:
                raise InputError(f"{file}: {section} holds {name!r} twice")
            seen.add(name)


@click.command("import")
@click.argument("files", metavar="FILE", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--from",
    "source",
    type=click.Choice(["vexil", "unleash"]),
    default="vexil",
    show_default=True,
    help="What FILE is: a Vexil export (replaces everything), or Unleash's (adds its features).",
)
@click.option("--merge", is_flag=True, help="Add and update what FILE holds; delete nothing.")
@click.option("--dry-run", is_flag=True, help="Only show what would be created, changed and deleted.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before changing or deleting anything.")
@click.option("--undo", is_flag=True, help="Put back the state the last import replaced (no FILE).")
@click.option("--event", type=click.IntRange(min=1), help="With --undo: the import's audit event (default: the last).")
@click.option("--progress/--no-progress", default=None, help="Show progress bars (default: when on a terminal).")
@json_option
@pass_state
def import_command(state: State, /, files: tuple[Path, ...], source: str, progress: bool | None, **how: Any) -> None:
    """Replace the server's whole state with FILE, merge FILE in, undo an import, or add Unleash's features.

    FILE is an export (see `vexil export`). The server applies it all or nothing. Before anything
    is changed or deleted, the CLI shows what would be created, changed and deleted and asks (on
    a terminal; elsewhere pass --yes). --dry-run only shows it. --merge adds and updates, deleting
    nothing. Every import keeps the state it replaced: --undo puts it back (docs/deployment.md).

    With --from unleash, FILE... are Unleash's features-batch exports (one per environment) and
    its segment list (GET /api/admin/segments): the server creates one flag per feature and the
    segments they use, beside what it holds, all or nothing (docs/migrating-from-unleash.md).
    """
    options = ImportOptions(**how)
    if options.undo:
        if files or source != "vexil" or options.merge:
            raise InputError("--undo takes no FILE, --from or --merge: it puts back the state before the last import")
        _undo(state, options)
        return
    if options.event is not None:
        raise InputError("--event goes with --undo")
    if not files:
        raise InputError("missing FILE (an export made by vexil export), or --undo")
    if source == "unleash":
        _import_unleash(state, files, progress)
        return
    if len(files) > 1:
        raise InputError("a Vexil import takes one FILE (an export made by vexil export)")
    _import_vexil(state, files[0], progress, options)


@dataclass(frozen=True)
class ImportOptions:
    merge: bool
    dry_run: bool
    yes: bool
    undo: bool
    event: int | None


def _import_vexil(state: State, file: Path, progress: bool | None, options: ImportOptions) -> None:
    client = state.client()
    mode = "merge" if options.merge else "replace"
    with ImportProgress(enabled=progress) as bars:
        data = bars.validate(bars.read(file), file)
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def send(*, dry_run: bool, if_state: str | None = None) -> dict[str, Any]:
        with ImportProgress(enabled=progress) as bars:
            upload = Upload(bars.upload(body), length=len(body), content_type="application/json")
            params = {"mode": mode, "dry_run": "true" if dry_run else "false"}
            if if_state is not None:
                params["if_state"] = if_state
            answer: dict[str, Any] = client.request(
                "POST", "/import", params=params, upload=upload, timeout=TRANSFER_TIMEOUT
            )
            return answer

    heading = f"Importing {file.name} ({mode}) would:"
    seen: str | None = None  # the state the plan shown was made on: applied only if still that one
    if options.dry_run or not options.yes:
        planned = send(dry_run=True)
        if options.dry_run:
            state.output.show(planned, lambda: import_plan.plan_text(planned, heading))
            return
        import_plan.confirm(planned, heading, "Go ahead?", yes=options.yes)
        seen = planned["state"]
    done = send(dry_run=False, if_state=seen)
    summary = f"Imported {_summary(done)} from {file} ({mode}: {import_plan.counts_line(done)})."
    state.output.show(done, lambda: render.message(summary))


def _undo(state: State, options: ImportOptions) -> None:
    client = state.client()

    def send(event: int | None, *, dry_run: bool, if_state: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"dry_run": "true" if dry_run else "false"}
        if event is not None:
            params["event"] = str(event)
        if if_state is not None:
            params["if_state"] = if_state
        answer: dict[str, Any] = client.request("POST", "/import/restore", params=params, timeout=TRANSFER_TIMEOUT)
        return answer

    event, seen = options.event, None
    if options.dry_run or not options.yes:
        planned = send(event, dry_run=True)
        event = planned["restored_from"]  # the same event, even if another import lands meanwhile
        heading = f"Putting back the state before audit event {event} would:"
        if options.dry_run:
            state.output.show(planned, lambda: import_plan.plan_text(planned, heading))
            return
        import_plan.confirm(planned, heading, "Go ahead?", yes=options.yes)
        seen = planned["state"]
    done = send(event, dry_run=False, if_state=seen)
    summary = (
        f"Restored the state before audit event {done['restored_from']}: {_summary(done)}"
        f" ({import_plan.counts_line(done)})."
    )
    state.output.show(done, lambda: render.message(summary))


def parse_json(raw: bytes, file: Path) -> Any:
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{file} is not UTF-8 text (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{file} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc


def unleash_documents(data: Any, file: Path) -> list[Any]:
    """The documents of one Unleash file (an export, a segment list, or a list of them)."""
    documents = data if isinstance(data, list) else [data]
    for document in documents:
        if not isinstance(document, dict) or not ({"features", "segments"} & set(document)):
            raise InputError(
                f"{file} is not an Unleash export: expected Unleash's features-batch export or its segment list"
            )
    return documents


def _import_unleash(state: State, files: tuple[Path, ...], progress: bool | None) -> None:
    client = state.client()
    with ImportProgress(enabled=progress) as bars:
        documents = [doc for file in files for doc in unleash_documents(parse_json(bars.read(file), file), file)]
        body = json.dumps(documents, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        upload = Upload(bars.upload(body), length=len(body), content_type="application/json")
        created = client.request("POST", "/import/unleash", upload=upload, timeout=TRANSFER_TIMEOUT)
    for warning in created.get("warnings") or []:
        click.echo(f"vexil: warning: {warning}", err=True)
    summary = f"Imported {len(created['flags'])} flags and {len(created['segments'])} segments from Unleash."
    state.output.show(created, lambda: render.message(summary))
