"""People, sign-in, sessions and CSRF over HTTP (docs/people.md)."""

from __future__ import annotations

import httpx

from tests.conftest import ADMIN, ok
from tests.people.helpers import PASSWORD, add_person, person_session, sign_in

WRONG = {"error": "email or password is wrong"}


async def test_sign_in__right_password__sets_a_locked_down_cookie_and_answers_the_person(
    client: httpx.AsyncClient,
) -> None:
    # Given an editor
    await add_person(client, "Alice@Example.com", "editor")
    # When she signs in (her email in another case)
    response = await client.post("/session", json={"email": "alice@example.COM", "password": PASSWORD})
    # Then the answer names her, with a CSRF token
    answer = ok(response)
    assert {k: answer[k] for k in ("kind", "email", "name", "role")} == {
        "kind": "person",
        "email": "alice@example.com",
        "name": "Alice",
        "role": "editor",
    }
    assert len(answer["csrf_token"]) == 64
    # And the cookie is HttpOnly, SameSite=Lax, for the whole site, and not Secure over plain http
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("vexil_session=")
    assert {"HttpOnly", "Path=/", "SameSite=lax"} <= {part.strip() for part in cookie.split(";")}
    assert "secure" not in cookie.lower()


async def test_sign_in__wrong_password_or_unknown_email__401_with_the_same_words(client: httpx.AsyncClient) -> None:
    # Given a person
    await add_person(client, "bob@example.com", "viewer")
    # When someone signs in with a wrong password, and with an unknown email
    wrong = await client.post("/session", json={"email": "bob@example.com", "password": "not his password"})
    unknown = await client.post("/session", json={"email": "nobody@example.com", "password": PASSWORD})
    # Then both are 401 with the same message, and no cookie
    assert (wrong.status_code, wrong.json()) == (401, WRONG)
    assert (unknown.status_code, unknown.json()) == (401, WRONG)
    assert "set-cookie" not in wrong.headers and "set-cookie" not in unknown.headers


async def test_sign_in__disabled_person__401(client: httpx.AsyncClient) -> None:
    # Given a disabled person
    person = await add_person(client, "carol@example.com", "editor")
    ok(await client.patch(f"/users/{person}", json={"disabled": True}, headers=ADMIN))
    # When she signs in with her password
    response = await client.post("/session", json={"email": "carol@example.com", "password": PASSWORD})
    # Then she is refused as if the password were wrong
    assert (response.status_code, response.json()) == (401, WRONG)


async def test_sign_in__five_failures_for_one_email__429_even_with_the_right_password(
    client: httpx.AsyncClient,
) -> None:
    # Given five failed sign-ins for one email
    await add_person(client, "dave@example.com", "viewer")
    for _ in range(5):
        response = await client.post("/session", json={"email": "dave@example.com", "password": "guess guess"})
        assert response.status_code == 401
    # When the right password comes next
    response = await client.post("/session", json={"email": "dave@example.com", "password": PASSWORD})
    # Then it is refused for a while, saying how long
    assert response.status_code == 429
    assert response.json()["error"].startswith("too many failed sign-ins for this email: try again in ")
    assert int(response.headers["retry-after"]) > 0


async def test_whoami__person_and_token__say_which_kind(client: httpx.AsyncClient) -> None:
    # Given a signed-in viewer
    session = await person_session(client, "erin@example.com", "viewer")
    # When she, and the admin token, ask who they are
    person = ok(await client.get("/whoami", headers=session.cookie))
    token = ok(await client.get("/whoami", headers=ADMIN))
    # Then each is named with its kind
    assert person == {
        "kind": "person",
        "id": person["id"],
        "email": "erin@example.com",
        "name": "Erin",
        "role": "viewer",
        "csrf_token": session.csrf,
    }
    assert token == {"kind": "token", "name": "admin", "role": "admin", "environment": None}


async def test_csrf__cookie_write_without_or_with_a_wrong_header__403_and_nothing_changes(
    client: httpx.AsyncClient,
) -> None:
    # Given a signed-in editor
    session = await person_session(client, "frank@example.com", "editor")
    # When she creates a flag with her cookie but no CSRF header, then a wrong one
    missing = await client.post("/flags", json={"name": "csrf-a"}, headers=session.cookie)
    wrong = await client.post("/flags", json={"name": "csrf-a"}, headers={**session.cookie, "x-csrf-token": "0" * 64})
    # Then both are refused, naming the header, and no flag was made
    for response in (missing, wrong):
        assert response.status_code == 403
        assert "X-CSRF-Token" in response.json()["error"]
    assert (await client.get("/flags/csrf-a", headers=ADMIN)).status_code == 404
    # And with the right header it is made, her email as the audit actor
    ok(await client.post("/flags", json={"name": "csrf-a"}, headers=session.headers))
    events = ok(await client.get("/audit?flag=csrf-a", headers=ADMIN))["events"]
    assert [(event["actor"], event["actor_kind"]) for event in events] == [("frank@example.com", "person")]


