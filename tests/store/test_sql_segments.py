"""Store contract: segments, and the refusal to delete one that is in use."""

from __future__ import annotations

from typing import Any

import pytest

from vexil.store import Conflict, NotFound, SqlStore


def in_segment(name: str, operator: str = "in_segment") -> dict[str, Any]:
    return {"field": None, "operator": operator, "value": name, "negate": False, "case_insensitive": False}


BETA = {
    "name": "beta",
    "description": "Beta testers",
    "conditions": [{"field": "plan", "operator": "in", "value": ["pro", "team"], "negate": False}],
}


async def test_create_segment__document__reads_back_with_times_and_version(store: SqlStore) -> None:
    # Given / When
    created = await store.create_segment(BETA, actor="alice")

    # Then
    assert created == {
        **BETA,
        "created_at": created["created_at"],
        "updated_at": created["created_at"],
        "version": 1,
    }
    assert await store.get_segment("beta") == created
    assert await store.list_segments() == [created]
    event = (await store.list_audit())[0]
    assert (event["entity"], event["entity_id"], event["action"], event["after"]) == (
        "segment",
        "beta",
        "create",
        created,
    )


async def test_create_segment__name_only__empty_description_and_conditions(store: SqlStore) -> None:
    # Given / When
    created = await store.create_segment({"name": "all"}, actor="alice")

    # Then
    assert (created["description"], created["conditions"]) == ("", [])


async def test_create_segment__duplicate__conflict(store: SqlStore) -> None:
    # Given
    await store.create_segment(BETA, actor="alice")

    # When / Then
    with pytest.raises(Conflict, match="beta"):
        await store.create_segment({"name": "beta"}, actor="alice")


async def test_get_segment__unknown__not_found(store: SqlStore) -> None:
    # Given an empty store / When / Then
    with pytest.raises(NotFound, match="nope"):
        await store.get_segment("nope")


async def test_list_segments__several__sorted_by_name(store: SqlStore) -> None:
    # Given
    for name in ("c", "a", "b"):
        await store.create_segment({"name": name}, actor="alice")

    # When / Then
    assert [s["name"] for s in await store.list_segments()] == ["a", "b", "c"]


async def test_update_segment__mutate__version_bumped_and_audited(store: SqlStore) -> None:
    # Given
    before = await store.create_segment(BETA, actor="alice")

    # When
    after = await store.update_segment("beta", lambda doc: {**doc, "conditions": []}, actor="bob")

    # Then
    assert (after["conditions"], after["version"]) == ([], 2)
    assert after["updated_at"] > before["updated_at"]
    assert await store.get_segment("beta") == after
    event = (await store.list_audit())[0]
    assert (event["action"], event["actor"], event["before"], event["after"]) == ("update", "bob", before, after)


async def test_update_segment__stale_expected_version__conflict(store: SqlStore) -> None:
    # Given
    await store.create_segment(BETA, actor="alice")
    current = await store.update_segment("beta", lambda doc: doc, actor="alice")

    # When / Then
    with pytest.raises(Conflict, match="version"):
        await store.update_segment("beta", lambda doc: {**doc, "conditions": []}, actor="bob", expected_version=1)
    assert await store.get_segment("beta") == current


async def test_update_segment__mutate_raises__nothing_written(store: SqlStore) -> None:
    # Given
    before = await store.create_segment(BETA, actor="alice")
    marker = await store.change_marker()

    def refuse(doc: dict[str, Any]) -> dict[str, Any]:
        raise LookupError("refused")

    # When / Then
    with pytest.raises(LookupError, match="refused"):
        await store.update_segment("beta", refuse, actor="bob")
    assert await store.get_segment("beta") == before
    assert await store.change_marker() == marker


async def test_update_segment__unknown__not_found(store: SqlStore) -> None:
    # Given an empty store / When / Then
    with pytest.raises(NotFound):
        await store.update_segment("nope", lambda doc: doc, actor="alice")


