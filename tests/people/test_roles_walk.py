"""Every write route, with every role (docs/spec.md §4): a token of each of the five roles, a session
of each of the three person roles, and nobody. The routes come from the app's own OpenAPI document
(FastAPI's routes and the raw layer's endpoints alike), so that a new write route fails this test
until it is given its role here: none can be forgotten.

For each route and caller: a caller with the route's role or above is answered 2xx; anyone else
401 (nobody) or 403 (too low a role), and then the whole state (export, tokens, people, the newest
audit event, code references, SDKs) is what it was.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, ok
from tests.people.helpers import PASSWORD, person_session
from vexil.core.auth import Role, rank

Body = Any
# What a route needs (None: anyone), by method and path as the OpenAPI document names them.
NEEDS: dict[tuple[str, str], Role | None] = {
    ("POST", "/flags"): Role.EDITOR,
    ("PATCH", "/flags/{name}"): Role.EDITOR,
    ("DELETE", "/flags/{name}"): Role.EDITOR,
    ("POST", "/flags/{name}/toggle"): Role.EDITOR,
    ("POST", "/flags/{name}/archive"): Role.EDITOR,
    ("POST", "/flags/{name}/restore"): Role.EDITOR,
    ("POST", "/flags/{name}/environments"): Role.EDITOR,
    ("DELETE", "/flags/{name}/environments/{environment}"): Role.EDITOR,
    ("POST", "/flags/{name}/apps"): Role.EDITOR,
    ("DELETE", "/flags/{name}/apps/{app}"): Role.EDITOR,
    ("POST", "/flags/create"): Role.EDITOR,
    ("POST", "/flags/toggle"): Role.EDITOR,
    ("POST", "/flags/set"): Role.EDITOR,
    ("POST", "/flags/delete"): Role.EDITOR,
    ("PUT", "/api/admin/flags/{id}"): Role.EDITOR,
    ("POST", "/segments"): Role.EDITOR,
    ("PATCH", "/segments/{name}"): Role.EDITOR,
    ("DELETE", "/segments/{name}"): Role.EDITOR,
    ("POST", "/import/unleash"): Role.EDITOR,
    ("POST", "/audit/{event_id}/revert"): Role.EDITOR,
    ("POST", "/change-requests"): Role.EDITOR,
    ("POST", "/change-requests/{id}/comments"): Role.EDITOR,
    ("POST", "/change-requests/{id}/open"): Role.EDITOR,
    ("POST", "/change-requests/{id}/approve"): Role.EDITOR,
    ("POST", "/change-requests/{id}/reject"): Role.EDITOR,
    ("POST", "/change-requests/{id}/rebase"): Role.EDITOR,
    ("POST", "/change-requests/{id}/apply"): Role.EDITOR,
    ("POST", "/schedules"): Role.EDITOR,
    ("DELETE", "/schedules/{id}"): Role.EDITOR,
    ("POST", "/release-plans"): Role.EDITOR,
    ("POST", "/release-plans/{id}/pause"): Role.EDITOR,
    ("POST", "/release-plans/{id}/resume"): Role.EDITOR,
    ("DELETE", "/release-plans/{id}"): Role.EDITOR,
    # Previews: they change nothing, but only those who may write see them (docs/impact.md).
    ("POST", "/flags/{name}/impact"): Role.EDITOR,
    ("POST", "/segments/{name}/impact"): Role.EDITOR,
    # The playground: it changes nothing, and every reader of the configuration may ask it.
    ("POST", "/flags/{name}/explain"): Role.SERVER,
    ("POST", "/tokens"): Role.ADMIN,
    ("DELETE", "/tokens/{name}"): Role.ADMIN,
    ("POST", "/users"): Role.ADMIN,
    ("PATCH", "/users/{id}"): Role.ADMIN,
    ("DELETE", "/users/{id}"): Role.ADMIN,
    ("POST", "/environments"): Role.ADMIN,
    ("PATCH", "/environments/{name}"): Role.ADMIN,
    ("DELETE", "/environments/{name}"): Role.ADMIN,
    ("POST", "/environments/promote"): Role.EDITOR,
    ("POST", "/import"): Role.ADMIN,
    ("POST", "/import/restore"): Role.ADMIN,
    ("POST", "/webhooks"): Role.ADMIN,
    ("DELETE", "/webhooks/{id}"): Role.ADMIN,
    ("POST", "/webhooks/{id}/test"): Role.ADMIN,
    # Reports, not changes of configuration: what SDKs and scanners send.
    ("POST", "/code-refs"): Role.SERVER,
    ("POST", "/api/client/register"): Role.SERVER,
    ("POST", "/api/client/metrics"): Role.SERVER,
    ("POST", "/api/frontend/client/register"): Role.CLIENT,
    ("POST", "/api/frontend/client/metrics"): Role.CLIENT,
    ("POST", "/usage/reads"): None,  # open like /stream (docs/usage.md)
    ("POST", "/session"): None,
    ("DELETE", "/session"): None,  # walked last: people sign out
}
# Evaluations sent by POST: they change nothing (docs/spec.md §2), and are not walked.
READS_BY_POST = {
    ("POST", "/flags/{name}/evaluate"),
    ("POST", "/evaluate"),
    ("POST", "/flags/check"),
    ("POST", "/api/evaluate"),
    ("POST", "/stream"),
    ("POST", "/ofrep/v1/evaluate/flags/{key}"),
    ("POST", "/ofrep/v1/evaluate/flags"),
    ("POST", "/api/frontend"),
}
METRICS = {
    "appName": "walk",
    "instanceId": "walk-1",
    "bucket": {"start": "2026-12-04T20:10:00Z", "stop": "2026-12-04T20:11:00Z", "toggles": {}},
}
REGISTER = {"appName": "walk", "strategies": ["default"], "started": "2026-12-04T20:10:00.000Z", "interval": 60000}
UNLEASH_EXPORT = {"features": [{"name": "unleash-{n}"}], "featureEnvironments": [], "featureStrategies": []}


@dataclass(frozen=True)
class Caller:
    label: str
    role: Role | None  # None: nobody
    headers: dict[str, str]


class Walk:
    """Makes, as the admin token, what each route acts on (a fresh one per call: `n`)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.counter = itertools.count()
        self.maker: dict[str, str] | None = None

    async def request(self, n: int, *, draft: bool = False, approved: bool = False) -> str:
        """A change request's path, made by an editor token other than the admin token, so that the
        admin token may approve it (nobody approves their own)."""
        if self.maker is None:
            secret = await self.admin("POST", "/tokens", {"name": "request-maker", "role": "editor"})
            self.maker = {"Authorization": f"Bearer {secret['token']}"}
        change = {"kind": "patch", "flag": await self.flag(n), "fields": {"description": "requested"}}
        made = ok(
            await self.client.post(
                "/change-requests", json={"title": f"walk {n}", "changes": [change], "draft": draft}, headers=self.maker
            )
        )
        if approved:
            await self.admin("POST", f"/change-requests/{made['id']}/approve")
        return f"/change-requests/{made['id']}"

    async def admin(self, method: str, url: str, body: Body = None) -> Any:
        return ok(await self.client.request(method, url, json=body, headers=ADMIN))

    async def flag(self, n: int, **fields: Any) -> str:
        name = f"walk-{n}"
        await self.admin("POST", "/flags", {"name": name, **fields})
        return name

    async def target(self, method: str, path: str) -> tuple[str, Body]:  # noqa: C901 (one case a route)
        n = next(self.counter)
        match method, path:
            case "POST", "/flags":
                return path, {"name": f"walk-{n}"}
            case "PATCH", "/flags/{name}":
                return f"/flags/{await self.flag(n)}", {"description": "walked"}
            case "DELETE", "/flags/{name}":
                return f"/flags/{await self.flag(n)}", None
            case "POST", "/flags/{name}/toggle" | "/flags/{name}/archive":
                return path.replace("{name}", await self.flag(n)), None
            case "POST", "/flags/{name}/restore":
                name = await self.flag(n)
                await self.admin("POST", f"/flags/{name}/archive")
                return f"/flags/{name}/restore", None
            case "POST", "/flags/{name}/environments":
                return f"/flags/{await self.flag(n)}/environments", {"environment": "production", "enabled": True}
            case "DELETE", "/flags/{name}/environments/{environment}":
                name = await self.flag(n, environments={"production": {"enabled": True}})
                return f"/flags/{name}/environments/production", None
            case "POST", "/flags/{name}/apps":
                return f"/flags/{await self.flag(n)}/apps", {"app_name": "shop"}
            case "DELETE", "/flags/{name}/apps/{app}":
                return f"/flags/{await self.flag(n, apps=['shop'])}/apps/shop", None
            case "POST", "/flags/create":
                return path, {"name": f"walk-{n}"}
            case "POST", "/flags/toggle" | "/flags/delete":
                return path, {"name": await self.flag(n)}
            case "POST", "/flags/set":
                return path, {"name": await self.flag(n), "enabled": True}
            case "PUT", "/api/admin/flags/{id}":
                return f"/api/admin/flags/{await self.flag(n)}", {"enabled": True}
            case "POST", "/segments":
                return path, {"name": f"seg-{n}"}
            case "PATCH" | "DELETE", "/segments/{name}":
                await self.admin("POST", "/segments", {"name": f"seg-{n}"})
                return f"/segments/seg-{n}", {"description": "walked"} if method == "PATCH" else None
            case "POST", "/audit/{event_id}/revert":
                name = await self.flag(n)
                await self.admin("PATCH", f"/flags/{name}", {"description": "to revert"})
                event = (await self.admin("GET", f"/audit?flag={name}&limit=1"))["events"][0]
                return f"/audit/{event['id']}/revert", None
            case "POST", "/change-requests":
                change = {"kind": "patch", "flag": await self.flag(n), "fields": {"description": "requested"}}
                return path, {"title": f"walk {n}", "changes": [change]}
            case "POST", "/change-requests/{id}/comments":
                return f"{await self.request(n)}/comments", {"text": "looks right"}
            case "POST", "/change-requests/{id}/open":
                return f"{await self.request(n, draft=True)}/open", None
            case (
                "POST",
                "/change-requests/{id}/approve" | "/change-requests/{id}/reject" | "/change-requests/{id}/rebase",
            ):
                return f"{await self.request(n)}/{path.rsplit('/', 1)[1]}", None
            case "POST", "/change-requests/{id}/apply":
                return f"{await self.request(n, approved=True)}/apply", None
            case "POST", "/schedules":
                return path, {"at": "2999-01-01T00:00:00Z", "changes": [{"kind": "toggle", "flag": await self.flag(n)}]}
            case "DELETE", "/schedules/{id}":
                change = {"kind": "toggle", "flag": await self.flag(n)}
                made = await self.admin("POST", "/schedules", {"at": "2999-01-01T00:00:00Z", "changes": [change]})
                return f"/schedules/{made['id']}", None
            case (
                "POST" | "DELETE",
                "/release-plans" | "/release-plans/{id}/pause" | "/release-plans/{id}/resume" | "/release-plans/{id}",
            ):
                plan = {"flag": await self.flag(n), "steps": [{"after_hours": 1, "rollout_percentage": 10}]}
                if path == "/release-plans":
                    return path, plan
                made = await self.admin("POST", "/release-plans", plan)
                if path.endswith("/resume"):
                    await self.admin("POST", f"/release-plans/{made['id']}/pause")
                return path.replace("{id}", str(made["id"])), None
            case "POST", "/flags/{name}/impact":
                return f"/flags/{await self.flag(n)}/impact", {"description": "previewed"}
            case "POST", "/flags/{name}/explain":
                return f"/flags/{await self.flag(n)}/explain", {"identifier": "u"}
            case "POST", "/segments/{name}/impact":
                await self.admin("POST", "/segments", {"name": f"seg-{n}"})
                return f"/segments/seg-{n}/impact", {"description": "previewed"}
            case "POST", "/usage/reads":
                return path, METRICS
            case "POST", "/import/unleash":
                return path, {**UNLEASH_EXPORT, "features": [{"name": f"unleash-{n}"}]}
            case "POST", "/tokens":
                return path, {"name": f"tok-{n}", "role": "client"}
            case "DELETE", "/tokens/{name}":
                await self.admin("POST", "/tokens", {"name": f"tok-{n}", "role": "client"})
                return f"/tokens/tok-{n}", None
            case "POST", "/users":
                return path, {"email": f"new{n}@example.com", "name": "New", "role": "viewer"}
            case "PATCH" | "DELETE", "/users/{id}":
                person = await self.admin(
                    "POST", "/users", {"email": f"p{n}@example.com", "name": "P", "role": "viewer"}
                )
                return f"/users/{person['id']}", {"role": "editor"} if method == "PATCH" else None
            case "POST", "/environments":
                return path, {"name": f"env-{n}"}
            case "PATCH", "/environments/{name}":
                return "/environments/staging", {"order": n % 3}
            case "DELETE", "/environments/{name}":
                await self.admin("POST", "/environments", {"name": f"gone-{n}"})
                return f"/environments/gone-{n}?confirm=gone-{n}", None
            case "POST", "/environments/promote":
                await self.flag(n, environments={"staging": {"enabled": True}})
                return path, {"from": "staging", "to": "development", "flags": [f"walk-{n}"]}
            case "POST", "/import":
                state = await self.admin("GET", "/export")
                return path, {key: state[key] for key in ("version", "environments", "flags", "segments")}
            case "POST", "/import/restore":
                await self.admin("POST", *await self.target("POST", "/import"))
                return path, None
            case "POST", "/webhooks":
                return path, {"url": f"http://127.0.0.1:9/hook-{n}", "secret": "walk-secret"}
            case "DELETE" | "POST", "/webhooks/{id}" | "/webhooks/{id}/test":
                made = await self.admin(
                    "POST", "/webhooks", {"url": f"http://127.0.0.1:9/{n}", "secret": "walk-secret"}
                )
                return path.replace("{id}", str(made["id"])), None
            case "POST", "/code-refs":
                return path, {"repository": "acme/shop", "branch": f"b{n}", "commit": "abcdef1", "refs": {}}
            case "POST", "/api/client/register":
                return path, {**REGISTER, "instanceId": f"walk-{n}"}
            case "POST", "/api/frontend/client/register":
                return path, {"appName": "walk", "instanceId": f"walk-{n}"}
            case "POST", "/api/client/metrics" | "/api/frontend/client/metrics":
                return path, METRICS
            case "POST", "/session":
                return path, {"email": "walker@example.com", "password": PASSWORD}
            case "DELETE", "/session":
                return path, None
        raise AssertionError(f"no target for {method} {path}: add one")

    async def state(self) -> list[Any]:
        """Everything a write could change."""
        export = await self.admin("GET", "/export")
        return [
            export | {"exported_at": None},
            await self.admin("GET", "/tokens"),
            await self.admin("GET", "/users"),
            (await self.admin("GET", "/audit?limit=1"))["events"],
            await self.admin("GET", "/code-refs"),
            await self.admin("GET", "/sdks?usage=true"),
            await self.admin("GET", "/change-requests"),
            await self.admin("GET", "/webhooks"),
        ]


