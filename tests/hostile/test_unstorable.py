"""Values no database can hold, sent in parameters and bodies: 400 in plain words on every backend.

PostgreSQL refuses a NUL character, NaN, and instants without a UTC form, where SQLite answered
(or stored them); either way, no answer may carry SQL or a driver's message.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ADMIN, ok
from vexil.api.errors import describe
from vexil.store import StoreError, StoreUnavailable

DRIVER_WORDS = ("SELECT", "INSERT", "[SQL", "asyncpg", "sqlite", "UTF8", "invalid byte", "Overflow", "parameters")


def plain(response: httpx.Response) -> str:
    """The error message of a 400, after checking it quotes no SQL or driver text."""
    assert response.status_code == 400, response.text
    message: str = response.json()["error"]
    assert not any(word.lower() in message.lower() for word in DRIVER_WORDS), message
    return message


@pytest.mark.parametrize(
    "since",
    ["0001-01-01T00:00:01+01:01", "9999-12-31T23:59:59-01:00"],
)
async def test_audit__since_without_utc_form__400_in_plain_words(client: httpx.AsyncClient, since: str) -> None:
    # Given / When
    response = await client.get("/audit", params={"since": since}, headers=ADMIN)

    # Then
    assert plain(response) == "since: use an instant between 0001-01-01 and 9999-12-31 in UTC"


async def test_audit__since_at_the_edges_of_utc__answers(client: httpx.AsyncClient) -> None:
    # Given / When
    earliest = await client.get("/audit", params={"since": "0001-01-01T01:02:00+01:01"}, headers=ADMIN)
    latest = await client.get("/audit", params={"since": "9999-12-31T22:00:00-01:00"}, headers=ADMIN)

    # Then
    assert ok(earliest)["events"] == ok(latest)["events"] == []


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/audit?actor=%00", "actor"),
        ("/audit?flag=a%00b", "flag"),
        ("/flags?q=%00", "q"),
        ("/flags?tag=%00", "tag"),
        ("/flags?app=%00", "app"),
        ("/flags?environment=%00&enabled=true", "environment"),
        ("/tokens/x%00y", "name"),
        ("/flags/x%00y", "name"),
    ],
)
async def test_parameters__nul_character__400_naming_the_parameter(
    client: httpx.AsyncClient, path: str, parameter: str
) -> None:
    # Given / When
    response = await client.request("DELETE" if path.startswith("/tokens") else "GET", path, headers=ADMIN)

    # Then
    assert plain(response) == f"{parameter}: a NUL character (\\u0000) cannot be stored; remove it"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b'{"name": "f", "description": "a\\u0000b"}', "description"),
        (b'{"name": "f", "salt": "s\\u0000"}', "salt"),
        (b'{"name": "f", "variants": [{"name": "a", "payload": NaN}]}', "variants"),
        (b'{"name": "f", "variants": [{"name": "a", "payload": {"x": Infinity}}]}', "variants"),
    ],
)
async def test_create_flag__unstorable_body__400_and_nothing_stored(
    client: httpx.AsyncClient, body: bytes, where: str
) -> None:
    # Given / When
    response = await client.post("/flags", content=body, headers=ADMIN)

    # Then
    assert plain(response)
    assert ok(await client.get("/flags", headers=ADMIN))["flags"] == []
    assert ok(await client.get("/audit", headers=ADMIN))["events"] == []


async def test_update_flag__nul_description__400_flag_unchanged(client: httpx.AsyncClient) -> None:
    # Given
    ok(await client.post("/flags", json={"name": "f", "description": "before"}, headers=ADMIN))

    # When
    response = await client.patch("/flags/f", content=b'{"description": "\\u0000"}', headers=ADMIN)

    # Then
    assert plain(response)
    assert ok(await client.get("/flags/f", headers=ADMIN))["description"] == "before"


def test_describe__store_error__500_internal_error_only() -> None:
    # Given
    error = StoreError("database error: (builtins.OverflowError) [SQL: SELECT audit_events.id FROM audit_events]")

    # When
    status, message, headers = describe(error)

    # Then
    assert (status, message, headers) == (500, "internal error", None)


def test_describe__store_unavailable__503_with_the_stores_plain_message() -> None:
    # Given / When / Then
    assert describe(StoreUnavailable("the database is unavailable: the connection failed")) == (
        503,
        "the database is unavailable: the connection failed",
        None,
    )


@pytest.mark.parametrize("path", ["/audit?actor=%ED%B2%80", "/audit?flag=%FF", "/flags?q=%ED%B2%80"])
async def test_parameters__bytes_that_are_not_utf8__read_as_replacement_characters_answered(
    client: httpx.AsyncClient, path: str
) -> None:
    # Given an encoded surrogate or a stray byte, which decode to U+FFFD (storable everywhere)

    # When
    response = await client.get(path, headers=ADMIN)

    # Then SQLite and PostgreSQL both answer, with nothing found
    assert response.status_code == 200, response.text
    assert response.json()["events" if path.startswith("/audit") else "flags"] == []


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ({"name": "f", "version": 2**40}, "flags[0].version: use a whole number from 1 to 2147483647"),
        ({"name": "f", "created_at": "yesterday"}, "flags[0].created_at: use an instant between 0001-01-01"),
        ({"name": "f", "updated_at": "9999-12-31T23:59:59-01:00"}, "flags[0].updated_at: use an instant"),
    ],
)
async def test_import__kept_version_or_time_unstorable__400_nothing_replaced(
    client: httpx.AsyncClient, flag: dict[str, object], message: str
) -> None:
    # Given
    ok(await client.post("/flags", json={"name": "kept"}, headers=ADMIN))
    body = {"version": 1, "flags": [flag], "segments": [], "environments": []}

    # When
    response = await client.post("/import", json=body, headers=ADMIN)

    # Then
    assert plain(response).startswith(message)
    assert [f["name"] for f in ok(await client.get("/flags", headers=ADMIN))["flags"]] == ["kept"]