async def test_delete_segment__unused__deleted_and_audited(store: SqlStore) -> None:
    # Given
    created = await store.create_segment(BETA, actor="alice")
    await store.create_flag(
        {"name": "f", "rules": [{"conditions": [in_segment("gamma")], "rollout_percentage": 100, "serve": "on"}]},
        actor="alice",
    )

    # When
    deleted = await store.delete_segment("beta", actor="bob")

    # Then
    assert deleted == created
    assert await store.list_segments() == []
    event = (await store.list_audit())[0]
    assert (event["entity"], event["action"], event["before"], event["after"]) == ("segment", "delete", created, None)


@pytest.mark.parametrize(
    "flag",
    [
        pytest.param(
            {"rules": [{"conditions": [in_segment("beta")], "rollout_percentage": 100, "serve": "on"}]}, id="rule"
        ),
        pytest.param(
            {
                "rules": [
                    {"conditions": [{"field": "plan", "operator": "eq", "value": "beta"}], "serve": None},
                    {"conditions": [in_segment("beta", "not_in_segment")], "serve": "on"},
                ]
            },
            id="second-rule-not-in-segment",
        ),
        pytest.param(
            {"environments": {"production": {"rules": [{"conditions": [in_segment("beta")], "serve": "on"}]}}},
            id="override-rule",
        ),
    ],
)
async def test_delete_segment__referenced_by_a_flag__conflict_naming_the_flag(
    store: SqlStore, flag: dict[str, Any]
) -> None:
    # Given
    await store.create_segment(BETA, actor="alice")
    await store.create_flag({"name": "checkout", **flag}, actor="alice")
    marker = await store.change_marker()

    # When / Then
    with pytest.raises(Conflict, match="checkout"):
        await store.delete_segment("beta", actor="bob")
    assert [s["name"] for s in await store.list_segments()] == ["beta"]
    assert await store.change_marker() == marker


async def test_delete_segment__referenced_by_several__conflict_names_them_all(store: SqlStore) -> None:
    # Given
    await store.create_segment(BETA, actor="alice")
    rule = {"conditions": [in_segment("beta")], "serve": "on"}
    await store.create_flag({"name": "one", "rules": [rule]}, actor="alice")
    await store.create_flag({"name": "two", "environments": {"staging": {"rules": [rule]}}}, actor="alice")
    await store.create_segment({"name": "beta_eu", "conditions": [in_segment("beta")]}, actor="alice")

    # When / Then
    with pytest.raises(Conflict) as raised:
        await store.delete_segment("beta", actor="bob")
    assert all(name in str(raised.value) for name in ("one", "two", "beta_eu"))


async def test_delete_segment__reference_removed__deletable(store: SqlStore) -> None:
    # Given
    await store.create_segment(BETA, actor="alice")
    await store.create_flag({"name": "f", "rules": [{"conditions": [in_segment("beta")], "serve": "on"}]}, actor="a")
    await store.update_flag("f", lambda doc: {**doc, "rules": []}, actor="alice")

    # When
    await store.delete_segment("beta", actor="alice")

    # Then
    assert await store.list_segments() == []


async def test_delete_segment__similar_names_only__not_in_use(store: SqlStore) -> None:
    # Given: conditions naming "beta_2" and "xbeta", and a plain attribute equal to "beta"
    await store.create_segment(BETA, actor="alice")
    rules = [
        {"conditions": [in_segment("beta_2"), in_segment("xbeta")], "serve": "on"},
        {"conditions": [{"field": "segment", "operator": "eq", "value": "beta"}], "serve": "on"},
    ]
    await store.create_flag({"name": "f", "rules": rules}, actor="alice")

    # When
    await store.delete_segment("beta", actor="alice")

    # Then
    assert await store.list_segments() == []


async def test_delete_segment__unknown__not_found(store: SqlStore) -> None:
    # Given an empty store / When / Then
    with pytest.raises(NotFound):
        await store.delete_segment("nope", actor="alice")
