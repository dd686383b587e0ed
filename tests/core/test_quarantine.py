"""A database that already holds a value no surface can encode: the document is quarantined, named in
/health, and everything else is served (never a 500), across restarts, until it is fixed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from tests.conftest import ADMIN, ADMIN_TOKEN, ok, serve
from vexil.api.app import create_app
from vexil.config import Settings
from vexil.core.service import flag_from_input
from vexil.store import SqlStore
from vexil.store.tables import AuditRow, FlagRow, SegmentRow

BAD_PAYLOAD = 18446744073709551616  # 2^64: stored by SQLite, refused by every JSON encoder here


async def seed_bad_database(settings: Settings) -> None:
    """Flags `good` and `bad` and a segment, then values no check would let in, written by hand."""
    store = await SqlStore.open(settings.resolved_database_url())
    try:
        for name in ("good", "bad"):
            await store.create_flag(flag_from_input({"name": name, "enabled": True}), actor="test")
        await store.create_segment({"name": "odd", "description": "", "conditions": []}, actor="test")
        async with store.engine.begin() as connection:
            bad_variants = [
                {"name": "off", "payload": None, "weight": 0},
                {"name": "on", "payload": BAD_PAYLOAD, "weight": 1},
            ]
            await connection.execute(update(FlagRow).where(FlagRow.name == "bad").values(variants=bad_variants))
            odd = [{"field": "country", "operator": "eq", "value": "lone \udfff surrogate"}]
            await connection.execute(update(SegmentRow).values(conditions=odd))
            await connection.execute(update(AuditRow).values(after={"payload": float("nan")}))
    finally:
        await store.close()


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """An app started on a database holding a flag, a segment and audit entries no encoder can take."""
    settings = Settings(data_dir=tmp_path / "data", admin_token=ADMIN_TOKEN)
    await seed_bad_database(settings)
    async with serve(create_app(settings)) as http:
        yield http


async def test_start__stored_unencodable_values__quarantined_and_everything_else_served(
    client: httpx.AsyncClient,
) -> None:
    # Given the server started on that database (the fixture)
    # When it is asked how it is
    health = ok(await client.get("/health"))
    # Then /health names what it left out
    assert health["status"] == "degraded"
    assert health["quarantined"] == ["flag bad", "segment odd"]
    # And every other answer is served
    assert ok(await client.post("/evaluate", json={"identifier": "u1"}))["flags"].keys() == {"good"}
    assert ok(await client.get("/flags/bad/evaluate?identifier=u1"))["reason"] == "flag_not_found"
    listed = {f["name"]: f for f in ok(await client.get("/flags", headers=ADMIN))["flags"]}
    assert listed["bad"]["variants"][1]["payload"].startswith("(unreadable: ")
    for path in ("/export", "/audit", "/segments", "/sdk/config", "/flags/bad", "/segments/odd"):
        assert (await client.get(path, headers=ADMIN)).status_code == 200, path
    # When an admin fixes the flag
    fixed = {"variants": [{"name": "off", "weight": 0}, {"name": "on", "payload": 1}], "default_variant": "off"}
    ok(await client.patch("/flags/bad", json=fixed, headers=ADMIN))
    # Then it is served again and no longer named
    assert ok(await client.get("/flags/bad/evaluate?identifier=u1"))["payload"] == 1
    assert ok(await client.get("/health"))["quarantined"] == ["segment odd"]


async def test_write__rest_of_document_unencodable__400_until_fixed(client: httpx.AsyncClient) -> None:
    # A change that leaves the bad value in place is refused, naming it
    response = await client.patch("/flags/bad", json={"description": "x"}, headers=ADMIN)
    assert response.status_code == 400
    assert response.json()["error"].startswith("variants[1].payload: use a whole number")
    # Deleting it is allowed, and clears the quarantine
    assert (await client.delete("/flags/bad", headers=ADMIN)).status_code == 204
    assert ok(await client.get("/health"))["quarantined"] == ["segment odd"]
