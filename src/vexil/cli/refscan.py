"""Finding flag names in a git work tree (docs/code-refs.md): pure functions, no server, no output.

Only the files git tracks are read (`git ls-files`), so whatever `.gitignore` keeps out of the
repository (builds, dependencies, secrets) is never scanned. A flag is found where its name is a
whole string literal in the file's language: quoted with the quotes that language has for strings
(`"name"` and `'name'` in Python, also `` `name` `` in JavaScript and Go). Extra patterns, regular
expressions holding `{name}`, find the other ways a team writes names (constants, annotations).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# Files past this size, or with a NUL byte near their start, are data, not code: skipped.
MAX_FILE_BYTES = 1024 * 1024
BINARY_PROBE = 8192
# A reference's line is kept up to this many characters (what the server takes, api/routes/code_refs.py).
MAX_TEXT = 300

_DOUBLE, _SINGLE, _BACKTICK = '"', "'", "`"
# The string quotes of each language, by file extension; other text files get double and single.
QUOTES_BY_EXTENSION: dict[str, str] = {
    **dict.fromkeys((".py", ".pyi", ".rb", ".php", ".lua", ".sh", ".yaml", ".yml"), _DOUBLE + _SINGLE),
    **dict.fromkeys((".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".vue", ".svelte"), _DOUBLE + _SINGLE + _BACKTICK),
    **dict.fromkeys((".go",), _DOUBLE + _BACKTICK),
    **dict.fromkeys((".java", ".kt", ".kts", ".scala", ".cs", ".c", ".h", ".cc", ".cpp", ".hpp"), _DOUBLE),
    **dict.fromkeys((".rs", ".swift", ".json", ".toml"), _DOUBLE),
}
DEFAULT_QUOTES = _DOUBLE + _SINGLE


class ScanError(Exception):
    """The path is not a git work tree, or git could not list it."""


@dataclass(frozen=True, slots=True)
class Reference:
    flag: str
    path: str  # relative to the work tree's root, with forward slashes
    line: int  # from 1
    text: str  # the line, trimmed and cut to MAX_TEXT

    def as_json(self) -> dict[str, str | int]:
        return {"path": self.path, "line": self.line, "text": self.text}


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ScanError(f"could not run git: {exc}") from exc
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise ScanError(message[0] if message else f"git {args[0]} failed")
    return done.stdout.decode(errors="surrogateescape")


def work_tree_root(path: Path) -> Path:
    """The root of the git work tree holding `path`."""
    return Path(_git(path, "rev-parse", "--show-toplevel").strip())


def tracked_files(root: Path) -> list[str]:
    """The files git tracks under `root`, relative to it (deleted ones included: the caller skips them)."""
    return sorted(name for name in _git(root, "ls-files", "-z", "--cached").split("\0") if name)


@dataclass(frozen=True, slots=True)
class Revision:
    repository: str
    branch: str
    commit: str


def revision(root: Path) -> Revision:
    """The repository's name (its `origin` remote's last two path parts, else the directory's name),
    the branch checked out and the commit, for an upload."""
    commit = _git(root, "rev-parse", "HEAD").strip()
    branch = _git(root, "rev-parse", "--abbrev-ref", "HEAD").strip()
    try:
        remote = _git(root, "remote", "get-url", "origin").strip()
    except ScanError:
        remote = ""
    return Revision(repository=repository_name(remote) or root.name, branch=branch, commit=commit)


def repository_name(remote: str) -> str:
    """`owner/name` of a remote URL (`git@host:owner/name.git`, `https://host/owner/name`)."""
    path = remote.rstrip("/").removesuffix(".git").replace(":", "/")
    parts = [part for part in path.split("/") if part]
    return "/".join(parts[-2:]) if len(parts) >= 2 else ""


NAME_SLOT = "{name}"


class PatternError(ValueError):
    """An extra pattern without `{name}`, or not a regular expression."""


def compile_pattern(pattern: str, alternatives: str) -> re.Pattern[str]:
    """`pattern` with its first `{name}` standing for any flag name and the others for the same
    name again (a backreference), as one regular expression."""
    if NAME_SLOT not in pattern:
        raise PatternError(f"the pattern {pattern!r} has no {NAME_SLOT} where the flag's name goes")
    first, _, rest = pattern.partition(NAME_SLOT)
    source = f"{first}(?P<vexil_name>{alternatives}){rest.replace(NAME_SLOT, '(?P=vexil_name)')}"
    try:
        return re.compile(source)
    except re.error as exc:
        raise PatternError(f"the pattern {pattern!r} is not a regular expression: {exc}") from exc


# The characters a flag name may hold (wider than the server's rule, which the CLI does not import:
# the set of names decides). None of them is a quote, so a quoted run of them is a whole literal.
_NAME_CHARS = r"[A-Za-z0-9_.\-]{1,100}"


class Matcher:
    """Every flag name at once. The default patterns cost the same for ten names or ten thousand:
    each quoted run of name characters on a line is looked up in a set. Extra patterns are one
    regular expression each, their `{name}` an alternation of every name."""

    def __init__(self, names: Iterable[str], extra_patterns: Sequence[str] = ()) -> None:
        self._names = frozenset(names)
        # Longest first, so that where one name starts another the whole of it is tried first.
        ordered = sorted(self._names, key=lambda name: (-len(name), name))
        alternatives = "|".join(re.escape(name) for name in ordered) or "(?!)"
        self._extra = [compile_pattern(pattern, alternatives) for pattern in extra_patterns]
        self._by_quotes: dict[str, re.Pattern[str]] = {}

    def _quoted(self, quotes: str) -> re.Pattern[str]:
        pattern = self._by_quotes.get(quotes)
        if pattern is None:
            quote = "[" + re.escape(quotes) + "]"
            # A lookahead, so that `"a"b"` yields both `a` and `b` (every quote may open a literal).
            pattern = re.compile(f"(?=(?P<q>{quote})(?P<vexil_name>{_NAME_CHARS})(?P=q))")
            self._by_quotes[quotes] = pattern
        return pattern

    def flags_in(self, line: str, quotes: str) -> set[str]:
        """The flags named on `line`, in a file whose string literals use `quotes`."""
        found = {match.group("vexil_name") for match in self._quoted(quotes).finditer(line)} & self._names
        for pattern in self._extra:
            found.update(match.group("vexil_name") for match in pattern.finditer(line))
        return found


def quotes_of(path: str) -> str:
    return QUOTES_BY_EXTENSION.get(PurePosixPath(path).suffix.lower(), DEFAULT_QUOTES)


def read_text(file: Path) -> str | None:
    """The file's text; None for what is not a regular, small text file (binary, too big, gone)."""
    try:
        if not file.is_file() or file.stat().st_size > MAX_FILE_BYTES:
            return None
        data = file.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:BINARY_PROBE]:
        return None
    return data.decode("utf-8", errors="replace")


def scan(root: Path, names: Iterable[str], extra_patterns: Sequence[str] = ()) -> list[Reference]:
    """Every reference to one of `names` in the tracked files of the work tree at `root`, by path and line."""
    matcher = Matcher(names, extra_patterns)
    found: list[Reference] = []
    for path in tracked_files(root):
        text = read_text(root / path)
        if text is None:
            continue
        quotes = quotes_of(path)
        for number, line in enumerate(text.splitlines(), start=1):
            for flag in sorted(matcher.flags_in(line, quotes)):
                found.append(Reference(flag, path, number, line.strip()[:MAX_TEXT]))
    return found


def by_flag(references: Iterable[Reference]) -> dict[str, list[dict[str, str | int]]]:
    """`{flag: [{path, line, text}]}`, flags sorted by name, lines in file order."""
    grouped: dict[str, list[dict[str, str | int]]] = {}
    for ref in references:
        grouped.setdefault(ref.flag, []).append(ref.as_json())
    return dict(sorted(grouped.items()))