async def callers(client: httpx.AsyncClient) -> list[Caller]:
    found = [Caller("nobody", None, {})]
    for role in Role:
        secret = ok(
            await client.post("/tokens", json={"name": f"{role.value}-token", "role": role.value}, headers=ADMIN)
        )
        found.append(Caller(f"{role.value} token", role, {"Authorization": f"Bearer {secret['token']}"}))
    for role in (Role.VIEWER, Role.EDITOR, Role.ADMIN):
        session = await person_session(client, f"{role.value}@example.com", role.value)
        found.append(Caller(f"{role.value} person", role, session.headers))
    await person_session(client, "walker@example.com", "viewer")
    return found


async def write_operations(client: httpx.AsyncClient) -> dict[tuple[str, str], bool]:
    """Each write route, and whether it takes a person's session (the raw layer's SDK endpoints
    read tokens only: a person's cookie is no credential there)."""
    schema = ok(await client.get("/openapi.json"))
    return {
        (method.upper(), path): {"session": []} in operation.get("security", [])
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method.upper() not in {"GET", "HEAD", "OPTIONS"}
    }


def allowed(caller: Caller, needed: Role | None, *, sessions: bool) -> bool:
    if needed is None:
        return True
    if caller.role is None or (caller.label.endswith("person") and not sessions):
        return False
    return rank(caller.role) >= rank(needed)


