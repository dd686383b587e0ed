"""docs/compatibility.md's curl sessions, run unchanged: bash and the real `curl` against a real
`vexil serve`, each output compared with the one the page shows after the command.

The page's convention: under each `## ` seed heading, the `### Session` subsection is a series of
```sh blocks, each followed by a ```json block with what it prints; `"..."` stands for a value that
changes from run to run. The commands read `$VEXIL` (the server's URL) and `$ADMIN_TOKEN`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN_ENV, ADMIN_TOKEN, LiveServer, clean_environ

DOC = Path(__file__).parents[2] / "docs" / "compatibility.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
END_OF_STEP = "<<< end of step >>>"
ANY = "..."


@dataclass(frozen=True)
class Step:
    command: str
    documented: Any  # the output the page shows, as JSON


def sessions(markdown: str) -> dict[str, list[Step]]:
    """Each `## ` section's `### Session`, as its commands and their documented outputs."""
    found: dict[str, list[Step]] = {}
    for section in re.split(r"^## ", markdown, flags=re.MULTILINE)[1:]:
        title = section.partition("\n")[0].strip()
        for subsection in re.split(r"^### ", section, flags=re.MULTILINE)[1:]:
            if subsection.partition("\n")[0].strip() != "Session":
                continue
            blocks = FENCE.findall(subsection)
            languages = [language for language, _ in blocks]
            assert languages == ["sh", "json"] * (len(blocks) // 2), f"{title}: each sh block needs its json output"
            found[title] = [
                Step(command, json.loads(output))
                for (_, command), (_, output) in zip(blocks[::2], blocks[1::2], strict=True)
            ]
    return found


def masked(documented: Any, actual: Any) -> Any:
    """`actual` with `"..."` wherever the documented output has it, to compare the rest exactly."""
    if documented == ANY:
        return ANY
    if isinstance(documented, dict) and isinstance(actual, dict):
        return {key: masked(documented[key], value) if key in documented else value for key, value in actual.items()}
    if isinstance(documented, list) and isinstance(actual, list) and len(documented) == len(actual):
        return [masked(expected, value) for expected, value in zip(documented, actual, strict=True)]
    return actual


SESSIONS = sessions(DOC.read_text())


@pytest.fixture
def curl() -> str:
    found = shutil.which("curl")
    if found is None:
        message = "curl not found: `apt-get install curl`"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_compat_docs__the_page__has_a_session_per_seed() -> None:
    # Given the page, read as the session test reads it
    # Then both seeds have a session of several commands
    assert sorted(SESSIONS) == ["Seed 001", "Seed 002"]
    assert all(len(steps) >= 5 for steps in SESSIONS.values())


def test_compat_docs__masked__keeps_what_is_not_marked() -> None:
    documented = {"a": ANY, "b": [1, {"c": ANY}], "d": 2}
    # When an output differs from the documented one only where it is marked, it compares equal
    assert masked(documented, {"a": "x", "b": [1, {"c": 9}], "d": 2}) == documented
    # And differences elsewhere, extra keys included, still show
    assert masked(documented, {"a": "x", "b": [1, {"c": 9}], "d": 3}) != documented
    assert masked(documented, {"a": "x", "b": [1, {"c": 9}], "d": 2, "e": 0}) != documented


@pytest.mark.parametrize("seed", sorted(SESSIONS), ids=lambda seed: seed.lower().replace(" ", "-"))
def test_compat_docs__session_run_with_curl__prints_what_the_page_shows(
    seed: str, curl: str, live_server: Callable[..., LiveServer]
) -> None:
    # Given a fresh server and the session, its commands as the page has them
    server = live_server(env=ADMIN_ENV)
    steps = SESSIONS[seed]
    script = "set -euo pipefail\n" + "".join(f"{step.command}\necho\necho '{END_OF_STEP}'\n" for step in steps)
    # When bash runs them, one after the other
    result = subprocess.run(
        ["bash", "-c", script],
        env=clean_environ(VEXIL=server.url, ADMIN_TOKEN=ADMIN_TOKEN),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Then each prints the output shown after it (volatile values aside)
    assert result.returncode == 0, result.stderr
    outputs = result.stdout.split(f"\n{END_OF_STEP}\n")
    assert len(outputs) == len(steps) + 1 and outputs[-1] == "", result.stdout
    for step, output in zip(steps, outputs, strict=False):
        actual = json.loads(output)
        assert masked(step.documented, actual) == step.documented, f"{step.command}\nprinted: {output}"
