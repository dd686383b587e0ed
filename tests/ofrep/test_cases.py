"""The engine's language-neutral cases (tests/cases/*.json) replayed through OFREP against a real server.

Each file is loaded as tests/sdk/test_cases.py loads it (the files the API refuses by design are
written with the store and the server restarted on them). Then every case is asked three ways: by
OpenFeature's Python OFREP provider (single evaluation), by OpenFeature's Node OFREP provider
(tests/node/ofrep_server.mjs), and in bulk over plain HTTP. Each answer must be the case's expected
result as docs/ofrep.md maps it (value, variant, OpenFeature reason, or the error code).

OpenFeature has one namespace of attributes, so a case context's `attributes` object is spread into
it; the one case that gives the same attribute both at the top and under `attributes` (to show that
the top level wins) cannot be said in OpenFeature and is left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ofrep.conftest import Evaluation, mismatches, run_node
from tests.ofrep.fleet import expected
from tests.ofrep.test_clients import python_answers
from tests.sdk.conftest import Vexil, start_vexil
from tests.sdk.test_cases import FILES, load

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vexil]:
    started = start_vexil(tmp_path_factory.mktemp("ofrep-cases") / "data")
    yield started
    started.close()


def ofrep_context(context: Mapping[str, Any]) -> dict[str, Any] | None:
    """The case's context as an OpenFeature one (None: it cannot be said in one namespace)."""
    out: dict[str, Any] = {}
    for key, value in context.items():
        if key == "identifier":
            if value is not None:
                out["targetingKey"] = value
        elif key != "attributes":
            out[key] = value
    for key, value in (context.get("attributes") or {}).items():
        if key in out:
            return None
        out[key] = value
    return out


def stored_shape(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The variants and default variant the server holds for `doc` (a flag without variants is boolean)."""
    variants = doc.get("variants") or [{"name": "off"}, {"name": "on"}]
    return {"variants": variants, "default_variant": doc.get("default_variant") or variants[0]["name"]}


def evaluations(suite: Mapping[str, Any]) -> list[Evaluation]:
    docs = {doc["name"]: stored_shape(doc) for doc in suite["flags"]}
    made = []
    for case in suite["cases"]:
        context = ofrep_context(case["context"])
        if context is None:
            continue
        result = case["expected"]
        made.append(Evaluation(case["flag"], context, expected(result, docs.get(case["flag"]), context)))
    return made


def bulk_answers(url: str, token: str, cases: list[Evaluation]) -> list[dict[str, Any]]:
    """Each case's flag as `POST /ofrep/v1/evaluate/flags` answers it for the case's context."""
    answers = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
        for case in cases:
            response = http.post("/ofrep/v1/evaluate/flags", json={"context": case.context})
            assert response.status_code == 200, response.text
            items = {item["key"]: item for item in response.json()["flags"]}
            item = items.get(case.flag, {"errorCode": "FLAG_NOT_FOUND"})
            error = item.get("errorCode")
            answers.append(
                {
                    "value": case.expect["default"] if error else item["value"],
                    "variant": item.get("variant"),
                    "reason": "ERROR" if error else item["reason"],
                    "errorCode": error,
                }
            )
    return answers


@pytest.mark.parametrize("path", [pytest.param(path, id=path.stem) for path in FILES])
async def test_engine_cases__through_ofrep__every_answer_expected(server: Vexil, path: Path) -> None:
    # Given the file's flags and segments in a real server
    suite = json.loads(path.read_text())
    await load(server, path.stem, suite)
    cases = evaluations(suite)
    token = server.server_token
    # When every case is asked through OFREP: Python and Node providers, and in bulk
    python = python_answers(server.url, token, [cases], f"ofrep-cases-{path.stem}")[0]
    node = run_node(
        "ofrep_server.mjs", {"url": server.url, "token": token, "evaluations": [c.request() for c in cases]}
    )
    bulk = bulk_answers(server.url, token, cases)
    # Then every answer is the case's, mapped as docs/ofrep.md says
    lines = [
        line
        for who, got in (("python", python), ("node", node), ("bulk", bulk))
        for line in mismatches([cases], [got], who)
    ]
    assert not lines, "\n".join(lines[:40])
    assert len(cases) >= len(suite["cases"]) - 1
