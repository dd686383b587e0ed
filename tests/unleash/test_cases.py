"""The engine's language-neutral cases (tests/cases/*.json) replayed through the Unleash client API.

Each file's flags and segments are loaded into a live server (as tests/sdk/test_cases.py does, the
store writing what the API rightly refuses); for every environment its cases name, a server token
bound to it (none for cases without one) fetches the feed. The flags left out must be exactly those
docs/unleash.md lists as not expressible ("The engine's cases"), and for every case of every other
flag, the Python and the Node Unleash SDKs must give the expected answer (docs/unleash.md's equality
rule; a flag that does not exist is off and `disabled` for both).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ok
from tests.sdk.conftest import Vexil, start_vexil
from tests.sdk.test_cases import load
from tests.unleash.conftest import Answer, PythonSdk, agrees, node_answers, token, unleash_context

pytestmark = pytest.mark.slow

CASES = Path(__file__).parents[1] / "cases"
FILES = sorted(CASES.glob("*.json"))

# The flags of the cases that Unleash SDKs cannot evaluate as Vexil does, and why (docs/unleash.md).
NOT_EXPRESSIBLE: dict[str, dict[str, str]] = {
    "bucketing": {"third": "33.33 %"},
    "operators": {
        "after": "`after`",
        "before": "`before`",
        "eq_ci": "`eq` ignoring case",
        "eq_true": "`eq` with true",
        "exists": "`exists`",
        "in_ci": "`in` ignoring case",
        "in_cidr": "`in_cidr`",
        "in_cidr_list": "`in_cidr`",
        "matches": "`matches`",
        "matches_ci": "`matches`",
        "matches_redos": "`matches`",
        "matches_unanchored": "`matches`",
        "nested_field": "nested field",
        "not_exists": "`not_exists`",
    },
    "prerequisites": {
        "chain_broken": "one level deep",
        "chain_top": "one level deep",
        "loop_a": "one level deep",
        "loop_b": "one level deep",
    },
}
# Cases whose context holds a value an Unleash context cannot carry as such (a list, a number where
# text is compared): an Unleash SDK gets it as text, where Vexil sees a value of the wrong type
# (docs/unleash.md, "The context").
NOT_TEXT: dict[str, set[str]] = {
    "operators": {"not_in: list is wrong type", "not_contains: number is wrong type"},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vexil]:
    started = start_vexil(tmp_path_factory.mktemp("unleash-cases") / "data")
    yield started
    started.close()


def feed_token(vexil: Vexil, stem: str, environment: str | None) -> str:
    if environment is not None:
        vexil.admin.post("/environments", json={"name": environment})  # 201, or 409 when it exists
    return token(vexil, f"{stem}-{environment or 'own'}", environment=environment)


def left_out(vexil: Vexil, secret: str) -> dict[str, str]:
    response = vexil.admin.get(
        "/api/client/features", headers={"Authorization": secret, "Unleash-Client-Spec": "5.2.0"}
    )
    ok(response)
    header = response.headers.get("Vexil-Left-Out", "")
    return dict(part.split(": ", 1) for part in header.split("; ") if part)


def wrong_answers(
    cases: list[Mapping[str, Any]], docs: Mapping[str, Any], python: list[Answer], node: list[Answer]
) -> list[str]:
    wrong = []
    for case, python_answer, node_answer in zip(cases, python, node, strict=True):
        doc = docs.get(case["flag"])
        for who, answer in (("python", python_answer), ("node", node_answer)):
            if doc is None:
                good = not answer.enabled and answer.variant == "disabled"
            else:
                good = agrees(doc, case["expected"], answer)
            if not good:
                wrong.append(f"{who}: {case['name']}: expected {case['expected']}, got {answer}")
    return wrong


@pytest.mark.parametrize("path", [pytest.param(path, id=path.stem) for path in FILES])
async def test_engine_cases__unleash_sdks__expected_answers_and_exactly_the_documented_flags_left_out(
    server: Vexil, path: Path, tmp_path: Path
) -> None:
    # Given: the file's flags and segments in the server
    suite = json.loads(path.read_text())
    await load(server, path.stem, suite)
    docs = {flag["name"]: ok(server.admin.get(f"/flags/{flag['name']}")) for flag in suite["flags"]}
    wrong: list[str] = []
    for environment in sorted({case["context"].get("environment") for case in suite["cases"]}, key=str):
        secret = await asyncio.to_thread(feed_token, server, path.stem, environment)
        # When: the feed of that environment is fetched
        missing = left_out(server, secret)
        # Then: exactly the documented flags are left out, for the documented reasons
        documented = NOT_EXPRESSIBLE.get(path.stem, {})
        assert sorted(missing) == sorted(documented), missing
        assert all(documented[name] in reason for name, reason in missing.items()), missing
        # And: both SDKs give every other case's expected answer
        cases = [
            case
            for case in suite["cases"]
            if case["context"].get("environment") == environment
            and case["flag"] not in missing
            and case["name"] not in NOT_TEXT.get(path.stem, set())
        ]
        checks = [(case["flag"], unleash_context(case["context"])) for case in cases]
        python = PythonSdk(server.url, secret, tmp_path / str(environment))
        try:
            python_answers = [python.answer(flag, context) for flag, context in checks]
        finally:
            python.close()
        node, _ = await asyncio.to_thread(node_answers, server.url, secret, checks)
        wrong += wrong_answers(cases, docs, python_answers, node)
    assert not wrong, "\n".join(wrong)
