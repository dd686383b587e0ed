"""Store contract: what a database cannot hold is refused by the store itself, alike on every backend.

PostgreSQL refuses a NUL character and NaN where SQLite takes them; neither can encode an unpaired
surrogate; an instant outside years 1 to 9999 has no UTC form. The store refuses all of them with
`InvalidValue`, a message naming where the value is, before any SQL: nothing is written.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.store.conftest import RowCounter
from vexil.store import InvalidValue, NotFound, SqlStore
from vexil.store._values import check_document, check_text

PLUS_0101 = timezone(timedelta(hours=1, minutes=1))
MINUS_ONE = timezone(timedelta(hours=-1))

UNSTORABLE_FLAGS = [
    pytest.param({"description": "a\x00b"}, "description", id="nul-description"),
    pytest.param({"salt": "s\x00"}, "salt", id="nul-salt"),
    pytest.param({"description": "\udc80"}, "description", id="surrogate-description"),
    pytest.param({"tags": ["ok", "t\x00"]}, "tags[1]", id="nul-tag"),
    pytest.param({"variants": [{"name": "a", "payload": math.nan, "weight": 1}]}, "variants[0].payload", id="nan"),
    pytest.param(
        {"variants": [{"name": "a", "payload": {"x": math.inf}, "weight": 1}]}, "variants[0].payload.x", id="inf"
    ),
    pytest.param({"variants": [{"name": "a", "payload": 2**64, "weight": 1}]}, "variants[0].payload", id="big-int"),
    pytest.param({"allowlist": {"u\x00": "on"}}, "allowlist", id="nul-allowlist-key"),
    pytest.param(
        {"rules": [{"conditions": [{"field": "email", "operator": "eq", "value": "\x00"}], "serve": "on"}]},
        "rules[0].conditions[0].value",
        id="nul-condition",
    ),
]


@pytest.mark.parametrize(("fields", "where"), UNSTORABLE_FLAGS)
async def test_create_flag__unstorable_value__invalid_value_naming_it_nothing_written(
    store: SqlStore, count_rows: RowCounter, fields: dict[str, Any], where: str
) -> None:
    # Given
    doc = {"name": "f", **fields}

    # When
    with pytest.raises(InvalidValue) as refused:
        await store.create_flag(doc, actor="alice")

    # Then
    assert str(refused.value).startswith(f"{where}: ")
    assert await count_rows("flags") == 0
    assert await count_rows("audit_events") == 0


async def test_update_flag__mutation_adds_nul__invalid_value_flag_unchanged(store: SqlStore) -> None:
    # Given
    await store.create_flag({"name": "f", "description": "before"}, actor="alice")

    # When
    with pytest.raises(InvalidValue, match=r"^description: a NUL character"):
        await store.update_flag("f", lambda doc: {**doc, "description": "x\x00"}, actor="alice")

    # Then
    flag = await store.get_flag("f")
    assert (flag["description"], flag["version"]) == ("before", 1)


async def test_segments__nul_in_condition_or_description__invalid_value(store: SqlStore) -> None:
    # Given
    await store.create_segment({"name": "s"}, actor="alice")
    condition = {"field": "plan", "operator": "eq", "value": "p\x00"}

    # When / Then
    with pytest.raises(InvalidValue, match=r"^conditions\[0\]\.value: "):
        await store.create_segment({"name": "t", "conditions": [condition]}, actor="alice")
    with pytest.raises(InvalidValue, match=r"^description: "):
        await store.update_segment("s", lambda doc: {**doc, "description": "\x00"}, actor="alice")
    assert [s["name"] for s in await store.list_segments()] == ["s"]


@pytest.mark.parametrize(
    "since", [datetime(1, 1, 1, 0, 0, 1, tzinfo=PLUS_0101), datetime(9999, 12, 31, 23, 59, 59, tzinfo=MINUS_ONE)]
)
async def test_list_audit__since_outside_utc_years__invalid_value_in_plain_words(
    store: SqlStore, since: datetime
) -> None:
    # Given / When
    with pytest.raises(InvalidValue) as refused:
        await store.list_audit(since=since)

    # Then
    assert str(refused.value) == "since: use an instant between 0001-01-01 and 9999-12-31 in UTC"


async def test_list_audit__since_at_the_ends_of_the_range__answers(store: SqlStore) -> None:
    # Given
    await store.create_flag({"name": "f"}, actor="alice")

    # When
    earliest = await store.list_audit(since=datetime(1, 1, 1, 1, 2, tzinfo=PLUS_0101))
    latest = await store.list_audit(since=datetime(9999, 12, 31, 22, 0, tzinfo=MINUS_ONE))

    # Then
    assert [e["entity_id"] for e in earliest] == ["f"]
    assert latest == []


async def test_list_audit__nul_in_filter__invalid_value_on_every_backend(store: SqlStore) -> None:
    # Given / When / Then
    with pytest.raises(InvalidValue, match=r"^flag: a NUL character"):
        await store.list_audit(flag="a\x00")
    with pytest.raises(InvalidValue, match=r"^actor: a NUL character"):
        await store.list_audit(actor="a\x00")


async def test_lookups_by_name__nul__invalid_value_not_a_driver_error(store: SqlStore) -> None:
    # Given / When / Then
    for lookup in (store.get_flag, store.get_segment):
        with pytest.raises(InvalidValue, match=r"^name: "):
            await lookup("x\x00")
    with pytest.raises(InvalidValue):
        await store.revoke_token("x\x00", actor="alice")
    with pytest.raises(InvalidValue):
        await store.create_environment("\udc80", actor="alice")
    with pytest.raises(NotFound):
        await store.get_flag("absent")


@pytest.mark.parametrize(
    ("flag", "where"),
    [
        pytest.param({"name": "f", "version": 2**40}, "flags[0].version", id="version-beyond-int32"),
        pytest.param({"name": "f", "version": "many"}, "flags[0].version", id="version-not-a-number"),
        pytest.param({"name": "f", "created_at": "yesterday"}, "flags[0].created_at", id="not-an-instant"),
        pytest.param({"name": "f", "updated_at": "0001-01-01T00:00:00+01:00"}, "flags[0].updated_at", id="year-0"),
        pytest.param({"name": "f", "description": "\x00"}, "flags[0].description", id="nul"),
    ],
)
async def test_import_state__unstorable_value__invalid_value_nothing_replaced(
    store: SqlStore, flag: dict[str, Any], where: str
) -> None:
    # Given
    await store.create_flag({"name": "kept"}, actor="alice")

    # When
    with pytest.raises(InvalidValue) as refused:
        await store.import_state({"flags": [flag], "segments": [], "environments": []}, actor="bob")

    # Then
    assert str(refused.value).startswith(f"{where}: ")
    assert [f["name"] for f in await store.list_flags()] == ["kept"]


def test_check_document__every_json_shape__only_the_unstorable_refused() -> None:
    # Given
    fine = {"a": ["text", 1, -(2**63), 2**63 - 1, 1.5, True, None, {"é": "ü\u2028"}], "b": "\U0001f600"}

    # When / Then
    check_document(fine)
    with pytest.raises(InvalidValue, match=r"^a\[1\]: the key 'k\\x00' cannot be stored: a NUL"):
        check_document({"a": [{}, {"k\x00": 1}]})
    with pytest.raises(InvalidValue, match=r"^value: use a finite number"):
        check_document(math.nan)
    with pytest.raises(InvalidValue, match=r"^value: use a whole number from -2\^63 to 2\^63 - 1"):
        check_document(-(2**63) - 1)


def test_check_text__surrogate__named_escaped_so_the_message_is_json() -> None:
    # Given / When
    with pytest.raises(InvalidValue) as refused:
        check_text("ok\ud83d", "q")

    # Then
    assert (
        str(refused.value) == "q: a lone surrogate (\\ud800 to \\udfff) is not valid Unicode; send the whole character"
    )
    assert str(refused.value).encode("utf-8")
