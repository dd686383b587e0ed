"""What the people tests share: adding a person as admin, and signing in as one."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from tests.conftest import ADMIN, ok

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Session:
    """A signed-in person: the cookie's secret and the CSRF token, as headers."""

    secret: str
    csrf: str

    @property
    def cookie(self) -> dict[str, str]:
        """The cookie alone (what a cross-site form would send)."""
        return {"cookie": f"vexil_session={self.secret}"}

    @property
    def headers(self) -> dict[str, str]:
        """The cookie and the CSRF header (what the UI sends)."""
        return {**self.cookie, "x-csrf-token": self.csrf}


async def add_person(client: httpx.AsyncClient, email: str, role: str, *, password: str = PASSWORD) -> int:
    body = {"email": email, "name": email.split("@")[0].title(), "password": password, "role": role}
    person: int = ok(await client.post("/users", json=body, headers=ADMIN))["id"]
    return person


async def sign_in(client: httpx.AsyncClient, email: str, *, password: str = PASSWORD) -> Session:
    response = await client.post("/session", json={"email": email, "password": password})
    answer = ok(response)
    secret = response.cookies["vexil_session"]
    client.cookies.clear()  # each test sends its cookies explicitly
    return Session(secret, answer["csrf_token"])


async def person_session(client: httpx.AsyncClient, email: str, role: str) -> Session:
    await add_person(client, email, role)
    return await sign_in(client, email)
