"""Single sign-on returns to the page the person opened (docs/people.md, "What happens at a sign-in"):
`GET /sso/login?next=/ui/#/flags/x` carries a same-origin admin UI path through the provider to the
callback, inside the signed pending sign-in; anything else is refused (never an open redirect)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.people.oidc import sign_in_at_provider
from tests.people.test_sso_api import CALLBACK, provider, sso_client  # noqa: F401 (fixtures)


async def test_sso_login__next_is_a_ui_page__the_callback_returns_there(sso_client: httpx.AsyncClient) -> None:  # noqa: F811
    # Given a person who opened a flag's page while signed out
    start = await sso_client.get("/sso/login?next=" + quote("/ui/#/flags/checkout?tab=rules", safe=""))
    assert start.status_code == 303, start.text
    cookie = {"cookie": f"vexil_sso={start.cookies['vexil_sso']}"}
    sso_client.cookies.clear()
    # When she signs in at the provider and comes back
    back = await sso_client.get(sign_in_at_provider(start.headers["location"], "alice", CALLBACK), headers=cookie)
    # Then she is sent to that page, signed in
    assert (back.status_code, back.headers["location"]) == (303, "/ui/#/flags/checkout?tab=rules")
    assert "vexil_session" in back.cookies


@pytest.mark.parametrize(
    "next_",
    [
        "https://evil.example/ui/",
        "//evil.example/ui/",
        "/\\evil.example/ui/",
        "/ui/\r\nset-cookie: x=1",
        "javascript:alert(1)",
        "/docs",
        "/ui/" + "a" * 600,
    ],
    ids=["absolute", "scheme-relative", "backslash", "header-injection", "javascript", "not-the-ui", "too-long"],
)
async def test_sso_login__next_not_a_ui_page__400_and_no_sign_in_started(
    sso_client: httpx.AsyncClient,  # noqa: F811
    next_: str,
) -> None:
    # Given single sign-on configured
    # When a link asks to come back somewhere other than a page of this admin UI
    response = await sso_client.get("/sso/login", params={"next": next_})
    # Then it is refused in words, and no sign-in starts
    assert response.status_code == 400
    assert response.json()["error"].startswith("next: ")
    assert "vexil_sso" not in response.cookies
