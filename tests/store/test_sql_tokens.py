"""Store contract: API tokens, kept by the hash of their secret, which never comes back out."""

from __future__ import annotations

import json

import pytest

from vexil.store import Conflict, NotFound, SqlStore

HASH = "sha256:4f0c7f1e1d0b6a3a9e1f5c2d8b7a6e5f4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a"


async def test_create_token__new__returned_without_hash(store: SqlStore) -> None:
    # Given / When
    token = await store.create_token(name="ci", role="server", secret_hash=HASH, prefix="vx_abcd", actor="alice")

    # Then
    assert token == {
        "id": token["id"],
        "name": "ci",
        "role": "server",
        "prefix": "vx_abcd",
        "environment": None,
        "created_at": token["created_at"],
        "revoked_at": None,
        "revoked": False,
    }
    assert await store.list_tokens() == [token]


async def test_tokens__created_listed_revoked__hash_never_in_documents_or_audit(store: SqlStore) -> None:
    # Given
    await store.create_token(name="ci", role="admin", secret_hash=HASH, prefix="vx_abcd", actor="alice")

    # When (the server's configured admin token remains, so this one is not the last way in)
    revoked = await store.revoke_token("ci", actor="alice", configured_admin=True)

    # Then
    seen = json.dumps([revoked, await store.list_tokens(), await store.list_audit(), await store.export_state()])
    assert HASH not in seen
    assert "secret_hash" not in seen
    assert "tokens" not in await store.export_state()


async def test_create_token__duplicate_name__conflict(store: SqlStore) -> None:
    # Given
    await store.create_token(name="ci", role="server", secret_hash=HASH, prefix="vx_a", actor="alice")

    # When / Then
    with pytest.raises(Conflict, match="ci"):
        await store.create_token(name="ci", role="client", secret_hash=HASH + "2", prefix="vx_b", actor="alice")
    assert await store.count_tokens() == 1


async def test_create_token__duplicate_hash__conflict(store: SqlStore) -> None:
    # Given
    await store.create_token(name="one", role="server", secret_hash=HASH, prefix="vx_a", actor="alice")

    # When / Then
    with pytest.raises(Conflict):
        await store.create_token(name="two", role="server", secret_hash=HASH, prefix="vx_a", actor="alice")
    assert [t["name"] for t in await store.list_tokens()] == ["one"]


async def test_active_token_hashes__one_revoked__only_the_active_one(store: SqlStore) -> None:
    # Given
    await store.create_token(name="old", role="admin", secret_hash="h-old", prefix="vx_o", actor="alice")
    await store.create_token(name="new", role="client", secret_hash="h-new", prefix="vx_n", actor="alice")

    # When (the server's configured admin token remains, so this one is not the last way in)
    await store.revoke_token("old", actor="bob", configured_admin=True)

    # Then
    assert await store.active_token_hashes() == [("h-new", "new", "client", None)]
    assert await store.count_tokens() == 2
    listed = {t["name"]: t for t in await store.list_tokens()}
    assert listed["old"]["revoked"] is True
    assert listed["old"]["revoked_at"] is not None
    assert listed["new"]["revoked"] is False


async def test_revoke_token__audited_with_before_and_after(store: SqlStore) -> None:
    # Given
    created = await store.create_token(name="ci", role="server", secret_hash=HASH, prefix="vx_a", actor="alice")

    # When
    revoked = await store.revoke_token("ci", actor="bob")

    # Then
    event = (await store.list_audit())[0]
    assert (event["entity"], event["entity_id"], event["actor"]) == ("token", "ci", "bob")
    assert (event["before"], event["after"]) == (created, revoked)


async def test_revoke_token__already_revoked__conflict(store: SqlStore) -> None:
    # Given
    await store.create_token(name="ci", role="server", secret_hash=HASH, prefix="vx_a", actor="alice")
    await store.revoke_token("ci", actor="alice")

    # When / Then
    with pytest.raises(Conflict, match="revoked"):
        await store.revoke_token("ci", actor="alice")


async def test_revoke_token__unknown__not_found(store: SqlStore) -> None:
    # Given an empty store / When / Then
    with pytest.raises(NotFound, match="nope"):
        await store.revoke_token("nope", actor="alice")


async def test_count_tokens__new_database__zero(store: SqlStore) -> None:
    # Given a new store / When / Then
    assert await store.count_tokens() == 0
    assert await store.active_token_hashes() == []
