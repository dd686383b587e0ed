"""OpenFeature's own OFREP clients, unmodified, against a real `vexil serve`: the Python provider
(`openfeature-provider-ofrep` with `openfeature-sdk`), the Node server provider, and the web provider
bundled with esbuild and run in Chromium.

For 300 contexts across every kind of flag (tests/ofrep/fleet.py), each client's value, variant,
reason and error code must be what Vexil's own `POST /flags/{name}/evaluate` says for the same
context, mapped as docs/ofrep.md maps it. The web provider evaluates in bulk and polls with the
ETag: it must be answered 304 while nothing changes, and see a change at its next poll.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from openfeature import api
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from playwright.sync_api import Browser, Page, Response

from tests.conftest import ok
from tests.ofrep.conftest import NODE_DIR, Evaluation, Ofrep, mismatches, node_executable, run_node
from tests.ofrep.fleet import contexts
from tests.web.conftest import browser  # noqa: F401 (the fixture)

pytestmark = pytest.mark.slow

CONTEXTS = 300
WAIT_S = 15  # the longest any step waits for a browser or a server (a bound, not a measure)


@pytest.fixture(scope="module")
def rounds(ofrep: Ofrep) -> list[list[Evaluation]]:
    """For each of the contexts, every flag with the answer Vexil's own endpoint implies."""
    return ofrep.evaluations(contexts(CONTEXTS))


# --- Python ---------------------------------------------------------------------------------------


def _python_details(client: Any, evaluation: Evaluation) -> dict[str, Any]:
    expect, context = evaluation.expect, dict(evaluation.context)
    key = context.pop("targetingKey", None)
    kind, default = expect["kind"], expect["default"]
    if kind == "number":  # Python's OpenFeature tells integers from floats
        kind = "integer" if isinstance(expect["value"], int) else "float"
        default = -1 if kind == "integer" else -1.0
    details = getattr(client, f"get_{kind}_details")(evaluation.flag, default, EvaluationContext(key, context))
    return {
        "value": details.value,
        "variant": details.variant,
        "reason": getattr(details.reason, "value", details.reason),
        "errorCode": getattr(details.error_code, "value", details.error_code),
    }


def python_answers(url: str, token: str, rounds: list[list[Evaluation]], domain: str) -> list[list[dict[str, Any]]]:
    provider = OFREPProvider(url, headers_factory=lambda: {"Authorization": f"Bearer {token}"})
    api.set_provider(provider, domain)
    try:
        client = api.get_client(domain)
        return [[_python_details(client, evaluation) for evaluation in evaluations] for evaluations in rounds]
    finally:
        api.clear_providers()


def test_python_provider__every_flag_and_context__as_vexil_evaluates(
    ofrep: Ofrep, rounds: list[list[Evaluation]]
) -> None:
    # Given the fleet in a real server, and OpenFeature's Python SDK with its OFREP provider and a client token
    # When every flag is evaluated for every context through OFREP
    answers = python_answers(ofrep.url, ofrep.tokens["client"], rounds, "ofrep-python")
    # Then each answer is Vexil's own, in OpenFeature's words
    assert not (lines := mismatches(rounds, answers, "python")), "\n".join(lines[:40])
    assert sum(len(evaluations) for evaluations in rounds) > 5000


# --- Node -----------------------------------------------------------------------------------------


def test_node_provider__every_flag_and_context__as_vexil_evaluates(
    ofrep: Ofrep, rounds: list[list[Evaluation]]
) -> None:
    # Given OpenFeature's Node server SDK with its OFREP provider, and a server token
    evaluations = [evaluation.request() for round_ in rounds for evaluation in round_]
    # When every flag is evaluated for every context through OFREP (tests/node/ofrep_server.mjs)
    flat = run_node("ofrep_server.mjs", {"url": ofrep.url, "token": ofrep.tokens["server"], "evaluations": evaluations})
    # Then each answer is Vexil's own, in OpenFeature's words
    answers, at = [], 0
    for round_ in rounds:
        answers.append(flat[at : at + len(round_)])
        at += len(round_)
    assert not (lines := mismatches(rounds, answers, "node")), "\n".join(lines[:40])


# --- the web provider, in Chromium ------------------------------------------------------------------

