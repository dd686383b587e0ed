"""Single sign-on over HTTP against a real OpenID Connect provider (docs/people.md, Single sign-on):
the npm package `oidc-provider` in its own process (tests/people/oidc.py), its login and consent
pages followed as a browser would, and Vexil's routes in process on each backend."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from asgi_lifespan import LifespanManager

from tests.conftest import ADMIN, free_port, ok
from tests.people.oidc import CLIENT_ID, CLIENT_SECRET, ROLES, Provider, sign_in_at_provider, start_provider
from tests.postgres import empty_database
from vexil.api.app import create_app
from vexil.api.banner import startup_block
from vexil.config import OidcSettings, Settings, parse_role_map
from vexil.core.sso import Sso, SsoRefused

BASE = "http://vexil"
CALLBACK = f"{BASE}/sso/callback"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    yield from start_provider(tmp_path_factory.mktemp("oidc"), [CALLBACK])


def oidc_settings(provider: Provider, **changes: object) -> OidcSettings:
    base = OidcSettings(
        issuer=provider.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scopes="openid email profile groups",
        roles=parse_role_map(ROLES),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    if settings.database_url:
        await empty_database(settings.database_url)
    async with LifespanManager(create_app(settings)) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            yield http


@pytest.fixture
async def sso_client(settings: Settings, provider: Provider) -> AsyncIterator[httpx.AsyncClient]:
    """The app with single sign-on through `provider`, on each backend; the accounts as at the start."""
    provider.reset()
    async for http in app_client(dataclasses.replace(settings, oidc=oidc_settings(provider))):
        yield http


@dataclasses.dataclass(frozen=True)
class Started:
    """A sign-in started in a browser: the provider's URL it was sent to, and its pending cookie."""

    location: str
    cookie: dict[str, str]

    @property
    def state(self) -> str:
        return parse_qs(urlsplit(self.location).query)["state"][0]


async def start_sign_in(client: httpx.AsyncClient) -> Started:
    start = await client.get("/sso/login")
    assert start.status_code == 303, start.text
    pending = start.cookies["vexil_sso"]
    client.cookies.clear()
    return Started(start.headers["location"], {"cookie": f"vexil_sso={pending}"})


async def sso_sign_in(client: httpx.AsyncClient, login: str) -> httpx.Response:
    """Start at /sso/login, sign in at the provider as `login`, and come back to the callback with
    the browser's pending sign-in cookie."""
    started = await start_sign_in(client)
    return await client.get(sign_in_at_provider(started.location, login, CALLBACK), headers=started.cookie)


def session_cookie(response: httpx.Response) -> dict[str, str]:
    return {"cookie": f"vexil_session={response.cookies['vexil_session']}"}


async def test_sso__mapped_group__signs_in_with_the_mapped_role(sso_client: httpx.AsyncClient) -> None:
    # Given alice, in the provider's group vexil-editors, never seen by Vexil
    # When she signs in through the provider
    response = await sso_sign_in(sso_client, "alice")
    # Then she is sent to the admin UI with a session cookie like a password sign-in's
    assert (response.status_code, response.headers["location"]) == (303, "/ui/")
    cookies = response.headers.get_list("set-cookie")
    session = next(cookie for cookie in cookies if cookie.startswith("vexil_session="))
    assert {"HttpOnly", "Path=/", "SameSite=lax"} <= {part.strip() for part in session.split(";")}
    # And the session is hers: an editor, made on this first sign-in
    me = ok(await sso_client.get("/session", headers=session_cookie(response)))
    assert {k: me[k] for k in ("kind", "email", "name", "role")} == {
        "kind": "person",
        "email": "alice@example.com",
        "name": "Alice Martin",
        "role": "editor",
    }
    people = ok(await sso_client.get("/users", headers=ADMIN))["people"]
    assert [(p["email"], p["has_password"]) for p in people] == [("alice@example.com", False)]
    # And a change she makes is audited under her email
    headers = {**session_cookie(response), "x-csrf-token": me["csrf_token"]}
    ok(await sso_client.post("/flags", json={"name": "sso-made"}, headers=headers))
    events = ok(await sso_client.get("/audit", params={"flag": "sso-made"}, headers=ADMIN))["events"]
    assert [(e["actor"], e["action"]) for e in events] == [("alice@example.com", "create")]


