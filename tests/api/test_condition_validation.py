"""Every write that carries conditions refuses, with 400 and nothing written, each condition the
engine says can never match (`engine.condition_error`), naming the field's path; and accepts every
operator with a value it reads. Flags, overrides, segments and import alike."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, ok
from tests.engine.factories import condition_of
from vexil.engine import OPERATOR_SPECS, Operator, Takes

# Operators a segment's conditions may use (a segment cannot use another segment).
FIELD_OPERATORS = [op for op, spec in OPERATOR_SPECS.items() if spec.takes is not Takes.SEGMENT]
STAFF = {"name": "staff", "conditions": [{"field": "email", "operator": "ends_with", "value": "@acme.com"}]}

Write = Callable[[httpx.AsyncClient, list[dict[str, Any]]], Awaitable[httpx.Response]]


def rule(conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"conditions": conditions, "serve": "on"}]


async def create_flag(client: httpx.AsyncClient, conditions: list[dict[str, Any]]) -> httpx.Response:
    return await client.post("/flags", json={"name": "target", "rules": rule(conditions)}, headers=ADMIN)


async def patch_flag(client: httpx.AsyncClient, conditions: list[dict[str, Any]]) -> httpx.Response:
    return await client.patch("/flags/kept", json={"rules": rule(conditions)}, headers=ADMIN)


async def override(client: httpx.AsyncClient, conditions: list[dict[str, Any]]) -> httpx.Response:
    body = {"environment": "staging", "rules": rule(conditions)}
    return await client.post("/flags/kept/environments", json=body, headers=ADMIN)


async def create_segment(client: httpx.AsyncClient, conditions: list[dict[str, Any]]) -> httpx.Response:
    return await client.post("/segments", json={"name": "target", "conditions": conditions}, headers=ADMIN)


async def patch_segment(client: httpx.AsyncClient, conditions: list[dict[str, Any]]) -> httpx.Response:
    return await client.patch("/segments/staff", json={"conditions": conditions}, headers=ADMIN)


async def import_flag(client: httpx.AsyncClient, conditions: list[dict[str, Any]]) -> httpx.Response:
    state = {"segments": [STAFF], "flags": [{"name": "kept"}, {"name": "target", "rules": rule(conditions)}]}
    return await client.post("/import", json=state, headers=ADMIN)


async def import_segment(client: httpx.AsyncClient, conditions: list[dict[str, Any]]) -> httpx.Response:
    state = {"segments": [STAFF, {"name": "target", "conditions": conditions}], "flags": [{"name": "kept"}]}
    return await client.post("/import", json=state, headers=ADMIN)


# Where a write puts its conditions: (section of the export, document, environment or None).
Where = tuple[str, str, str | None]

# Each write, the path its message gives to its conditions, the operators it may use, and where it puts them.
WRITES = [
    pytest.param(create_flag, "rules[0].conditions", list(Operator), ("flags", "target", None), id="POST-flags"),
    pytest.param(patch_flag, "rules[0].conditions", list(Operator), ("flags", "kept", None), id="PATCH-flag"),
    pytest.param(
        override,
        "environments.staging.rules[0].conditions",
        list(Operator),
        ("flags", "kept", "staging"),
        id="POST-override",
    ),
    pytest.param(create_segment, "conditions", FIELD_OPERATORS, ("segments", "target", None), id="POST-segments"),
    pytest.param(patch_segment, "conditions", FIELD_OPERATORS, ("segments", "staff", None), id="PATCH-segment"),
    pytest.param(
        import_flag, "flags[1].rules[0].conditions", list(Operator), ("flags", "target", None), id="import-flag"
    ),
    pytest.param(
        import_segment, "segments[1].conditions", FIELD_OPERATORS, ("segments", "target", None), id="import-segment"
    ),
]


async def state(client: httpx.AsyncClient) -> dict[str, Any]:
    """What is stored: every flag and segment, and the audit log."""
    exported = ok(await client.get("/export", headers=ADMIN))
    exported.pop("exported_at")
    return {**exported, "audit": ok(await client.get("/audit", headers=ADMIN))["events"]}


def stored_conditions(exported: dict[str, Any], where: Where) -> list[dict[str, Any]]:
    section, name, environment = where
    doc = next(doc for doc in exported[section] if doc["name"] == name)
    if section == "segments":
        conditions: list[dict[str, Any]] = doc["conditions"]
        return conditions
    holder = doc["environments"][environment] if environment else doc
    return [*holder["rules"][0]["conditions"]]


def plain(conditions: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(c.get("field"), c["operator"], c.get("value")) for c in conditions]


async def given_a_flag_and_a_segment(client: httpx.AsyncClient) -> None:
    ok(await client.post("/segments", json=STAFF, headers=ADMIN))
    ok(await client.post("/flags", json={"name": "kept"}, headers=ADMIN))


@pytest.mark.parametrize(("write", "path", "operators", "where"), WRITES)
async def test_write__condition_that_can_never_match__400_naming_the_path_and_nothing_written(
    client: httpx.AsyncClient, write: Write, path: str, operators: list[Operator], where: Where
) -> None:
    # Given a flag and a segment
    await given_a_flag_and_a_segment(client)
    before = await state(client)
    for operator in operators:
        # When a condition of the operator that can never match is written, after a valid one
        bad = condition_of(operator, usable=False)
        response = await write(client, [condition_of(Operator.EXISTS, usable=True), bad])
        # Then it is refused, the message names its path and the key at fault, and nothing is written
        assert response.status_code == 400, (operator, response.text)
        key = "field" if OPERATOR_SPECS[operator].takes is Takes.NONE else "value"
        message = response.json()["error"]
        assert message.startswith(f"{path}[1].{key}: "), message
        assert "should" not in message and "Input" not in message
        assert await state(client) == before, operator


@pytest.mark.parametrize(("write", "path", "operators", "where"), WRITES)
async def test_write__every_operator_with_a_value_it_reads__accepted(
    client: httpx.AsyncClient, write: Write, path: str, operators: list[Operator], where: Where
) -> None:
    # Given a flag and a segment
    await given_a_flag_and_a_segment(client)
    # When every operator the write may use is written with a value it reads
    conditions = [condition_of(operator, usable=True) for operator in operators]
    response = await write(client, conditions)
    # Then it is accepted and stored as given
    assert response.status_code < 300, response.text
    assert plain(stored_conditions(await state(client), where)) == plain(conditions)


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (create_flag, 'rules[0].conditions[0].value: there is no segment named "nobody"; create it first'),
        (
            create_segment,
            "conditions[0].operator: a segment cannot use another segment; copy that segment's conditions instead",
        ),
    ],
    ids=["flag-unknown-segment", "segment-in-segment"],
)
async def test_write__segment_condition_core_refuses__400_and_nothing_written(
    client: httpx.AsyncClient, write: Write, message: str
) -> None:
    # Given a flag and a segment
    await given_a_flag_and_a_segment(client)
    before = await state(client)
    # When a condition names a segment that does not exist, or a segment uses one
    response = await write(client, [{"operator": "in_segment", "value": "nobody"}])
    # Then it is refused with what the core alone can see
    assert response.status_code == 400
    assert response.json() == {"error": message}
    assert await state(client) == before
