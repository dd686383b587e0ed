"""Validation errors in plain words (api/errors.py): which field, what is wrong, what is expected;
no pydantic wording ever reaches a person."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import httpx
import pytest
from pydantic import Field, StrictBool, StrictInt, TypeAdapter, ValidationError

from tests.conftest import ADMIN
from vexil.api.errors import describe_validation_error
from vexil.api.inputs import PERCENTAGE_RULE, Input, Name, Percentage
from vexil.core.names import NAME_RULE

PYDANTIC_WORDING = ("should", "Field required", "pattern", "Input ", "Value error", "Extra inputs", "dictionary")


def errors_of(annotation: Any, value: Any, *, strict: bool = True) -> list[Any]:
    """What pydantic itself reports for `value` as `annotation`, located in a field `x`."""
    model = TypeAdapter(dict[str, annotation])
    with pytest.raises(ValidationError) as raised:
        model.validate_python({"x": value}, strict=strict)
    return list(raised.value.errors())


@pytest.mark.parametrize(
    ("annotation", "value", "expected"),
    [
        (Name, "Bad Name", f"x: {NAME_RULE}"),
        (Percentage, 101, f"x: {PERCENTAGE_RULE}"),
        (Percentage, 12.345, f"x: {PERCENTAGE_RULE}"),
        (StrictBool, "yes", "x: use true or false"),
        (StrictInt, 1.5, "x: use a whole number"),
        (float, "1", "x: use a number"),
        (str, 1, "x: use a string"),
        (list[int], "a", "x: use a list"),
        (dict[str, int], [], "x: use an object"),
        (Annotated[int, Field(ge=1)], 0, "x: use a number of at least 1"),
        (Annotated[int, Field(le=10)], 11, "x: use a number of at most 10"),
        (Annotated[int, Field(gt=0)], 0, "x: use a number greater than 0"),
        (Annotated[int, Field(lt=0)], 0, "x: use a number less than 0"),
        (Annotated[list[int], Field(max_length=2)], [1, 2, 3], "x: use at most 2 items"),
        (Annotated[list[int], Field(min_length=1)], [], "x: use at least 1 item"),
        (Annotated[str, Field(max_length=3)], "abcd", "x: use at most 3 characters"),
        (Annotated[str, Field(min_length=1)], "", "x: use at least 1 character"),
        (Annotated[str, Field(pattern="^a$")], "b", "x: this text is not in the expected form"),
        (Literal["admin", "server"], "god", 'x: "god" is not accepted; use admin or server'),
        (datetime, "yesterday", "x: use an ISO 8601 date and time such as 2026-01-01T00:00:00Z"),
        (list[Name], ["ok", "Not"], f"x[1]: {NAME_RULE}"),
        (dict[Name, int], {"Bad": 1}, f'x["Bad"]: this key is not accepted; {NAME_RULE}'),
        (dict[str, list[StrictInt]], {"a b": ["1"]}, 'x["a b"][0]: use a whole number'),
    ],
)
def test_describe_validation_error__pydantic_error_types__plain_words(
    annotation: Any, value: Any, expected: str
) -> None:
    # Given what pydantic reports for a value it refuses
    errors = errors_of(annotation, value, strict=annotation is not datetime)
    # When described
    message = describe_validation_error(errors)
    # Then it names the field, says what is expected, and has none of pydantic's wording
    assert message == expected
    assert not any(words in message for words in PYDANTIC_WORDING)


class Thing(Input):
    name: Name
    enabled: StrictBool
    size: StrictInt = Field(default=1, ge=0)


class Other(Input):
    name: Name


def test_describe_validation_error__missing_unknown_and_several__plain_words() -> None:
    # Given bodies with a missing field, an unknown one, and several problems at once
    def described(body: Any) -> str:
        with pytest.raises(ValidationError) as raised:
            Thing.model_validate(body)
        return describe_validation_error(list(raised.value.errors()))

    # When described / Then
    assert described({"name": "a"}) == "enabled: this field is required"
    assert described({"name": "a", "enabled": True, "color": 1}) == (
        "color: this field is not known (known fields: enabled, name, size)"
    )
    assert described({"name": "A", "enabled": 1, "size": -1}) == f"name: {NAME_RULE} (and 2 more problems)"
    assert described({"name": "A", "enabled": True, "size": -1}) == f"name: {NAME_RULE} (and 1 more problem)"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"name": "Bad"}, f"name: {NAME_RULE}"),
        ({}, "name: this field is required"),
        ({"name": "ok", "enabled": "x"}, "enabled: use true or false"),
    ],
)
def test_describe_validation_error__union__the_best_matching_member_without_its_name(
    body: dict[str, Any], expected: str
) -> None:
    # Given a body validated as `Thing | Other`, which pydantic reports member by member
    with pytest.raises(ValidationError) as raised:
        TypeAdapter(Thing | Other).validate_python(body)
    # When described
    message = describe_validation_error(list(raised.value.errors()))
    # Then the member with the fewest problems speaks, without a model's name in the path
    assert message == expected
    assert "Thing" not in message and "Other" not in message


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("POST", "/flags", {"name": "Bad Name"}, f"name: {NAME_RULE}"),
        ("POST", "/flags", {}, "name: this field is required"),
        ("POST", "/flags", {"name": "ok", "enabled": "yes"}, "enabled: use true or false"),
        ("POST", "/flags", {"name": "ok", "rollout_percentage": 150}, f"rollout_percentage: {PERCENTAGE_RULE}"),
        (
            "POST",
            "/flags",
            {"name": "ok", "color": "red"},
            "color: this field is not known (known fields: allowlist, apps, default_variant, description, enabled, "
            "environments, kind, name, owner, prerequisites, rollout_percentage, rules, salt, stale, tags, variants)",
        ),
        (
            "POST",
            "/flags",
            {"name": "ok", "rules": [{"conditions": [{"field": "x", "operator": "eq", "value": 1, "not": True}]}]},
            "rules[0].conditions[0].not: this field is not known "
            "(known fields: case_insensitive, field, negate, operator, value)",
        ),
        (
            "POST",
            "/flags",
            {"name": "ok", "rules": [{"conditions": [{"field": "x", "operator": "like", "value": 1}]}]},
            'rules[0].conditions[0].operator: "like" is not accepted; use eq, neq, in, not_in, starts_with, ends_with, '
            "contains, not_contains, matches, gt, gte, lt, lte, semver_eq, semver_gt, semver_lt, before, after, "
            "in_cidr, exists, not_exists, in_segment or not_in_segment",
        ),
        (
            "POST",
            "/flags",
            {"name": "ok", "environments": {"Prod": {}}},
            f'environments["Prod"]: this key is not accepted; {NAME_RULE}',
        ),
        (
            "POST",
            "/flags",
            {"name": "ok", "variants": [{"name": "a", "weight": "2"}]},
            "variants[0].weight: use a whole number",
        ),
        ("POST", "/flags", ["not", "an", "object"], "the body must be a JSON object"),
        ("POST", "/flags/create", {"name": "Bad"}, f"name: {NAME_RULE}"),
        ("POST", "/flags/create", {}, "name: this field is required"),
        ("POST", "/flags/set", {"name": "ok"}, "enabled: this field is required"),
        (
            "POST",
            "/tokens",
            {"name": "ci", "role": "god"},
            'role: "god" is not accepted; use client, server, viewer, editor or admin',
        ),
        ("POST", "/import", {"flags": [{"name": "ok"}, {"name": "No"}]}, f"flags[1].name: {NAME_RULE}"),
        ("GET", "/audit?limit=0", None, "limit: use a number of at least 1"),
        ("GET", "/audit?since=yesterday", None, "since: use an ISO 8601 date and time such as 2026-01-01T00:00:00Z"),
        ("GET", "/flags?enabled=maybe", None, "enabled: use true or false"),
        ("GET", "/flags/Not%20A%20Name", None, f"name: {NAME_RULE}"),
    ],
)
async def test_request__refused__400_plain_message(
    client: httpx.AsyncClient, method: str, path: str, body: Any, expected: str
) -> None:
    # Given / When a request the API refuses
    response = await client.request(method, path, json=body, headers=ADMIN)
    # Then the answer is a 400 whose message names the field and says what is expected, in plain words
    assert response.status_code == 400, response.text
    assert response.json() == {"error": expected}
    assert not any(words in expected for words in PYDANTIC_WORDING)


async def test_request__not_json__400_plain_message(client: httpx.AsyncClient) -> None:
    # Given / When a body that is not JSON
    response = await client.post("/flags", content=b"{nope", headers={**ADMIN, "content-type": "application/json"})
    # Then
    assert response.status_code == 400
    assert response.json() == {"error": "the body is not valid JSON"}
