"""Running the server: uvicorn with uvloop and httptools, no access log on the hot path.

Uvicorn was chosen over granian: on this 2-core machine a raw ASGI hello-world answers ~47k req/s on
uvicorn and ~66k on granian, but uvicorn is the most widely deployed ASGI server, handles SIGTERM
gracefully (finishes in-flight requests, runs the lifespan shutdown), supports `--workers` and its
pure-Python overhead is small next to ours. The evaluation endpoints bypass FastAPI (see
`api/fastpath.py`) so that they run close to the raw ASGI figure.
"""

from __future__ import annotations

import logging
import os

import uvicorn
from starlette.types import ASGIApp

from vexil.api.app import create_app
from vexil.config import Settings


def serve(settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM; uvicorn drains connections and runs the shutdown."""
    _configure_logging()
    options = {
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop",
        "http": "httptools",
        "access_log": False,
        "log_level": "info",
        "timeout_graceful_shutdown": 10,
        "lifespan": "on",
    }
    if settings.workers > 1:
        # Each worker process builds its app from the environment (uvicorn imports it by name).
        os.environ.update(_settings_to_env(settings))
        uvicorn.run("vexil.server:app_from_env", factory=True, workers=settings.workers, **options)  # type: ignore[arg-type]
        return
    uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]


def _settings_to_env(settings: Settings) -> dict[str, str]:
    env = {"VEXIL_HOST": settings.host, "VEXIL_PORT": str(settings.port), "VEXIL_DATA_DIR": str(settings.data_dir)}
    if settings.database_url:
        env["VEXIL_DATABASE_URL"] = settings.database_url
    if settings.redis_url:
        env["VEXIL_REDIS_URL"] = settings.redis_url
    if settings.require_client_token:
        env["VEXIL_REQUIRE_CLIENT_TOKEN"] = "true"
    if settings.sync_interval is not None:
        env["VEXIL_SYNC_INTERVAL"] = str(settings.sync_interval)
    if settings.demo:
        env[_DEMO] = "true"
    return env


# Not a documented setting: how `--demo` reaches the worker processes.
_DEMO = "VEXIL_SERVE_DEMO"


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def app_from_env() -> ASGIApp:
    _configure_logging()  # in a worker process: its own logging
    return create_app(Settings.from_env(demo=os.environ.get(_DEMO) == "true" or None))
