"""`GET /flags/{name}/usage`, `GET /usage` and the per-flag counters of `/metrics` on the whole app
(SQLite and PostgreSQL): their shapes, who may read them, and bad input (docs/usage.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.conftest import ADMIN, ok


async def evaluate(client: httpx.AsyncClient, flag: str, times: int, **context: str) -> None:
    for i in range(times):
        ok(await client.get(f"/flags/{flag}/evaluate", params={"identifier": f"u{i}", **context}))


async def test_flag_usage__counted_not_flushed_yet__shape_and_counts(client: httpx.AsyncClient) -> None:
    # Given a flag evaluated four times in production for the app `web`, not flushed yet
    ok(await client.post("/flags", headers=ADMIN, json={"name": "theme", "enabled": True}))
    await evaluate(client, "theme", 4, environment="production", app="web")
    # When its usage is read
    found = ok(await client.get("/flags/theme/usage", headers=ADMIN))
    # Then every field is there, the counts included
    assert set(found) == {
        "flag", "total", "by_variant", "by_environment", "by_app", "by_source", "last_seen", "period", "series"
    }  # fmt: skip
    assert found["flag"] == "theme" and found["total"] == 4 and found["period"] == "day"
    assert found["by_variant"] == {"on": 4}
    assert found["by_environment"] == {"production": 4} and found["by_app"] == {"web": 4}
    assert found["by_source"] == {"server": 4}
    assert [point["count"] for point in found["series"]] == [4]
    # And filters narrow it
    other = ok(await client.get("/flags/theme/usage", headers=ADMIN, params={"environment": "staging"}))
    assert other["total"] == 0 and other["last_seen"] is None and other["series"] == []


async def test_usage_overview__every_flag__seven_day_total_and_last_seen(client: httpx.AsyncClient) -> None:
    # Given two flags, one evaluated twice
    for name in ("used", "unused"):
        ok(await client.post("/flags", headers=ADMIN, json={"name": name}))
    await evaluate(client, "used", 2)
    # When the overview is read
    flags = ok(await client.get("/usage", headers=ADMIN))["flags"]
    # Then each flag has its total and last seen, the unused one none
    assert flags["used"]["total"] == 2 and flags["used"]["last_seen"] is not None
    assert flags["unused"] == {"total": 0, "last_seen": None, "daily": [0] * 7}
    # And a count per day of the last seven, today's last: the list's sparkline
    assert flags["used"]["daily"] == [0, 0, 0, 0, 0, 0, 2]


async def test_metrics__evaluations__per_flag_variant_environment_counter(client: httpx.AsyncClient) -> None:
    # Given a flag evaluated three times in production
    ok(await client.post("/flags", headers=ADMIN, json={"name": "theme", "enabled": True}))
    await evaluate(client, "theme", 3, environment="production")
    # When Prometheus scrapes
    text = (await client.get("/metrics")).text
    # Then the flag's counter has its labels and count
    assert 'vexil_flag_evaluations_total{flag="theme",variant="on",environment="production"} 3' in text


async def test_flag_usage__bad_requests__plain_errors(client: httpx.AsyncClient) -> None:
    # Given a flag and a client token
    ok(await client.post("/flags", headers=ADMIN, json={"name": "theme"}))
    secret = ok(await client.post("/tokens", headers=ADMIN, json={"name": "web", "role": "client"}))["token"]
    # When usage is asked without a token, with a client token, for an unknown flag, or backwards
    anonymous = await client.get("/flags/theme/usage")
    as_client = await client.get("/usage", headers={"Authorization": secret})
    unknown = await client.get("/flags/ghost/usage", headers=ADMIN)
    backwards = await client.get(
        "/flags/theme/usage", headers=ADMIN, params={"since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"}
    )
    # Then each is refused in plain words
    assert anonymous.status_code == 401 and "error" in anonymous.json()
    assert as_client.status_code == 403
    assert unknown.status_code == 404 and unknown.json() == {"error": "flag 'ghost' not found"}
    assert backwards.status_code == 400 and backwards.json() == {"error": "since: give an instant before until"}


async def test_flag_usage__two_environments_and_variants__each_period_split_by_both(client: httpx.AsyncClient) -> None:
    # Given a flag on in production and off in staging, evaluated three times in production and
    # twice in staging, and once without an environment
    flag = {"name": "theme", "enabled": True, "environments": {"staging": {"enabled": False}}}
    ok(await client.post("/flags", headers=ADMIN, json=flag))
    await evaluate(client, "theme", 3, environment="production")
    await evaluate(client, "theme", 2, environment="staging")
    await evaluate(client, "theme", 1)
    # When its usage is read, by day and by hour
    by_day = ok(await client.get("/flags/theme/usage", headers=ADMIN))
    by_hour = ok(await client.get("/flags/theme/usage", headers=ADMIN, params={"since": since_an_hour_ago()}))
    # Then each period holds its count per environment and per variant ('' for none)
    for found in (by_day, by_hour):
        [point] = found["series"]
        assert point["count"] == 6
        assert point["by_environment"] == {"": 1, "production": 3, "staging": 2}
        assert point["by_variant"] == {"off": 2, "on": 4}
    assert by_hour["period"] == "hour"
    # And a filter narrows the splits too
    staging = ok(await client.get("/flags/theme/usage", headers=ADMIN, params={"environment": "staging"}))
    assert [(p["by_environment"], p["by_variant"]) for p in staging["series"]] == [({"staging": 2}, {"off": 2})]


def since_an_hour_ago() -> str:
    return (datetime.now(UTC) - timedelta(hours=1)).isoformat()