async def test_sso__groups_changed_at_the_provider__role_updated_at_next_sign_in(
    sso_client: httpx.AsyncClient, provider: Provider
) -> None:
    # Given vera signed in once as a viewer
    first = await sso_sign_in(sso_client, "vera")
    assert ok(await sso_client.get("/session", headers=session_cookie(first)))["role"] == "viewer"
    # When the provider moves her to vexil-admins and she signs in again
    provider.set_groups("vera", ["vexil-viewers", "vexil-admins"])
    again = await sso_sign_in(sso_client, "vera")
    # Then she is an admin now (the highest mapped role), with a new session
    me = ok(await sso_client.get("/session", headers=session_cookie(again)))
    assert me["role"] == "admin"
    assert again.cookies["vexil_session"] != first.cookies["vexil_session"]
    # And the change of role is audited, by vexil
    events = ok(await sso_client.get("/audit", headers=ADMIN))["events"]
    changes = [
        (e["action"], e["actor"], (e["before"] or {}).get("role"), e["after"]["role"])
        for e in events
        if e["entity"] == "person"
    ]
    assert ("update", "vexil", "viewer", "admin") in changes


async def test_sso__no_mapped_group__403_and_nobody_made(sso_client: httpx.AsyncClient) -> None:
    # Given sam, in no group that maps to a role, and no default role
    # When he signs in through the provider
    response = await sso_sign_in(sso_client, "sam")
    # Then he is refused in plain words, with no session and no person made
    assert response.status_code == 403
    assert response.json() == {
        "error": "sam@example.com has no Vexil role: none of their groups (staff) is mapped to a role "
        "(VEXIL_OIDC_ROLES): ask an admin"
    }
    assert "vexil_session" not in response.cookies
    assert ok(await sso_client.get("/users", headers=ADMIN))["people"] == []


async def test_sso__no_email_claim__403_in_plain_words(sso_client: httpx.AsyncClient) -> None:
    # Given an account the provider has no email for
    # When it signs in
    response = await sso_sign_in(sso_client, "nomail")
    # Then it is refused, saying what is missing
    assert response.status_code == 403
    assert response.json()["error"].startswith("the identity provider gave no email for this account")


async def test_sso__state_tampered__400_and_no_session(sso_client: httpx.AsyncClient) -> None:
    # Given a sign-in that came back from the provider
    started = await start_sign_in(sso_client)
    callback = sign_in_at_provider(started.location, "alice", CALLBACK)
    # When its state is changed on the way back
    query = {key: values[0] for key, values in parse_qs(urlsplit(callback).query).items()}
    query["state"] = query["state"][:-2] + ("AA" if not query["state"].endswith("AA") else "BB")
    response = await sso_client.get(f"{CALLBACK}?{urlencode(query)}", headers=started.cookie)
    # Then it is refused
    assert response.status_code == 400
    assert response.json() == {"error": "this sign-in does not match the one this browser started: start again"}
    assert "vexil_session" not in response.cookies


async def test_sso__pending_cookie_forged__400(sso_client: httpx.AsyncClient) -> None:
    # Given a callback whose pending sign-in cookie was not made by this server
    forged = "eyJzIjoiYWJjIn0.c2lnbmF0dXJl"
    # When it arrives
    response = await sso_client.get(f"{CALLBACK}?code=x&state=abc", headers={"cookie": f"vexil_sso={forged}"})
    # Then it is refused
    assert (response.status_code, response.json()) == (
        400,
        {"error": "this sign-in was not started by this server: start again"},
    )


async def test_sso__callback_replayed__400(sso_client: httpx.AsyncClient) -> None:
    # Given a completed sign-in
    started = await start_sign_in(sso_client)
    callback = sign_in_at_provider(started.location, "alice", CALLBACK)
    assert (await sso_client.get(callback, headers=started.cookie)).status_code == 303
    sso_client.cookies.clear()
    # When the same callback (state, code, nonce and cookie) is sent again
    replay = await sso_client.get(callback, headers=started.cookie)
    # Then it is refused, and opens no session
    assert (replay.status_code, replay.json()) == (400, {"error": "this sign-in was already used: start again"})
    assert "vexil_session" not in replay.cookies