async def test_csrf__token_authenticated_write__needs_no_header(client: httpx.AsyncClient) -> None:
    # Given an editor token
    secret = ok(await client.post("/tokens", json={"name": "ci", "role": "editor"}, headers=ADMIN))["token"]
    # When it writes without any CSRF header
    response = await client.post("/flags", json={"name": "by-ci"}, headers={"Authorization": f"Bearer {secret}"})
    # Then the write is done
    assert response.status_code == 201


async def test_session_fixation__a_cookie_sent_before_sign_in__is_never_promoted(client: httpx.AsyncClient) -> None:
    # Given a cookie an attacker planted before sign-in
    await add_person(client, "grace@example.com", "admin")
    planted = "planted-by-someone-else-0123456789"
    # When the person signs in with it in her browser
    response = await client.post(
        "/session",
        json={"email": "grace@example.com", "password": PASSWORD},
        headers={"cookie": f"vexil_session={planted}"},
    )
    client.cookies.clear()
    # Then she gets a new session id, and the planted one opens nothing
    assert response.cookies["vexil_session"] != planted
    assert (await client.get("/whoami", headers={"cookie": f"vexil_session={planted}"})).status_code == 401
    assert ok(await client.get("/whoami", headers={"cookie": f"vexil_session={response.cookies['vexil_session']}"}))


async def test_sign_out__the_old_session_id__is_refused_afterwards(client: httpx.AsyncClient) -> None:
    # Given a signed-in person, signed in twice (two browsers)
    await add_person(client, "heidi@example.com", "editor")
    first = await sign_in(client, "heidi@example.com")
    second = await sign_in(client, "heidi@example.com")
    assert first.secret != second.secret
    # When the first signs out (without the CSRF header: refused; with it: done)
    assert (await client.delete("/session", headers=first.cookie)).status_code == 403
    response = await client.delete("/session", headers=first.headers)
    assert response.status_code == 204
    assert 'vexil_session=""' in response.headers["set-cookie"]
    # Then the first session id is refused, and the other browser stays signed in
    refused = await client.get("/flags", headers=first.cookie)
    assert refused.status_code == 401
    assert "sign in again" in refused.json()["error"]
    assert (await client.get("/flags", headers=second.cookie)).status_code == 200


async def test_viewer_session__reads_but_cannot_write__403_naming_the_role(client: httpx.AsyncClient) -> None:
    # Given a signed-in viewer
    session = await person_session(client, "ivan@example.com", "viewer")
    # When she reads the flags and tries to create one
    listing = await client.get("/flags", headers=session.cookie)
    write = await client.post("/flags", json={"name": "by-viewer"}, headers=session.headers)
    # Then she reads, and the write is refused in words
    assert listing.status_code == 200
    assert (write.status_code, write.json()) == (
        403,
        {"error": "this needs the editor role; ivan@example.com is a viewer"},
    )


async def test_sign_in__over_https__the_cookie_is_secure(client: httpx.AsyncClient) -> None:
    # Given a person, and a request that came over https
    await add_person(client, "tls@example.com", "viewer")
    # When she signs in
    response = await client.post("https://vexil/session", json={"email": "tls@example.com", "password": PASSWORD})
    # Then the cookie is only ever sent back over https
    assert response.status_code == 200
    assert "Secure" in {part.strip() for part in response.headers["set-cookie"].split(";")}


async def test_sign_in__from_a_page_of_another_site__403(client: httpx.AsyncClient) -> None:
    # Given a person
    await add_person(client, "origin@example.com", "viewer")
    # When a page of another site posts her credentials (login CSRF)
    response = await client.post(
        "/session",
        json={"email": "origin@example.com", "password": PASSWORD},
        headers={"origin": "https://evil.example"},
    )
    # Then it is refused, and no cookie is set
    assert response.status_code == 403
    assert "another site" in response.json()["error"]
    assert "set-cookie" not in response.headers
    # And from Vexil's own page it works
    same = await client.post(
        "/session", json={"email": "origin@example.com", "password": PASSWORD}, headers={"origin": "http://vexil"}
    )
    assert same.status_code == 200
