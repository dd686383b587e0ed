"""Finding 5: JSON strictness at the edge, so that every surface can encode what is stored.

Python's json module took NaN and Infinity, lone surrogates and integers of any size; PostgreSQL
cannot store a NUL character, which SQLite can. Now every route's body is read by one strict reader
(api/limits.py): such bodies, and bodies nested deeper than 32 levels, are refused with a 400 in
plain words, on SQLite and PostgreSQL alike, and what is accepted reads back the same on both.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from tests.conftest import ADMIN, ADMIN_ENV, BACKENDS, LiveServer

NOT_A_NUMBER = "the body is not valid JSON: NaN and Infinity are not JSON numbers (send a number or null)"
SURROGATE = "the body is not valid JSON: a string holds a lone surrogate such as \\udfff (send valid Unicode text)"
NUL = "the body holds a NUL character (\\u0000) in a string or key, which cannot be stored: remove it"
DEEP = "the body is nested more than 32 levels deep"
BIG = "the body holds an integer outside the 64-bit range (-9223372036854775808 to 9223372036854775807)"

# (JSON text of a value, the refusal): each is sent as a variant's payload, an attribute, and in an import.
REFUSED = [
    ("NaN", NOT_A_NUMBER),
    ("Infinity", NOT_A_NUMBER),
    ("-Infinity", NOT_A_NUMBER),
    ("1e400", NOT_A_NUMBER),
    ('"\\udfff"', SURROGATE),
    ('"a\\ud800b"', SURROGATE),
    ('"nul \\u0000 inside"', NUL),
    ('{"key\\u0000": 1}', NUL),
    ("[" * 40 + "]" * 40, DEEP),
    (str(2**63), BIG),
    (str(-(2**63) - 1), BIG),
    (str(10**30), BIG),
]
# Values at the edge of the rules, accepted and read back unchanged on every backend.
ACCEPTED = [
    str(2**63 - 1),
    str(-(2**63)),
    '"\\\\u0000 is only text here"',
    '"\\ud83d\\ude00"',
    "[" * 26 + "1" + "]" * 26,
    "1e300",
]


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest, live_server: Callable[..., LiveServer]) -> LiveServer:
    """A real server on SQLite, or on a PostgreSQL database of this module's own."""
    if request.param == "postgres":
        return live_server("--database-url", request.getfixturevalue("postgres_database"), env=ADMIN_ENV)
    return live_server(env=ADMIN_ENV)


def _flag(name: str, payload: str) -> str:
    return f'{{"name": "{name}", "variants": [{{"name": "on", "payload": {payload}}}, {{"name": "off"}}]}}'


def test_bodies__nan_surrogates_nul_deep_or_huge_integers__400_on_every_route(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for value, message in REFUSED:
            # When the value is sent to a FastAPI route, the raw layer, the import and a seed route
            bodies = [
                ("POST", "/flags", _flag("refused", value), ADMIN),
                ("POST", "/evaluate", f'{{"identifier": "u", "attributes": {{"x": {value}}}}}', {}),
                ("POST", "/flags/check", f'{{"name": "x", "x": {value}}}', {}),
                ("POST", "/import", f'{{"flags": [{_flag("refused", value)}], "segments": []}}', ADMIN),
                ("PUT", "/api/admin/flags/refused", f'{{"description": {value}}}', ADMIN),
            ]
            for method, path, body, headers in bodies:
                response = http.request(method, path, content=body.encode(), headers=headers)
                # Then it is refused, in words, before anything is stored
                assert (response.status_code, response.json()) == (400, {"error": message}), (path, value)
        assert http.get("/flags", headers=ADMIN).json() == {"flags": []}


def test_bodies__at_the_edge_of_the_rules__stored_and_read_back_unchanged(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, headers=ADMIN, timeout=10) as http:
        for index, value in enumerate(ACCEPTED):
            # When a flag serves the value as its payload
            body = f'{{"name": "kept-{index}", "enabled": true, "variants": [{{"name": "on", "payload": {value}}}]}}'
            created = http.post("/flags", content=body.encode())
            assert created.status_code == 201, (value, created.text)
            # Then it reads back as sent, from the store and from an evaluation
            expected = json.loads(value)
            assert http.get(f"/flags/kept-{index}").json()["variants"][0]["payload"] == expected, value
            answer = http.get(f"/flags/kept-{index}/evaluate", params={"identifier": "u"}).json()
            assert (answer["variant"], answer["payload"]) == ("on", expected), value
