"""Environments in the team's order: listed development → staging → production, the others after,
until someone moves one (PATCH /environments/{name} {"order"}); then in the order they set."""

from __future__ import annotations

import httpx

from tests.conftest import ADMIN


async def names(client: httpx.AsyncClient) -> list[str]:
    body = (await client.get("/environments", headers=ADMIN)).json()
    assert [env["order"] for env in body["environments"]] == list(range(len(body["environments"])))
    return [env["name"] for env in body["environments"]]


async def test_environments__never_ordered__usual_path_then_others_by_name(client: httpx.AsyncClient) -> None:
    # Given the default environments and two more, created out of alphabetical order
    for name in ("qa", "canary"):
        assert (await client.post("/environments", json={"name": name}, headers=ADMIN)).status_code == 201
    # When they are listed
    listed = await names(client)
    # Then the usual path of a change comes first, the others after it by name (not alphabetically)
    assert listed == ["development", "staging", "production", "canary", "qa"]


async def test_environments__moved__listed_and_exported_in_the_new_order(client: httpx.AsyncClient) -> None:
    # Given a qa environment, last
    assert (await client.post("/environments", json={"name": "qa"}, headers=ADMIN)).status_code == 201
    # When the team moves qa between development and staging
    moved = await client.patch("/environments/qa", json={"order": 1}, headers=ADMIN)
    # Then the answer, the listing and the export follow the team's order
    assert moved.status_code == 200, moved.text
    expected = ["development", "qa", "staging", "production"]
    assert [env["name"] for env in moved.json()["environments"]] == expected
    assert await names(client) == expected
    exported = (await client.get("/export", headers=ADMIN)).json()
    assert [env["name"] for env in exported["environments"]] == expected
    # And an environment created later goes after the ordered ones
    assert (await client.post("/environments", json={"name": "canary"}, headers=ADMIN)).json()["order"] == 4
    # And a place past the end moves it last
    last = await client.patch("/environments/development", json={"order": 99}, headers=ADMIN)
    assert [env["name"] for env in last.json()["environments"]][-1] == "development"


async def test_environments__moved__audited_with_place_before_and_after(client: httpx.AsyncClient) -> None:
    # Given the defaults; When production is moved first
    assert (await client.patch("/environments/production", json={"order": 0}, headers=ADMIN)).status_code == 200
    # Then the audit log says who moved it, from where to where
    events = (await client.get("/audit", headers=ADMIN)).json()["events"]
    event = next(e for e in events if e["entity"] == "environment" and e["action"] == "update")
    assert (event["before"]["order"], event["after"]["order"]) == (2, 0)


async def test_environments__bad_moves__plain_4xx(client: httpx.AsyncClient) -> None:
    # Given a client token and the admin token
    token = (await client.post("/tokens", json={"name": "c", "role": "client"}, headers=ADMIN)).json()["token"]
    cases = [
        ("/environments/nowhere", {"order": 0}, ADMIN, 404),
        ("/environments/staging", {"order": -1}, ADMIN, 400),
        ("/environments/staging", {"order": "1"}, ADMIN, 400),
        ("/environments/staging", {}, ADMIN, 400),
        ("/environments/staging", {"order": 0}, {"Authorization": f"Bearer {token}"}, 403),
        ("/environments/staging", {"order": 0}, {}, 401),
    ]
    for url, body, headers, status in cases:
        # When the move is asked; Then it is refused in plain words, and nothing moved
        response = await client.patch(url, json=body, headers=headers)
        assert response.status_code == status, (url, body, response.text)
        assert isinstance(response.json()["error"], str)
    assert await names(client) == ["development", "staging", "production"]


async def test_export_then_import__ordered_environments__same_order_back(client: httpx.AsyncClient) -> None:
    # Given a team order (qa second), exported
    assert (await client.post("/environments", json={"name": "qa"}, headers=ADMIN)).status_code == 201
    assert (await client.patch("/environments/qa", json={"order": 1}, headers=ADMIN)).status_code == 200
    exported = (await client.get("/export", headers=ADMIN)).json()
    assert [env.get("order") for env in exported["environments"]] == [0, 1, 2, 3]
    # When qa is moved elsewhere, then the export is imported back
    assert (await client.patch("/environments/qa", json={"order": 3}, headers=ADMIN)).status_code == 200
    imported = await client.post("/import", json=exported, headers=ADMIN)
    # Then the order is the exported one
    assert imported.status_code < 300, imported.text
    assert await names(client) == ["development", "qa", "staging", "production"]


async def test_import__never_ordered_export__usual_order_kept(client: httpx.AsyncClient) -> None:
    # Given an export made before anyone ordered the environments (no `order` in it)
    exported = (await client.get("/export", headers=ADMIN)).json()
    assert all("order" not in env for env in exported["environments"])
    # When it is imported with the environments listed alphabetically
    exported["environments"].sort(key=lambda env: env["name"])
    assert (await client.post("/import", json=exported, headers=ADMIN)).status_code < 300
    # Then the usual order still applies (an old file's listing does not become the team's order)
    assert await names(client) == ["development", "staging", "production"]


async def test_import__order_not_a_whole_number__400_nothing_written(client: httpx.AsyncClient) -> None:
    exported = (await client.get("/export", headers=ADMIN)).json()
    exported["environments"][0]["order"] = "first"
    response = await client.post("/import", json=exported, headers=ADMIN)
    assert response.status_code == 400
    assert response.json() == {"error": "environments[0].order: use a whole number from 0 to 2147483647"}
