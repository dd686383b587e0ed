"""Managing people over HTTP, and the rules that keep someone able to manage Vexil (docs/people.md)."""

from __future__ import annotations

from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from tests.conftest import ADMIN, ok
from tests.people.helpers import PASSWORD, add_person, person_session, sign_in
from vexil.api.app import create_app
from vexil.config import Settings


async def test_users__create_list_patch__never_show_a_password(client: httpx.AsyncClient) -> None:
    # Given an admin adds a person
    person = ok(
        await client.post(
            "/users",
            json={"email": "Judy@Example.com", "name": "Judy", "password": PASSWORD, "role": "viewer"},
            headers=ADMIN,
        )
    )
    # When she is listed, then promoted and renamed
    listed = ok(await client.get("/users", headers=ADMIN))["people"]
    changed = ok(await client.patch(f"/users/{person['id']}", json={"role": "editor", "name": "J."}, headers=ADMIN))
    # Then the email is kept lowercased, the role and name changed, and no answer holds a hash
    assert [p["email"] for p in listed] == ["judy@example.com"]
    assert (changed["role"], changed["name"], changed["has_password"]) == ("editor", "J.", True)
    audit = (await client.get("/audit", headers=ADMIN)).text
    assert "argon2" not in audit and PASSWORD not in audit
    assert "argon2" not in str(listed)


async def test_users__same_email_in_another_case__409(client: httpx.AsyncClient) -> None:
    await add_person(client, "kim@example.com", "viewer")
    response = await client.post(
        "/users",
        json={"email": "KIM@example.com", "name": "Kim", "password": PASSWORD, "role": "viewer"},
        headers=ADMIN,
    )
    assert (response.status_code, response.json()) == (
        409,
        {"error": "a person with the email 'kim@example.com' already exists"},
    )


async def test_users__bad_input__400_in_plain_words(client: httpx.AsyncClient) -> None:
    short = await client.post(
        "/users", json={"email": "leo@example.com", "name": "Leo", "password": "short", "role": "viewer"}, headers=ADMIN
    )
    email = await client.post(
        "/users", json={"email": "leo", "name": "Leo", "password": PASSWORD, "role": "viewer"}, headers=ADMIN
    )
    role = await client.post(
        "/users",
        json={"email": "leo@example.com", "name": "Leo", "password": PASSWORD, "role": "server"},
        headers=ADMIN,
    )
    assert short.status_code == email.status_code == role.status_code == 400
    assert email.json() == {"error": "email: 'leo' is not an email address (such as alice@example.com)"}


async def test_users__editor_session__cannot_manage_people(client: httpx.AsyncClient) -> None:
    session = await person_session(client, "mia@example.com", "editor")
    listing = await client.get("/users", headers=session.cookie)
    create = await client.post(
        "/users", json={"email": "x@example.com", "name": "X", "role": "admin"}, headers=session.headers
    )
    assert listing.status_code == create.status_code == 403
    assert [p["email"] for p in ok(await client.get("/users", headers=ADMIN))["people"]] == ["mia@example.com"]


async def test_last_admin__cannot_be_deleted_disabled_or_demoted__409(client: httpx.AsyncClient) -> None:
    # Given one admin person (and an editor)
    admin = await add_person(client, "nina@example.com", "admin")
    await add_person(client, "omar@example.com", "editor")
    # When anyone tries to remove, disable or demote her
    answers = [
        await client.delete(f"/users/{admin}", headers=ADMIN),
        await client.patch(f"/users/{admin}", json={"disabled": True}, headers=ADMIN),
        await client.patch(f"/users/{admin}", json={"role": "editor"}, headers=ADMIN),
    ]
    # Then each is refused in words, and she is still the admin
    for response in answers:
        assert response.status_code == 409
        assert response.json()["error"] == (
            "nina@example.com is the last admin: make another person admin first, "
            "so that someone can still manage Vexil"
        )
    people = {p["email"]: p for p in ok(await client.get("/users", headers=ADMIN))["people"]}
    assert (people["nina@example.com"]["role"], people["nina@example.com"]["disabled"]) == ("admin", False)
    # And once another person is admin, she can step down
    ok(await client.patch(f"/users/{people['omar@example.com']['id']}", json={"role": "admin"}, headers=ADMIN))
    ok(await client.patch(f"/users/{admin}", json={"role": "viewer"}, headers=ADMIN))


async def test_disable__ends_the_persons_sessions(client: httpx.AsyncClient) -> None:
    person = await add_person(client, "pat@example.com", "editor")
    session = await sign_in(client, "pat@example.com")
    ok(await client.patch(f"/users/{person}", json={"disabled": True}, headers=ADMIN))
    assert (await client.get("/flags", headers=session.cookie)).status_code == 401


async def test_role_change__applies_to_an_open_session(client: httpx.AsyncClient) -> None:
    person = await add_person(client, "quinn@example.com", "editor")
    session = await sign_in(client, "quinn@example.com")
    ok(await client.patch(f"/users/{person}", json={"role": "viewer"}, headers=ADMIN))
    response = await client.post("/flags", json={"name": "late-write"}, headers=session.headers)
    assert response.status_code == 403


async def test_last_admin_token__not_revoked_while_no_person_is_admin(tmp_path: Path) -> None:
    # Given a new installation without a configured admin token: its first-start token is the only admin
    settings = Settings(data_dir=tmp_path / "data")
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vexil") as client:
            secret = settings.admin_token_file.read_text().strip()
            admin = {"Authorization": f"Bearer {secret}"}
            # When it is revoked with no admin person
            refused = await client.delete("/tokens/admin", headers=admin)
            # Then it is refused, saying what to do
            assert refused.status_code == 409
            assert refused.json()["error"].startswith("token 'admin' is the last admin token and no person is an admin")
            # And once a person is admin, it can be revoked
            body = {"email": "root@example.com", "name": "Root", "password": PASSWORD, "role": "admin"}
            ok(await client.post("/users", json=body, headers=admin))
            assert ok(await client.delete("/tokens/admin", headers=admin))["revoked"] is True
