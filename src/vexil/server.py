"""Running the server: uvicorn with uvloop and httptools, no access log on the hot path.

Uvicorn was chosen over granian: on this 2-core machine a raw ASGI hello-world answers ~47k req/s on
uvicorn and ~66k on granian, but uvicorn is the most widely deployed ASGI server, handles SIGTERM
gracefully (finishes in-flight requests, runs the lifespan shutdown), supports `--workers` and its
pure-Python overhead is small next to ours. The evaluation endpoints bypass FastAPI (see
`api/fastpath.py`) so that they run close to the raw ASGI figure.

Against slow and greedy clients (docs/deployment.md, "Limits and timeouts"): uvicorn's httptools
protocol is extended with header and body timeouts, a header size limit and a connection limit
(`api/protocol.py`), and the open-file limit is raised to its hard limit first, since every
connection, open streams included, holds a descriptor. With `--workers`, each worker ends with its
master: a worker whose master is gone (even by kill -9) shuts down, so that a restart finds the port free.
"""

from __future__ import annotations

import ctypes
import logging
import os
import resource
import signal
import sys
import threading
import time
from functools import partial

import uvicorn
from starlette.types import ASGIApp

from vexil.api.app import create_app
from vexil.api.protocol import Edge, EdgeProtocol, Tally
from vexil.config import Settings

# Not documented settings: how `--demo` and the master's pid reach the worker processes.
_DEMO = "VEXIL_SERVE_DEMO"
_MASTER = "VEXIL_SERVE_MASTER"
_VERBOSE = "VEXIL_SERVE_VERBOSE"
# How often a worker checks that its master is still there (besides PR_SET_PDEATHSIG on Linux).
MASTER_CHECK_SECONDS = 1.0
# Descriptors asked for when the hard limit is unlimited.
MOST_OPEN_FILES = 1 << 20


def serve(settings: Settings, *, verbose: bool = False) -> None:
    """Serve until SIGINT/SIGTERM; uvicorn drains connections and runs the shutdown. A start prints
    one short block (`api/banner.py`); `verbose` adds uvicorn's, Alembic's and the limits' lines."""
    _configure_logging(verbose)
    open_files = raise_open_file_limit()
    edge = Edge(
        header_timeout=settings.header_timeout,
        body_timeout=settings.body_timeout,
        max_header_bytes=settings.max_header_bytes,
        max_connections=(limit := settings.connection_limit(open_files)),
        spare=max(open_files - limit, 0) // 2,
        max_pending_bodies=settings.max_pending_bodies,
    )
    logging.getLogger("vexil.limits").info(
        "limits: %d connections per process, %d bodies arriving, %g s for headers, %g s for a body",
        edge.max_connections,
        edge.max_pending_bodies,
        edge.header_timeout,
        edge.body_timeout,
    )
    options = {
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop",
        "http": partial(EdgeProtocol, edge=edge, tally=Tally()),
        "ws": "none",
        "access_log": False,
        "log_level": "info" if verbose else "warning",
        "timeout_graceful_shutdown": 10,
        "lifespan": "on",
    }
    if settings.workers > 1:
        # Each worker process builds its app from the environment (uvicorn imports it by name).
        os.environ.update(_settings_to_env(settings))
        os.environ[_MASTER] = str(os.getpid())
        os.environ[_VERBOSE] = "true" if verbose else ""
        uvicorn.run("vexil.server:app_from_env", factory=True, workers=settings.workers, **options)  # type: ignore[arg-type]
        return
    uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]


def raise_open_file_limit() -> int:
    """Raise this process's open-file limit to its hard limit; the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MOST_OPEN_FILES if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):  # e.g. macOS caps it below an unlimited hard limit
            pass
    return MOST_OPEN_FILES if soft == resource.RLIM_INFINITY else soft


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


# Loggers whose INFO lines only `--verbose` shows: every start's migration steps, the limits.
QUIET_UNLESS_VERBOSE = ("alembic", "vexil.limits")


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in QUIET_UNLESS_VERBOSE:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)


def app_from_env() -> ASGIApp:
    _configure_logging(os.environ.get(_VERBOSE) == "true")  # in a worker process: its own logging
    master = os.environ.get(_MASTER)
    if master:
        exit_with_master(int(master))
    return create_app(Settings.from_env(demo=os.environ.get(_DEMO) == "true" or None))


def exit_with_master(master: int) -> None:
    """Shut this worker down (SIGTERM to itself: uvicorn's graceful exit) once `master` is gone:
    at once on Linux (the kernel's parent-death signal), and within a second anywhere (a thread
    that watches the parent pid, which also covers a master that died before this ran)."""
    if sys.platform == "linux":
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)

    def watch() -> None:
        while os.getppid() == master:
            time.sleep(MASTER_CHECK_SECONDS)
        logging.getLogger("vexil").warning("the master process %d is gone: this worker shuts down", master)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="vexil-master-watch", daemon=True).start()
