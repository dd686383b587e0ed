"""Store contract: flags (create, read, update through a mutate callback, delete)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from vexil.store import Conflict, NotFound, SqlStore

RowCounter = Callable[[str], Awaitable[int]]
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


class Refused(Exception):
    """What a caller's mutate raises to refuse a change."""


def enable(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "enabled": True}


async def test_create_flag__name_only__every_key_has_its_default(store: SqlStore) -> None:
    # Given / When
    flag = await store.create_flag({"name": "new_checkout"}, actor="alice")

    # Then
    assert flag == {
        "name": "new_checkout",
        "description": "",
        "tags": [],
        "enabled": False,
        "rollout_percentage": 100,
        "variants": [{"name": "off", "payload": None, "weight": 0}, {"name": "on", "payload": None, "weight": 1}],
        "default_variant": "off",
        "prerequisites": [],
        "allowlist": {},
        "rules": [],
        "apps": [],
        "environments": {},
        "salt": "new_checkout",
        "kind": "release",
        "owner": "",
        "stale": False,
        "archived": False,
        "created_at": flag["created_at"],
        "updated_at": flag["created_at"],
        "version": 1,
    }
    assert TIME.match(flag["created_at"])
    assert await store.get_flag("new_checkout") == flag


async def test_create_flag__full_document__reads_back_identical(store: SqlStore) -> None:
    # Given
    doc = {
        "name": "banner",
        "description": "The banner",
        "tags": ["ui", "q3"],
        "enabled": True,
        "rollout_percentage": 12.5,
        "variants": [
            {"name": "blue", "payload": {"color": "#00f"}, "weight": 3},
            {"name": "red", "payload": [1, "x", None], "weight": 1},
        ],
        "default_variant": "red",
        "prerequisites": [{"flag": "new_cart", "active": True, "variants": None}],
        "allowlist": {"user-42": "blue"},
        "rules": [
            {
                "conditions": [{"field": "email", "operator": "ends_with", "value": "@acme.com", "negate": False}],
                "rollout_percentage": 50,
                "serve": "blue",
            }
        ],
        "apps": ["web", "ios"],
        "environments": {
            "production": {"enabled": False, "rollout_percentage": 0.01},
            "staging": {"rules": [], "allowlist": {"qa-1": "red"}},
            "development": {},
        },
        "salt": "banner-2026",
        "kind": "experiment",
        "owner": "growth-team",
        "stale": True,
        "archived": False,
    }

    # When
    created = await store.create_flag(doc, actor="alice")

    # Then
    expected = {**doc, "apps": ["ios", "web"], "version": 1}
    assert {k: v for k, v in created.items() if k not in ("created_at", "updated_at")} == expected
    assert await store.get_flag("banner") == created
    assert list(created["environments"]) == ["development", "production", "staging"]


@pytest.mark.parametrize(
    ("given", "returned"),
    [(0, 0), (100, 100), (25, 25), (25.0, 25), (33.33, 33.33), (0.01, 0.01), (99.99, 99.99), (12.1, 12.1)],
)
async def test_create_flag__rollout_percentage__stored_exactly(store: SqlStore, given: float, returned: float) -> None:
    # Given / When
    await store.create_flag(
        {"name": "f", "rollout_percentage": given, "environments": {"production": {"rollout_percentage": given}}},
        actor="alice",
    )
    flag = await store.get_flag("f")

    # Then
    assert flag["rollout_percentage"] == returned
    assert type(flag["rollout_percentage"]) is type(returned)
    assert flag["environments"]["production"]["rollout_percentage"] == returned


async def test_create_flag__duplicate_name__conflict_and_first_kept(store: SqlStore) -> None:
    # Given
    first = await store.create_flag({"name": "dup", "description": "first"}, actor="alice")

    # When / Then
    with pytest.raises(Conflict, match="dup"):
        await store.create_flag({"name": "dup", "description": "second"}, actor="bob")
    assert await store.get_flag("dup") == first
    assert len(await store.list_audit(flag="dup")) == 1


async def test_get_flag__unknown__not_found(store: SqlStore) -> None:
    # Given an empty store / When / Then
    with pytest.raises(NotFound, match="nope"):
        await store.get_flag("nope")


