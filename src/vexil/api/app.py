"""`create_app(settings)`: the ASGI application, and the one place that wires the layers together.

    FastPath (api/surface.py's endpoints, raw ASGI) -> BodyLimit -> FastAPI (everything else, OpenAPI)

(and, under `vexil serve`, uvicorn's protocol with the header and body timeouts and the connection
limit, `api/protocol.py`). BodyLimit checks the token each route needs before it reads a body.

`open_runtime` builds what the app runs on, in order: the store (opened and migrated), the core's
`FlagService` (first-start token and demo flags, then everything loaded into the in-memory
snapshot), the event streams, and the bus's replicator; it tears them down in reverse. Every
evaluation is then served from memory. docs/architecture.md draws the layers and a request's path.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute
from starlette.staticfiles import StaticFiles

from vexil import __version__
from vexil.api import errors, openapi
from vexil.api.answers import AnswerCache
from vexil.api.banner import startup_block
from vexil.api.bootstrap import bootstrap_admin_token, seed_demo
from vexil.api.deps import needed_role
from vexil.api.endpoints import ENDPOINTS, ROUTER
from vexil.api.fastpath import FastPath
from vexil.api.lifecycle import on_shutdown_signal, tune_gc
from vexil.api.limits import BodyLimit, Guard
from vexil.api.routes import (
    admin,
    change_requests,
    code_refs,
    compat,
    environments,
    flags,
    hot,
    impact,
    meta,
    operators,
    people,
    playground,
    schedules,
    sdk,
    sdks,
    segments,
    sso,
    tokens,
    unleash_import,
    usage,
    webhooks,
)
from vexil.api.runtime import Runtime, RuntimeSlot
from vexil.bus import start_replicator
from vexil.config import Settings
from vexil.core.auth import Role, TokenCache
from vexil.core.deliverer import Deliverer
from vexil.core.people import People
from vexil.core.recent import RecentContexts
from vexil.core.scheduler import Clock, Scheduler
from vexil.core.sdks import SdkRegistry
from vexil.core.service import FlagService
from vexil.core.sessions import SessionPolicy, Sessions
from vexil.core.sso import Sso
from vexil.core.streams import Streams
from vexil.core.usage import Uncounted, Usage, UsageLimits
from vexil.store.sql import SqlStore

log = logging.getLogger("vexil")

DESCRIPTION = """Self-hosted feature flags: server-side evaluation, per-environment overrides, rollouts,
targeting rules, variants with payloads and an audit log. Send tokens as `Authorization: Bearer <token>`
(or `x-api-key`, `x-admin-token`). Writes need an admin token; reading configuration a server token."""
TAGS = (
    "evaluation",
    "flags",
    "change requests",
    "schedules",
    "segments",
    "tokens",
    "people",
    "admin",
    "sdk",
    "webhooks",
    "compatibility",
    "unleash",
    "meta",
)


@asynccontextmanager
async def open_runtime(settings: Settings, clock: Clock | None = None) -> AsyncIterator[Runtime]:
    """Everything a serving app holds, started; stopped in reverse order on exit. `clock`: what the
    service and the executor of scheduled changes take as now (tests move it)."""
    store = await SqlStore.open(settings.resolved_database_url())
    try:
        service = FlagService(store, TokenCache(), bootstrap_secret=settings.admin_token)
        if clock is not None:
            service.clock = clock
        await bootstrap_admin_token(store, settings)
        if settings.demo:
            await seed_demo(store)
        await service.load()
        gc.enable()  # `vexil serve` starts with it off: its imports and loading make no cycles
        replicator = await start_replicator(settings, service)
        streams = Streams(service, heartbeat=settings.stream_heartbeat, memory=settings.stream_memory_bytes)
        streams.start()
        counting = (Usage if settings.usage else Uncounted)(store, limits=usage_limits(settings))
        counting.start()
        streams.usage = counting
        recent = RecentContexts(settings.impact_sample)
        streams.recent = recent
        connected = SdkRegistry(store, lambda: service.snapshot)
        connected.start()
        sessions = Sessions(store, policy=session_policy(settings))
        streams.sessions = sessions
        undo_sessions = sessions.subscribe(streams.sessions_changed)
        scheduler = Scheduler(service, interval=settings.schedule_seconds)
        deliverer = Deliverer(store, timeout=settings.webhook_timeout_seconds)
        deliverer.start()
        undo_signals = on_shutdown_signal(streams.close_all)
        try:
            if settings.freeze_gc:
                tune_gc()
            print(startup_block(settings, len(service.snapshot)), file=sys.stderr, flush=True)
            answers = AnswerCache(settings.answer_cache_bytes)
            runtime = Runtime(
                settings=settings,
                service=service,
                streams=streams,
                replicator=replicator,
                answers=answers,
                sdks=connected,
                usage=counting,
                recent=recent,
                sessions=sessions,
                people=People(store, changed=sessions.forget),
                sso=Sso(settings.oidc) if settings.oidc else None,
                scheduler=scheduler,
                webhooks=deliverer,
            )
            scheduler.start()
            service.impact = impact.change_request_preview(runtime)
            yield runtime
        finally:
            undo_signals()
            undo_sessions()
            await scheduler.stop()
            await streams.stop()
            await deliverer.stop()
            await connected.stop()
            await counting.stop()
            await replicator.close()
    finally:
        await store.close()


def session_policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes), absolute=timedelta(hours=settings.session_max_hours)
    )


def usage_limits(settings: Settings) -> UsageLimits:
    return UsageLimits(
        interval=settings.usage_flush_seconds,
        hourly_retention=timedelta(days=settings.usage_hourly_days),
        daily_retention=timedelta(days=settings.usage_daily_days),
    )


def create_app(settings: Settings, *, clock: Clock | None = None) -> FastPath:
    slot = RuntimeSlot()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(settings, clock) as runtime:
            slot.runtime = app.state.runtime = runtime
            try:
                yield
            finally:
                slot.runtime = None

    api = FastAPI(
        title="Vexil",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[{"name": name} for name in TAGS],
        docs_url=None,  # api/openapi.py serves /docs from Vexil's own copy of Swagger UI
        redoc_url=None,
    )
    errors.install(api)
    routers = (
        *(meta.router, hot.router(slot), compat.router, flags.router, segments.router, tokens.router, people.router),
        *(admin.router, sdk.router, sdks.router, operators.router),
        unleash_import.router,
        code_refs.router,
        usage.router,
        change_requests.router,
        impact.router,
        playground.router,
        schedules.router,
        sso.router,
        environments.router,
        webhooks.router,
    )
    for router in routers:
        api.include_router(router)
    openapi.mount_docs(api)
    # The browser client (/web/client.js): the npm package @vexil/client's files; after every router.
    api.mount("/web", StaticFiles(packages=[("vexil", "web/client")], html=True), name="web")
    # The admin UI (src/vexil/web/ui): static HTML, CSS and ES modules, no build step.
    api.mount("/ui", StaticFiles(packages=[("vexil", "web/ui")], html=True), name="ui")
    api.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["ETag"],
    )
    routes = [route for router in routers for route in router.routes]
    api.openapi = lambda: _openapi(api, routes)  # type: ignore[method-assign]
    return FastPath(BodyLimit(api, slot, _guards(routes, settings)), slot)


def _guards(routes: list[BaseRoute], settings: Settings) -> list[Guard]:
    """The role and body limit of every FastAPI route that takes a body and does not read it itself
    (the surface's endpoints and seed 002's PUT authenticate first, then read within their limit)."""
    guards = []
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        methods = (route.methods or set()) - {"GET", "HEAD", "OPTIONS"}
        if not methods or all(
            ROUTER.match(method, route.path) is not None or compat.reads_itself(method, route.path)
            for method in methods
        ):
            continue
        role = needed_role(route)
        if route.path in {admin.IMPORT_PATH, unleash_import.IMPORT_UNLEASH_PATH}:
            guards.append(Guard(route, role, settings.max_import_bytes, parses_itself=True))
            continue
        limit = settings.max_client_body_bytes if role in {None, Role.CLIENT} else settings.max_body_bytes
        guards.append(Guard(route, role, limit))
    return guards


def _openapi(api: FastAPI, routes: list[BaseRoute]) -> dict[str, Any]:
    """FastAPI's document, plus the request bodies that the raw-layer endpoints read themselves, and
    each route's security and true errors (`api/openapi.py`)."""
    if api.openapi_schema is None:
        schema = get_openapi(
            title=api.title, version=api.version, description=api.description, routes=api.routes, tags=api.openapi_tags
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (*hot.BODY_MODELS, *compat.BODY_MODELS):
            document = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(document.pop("$defs", {}))
            components[model.__name__] = document
        raw = {(endpoint.method, endpoint.path) for endpoint in ENDPOINTS}
        openapi.document_routes(schema, [route for route in routes if isinstance(route, APIRoute)], raw)
        sso.document(schema)
        api.openapi_schema = schema
    return api.openapi_schema