PAGE = '<!doctype html><meta charset="utf-8"><title>OFREP</title><script src="ofrep-web.js"></script>'


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def web_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """tests/node/ofrep_web.mjs bundled by esbuild into a page, served from another origin than Vexil's."""
    node_executable()
    site = tmp_path_factory.mktemp("ofrep-web")
    esbuild = NODE_DIR / "node_modules" / ".bin" / "esbuild"
    command = [str(esbuild), "ofrep_web.mjs", "--bundle", "--format=iife", f"--outfile={site / 'ofrep-web.js'}"]
    built = subprocess.run(command, cwd=NODE_DIR, capture_output=True, timeout=120, check=False)
    assert built.returncode == 0, built.stderr.decode(errors="replace")
    (site / "page.html").write_text(PAGE)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(browser: Browser, web_origin: str) -> Iterator[Page]:  # noqa: F811 (the fixture above)
    context = browser.new_context()
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto(f"{web_origin}/page.html")
    yield opened
    opened.evaluate("() => window.vexilOfrep.close()")
    context.close()
    assert not errors, errors


def test_web_provider__every_flag_and_context__as_vexil_evaluates(
    ofrep: Ofrep, rounds: list[list[Evaluation]], page: Page
) -> None:
    # Given OpenFeature's web SDK with its OFREP provider in Chromium, on another origin, with a client token
    start = {"url": ofrep.url, "token": ofrep.tokens["client"], "context": rounds[0][0].context, "pollInterval": 0}
    page.evaluate("(options) => window.vexilOfrep.start(options)", start)
    # When the page switches through every context (one bulk evaluation each) and reads every flag
    requests = [
        {"context": round_[0].context, "evaluations": [evaluation.request() for evaluation in round_]}
        for round_ in rounds
    ]
    answers = page.evaluate("(rounds) => window.vexilOfrep.evaluateAll(rounds)", requests)
    # Then each answer is Vexil's own, in OpenFeature's words
    assert not (lines := mismatches(rounds, answers, "web")), "\n".join(lines[:40])


def _wait_for(page: Page, condition: Callable[[], bool], what: str) -> None:
    """Until `condition`, letting the page run (Playwright delivers its events only while it is called)."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"not within {WAIT_S} s: {what}"
        page.wait_for_timeout(50)


def test_web_provider__flag_changes__polling_sees_it_after_304s(ofrep: Ofrep, page: Page) -> None:
    # Given a flag of its own, off, and the web provider polling every 200 ms for one user
    ok(ofrep.admin.post("/flags", json={"name": "live-banner", "enabled": False}))
    bulk: list[Response] = []
    page.on("response", lambda response: bulk.append(response) if response.url.endswith("/evaluate/flags") else None)
    start = {"url": ofrep.url, "token": ofrep.tokens["client"], "context": {"targetingKey": "u1"}, "pollInterval": 200}
    page.evaluate("(options) => window.vexilOfrep.start(options)", start)
    read = {"flag": "live-banner", "kind": "boolean", "default": True}
    before = page.evaluate("(evaluation) => window.vexilOfrep.read(evaluation)", read)
    # When nothing changes, the polls are answered 304 to the ETag the provider sends back
    _wait_for(page, lambda: sum(r.status == 304 for r in bulk) >= 2, "two polls answered 304")
    conditional = [r for r in bulk if r.status == 304]
    assert all(r.request.header_value("if-none-match") == r.header_value("etag") for r in conditional)
    # And when the flag is switched on
    ok(ofrep.admin.post("/flags/live-banner/toggle"))
    _wait_for(
        page,
        lambda: page.evaluate("(evaluation) => window.vexilOfrep.read(evaluation)", read)["value"] is True,
        "the page sees the flag on",
    )
    # Then the next poll brought the new answer, with a new ETag, and the provider said which flag changed
    after = page.evaluate("(evaluation) => window.vexilOfrep.read(evaluation)", read)
    assert (before["value"], before["reason"]) == (False, "DISABLED")
    assert (after["value"], after["variant"], after["reason"]) == (True, "on", "STATIC")
    fresh = [r for r in bulk if r.status == 200]
    assert len({r.header_value("etag") for r in fresh}) >= 2
    assert ["live-banner"] in page.evaluate("() => window.vexilOfrep.state.changes")
    ok(ofrep.admin.delete("/flags/live-banner"))