async def test_list_flags__several__sorted_by_name_with_environments_and_apps(store: SqlStore) -> None:
    # Given
    for name in ("zeta", "alpha", "mid"):
        await store.create_flag(
            {"name": name, "apps": [f"app-{name}"], "environments": {"production": {"enabled": True}}}, actor="a"
        )

    # When
    flags = await store.list_flags()

    # Then
    assert [f["name"] for f in flags] == ["alpha", "mid", "zeta"]
    assert [f["apps"] for f in flags] == [["app-alpha"], ["app-mid"], ["app-zeta"]]
    assert all(f["environments"] == {"production": {"enabled": True}} for f in flags)
    assert flags == [await store.get_flag(name) for name in ("alpha", "mid", "zeta")]


async def test_update_flag__mutate__new_version_moved_updated_at_and_audited(store: SqlStore) -> None:
    # Given
    before = await store.create_flag({"name": "f"}, actor="alice")

    # When
    after = await store.update_flag(
        "f",
        lambda doc: {**doc, "enabled": True, "environments": {"production": {"rollout_percentage": 5}}},
        actor="bob",
        action="toggle",
    )

    # Then
    assert after["enabled"] is True
    assert after["environments"] == {"production": {"rollout_percentage": 5}}
    assert after["version"] == 2
    assert after["updated_at"] > before["updated_at"]
    assert after["created_at"] == before["created_at"]
    assert await store.get_flag("f") == after
    event = (await store.list_audit(flag="f"))[0]
    assert (event["actor"], event["action"], event["entity"], event["entity_id"]) == ("bob", "toggle", "flag", "f")
    assert event["before"] == before
    assert event["after"] == after


async def test_update_flag__mutate_gets_a_copy__caller_cannot_change_the_before_image(store: SqlStore) -> None:
    # Given
    await store.create_flag({"name": "f", "tags": ["a"]}, actor="alice")

    def mutate(doc: dict[str, Any]) -> dict[str, Any]:
        doc["tags"].append("b")
        return doc

    # When
    after = await store.update_flag("f", mutate, actor="alice")

    # Then
    event = (await store.list_audit(flag="f"))[0]
    assert event["before"]["tags"] == ["a"]
    assert after["tags"] == ["a", "b"]


async def test_update_flag__every_change__version_and_updated_at_move(store: SqlStore) -> None:
    # Given
    flag = await store.create_flag({"name": "f"}, actor="alice")

    # When: changes in quick succession, some of them changing nothing
    seen = [flag]
    for _ in range(5):
        seen.append(await store.update_flag("f", lambda doc: doc, actor="alice"))

    # Then
    assert [f["version"] for f in seen] == [1, 2, 3, 4, 5, 6]
    stamps = [f["updated_at"] for f in seen]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)


async def test_update_flag__mutate_renames__name_is_kept(store: SqlStore) -> None:
    # Given
    await store.create_flag({"name": "f"}, actor="alice")

    # When
    after = await store.update_flag("f", lambda doc: {**doc, "name": "g", "version": 99}, actor="alice")

    # Then
    assert (after["name"], after["version"]) == ("f", 2)
    assert [f["name"] for f in await store.list_flags()] == ["f"]


async def test_update_flag__expected_version_matches__updated(store: SqlStore) -> None:
    # Given
    await store.create_flag({"name": "f"}, actor="alice")

    # When
    after = await store.update_flag("f", enable, actor="alice", expected_version=1)

    # Then
    assert after["version"] == 2


async def test_update_flag__stale_expected_version__conflict_and_unchanged(store: SqlStore) -> None:
    # Given
    await store.create_flag({"name": "f"}, actor="alice")
    current = await store.update_flag("f", enable, actor="alice")
    called = False

    def mutate(doc: dict[str, Any]) -> dict[str, Any]:
        nonlocal called
        called = True
        return doc

    # When / Then
    with pytest.raises(Conflict, match="version 2"):
        await store.update_flag("f", mutate, actor="bob", expected_version=1)
    assert not called
    assert await store.get_flag("f") == current


@pytest.mark.parametrize("error", [Refused("no"), ValueError("bad"), OSError("odd"), KeyError("k")])
async def test_update_flag__mutate_raises__same_exception_and_nothing_written(
    store: SqlStore, error: Exception
) -> None:
    # Given
    before = await store.create_flag({"name": "f"}, actor="alice")
    marker = await store.change_marker()
    environments = await store.list_environments()

    def mutate(doc: dict[str, Any]) -> dict[str, Any]:
        raise error

    # When
    with pytest.raises(type(error)) as raised:
        await store.update_flag("f", mutate, actor="bob")

    # Then
    assert raised.value is error
    assert await store.get_flag("f") == before
    assert await store.change_marker() == marker
    assert len(await store.list_audit()) == 1
    assert await store.list_environments() == environments


