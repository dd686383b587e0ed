"""Code references on the API (docs/code-refs.md): an upload is kept per repository and branch, a
flag's page lists where it is referenced, and bad uploads are refused with a 400. On SQLite and
PostgreSQL (the `client` fixture)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, ok

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def upload(flag: str, *, branch: str = "main", commit: str = COMMIT, line: int = 3) -> dict[str, Any]:
    ref = {"path": "app/checkout.py", "line": line, "text": f'if flags.enabled("{flag}"):'}
    return {"repository": "acme/shop", "branch": branch, "commit": commit, "refs": {flag: [ref]}}


async def test_code_refs__upload_then_read__the_flag_lists_its_lines(client: httpx.AsyncClient) -> None:
    # Given a flag, and a server token (the scanner's)
    ok(await client.post("/flags", json={"name": "checkout"}, headers=ADMIN))
    token = ok(await client.post("/tokens", json={"name": "ci", "role": "server"}, headers=ADMIN))["token"]
    ci = {"Authorization": f"Bearer {token}"}
    # When the scanner uploads what it found on main
    summary = ok(await client.post("/code-refs", json=upload("checkout"), headers=ci))
    # Then the flag lists the repository, branch, commit and line
    found = ok(await client.get("/flags/checkout/code-refs", headers=ADMIN))
    assert found["flag"] == "checkout"
    [entry] = found["code_refs"]
    assert (entry["repository"], entry["branch"], entry["commit"]) == ("acme/shop", "main", COMMIT)
    assert entry["references"] == upload("checkout")["refs"]["checkout"]
    assert entry["uploaded_at"] == summary["uploaded_at"]
    # And the list of repositories shows the branch with one flag found
    listed = ok(await client.get("/code-refs", headers=ci))["code_refs"]
    assert [(s["repository"], s["branch"], s["commit"], s["flags"]) for s in listed] == [
        ("acme/shop", "main", COMMIT, 1)
    ]


async def test_code_refs__second_upload_of_a_branch__replaces_the_first(client: httpx.AsyncClient) -> None:
    # Given two flags, and an upload on main that references the first and one on a feature branch
    for name in ("old", "new"):
        ok(await client.post("/flags", json={"name": name}, headers=ADMIN))
    ok(await client.post("/code-refs", json=upload("old"), headers=ADMIN))
    ok(await client.post("/code-refs", json=upload("old", branch="feature"), headers=ADMIN))
    # When main is scanned again, and the first flag is gone from it
    later = "fedcba9876543210fedcba9876543210fedcba98"
    ok(await client.post("/code-refs", json=upload("new", commit=later, line=9), headers=ADMIN))
    # Then main keeps only the latest scan; the feature branch still references the first flag
    old = ok(await client.get("/flags/old/code-refs", headers=ADMIN))["code_refs"]
    assert [(e["branch"], e["commit"]) for e in old] == [("feature", COMMIT)]
    new = ok(await client.get("/flags/new/code-refs", headers=ADMIN))["code_refs"]
    assert [(e["branch"], e["commit"], e["references"][0]["line"]) for e in new] == [("main", later, 9)]
    listed = ok(await client.get("/code-refs", headers=ADMIN))["code_refs"]
    assert [(s["branch"], s["commit"]) for s in listed] == [("feature", COMMIT), ("main", later)]


async def test_code_refs__flag_never_uploaded__empty_list(client: httpx.AsyncClient) -> None:
    # Given a flag no scan found
    ok(await client.post("/flags", json={"name": "lonely"}, headers=ADMIN))
    # When its references are asked for
    found = ok(await client.get("/flags/lonely/code-refs", headers=ADMIN))
    # Then there are none; and an unknown flag is a 404
    assert found == {"flag": "lonely", "code_refs": []}
    missing = await client.get("/flags/nowhere/code-refs", headers=ADMIN)
    assert missing.status_code == 404
    assert "error" in missing.json()


BAD_UPLOADS = [
    pytest.param({"branch": "main", "commit": COMMIT, "refs": {}}, "repository", id="no-repository"),
    pytest.param({**upload("x"), "commit": "not a commit"}, "commit", id="bad-commit"),
    pytest.param({**upload("x"), "refs": {"x": [{"path": "a.py", "line": 0, "text": ""}]}}, "line", id="line-0"),
    pytest.param({**upload("x"), "refs": {"x": [{"path": "a.py", "line": "3", "text": ""}]}}, "line", id="line-text"),
    pytest.param({**upload("x"), "refs": {"x": "a.py:3"}}, "refs", id="refs-not-lines"),
    pytest.param({**upload("x"), "refs": {"bad name!": []}}, "refs", id="bad-flag-name"),
    pytest.param({**upload("x"), "extra": 1}, "extra", id="unknown-field"),
    pytest.param([1, 2], "body", id="not-an-object"),
    pytest.param(
        {**upload("x"), "refs": {"x": [{"path": "a.py", "line": 1, "text": "x" * 301}]}}, "text", id="long-text"
    ),
    pytest.param({**upload("x"), "branch": ""}, "branch", id="empty-branch"),
]


@pytest.mark.parametrize(("body", "named"), BAD_UPLOADS)
async def test_code_refs__bad_upload__400_naming_the_field(client: httpx.AsyncClient, body: Any, named: str) -> None:
    # Given a malformed upload
    # When it is sent
    response = await client.post("/code-refs", json=body, headers=ADMIN)
    # Then it is refused with a 400 that names what is wrong, and nothing is kept
    assert response.status_code == 400, response.text
    assert named in response.json()["error"]
    assert ok(await client.get("/code-refs", headers=ADMIN)) == {"code_refs": []}


async def test_code_refs__client_token__403_before_the_body(client: httpx.AsyncClient) -> None:
    # Given a client token (a browser's)
    token = ok(await client.post("/tokens", json={"name": "web", "role": "client"}, headers=ADMIN))["token"]
    # When it tries to upload
    response = await client.post("/code-refs", json=upload("x"), headers={"Authorization": f"Bearer {token}"})
    # Then it is refused: only server and admin tokens upload
    assert response.status_code == 403
    assert ok(await client.get("/code-refs", headers=ADMIN)) == {"code_refs": []}


async def test_code_refs__body_past_the_limit__413_and_nothing_kept(client: httpx.AsyncClient) -> None:
    # Given an upload of over a mebibyte (the server-token body limit)
    lines = [{"path": f"src/file_{i}.py", "line": 1, "text": "x" * 250} for i in range(1000)]
    body = {**upload("x"), "refs": {f"flag-{n}": lines for n in range(5)}}
    # When it is sent
    response = await client.post("/code-refs", json=body, headers=ADMIN)
    # Then it is refused before it is read whole, and nothing is kept
    assert response.status_code == 413
    assert "bytes" in response.json()["error"]
    assert ok(await client.get("/code-refs", headers=ADMIN)) == {"code_refs": []}