async def test_sso__provider_says_error__401_quoting_it(sso_client: httpx.AsyncClient) -> None:
    # Given a sign-in started in this browser
    started = await start_sign_in(sso_client)
    # When the provider sends it back with an error (the person cancelled)
    query = urlencode(
        {"error": "access_denied", "error_description": "End-User aborted interaction", "state": started.state}
    )
    response = await sso_client.get(f"{CALLBACK}?{query}", headers=started.cookie)
    # Then the answer says so
    assert (response.status_code, response.json()) == (
        401,
        {"error": "the identity provider refused the sign-in: End-User aborted interaction"},
    )


async def test_sso__error_without_this_browsers_state__not_quoted(sso_client: httpx.AsyncClient) -> None:
    # Given a sign-in started in this browser
    started = await start_sign_in(sso_client)
    # When a link made elsewhere brings it to the callback with an error of its own words
    query = urlencode({"error": "access_denied", "error_description": "Call +1 555 0100 to unlock your account"})
    response = await sso_client.get(f"{CALLBACK}?{query}", headers=started.cookie)
    # Then those words are not repeated
    assert (response.status_code, response.json()) == (
        400,
        {"error": "this sign-in does not match the one this browser started: start again"},
    )


async def test_sso__browser_refused__sent_to_the_sign_in_page_with_the_words(sso_client: httpx.AsyncClient) -> None:
    # Given a browser (it asks for HTML) coming back without a pending sign-in
    # When it reaches the callback
    response = await sso_client.get(f"{CALLBACK}?code=x&state=y", headers={"accept": "text/html"})
    # Then it is sent to the sign-in page, which shows the reason
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/ui/"
    assert parse_qs(location.query)["sso_error"][0].startswith("no sign-in was started in this browser")


async def test_sso__five_failed_callbacks_from_one_address__429(sso_client: httpx.AsyncClient) -> None:
    # Given five failed callbacks from one address
    for _ in range(5):
        assert (await sso_client.get(f"{CALLBACK}?code=x&state=y")).status_code == 400
    # When another arrives
    response = await sso_client.get(f"{CALLBACK}?code=x&state=y")
    # Then the sign-in throttle refuses it for a while
    assert response.status_code == 429
    assert response.json()["error"].startswith("too many failed sign-ins for this ")
    assert int(response.headers["retry-after"]) > 0


async def test_sso__existing_password_person__same_person_role_from_the_provider(
    sso_client: httpx.AsyncClient,
) -> None:
    # Given alice added by an admin as a viewer with a password
    body = {"email": "alice@example.com", "name": "Alice", "password": "correct horse battery", "role": "viewer"}
    person = ok(await sso_client.post("/users", json=body, headers=ADMIN))
    # When she signs in through the provider, where she is an editor
    response = await sso_sign_in(sso_client, "alice")
    # Then she is the same person, with the provider's role and name, and keeps her password
    me = ok(await sso_client.get("/session", headers=session_cookie(response)))
    assert (me["id"], me["role"], me["name"]) == (person["id"], "editor", "Alice Martin")
    people = ok(await sso_client.get("/users", headers=ADMIN))["people"]
    assert [p["has_password"] for p in people] == [True]


async def test_sso__unknown_person_and_no_creation__403(settings: Settings, provider: Provider) -> None:
    # Given single sign-on that does not create people
    oidc = oidc_settings(provider, create_people=False)
    async for client in app_client(dataclasses.replace(settings, oidc=oidc)):
        # When someone unknown to Vexil signs in
        response = await sso_sign_in(client, "alice")
        # Then they are refused until an admin adds them
        assert (response.status_code, response.json()) == (
            403,
            {"error": "alice@example.com has no Vexil account: ask an admin to add them"},
        )


async def test_sso__default_role__given_when_no_group_maps(settings: Settings, provider: Provider) -> None:
    # Given single sign-on with the default role viewer
    async for client in app_client(dataclasses.replace(settings, oidc=oidc_settings(provider, default_role="viewer"))):
        # When sam, in no mapped group, signs in
        response = await sso_sign_in(client, "sam")
        # Then he is a viewer
        assert ok(await client.get("/session", headers=session_cookie(response)))["role"] == "viewer"


