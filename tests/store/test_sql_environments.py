"""Store contract: environments (seeded defaults, explicit creation, registration by overrides)."""

from __future__ import annotations

from typing import Any

import pytest

from vexil.store import DEFAULT_ENVIRONMENTS, Conflict, SqlStore


def names(environments: list[dict[str, Any]]) -> list[str]:
    return [env["name"] for env in environments]


async def test_open__new_database__default_environments_only(store: SqlStore) -> None:
    # Given a freshly opened store / When
    environments = await store.list_environments()

    # Then
    assert names(environments) == list(DEFAULT_ENVIRONMENTS) == ["development", "staging", "production"]
    assert await store.list_flags() == []
    assert await store.list_audit() == []


async def test_open__environments_exist__not_seeded_again(store: SqlStore, store_url: str) -> None:
    # Given
    await store.create_environment("qa", actor="alice")
    before = await store.list_environments()
    await store.close()

    # When
    reopened = await SqlStore.open(store_url)
    try:
        after = await reopened.list_environments()
    finally:
        await reopened.close()

    # Then
    assert after == before


async def test_create_environment__new__listed_and_audited(store: SqlStore) -> None:
    # Given / When
    created = await store.create_environment("qa", actor="alice")

    # Then
    assert (created["name"], created["order"]) == ("qa", 3)
    assert created in await store.list_environments()
    event = (await store.list_audit())[0]
    assert (event["entity"], event["entity_id"], event["action"], event["after"]) == (
        "environment",
        "qa",
        "create",
        {"name": "qa", "created_at": created["created_at"]},
    )


async def test_create_environment__duplicate__conflict(store: SqlStore) -> None:
    # Given a seeded store / When / Then
    with pytest.raises(Conflict, match="production"):
        await store.create_environment("production", actor="alice")
    assert len(await store.list_environments()) == 3


async def test_create_flag__override_for_unknown_environment__environment_registered(store: SqlStore) -> None:
    # Given / When
    await store.create_flag({"name": "f", "environments": {"eu-west": {"enabled": True}}}, actor="alice")

    # Then
    assert "eu-west" in names(await store.list_environments())
    entities = [(e["entity"], e["entity_id"]) for e in await store.list_audit()]
    assert entities == [("flag", "f"), ("environment", "eu-west")]


async def test_update_flag__override_for_unknown_environment__registered_in_the_same_write(store: SqlStore) -> None:
    # Given
    await store.create_flag({"name": "f"}, actor="alice")

    # When
    await store.update_flag(
        "f", lambda doc: {**doc, "environments": {"canary": {"rollout_percentage": 1}}}, actor="bob", action="override"
    )

    # Then
    assert names(await store.list_environments()) == ["development", "staging", "production", "canary"]
    assert (await store.get_flag("f"))["environments"] == {"canary": {"rollout_percentage": 1}}


async def test_update_flag__override_then_refused__environment_not_registered(store: SqlStore) -> None:
    # Given
    await store.create_flag({"name": "f"}, actor="alice")

    def refuse(doc: dict[str, Any]) -> dict[str, Any]:
        doc["environments"]["canary"] = {"enabled": True}
        raise ValueError("no")

    # When
    with pytest.raises(ValueError, match="no"):
        await store.update_flag("f", refuse, actor="bob")

    # Then
    assert "canary" not in names(await store.list_environments())
