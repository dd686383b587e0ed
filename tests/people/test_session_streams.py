"""A stream opened with a person's session ends when the session does (docs/people.md, Sessions):
signed out, the person removed, disabled or given another role, or the session expired. The stream
is sent an `error` event saying why, then ends; the admin UI reconnects, or shows the sign-in page."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.api.sse import CLOSED, SseStream
from tests.conftest import ADMIN, ADMIN_TOKEN, LiveServer, ok
from tests.people.helpers import PASSWORD

pytestmark = pytest.mark.slow


def signed_in(server: LiveServer, email: str, role: str) -> tuple[int, dict[str, str]]:
    """A person of `role`, signed in: their id, and the cookie and CSRF headers the UI sends."""
    with httpx.Client(base_url=server.url, timeout=10) as http:
        body = {"email": email, "name": "Pat", "password": PASSWORD, "role": role}
        person = ok(http.post("/users", json=body, headers=ADMIN))["id"]
        response = http.post("/session", json={"email": email, "password": PASSWORD})
        answer = ok(response)
    return person, {
        "cookie": f"vexil_session={response.cookies['vexil_session']}",
        "x-csrf-token": answer["csrf_token"],
    }


@pytest.mark.parametrize(
    ("ending", "says"),
    [
        ("sign-out", "the session has ended"),
        ("removed", "the session has ended"),
        ("disabled", "the session has ended"),
        ("demoted", "role changed"),
    ],
)
def test_session_stream__session_ends__stream_told_why_and_closed(
    live_server: Callable[..., LiveServer], ending: str, says: str
) -> None:
    # Given an editor signed in, whose admin UI follows the change stream
    server = live_server(env={"VEXIL_ADMIN_TOKEN": ADMIN_TOKEN})
    person, headers = signed_in(server, "pat@example.com", "editor")
    with SseStream(f"{server.url}/sdk/stream", headers={"cookie": headers["cookie"]}) as stream:
        assert stream.next_data().event == "config"
        # When the session ends: signed out, or the person removed, disabled or demoted by an admin
        with httpx.Client(base_url=server.url, timeout=10) as http:
            if ending == "sign-out":
                assert http.delete("/session", headers=headers).status_code == 204
            elif ending == "removed":
                ok(http.delete(f"/users/{person}", headers=ADMIN))
            else:
                change = {"disabled": True} if ending == "disabled" else {"role": "viewer"}
                ok(http.patch(f"/users/{person}", json=change, headers=ADMIN))
        # Then the stream is told why within a few seconds, and ends
        event = stream.next_data(timeout=5)
        assert event.event == "error" and says in event.data["error"], event
        assert stream.next_data(timeout=5) is CLOSED


def test_session_stream__token_stream__unaffected_by_people(live_server: Callable[..., LiveServer]) -> None:
    # Given a stream opened with the admin token, and a person who signs in and out
    server = live_server(env={"VEXIL_ADMIN_TOKEN": ADMIN_TOKEN})
    with SseStream(f"{server.url}/sdk/stream", headers=ADMIN) as stream:
        assert stream.next_data().event == "config"
        _, headers = signed_in(server, "pat@example.com", "editor")
        with httpx.Client(base_url=server.url, timeout=10) as http:
            assert http.delete("/session", headers=headers).status_code == 204
        # Then the token's stream goes on
        assert stream.nothing_within(1.5)