async def test_sso__not_configured__404_in_plain_words(client: httpx.AsyncClient) -> None:
    # Given a server without single sign-on
    # When the UI asks, and a browser starts or finishes a sign-on
    status = ok(await client.get("/sso"))
    login = await client.get("/sso/login")
    callback = await client.get("/sso/callback?code=x&state=y")
    # Then the UI is told there is none, and both routes answer 404 saying so
    assert status == {"enabled": False, "label": None}
    for response in (login, callback):
        assert response.status_code == 404
        assert response.json()["error"].startswith("single sign-on is not configured on this server")


async def test_sso__configured__the_ui_is_told_its_label(sso_client: httpx.AsyncClient) -> None:
    # Given single sign-on configured
    # When the UI asks
    # Then it is told, with the button's label
    assert ok(await sso_client.get("/sso")) == {"enabled": True, "label": "Sign in with SSO"}


async def test_sso_login__redirect__pkce_s256_state_and_nonce(
    sso_client: httpx.AsyncClient, provider: Provider
) -> None:
    # Given single sign-on configured
    # When a browser starts a sign-in
    response = await sso_client.get("/sso/login")
    # Then it goes to the provider's authorization endpoint with PKCE (S256), state and nonce
    url = urlsplit(response.headers["location"])
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{provider.issuer}/auth"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43 and len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert (query["client_id"], query["redirect_uri"], query["response_type"]) == (CLIENT_ID, CALLBACK, "code")
    # And the pending sign-in is in an HttpOnly cookie for /sso only, that expires in ten minutes
    cookie = {part.strip() for part in response.headers["set-cookie"].split(";")}
    assert {"HttpOnly", "Path=/sso", "SameSite=lax", "Max-Age=600"} <= cookie


async def test_sso_core__id_token_with_another_nonce__refused(provider: Provider) -> None:
    # Given a sign-in through the provider, come back with its code
    sso = Sso(oidc_settings(provider))
    url, sealed = await sso.start(CALLBACK)
    params = {k: v[0] for k, v in parse_qs(urlsplit(sign_in_at_provider(url, "alice", CALLBACK)).query).items()}
    # When it is finished with a pending sign-in whose nonce differs (the ID token is replayed
    # into another sign-in), the state and PKCE verifier being right
    pending = sso.open(sealed)
    other = sso.seal(dataclasses.replace(pending, nonce="another-nonce"))
    # Then the ID token is refused
    with pytest.raises(SsoRefused, match="the ID token is not valid for this sign-in") as refused:
        await sso.finish(other, params)
    assert refused.value.status == 401


async def test_sso_core__pending_sign_in_older_than_ten_minutes__refused(provider: Provider) -> None:
    # Given a sign-in started at a known time
    now = [1_800_000_000.0]
    sso = Sso(oidc_settings(provider), clock=lambda: now[0])
    _, sealed = await sso.start(CALLBACK)
    # When it comes back ten minutes later
    now[0] += 600
    # Then it is refused
    with pytest.raises(SsoRefused, match="this sign-in took longer than 10 minutes: start again"):
        sso.open(sealed)


def test_oidc_settings__from_env__roles_and_defaults(tmp_path: Path) -> None:
    # Given the variables of a Keycloak realm
    env = {
        "VEXIL_OIDC_ISSUER": "https://sso.example.com/realms/acme",
        "VEXIL_OIDC_CLIENT_ID": "vexil",
        "VEXIL_OIDC_CLIENT_SECRET": "s3cret",
        "VEXIL_OIDC_ROLE_CLAIM": "realm_access.roles",
        "VEXIL_OIDC_ROLES": "flag-admins=admin, flag-editors=editor",
    }
    # When they are read
    oidc = Settings.from_env(env, data_dir=tmp_path).oidc
    # Then they are, with the defaults for the rest
    assert oidc is not None
    assert (oidc.role_claim, dict(oidc.roles), oidc.default_role, oidc.create_people, oidc.scopes) == (
        "realm_access.roles",
        {"flag-admins": "admin", "flag-editors": "editor"},
        None,
        True,
        "openid email profile",
    )
    # And a role that is not a person's is refused in plain words
    with pytest.raises(ValueError, match="VEXIL_OIDC_ROLES: staff=owner: use a role of viewer, editor, admin"):
        Settings.from_env({**env, "VEXIL_OIDC_ROLES": "staff=owner"})