async def test_update_flag__unknown__not_found(store: SqlStore) -> None:
    # Given an empty store / When / Then
    with pytest.raises(NotFound):
        await store.update_flag("nope", enable, actor="alice")


async def test_update_flag__overrides_and_apps_replaced__old_rows_gone(store: SqlStore, count_rows: RowCounter) -> None:
    # Given
    await store.create_flag(
        {"name": "f", "apps": ["web", "ios"], "environments": {"production": {"enabled": True}, "staging": {}}},
        actor="alice",
    )

    # When
    after = await store.update_flag(
        "f", lambda doc: {**doc, "apps": ["api"], "environments": {"staging": {"enabled": False}}}, actor="alice"
    )

    # Then
    assert after["apps"] == ["api"]
    assert after["environments"] == {"staging": {"enabled": False}}
    assert await store.get_flag("f") == after
    assert await count_rows("flag_overrides") == 1
    assert await count_rows("flag_apps") == 1


async def test_concurrent_updates__many_at_once__none_lost(store: SqlStore) -> None:
    # Given
    await store.create_flag({"name": "f"}, actor="alice")

    def add_tag(tag: str) -> Any:
        return lambda doc: {**doc, "tags": [*doc["tags"], tag]}

    # When
    await asyncio.gather(*(store.update_flag("f", add_tag(f"t{i}"), actor="alice") for i in range(12)))

    # Then
    flag = await store.get_flag("f")
    assert flag["version"] == 13
    assert sorted(flag["tags"]) == sorted(f"t{i}" for i in range(12))


async def test_delete_flag__with_overrides_and_apps__cascades_and_audited(
    store: SqlStore, count_rows: RowCounter
) -> None:
    # Given
    await store.create_flag({"name": "keep", "apps": ["web"], "environments": {"staging": {}}}, actor="alice")
    doomed = await store.create_flag(
        {"name": "doomed", "apps": ["web", "ios"], "environments": {"production": {"enabled": True}}}, actor="alice"
    )

    # When
    deleted = await store.delete_flag("doomed", actor="bob")

    # Then
    assert deleted == doomed
    with pytest.raises(NotFound):
        await store.get_flag("doomed")
    assert [f["name"] for f in await store.list_flags()] == ["keep"]
    assert await count_rows("flag_overrides") == 1
    assert await count_rows("flag_apps") == 1
    event = (await store.list_audit(flag="doomed"))[0]
    assert (event["action"], event["actor"], event["before"], event["after"]) == ("delete", "bob", doomed, None)


async def test_delete_flag__then_create_same_name__starts_afresh(store: SqlStore) -> None:
    # Given
    await store.create_flag({"name": "f", "apps": ["web"]}, actor="alice")
    await store.update_flag("f", enable, actor="alice")
    await store.delete_flag("f", actor="alice")

    # When
    again = await store.create_flag({"name": "f"}, actor="alice")

    # Then
    assert (again["version"], again["apps"], again["enabled"]) == (1, [], False)


async def test_delete_flag__unknown__not_found(store: SqlStore) -> None:
    # Given an empty store / When / Then
    with pytest.raises(NotFound):
        await store.delete_flag("nope", actor="alice")


async def test_create_flag__null_fields__defaults(store: SqlStore) -> None:
    # Given / When
    flag = await store.create_flag(
        {"name": "f", "rollout_percentage": None, "enabled": None, "variants": None, "default_variant": None},
        actor="alice",
    )

    # Then
    assert (flag["rollout_percentage"], flag["enabled"], flag["default_variant"]) == (100, False, "off")
    assert [v["name"] for v in flag["variants"]] == ["off", "on"]


async def test_create_flag__variants_without_weight_or_payload__weight_one_and_null_payload(store: SqlStore) -> None:
    # Given / When
    flag = await store.create_flag({"name": "f", "variants": [{"name": "a"}, {"name": "b", "weight": 0}]}, actor="a")

    # Then
    assert flag["variants"] == [
        {"name": "a", "payload": None, "weight": 1},
        {"name": "b", "payload": None, "weight": 0},
    ]
    assert flag["default_variant"] == "a"