def refused(caller: Caller, *, sessions: bool) -> int:
    """401 for no credential the route reads, else 403."""
    return 401 if caller.role is None or (caller.label.endswith("person") and not sessions) else 403


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_every_write_route__every_role__only_the_role_or_above_writes(client: httpx.AsyncClient) -> None:
    # Given every write route of the app, each with its role here
    routes = await write_operations(client)
    assert set(routes) - READS_BY_POST == set(NEEDS), "a write route without a role in this test (or one gone)"
    # And a token of each role, a signed-in person of each role, and nobody
    everyone = await callers(client)
    walk = Walk(client)
    seen: list[tuple[str, str, str, int]] = []
    for method, path in sorted(NEEDS, key=lambda route: route == ("DELETE", "/session")):
        needed, sessions = NEEDS[method, path], routes[method, path]
        for caller in everyone:
            url, body = await walk.target(method, path)
            may = allowed(caller, needed, sessions=sessions)
            before = None if may else await walk.state()
            # When the caller sends the write
            response = await client.request(method, url, json=body, headers=caller.headers)
            client.cookies.clear()  # a sign-in's cookie is not kept for the next caller
            seen.append((method, path, caller.label, response.status_code))
            if may:
                # Then a caller with the role is answered 2xx
                assert response.status_code < 300, (method, path, caller.label, response.text)
            else:
                # Else 401 or 403, and nothing changed
                expected = refused(caller, sessions=sessions)
                assert response.status_code == expected, (method, path, caller.label, response.text)
                assert await walk.state() == before, (method, path, caller.label)
    assert len(seen) == len(NEEDS) * 9
