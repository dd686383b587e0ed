"""`create_app(settings)`: the ASGI application.

    FastPath (evaluation endpoints, raw ASGI) -> BodyLimit -> FastAPI (everything else, OpenAPI)

The store is opened in the lifespan, the snapshot loaded once, and every evaluation is then
served from memory.
"""

from __future__ import annotations

import gc
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.staticfiles import StaticFiles

from vexil import __version__
from vexil.api import errors
from vexil.api.auth import TokenCache
from vexil.api.bootstrap import bootstrap_admin_token, seed_demo
from vexil.api.fastpath import FastPath
from vexil.api.limits import BodyLimit
from vexil.api.livepath import LivePath
from vexil.api.routes import admin, compat, evaluate, flags, live, meta, segments, tokens
from vexil.api.service import FlagService
from vexil.bus import start_replicator
from vexil.config import Settings
from vexil.store.sql import SqlStore

log = logging.getLogger("vexil")

DESCRIPTION = """Self-hosted feature flags: server-side evaluation, per-environment overrides, rollouts,
targeting rules, variants with payloads and an audit log. Send tokens as `Authorization: Bearer <token>`
(or `x-api-key`, `x-admin-token`). Writes need an admin token; reading configuration a server token."""


def create_app(settings: Settings) -> FastPath:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = await SqlStore.open(settings.resolved_database_url())
        try:
            service = FlagService(store, TokenCache(), bootstrap_secret=settings.admin_token)
            await bootstrap_admin_token(store, settings)
            if settings.demo:
                await seed_demo(store)
            await service.load()
            gc.enable()  # `vexil serve` starts with it off: its imports and loading make no cycles
            app.state.service = service
            app.state.replicator = await start_replicator(settings, service)
            log.info("vexil %s ready: %d flags", __version__, len(service.snapshot))
            try:
                yield
            finally:
                await app.state.replicator.close()
        finally:
            await store.close()

    api = FastAPI(
        title="Vexil",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": name} for name in ("evaluation", "flags", "segments", "tokens", "admin", "compatibility", "meta")
        ],
    )
    api.state.settings = settings
    api.state.counters = Counter[str]()
    errors.install(api)
    for module in (meta, evaluate, live, compat, flags, segments, tokens, admin):
        api.include_router(module.router)
    # The browser client (/web/client.js) and other static files; registered after every router.
    api.mount("/web", StaticFiles(packages=[("vexil", "web")], html=True), name="web")
    # The admin UI (src/vexil/web/ui): static HTML, CSS and ES modules, no build step.
    api.mount("/ui", StaticFiles(packages=[("vexil", "web/ui")], html=True), name="ui")
    api.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["ETag"],
    )

    def state_of() -> Any:
        return api.state

    limited = BodyLimit(LivePath(api, state_of), settings.max_body_bytes, larger={"/import": settings.max_import_bytes})
    return FastPath(limited, state_of)
