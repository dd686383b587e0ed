"""Unleash's own SDKs, unmodified, evaluating Vexil flags from `GET /api/client/features` of a live
server: for several hundred contexts across flags of every kind, the Python SDK (yggdrasil engine)
and the Node SDK answer what Vexil's `POST /flags/{name}/evaluate` answers (docs/unleash.md's
equality rule), in the flags' own configuration and in a bound token's environment; the flags that
Unleash cannot express are left out of the feed and named in its headers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ok
from tests.sdk.conftest import Vexil
from tests.unleash.conftest import (
    PythonSdk,
    agrees,
    node_answers,
    token,
    unleash_context,
    vexil_results,
)
from tests.unleash.flags import LEFT_OUT, SEGMENTS, SERVED, contexts, generated

pytestmark = pytest.mark.slow

CONTEXTS = contexts(300)
GENERATED = generated(40)


@pytest.fixture(scope="module")
def loaded(shared_vexil: Vexil) -> Iterator[Vexil]:
    for segment in SEGMENTS:
        ok(shared_vexil.admin.post("/segments", json=segment))
    for flag in [*SERVED, *LEFT_OUT, *GENERATED]:
        ok(shared_vexil.admin.post("/flags", json=flag))
    yield shared_vexil


def checks_for(names: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, context) for name in names for context in CONTEXTS]


def mismatches(
    docs: Mapping[str, Mapping[str, Any]],
    checks: Sequence[tuple[str, dict[str, Any]]],
    results: Sequence[Mapping[str, Any]],
    answers: Sequence[Any],
    who: str,
) -> list[str]:
    return [
        f"{who}: {flag} {context}: Vexil {result['variant']} (active {result['active']}), "
        f"Unleash {answer.variant} (enabled {answer.enabled})"
        for (flag, context), result, answer in zip(checks, results, answers, strict=True)
        if not agrees(docs[flag], result, answer)
    ]


def compare(vexil: Vexil, secret: str, names: Sequence[str], cache: Path) -> list[str]:
    docs = {name: ok(vexil.admin.get(f"/flags/{name}")) for name in names}
    checks = checks_for(names)
    expected = vexil_results(vexil, secret, checks)
    unleash_checks = [(flag, unleash_context(context)) for flag, context in checks]
    python = PythonSdk(vexil.url, secret, cache)
    try:
        python_answers = [python.answer(flag, context) for flag, context in unleash_checks]
    finally:
        python.close()
    node, fetched = node_answers(vexil.url, secret, unleash_checks)
    assert set(names) <= set(fetched)
    return mismatches(docs, checks, expected, python_answers, "python") + mismatches(
        docs, checks, expected, node, "node"
    )


def served_in(vexil: Vexil, secret: str) -> set[str]:
    response = vexil.admin.get(
        "/api/client/features", headers={"Authorization": secret, "Unleash-Client-Spec": "5.2.0"}
    )
    return {feature["name"] for feature in ok(response)["features"]}


def test_unleash_sdks__every_kind_of_flag__answer_as_vexil_does(loaded: Vexil, tmp_path: Path) -> None:
    # Given: flags of every kind, and an unbound server token (each flag's own configuration)
    secret = token(loaded, "unleash-sdks")
    names = [flag["name"] for flag in SERVED]
    # When: both SDKs answer for 300 contexts per flag
    wrong = compare(loaded, secret, names, tmp_path)
    # Then: every answer is Vexil's
    assert not wrong, "\n".join(wrong[:20])


def test_unleash_sdks__generated_flags__answer_as_vexil_does_for_those_served(loaded: Vexil, tmp_path: Path) -> None:
    # Given: forty random flags (rules, operators, segments, allowlists, apps, variants, prerequisites)
    secret = token(loaded, "unleash-generated")
    served = served_in(loaded, secret) & {flag["name"] for flag in GENERATED}
    assert len(served) >= 20, "most generated flags should be expressible"
    # When / Then: both SDKs answer as Vexil for every served flag
    wrong = compare(loaded, secret, sorted(served), tmp_path)
    assert not wrong, "\n".join(wrong[:20])


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_unleash_sdks__token_bound_to_an_environment__answer_as_vexil_in_it(
    loaded: Vexil, tmp_path: Path, environment: str
) -> None:
    # Given: a server token bound to the environment, whose overrides (and `environment` conditions) apply
    secret = token(loaded, f"unleash-{environment}", environment=environment)
    names = ["staged", "allowlisted", "colours", "needs-colour"]
    # When / Then: both SDKs answer as Vexil does in that environment
    wrong = compare(loaded, secret, names, tmp_path)
    assert not wrong, "\n".join(wrong[:20])


def test_unleash_feed__flags_unleash_cannot_express__left_out_and_named(loaded: Vexil) -> None:
    # Given: flags using what Unleash SDKs cannot evaluate exactly
    secret = token(loaded, "unleash-left-out")
    # When
    response = loaded.admin.get(
        "/api/client/features", headers={"Authorization": secret, "Unleash-Client-Spec": "5.2.0"}
    )
    # Then: they are not in the feed, the headers count and name them, and the rest is served
    features = {feature["name"] for feature in ok(response)["features"]}
    left_out = {flag["name"] for flag in LEFT_OUT}
    assert not features & left_out
    assert {flag["name"] for flag in SERVED} <= features
    named = response.headers["Vexil-Left-Out"]
    assert all(f"{name}: " in named for name in left_out)
    assert int(response.headers["Vexil-Left-Out-Count"]) >= len(left_out)
