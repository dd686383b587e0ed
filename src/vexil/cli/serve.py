"""`vexil serve`: run the server in this process. The server's modules are imported only here,
so that every other command starts without loading FastAPI, SQLAlchemy or uvicorn."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import click

from vexil.cli.errors import InputError


@click.command("serve")
@click.option("--host", help="Interface to listen on (default 127.0.0.1; env VEXIL_HOST).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default 8000; env VEXIL_PORT).")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Holds the SQLite database and the admin token (default ./vexil-data; env VEXIL_DATA_DIR).",
)
@click.option("--database-url", help="PostgreSQL URL instead of SQLite (env VEXIL_DATABASE_URL).")
@click.option("--redis-url", help="Redis URL for the change bus between replicas (env VEXIL_REDIS_URL).")
@click.option("--demo", is_flag=True, help="Seed a few example flags into an empty database.")
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes (default 1).")
@click.option("--verbose", is_flag=True, help="Also log uvicorn's start, the limits and each migration step.")
def serve_command(verbose: bool, **options: Any) -> None:
    """Run the Vexil server until interrupted (SIGINT or SIGTERM)."""
    # Cold start: importing the server and loading the flags allocate a great deal and make no
    # garbage cycles, so the cyclic collector stays off until the app has loaded (api/app.py).
    gc.disable()
    from vexil.config import Settings  # lazy: keep the CLI fast
    from vexil.server import serve

    if not options["demo"]:
        options["demo"] = None  # not given: leave the setting to the environment and defaults
    try:
        settings = Settings.from_env(**options)
    except ValueError as exc:  # e.g. VEXIL_PORT=abc
        raise InputError(f"invalid server settings: {exc}") from exc
    serve(settings, verbose=verbose)