async def test_sso__provider_demotes_the_last_admin__409_and_the_role_kept(
    sso_client: httpx.AsyncClient, provider: Provider
) -> None:
    # Given olga, made admin by her first sign-in, the only admin person
    first = await sso_sign_in(sso_client, "olga")
    assert ok(await sso_client.get("/session", headers=session_cookie(first)))["role"] == "admin"
    # When the provider moves her to the viewers and she signs in again
    provider.set_groups("olga", ["vexil-viewers"])
    again = await sso_sign_in(sso_client, "olga")
    # Then she is refused (Vexil would have no admin left), and stays an admin
    assert again.status_code == 409
    assert again.json()["error"].startswith("olga@example.com is the last admin")
    people = ok(await sso_client.get("/users", headers=ADMIN))["people"]
    assert [(p["email"], p["role"]) for p in people] == [("olga@example.com", "admin")]


async def test_sso__disabled_person__403(sso_client: httpx.AsyncClient) -> None:
    # Given alice, made by single sign-on, then disabled by an admin
    first = await sso_sign_in(sso_client, "alice")
    person = ok(await sso_client.get("/session", headers=session_cookie(first)))["id"]
    ok(await sso_client.patch(f"/users/{person}", json={"disabled": True}, headers=ADMIN))
    # When she signs in through the provider again
    response = await sso_sign_in(sso_client, "alice")
    # Then she is refused
    assert (response.status_code, response.json()) == (
        403,
        {"error": "alice@example.com is disabled in Vexil: ask an admin"},
    )


KEYCLOAK = OidcSettings(
    issuer="https://keycloak.example.com/realms/acme",
    client_id="vexil",
    client_secret="s3cret",
    role_claim="realm_access.roles",
    roles={"flag-admins": "admin", "flag-editors": "editor", "flag-viewers": "viewer"},
)


def test_sso_identity__roles_in_a_nested_claim__the_highest_mapped_wins() -> None:
    # Given Keycloak's claims of a person in two mapped realm roles and one unmapped
    claims = {
        "sub": "f3a1",
        "email": "Kim@Example.com",
        "email_verified": True,
        "preferred_username": "kim",
        "realm_access": {"roles": ["flag-viewers", "offline_access", "flag-editors"]},
    }
    # When they are read
    identity = Sso(KEYCLOAK).identity(claims)
    # Then the email is lowercased, the name falls back to the username, and editor wins
    assert (identity.email, identity.name, identity.role) == ("kim@example.com", "kim", "editor")


def test_sso_identity__email_not_verified__403() -> None:
    # Given claims whose email the provider has not verified
    claims = {
        "sub": "1",
        "email": "kim@example.com",
        "email_verified": False,
        "realm_access": {"roles": ["flag-admins"]},
    }
    # When they are read
    # Then they are refused
    with pytest.raises(SsoRefused, match="has not verified this account's email") as refused:
        Sso(KEYCLOAK).identity(claims)
    assert refused.value.status == 403


def test_startup_block__sso_configured__names_the_provider_and_the_callback(tmp_path: Path) -> None:
    # Given a server configured for single sign-on on port 8080
    settings = Settings(data_dir=tmp_path, port=8080, oidc=KEYCLOAK)
    # When it starts
    block = startup_block(settings, 0)
    # Then the block names the provider and the callback URL to register there
    assert block.splitlines()[-1] == (
        "  sign-on      https://keycloak.example.com/realms/acme   (callback: http://127.0.0.1:8080/sso/callback)"
    )


async def test_sso_login__provider_unreachable__502_in_plain_words(settings: Settings, provider: Provider) -> None:
    # Given single sign-on through a provider nobody listens for
    oidc = oidc_settings(provider, issuer=f"http://127.0.0.1:{free_port()}")
    async for client in app_client(dataclasses.replace(settings, oidc=oidc)):
        # When a browser starts a sign-in
        response = await client.get("/sso/login")
        # Then it is told the provider cannot be reached, and nothing more breaks
        assert response.status_code == 502
        assert response.json()["error"].startswith("the identity provider could not be reached for its discovery")
