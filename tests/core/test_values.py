"""Stored values: what every surface can encode later, checked before anything is committed."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, ok
from vexil.core.values import MAX_DEPTH, value_error


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": [1, 2.5, "x", None, True, {"b": -(2**63)}]}, None),
        (2**63 - 1, None),
        (nested(MAX_DEPTH - 1), None),
        (2**64, "value: use a whole number from -2^63 to 2^63 - 1"),
        (-(2**63) - 1, "value: use a whole number"),
        ({"a": [0, float("nan")]}, "a[1]: use a finite number"),
        ({"a": float("inf")}, "a: use a finite number"),
        ({"p": "\udfff"}, "p: a lone surrogate"),
        ({"p": "a\x00b"}, "p: a NUL character"),
        ({"k\x00": 1}, "value: the key 'k\\x00' cannot be stored: a NUL character"),
        (nested(MAX_DEPTH + 1), "nested deeper than 32 levels"),
        ({"a": {1, 2}}, "a: set is not a JSON value"),
    ],
)
def test_value_error__each_kind__found_with_its_path(value: Any, expected: str | None) -> None:
    problem = value_error(value)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and expected in problem


def test_value_error__path_prefix__kept() -> None:
    assert value_error({"x": [2**70]}, "flags[3]") == (
        "flags[3].x[0]: use a whole number from -2^63 to 2^63 - 1 (a larger one loses its value in JSON)"
    )


# The values of the finding: each was stored, then broke every answer that included it.
UNSTORABLE_PAYLOADS = [
    pytest.param(nested(300), id="nested-300"),
    pytest.param(18446744073709551616, id="2^64"),
    pytest.param("\udfff", id="lone-surrogate"),
    pytest.param({"a": "nul\x00"}, id="nul"),
]


@pytest.mark.parametrize("payload", UNSTORABLE_PAYLOADS)
async def test_create_flag__unstorable_payload__400_and_nothing_written(
    client: httpx.AsyncClient, payload: Any
) -> None:
    # Given a variant payload no surface could encode
    body = {"name": "bad", "variants": [{"name": "a", "payload": payload}, {"name": "b"}]}
    # When it is created (sent as Python's json would send it)
    response = await client.post("/flags", content=_json(body), headers=ADMIN)
    # Then it is refused in plain words, and nothing was stored or audited
    assert response.status_code == 400, response.text
    assert "variants[0].payload" in response.json()["error"] or "body" in response.json()["error"]
    assert (await client.get("/flags/bad", headers=ADMIN)).status_code == 404
    assert ok(await client.get("/audit", headers=ADMIN))["events"] == []
    # And everything still answers
    assert (await client.post("/evaluate", json={"identifier": "u1"})).status_code == 200
    assert (await client.get("/export", headers=ADMIN)).status_code == 200


async def test_segment__lone_surrogate_or_huge_list_value__400(client: httpx.AsyncClient) -> None:
    surrogate = {"name": "s", "conditions": [{"field": "country", "operator": "eq", "value": "\udfff"}]}
    huge = {"name": "s", "conditions": [{"field": "n", "operator": "in", "value": [1, 2**64]}]}
    for body in (surrogate, huge):
        response = await client.post("/segments", content=_json(body), headers=ADMIN)
        assert response.status_code == 400, response.text
    assert ok(await client.get("/segments", headers=ADMIN))["segments"] == []


async def test_rule__in_list_with_2_64__400(client: httpx.AsyncClient) -> None:
    rule = {"conditions": [{"field": "n", "operator": "in", "value": [2**64]}]}
    response = await client.post("/flags", content=_json({"name": "x", "rules": [rule]}), headers=ADMIN)
    assert response.status_code == 400, response.text


def _json(body: Any) -> bytes:
    return json.dumps(body).encode()
