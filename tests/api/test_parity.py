"""One evaluation surface: the served app (raw ASGI layer first) and the documented FastAPI routes
answer every evaluation and stream request alike, status and body, valid or hostile.

The served app is what `create_app` returns; the documented app is the same app without its raw
layer (`app.app`: the body limit and FastAPI, whose routes for these paths are generated from the
same table). Both share one lifespan, so one snapshot: a difference can only come from the code.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from asgi_lifespan import LifespanManager
from starlette.types import ASGIApp, Message

from tests.conftest import ADMIN, ADMIN_TOKEN
from vexil.api.app import create_app
from vexil.api.endpoints import ENDPOINTS
from vexil.api.fastpath import FastPath
from vexil.config import Settings

CLIENT_TOKEN_NAME = "parity-client"
BIG = b'{"identifier": "' + b"x" * (1024 * 1024) + b'"}'
# The admin token as Unleash SDKs send theirs, bare in `Authorization`.
BARE = {"Authorization": ADMIN_TOKEN}
REGISTER = {"appName": "shop", "instanceId": "i1", "started": "2026-12-04T20:10:00Z", "interval": 60000}

FLAGS = [
    {"name": "rollout", "enabled": True, "rollout_percentage": 50},
    {
        "name": "targeted",
        "enabled": True,
        "rollout_percentage": 0,
        "rules": [{"conditions": [{"field": "plan", "operator": "eq", "value": "pro"}], "serve": "on"}],
        "allowlist": {"vip": "on"},
    },
    {
        "name": "themed",
        "enabled": True,
        "variants": [{"name": "light", "payload": {"bg": "#fff"}}, {"name": "dark", "payload": {"bg": "#000"}}],
        "default_variant": "light",
    },
]


@dataclass
class Answer:
    status: int
    body: bytes

    def comparable(self) -> object:
        """The body as JSON when it is JSON (key order aside), else the bytes of the first event."""
        try:
            return self.status, orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return self.status, self.body


async def call(
    app: ASGIApp,
    method: str,
    path: str,
    *,
    query: bytes = b"",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> Answer:
    """One request straight into an ASGI app; for an event stream, its status and first chunk."""
    sent: list[Message] = []
    first_chunk = asyncio.Event()
    delivered = False
    raw_headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await first_chunk.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            first_chunk.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"vexil"), *raw_headers],
        "client": ("127.0.0.1", 1234),
        "server": ("vexil", 80),
    }
    await asyncio.wait_for(app(scope, receive, send), 10)
    start = next(m for m in sent if m["type"] == "http.response.start")
    bodies = [m.get("body", b"") for m in sent if m["type"] == "http.response.body"]
    return Answer(start["status"], bodies[0] if start["status"] == 200 and bodies and bodies[0] else b"".join(bodies))


def json_body(value: object) -> bytes:
    return orjson.dumps(value)


# (method, path, query, body, headers): valid, malformed, wrong-typed, oversized, unauthenticated.
REQUESTS: list[tuple[str, str, bytes, bytes, dict[str, str]]] = [
    ("GET", "/flags/rollout/evaluate", b"identifier=user-7&environment=production", b"", {}),
    ("GET", "/flags/rollout/evaluate", b"identifier=7", b"", {}),
    ("GET", "/flags/targeted/evaluate", b"identifier=u1&plan=pro", b"", ADMIN),
    ("GET", "/flags/targeted/evaluate", b"identifier=vip", b"", {}),
    ("GET", "/flags/nope/evaluate", b"", b"", {}),
    ("GET", "/flags/themed/evaluate", b"identifier=u2&attributes.plan=pro&identifier=u3", b"", {}),
    ("POST", "/flags/rollout/evaluate", b"", json_body({"identifier": 7}), {}),
    ("POST", "/flags/rollout/evaluate", b"", json_body({"identifier": "7"}), {}),
    ("POST", "/flags/rollout/evaluate", b"", json_body({"identifier": True}), {}),
    ("POST", "/flags/rollout/evaluate", b"", json_body({"identifier": 7.5}), {}),
    ("POST", "/flags/rollout/evaluate", b"", json_body({"identifier": [1]}), {}),
    ("POST", "/flags/targeted/evaluate", b"", json_body({"attributes": "x"}), {}),
    ("POST", "/flags/targeted/evaluate", b"", json_body({"environment": 5}), {}),
    ("POST", "/flags/targeted/evaluate", b"", json_body({"app": {"a": 1}}), {}),
    ("POST", "/flags/targeted/evaluate", b"", json_body({"identifier": "u", "attributes": {"plan": "pro"}}), ADMIN),
    ("POST", "/flags/targeted/evaluate", b"", b"{oops", {}),
    ("POST", "/flags/targeted/evaluate", b"", b"[1, 2]", {}),
    ("POST", "/flags/targeted/evaluate", b"", b"\xff\xfe", {}),
    ("POST", "/flags/targeted/evaluate", b"", BIG, {}),
    ("POST", "/flags/targeted/evaluate", b"", b"", {"Authorization": "Bearer vx_wrong"}),
    ("POST", "/evaluate", b"", json_body({"identifier": "u1", "environment": "production"}), {}),
    ("POST", "/evaluate", b"", json_body({"identifier": 12, "flags": ["rollout", "nope", "themed"]}), {}),
    ("POST", "/evaluate", b"", json_body({"flags": "rollout"}), {}),
    ("POST", "/evaluate", b"", json_body({"flags": [1, 2]}), {}),
    ("POST", "/evaluate", b"", json_body({"identifier": False}), {}),
    ("POST", "/evaluate", b"", BIG, {}),
    ("POST", "/evaluate", b"", b"null", {}),
    ("POST", "/flags/check", b"", json_body({"name": "rollout", "identifier": "u1"}), {}),
    ("POST", "/flags/check", b"", json_body({"name": "nope"}), {}),
    ("POST", "/flags/check", b"", json_body({}), {}),
    ("POST", "/flags/check", b"", json_body({"name": 5}), {}),
    ("POST", "/api/evaluate", b"", json_body({"environment": "production", "user": {"id": 42, "plan": "pro"}}), {}),
    ("POST", "/api/evaluate", b"", json_body({"user": 5}), {}),
    ("POST", "/api/evaluate", b"", json_body({"user": {"id": {"x": 1}}}), {}),
    ("GET", "/stream", b"identifier=u1&environment=production", b"", {}),
    ("GET", "/stream", b"token=vx_wrong", b"", {}),
    ("POST", "/stream", b"", json_body({"identifier": 3, "flags": ["themed"]}), {}),
    ("POST", "/stream", b"", json_body({"flags": "themed"}), {}),
    ("POST", "/stream", b"", b"{", {}),
    ("GET", "/sdk/stream", b"", b"", {}),
    ("GET", "/sdk/stream", b"environment=Not%20A%20Name", b"", ADMIN),
    ("GET", "/sdk/stream", b"environment=production", b"", ADMIN),
    # OFREP (api/ofrep.py)
    ("POST", "/ofrep/v1/evaluate/flags/rollout", b"", json_body({"context": {"targetingKey": "u1"}}), ADMIN),
    ("POST", "/ofrep/v1/evaluate/flags/themed", b"", json_body({"context": {"targetingKey": "u2", "x": 1}}), ADMIN),
    ("POST", "/ofrep/v1/evaluate/flags/targeted", b"", json_body({"context": {"targetingKey": "vip"}}), ADMIN),
    ("POST", "/ofrep/v1/evaluate/flags/nope", b"", json_body({"context": {"targetingKey": "u1"}}), ADMIN),
    ("POST", "/ofrep/v1/evaluate/flags/rollout", b"", json_body({"context": {}}), ADMIN),
    ("POST", "/ofrep/v1/evaluate/flags/rollout", b"", json_body({"context": {"targetingKey": 1.5}}), ADMIN),
    ("POST", "/ofrep/v1/evaluate/flags/rollout", b"", json_body({"context": "u1"}), ADMIN),
    ("POST", "/ofrep/v1/evaluate/flags/rollout", b"", b"{oops", ADMIN),
    ("POST", "/ofrep/v1/evaluate/flags/rollout", b"", b"[1]", ADMIN),
    ("POST", "/ofrep/v1/evaluate/flags/rollout", b"", json_body({"context": {"targetingKey": "u1"}}), {}),
    ("POST", "/ofrep/v1/evaluate/flags/rollout", b"", BIG, ADMIN),
    ("POST", "/ofrep/v1/evaluate/flags", b"", json_body({"context": {"targetingKey": "u1", "plan": "pro"}}), ADMIN),
    ("POST", "/ofrep/v1/evaluate/flags", b"", json_body({"context": {"targetingKey": 7, "app": "web"}}), ADMIN),
    ("POST", "/ofrep/v1/evaluate/flags", b"", json_body({"context": {"app": ["web"]}}), ADMIN),
    ("POST", "/ofrep/v1/evaluate/flags", b"", b"\xff\xfe", ADMIN),
    ("POST", "/ofrep/v1/evaluate/flags", b"", BIG, {}),
    ("POST", "/ofrep/v1/evaluate/flags", b"", b"", {"Authorization": "Bearer vx_wrong"}),
    ("GET", "/api/client/features", b"", b"", {**ADMIN, "Unleash-Client-Spec": "5.2.0"}),
    ("GET", "/api/client/features", b"", b"", {**ADMIN, "Unleash-Client-Spec": "4.1.0"}),
    ("GET", "/api/client/features", b"", b"", {}),
    ("GET", "/flags/rollout/unleash", b"", b"", ADMIN),
    ("GET", "/flags/nope/unleash", b"", b"", ADMIN),
    # Unleash's frontend API and SDK posts (api/unleash_frontend.py, api/unleash_usage.py)
    ("GET", "/api/frontend", b"userId=vip&appName=web&environment=default&properties%5Bplan%5D=pro", b"", BARE),
    ("GET", "/api/frontend", b"userId=u1", b"", {}),
    ("GET", "/api/frontend", b"userId=u1", b"", {**BARE, "If-None-Match": "*"}),
    ("POST", "/api/frontend", b"", json_body({"context": {"userId": 7, "properties": {"plan": "pro"}}}), BARE),
    ("POST", "/api/frontend", b"", json_body({"context": {"properties": "pro"}}), BARE),
    ("POST", "/api/frontend", b"", BIG, ADMIN),
    ("POST", "/api/client/register", b"", json_body(REGISTER), BARE),
    ("POST", "/api/client/register", b"", json_body({"appName": "shop"}), BARE),
    ("POST", "/api/client/metrics", b"", json_body({"appName": "shop", "bucket": {"toggles": {}}}), BARE),
    ("POST", "/api/frontend/client/metrics", b"", json_body({"appName": "web", "bucket": None}), {}),
    ("POST", "/api/frontend/client/register", b"", json_body({"appName": "web"}), BARE),
    # What the browser client read (api/unleash_usage.py)
    ("POST", "/usage/reads", b"", json_body({"appName": "web", "bucket": None}), {}),
    ("POST", "/usage/reads", b"token=vx_wrong", json_body({"appName": "web"}), {}),
    ("POST", "/usage/reads", b"", json_body({"bucket": "x"}), BARE),
]


@pytest.fixture(params=[False, True], ids=["open", "client-token-required"])
async def app(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[FastPath]:
    settings = Settings(data_dir=tmp_path / "data", admin_token=ADMIN_TOKEN, require_client_token=request.param)
    served = create_app(settings)
    async with LifespanManager(served):
        for flag in FLAGS:
            assert (await call(served, "POST", "/flags", body=json_body(flag), headers=ADMIN)).status == 201
        yield served


@pytest.mark.parametrize(("method", "path", "query", "body", "headers"), REQUESTS)
async def test_parity__served_and_documented__same_status_and_body(
    app: FastPath, method: str, path: str, query: bytes, body: bytes, headers: dict[str, str]
) -> None:
    # Given the same request
    # When it reaches the served app and the documented routes
    served = await call(app, method, path, query=query, body=body, headers=headers)
    documented = await call(app.app, method, path, query=query, body=body, headers=headers)
    # Then both answer alike, and never with a server error
    assert served.comparable() == documented.comparable()
    assert served.status < 500


async def test_parity__integer_identifier__same_user_as_its_text(app: FastPath) -> None:
    # Given a 50 % rollout and one user sent as a number, as a string and in a query
    headers = ADMIN
    as_number = await call(app, "POST", "/flags/rollout/evaluate", body=json_body({"identifier": 7}), headers=headers)
    as_text = await call(app, "POST", "/flags/rollout/evaluate", body=json_body({"identifier": "7"}), headers=headers)
    as_query = await call(app, "GET", "/flags/rollout/evaluate", query=b"identifier=7", headers=headers)
    # Then the three are one user with one answer, every time
    answers = {orjson.loads(a.body)["reason"] for a in (as_number, as_text, as_query) for _ in range(3)}
    assert len(answers) == 1


def test_parity__every_endpoint_of_the_table__exercised() -> None:
    covered = {(method, path) for method, path, *_ in REQUESTS}
    for endpoint in ENDPOINTS:
        concrete = endpoint.path.replace("{name}", "rollout")
        assert any(m == endpoint.method and p.startswith(concrete.split("{")[0]) for m, p in covered), endpoint.path
