"""Real Vexil servers holding the fleet (tests/ofrep/fleet.py), a token of each role, what Vexil's own
`POST /flags/{name}/evaluate` answers, and the runner of the Node clients (tests/node/*.mjs).

Node and the pinned npm clients come from `make tests/node/node_modules/.installed`; without them
the tests that need them are skipped with that message, except under CI=true, where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, ADMIN_ENV, ADMIN_TOKEN, LiveServer, ok, start_server
from tests.ofrep.fleet import DRAWS_WITHOUT_KEY, FLAGS, SEGMENTS, UNKNOWN_FLAG, expected, vexil_context

NODE_DIR = Path(__file__).parents[1] / "node"
NODE_INSTALLED = NODE_DIR / "node_modules" / ".installed"


def missing(message: str) -> None:
    """A tool the test needs is not there: skip, or fail under CI=true (nothing may skip there)."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def node_executable() -> str:
    executable = shutil.which("node")
    if executable is None:
        missing("node not found: install Node 20")
    if not NODE_INSTALLED.exists():
        missing("the JavaScript clients are not installed: make tests/node/node_modules/.installed")
    assert executable is not None
    return executable


def run_node(script: str, request: Any, timeout: float = 300) -> Any:
    """Run tests/node/`script` with `request` as JSON on its standard input; its JSON answer."""
    result = subprocess.run(
        [node_executable(), str(NODE_DIR / script)],
        input=json.dumps(request).encode(),
        capture_output=True,
        timeout=timeout,
        cwd=NODE_DIR,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-4000:]
    return json.loads(result.stdout)


@dataclass
class Evaluation:
    """One flag for one OpenFeature context, and what an OFREP client must answer."""

    flag: str
    context: dict[str, Any]
    expect: dict[str, Any]

    def request(self) -> dict[str, Any]:
        """As tests/node/*.mjs take it."""
        return {
            "flag": self.flag,
            "kind": self.expect["kind"],
            "default": self.expect["default"],
            "context": self.context,
        }


@dataclass
class Ofrep:
    """A running server with the fleet, and a token of each role (`tokens["client"]`...)."""

    server: LiveServer
    admin: httpx.Client
    tokens: dict[str, str] = field(default_factory=dict)
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def native(self, http: httpx.Client, flag: str, context: dict[str, Any]) -> dict[str, Any]:
        """Vexil's own client result for `flag` and the same context."""
        headers = {"Authorization": f"Bearer {self.tokens['client']}"}
        response = http.post(f"{self.url}/flags/{flag}/evaluate", json=vexil_context(context), headers=headers)
        result: dict[str, Any] = ok(response)
        return result

    def evaluations(self, contexts: Sequence[dict[str, Any]]) -> list[list[Evaluation]]:
        """For each context, every flag (and an unknown one) with its expected answer; a context
        without a targeting key leaves out the flags that would draw at random (fleet.DRAWS_WITHOUT_KEY)."""
        rounds: list[list[Evaluation]] = []
        with httpx.Client(timeout=10) as http:
            for context in contexts:
                names = [d["name"] for d in FLAGS]
                if not context.get("targetingKey"):
                    names = [name for name in names if name not in DRAWS_WITHOUT_KEY]
                rounds.append(
                    [
                        Evaluation(n, context, expected(self.native(http, n, context), self.docs[n], context))
                        for n in names
                    ]
                    + [Evaluation(UNKNOWN_FLAG, context, expected(None, None, context))]
                )
        return rounds

    def close(self) -> None:
        self.admin.close()
        self.server.stop(signal.SIGKILL)


def start_ofrep(data_dir: Path, **env: str) -> Ofrep:
    """A server holding the fleet, with a client, a server and an admin token."""
    server = start_server(data_dir, env={**ADMIN_ENV, **env})
    started = Ofrep(server, httpx.Client(base_url=server.url, headers=ADMIN, timeout=10))
    for segment in SEGMENTS:
        ok(started.admin.post("/segments", json=segment))
    for flag in FLAGS:
        started.docs[flag["name"]] = ok(started.admin.post("/flags", json=flag))
    for role in ("client", "server"):
        started.tokens[role] = ok(started.admin.post("/tokens", json={"name": f"ofrep-{role}", "role": role}))["token"]
    started.tokens["admin"] = ADMIN_TOKEN
    return started


@pytest.fixture(scope="module")
def ofrep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ofrep]:
    """One server with the fleet for a test module (its tests change no flag of the fleet)."""
    started = start_ofrep(tmp_path_factory.mktemp("ofrep") / "data")
    yield started
    started.close()


def mismatches(
    rounds: Sequence[Sequence[Evaluation]], answers: Sequence[Sequence[dict[str, Any]]], who: str
) -> list[str]:
    """Every answer that is not the expected one, as a readable line."""
    assert len(answers) == len(rounds)
    lines: list[str] = []
    for evaluations, got in zip(rounds, answers, strict=True):
        for evaluation, answer in zip(evaluations, got, strict=True):
            want = {key: evaluation.expect[key] for key in ("value", "variant", "reason", "errorCode")}
            seen = {key: answer[key] for key in want}
            if want["errorCode"] is not None:  # an error: the code's default, no variant
                want["value"] = evaluation.expect["default"]
            if seen != want:
                lines.append(f"{who}: {evaluation.flag} for {evaluation.context}: {seen} != {want}")
    return lines
