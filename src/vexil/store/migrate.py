"""Schema migrations, run from code: no alembic.ini, the configuration is built here.

`SqlStore.open()` calls `run_migrations()` on its engine, so a database is always at the newest
schema before the store serves it. To write a new migration after changing `tables.py`:

    python -m vexil.store revision --autogenerate -m "add flag owner"

(against `VEXIL_DATABASE_URL`, or the SQLite file of `VEXIL_DATA_DIR`, default `./vexil-data`),
then read and fix the generated file in `migrations/versions/`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from vexil.store._engine import WRITE, async_url, db_errors, make_engine, sqlite_url

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["HEAD_REVISION", "alembic_config", "main", "migrate", "run_migrations"]

# The newest migration's revision (a test checks it against Alembic's own view). A database already
# there is opened without importing Alembic at all: that import is a tenth of a second of cold start.
HEAD_REVISION = "8d3f1a6c2b94"

MIGRATIONS = Path(__file__).with_name("migrations")
# Dated names sort in the order they were written: 2026_11_21_0800-<rev>_<slug>.py
FILE_TEMPLATE = "%(year)d_%(month).2d_%(day).2d_%(hour).2d%(minute).2d-%(rev)s_%(slug)s"
# Replicas starting together on one PostgreSQL take turns (pg_advisory_xact_lock key).
_LOCK_KEY = 0x7665_7869_6C00  # "vexil"


def alembic_config(url: str | None = None) -> Config:
    """The Alembic configuration, pointing at the migrations inside this package."""
    from alembic.config import Config

    config = Config(stdout=sys.stdout)  # the current one: Alembic's default is bound at import
    # Config values go through configparser interpolation: a literal % is written %%.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("file_template", FILE_TEMPLATE.replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", async_url(url).replace("%", "%%"))
    return config


async def run_migrations(engine: AsyncEngine) -> None:
    """Upgrade the database of `engine` to the newest schema, in one transaction."""
    if await _revision(engine) == HEAD_REVISION:
        return
    config = alembic_config()
    async with db_errors(), engine.connect() as connection:
        await connection.execution_options(**{WRITE: True})
        async with connection.begin():
            if connection.dialect.name == "postgresql":
                await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            await connection.run_sync(_upgrade, config)


async def _revision(engine: AsyncEngine) -> str | None:
    """The database's schema revision, or None when it has none (a new database)."""
    async with db_errors(), engine.connect() as connection:
        try:
            revision: str | None = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        except DBAPIError:  # no such table yet
            return None
        return revision


def _upgrade(connection: Connection, config: Config) -> None:
    from alembic import command

    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(url: str) -> None:
    """Upgrade the database at `url` to the newest schema.

    >>> await migrate("postgresql://vexil@db/vexil")
    """
    engine = make_engine(url)
    try:
        await run_migrations(engine)
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    """Alembic's command line (`revision`, `upgrade`, `history`, ...) on Vexil's configuration."""
    from alembic.config import CommandLine

    cli = CommandLine(prog="python -m vexil.store")
    options = cli.parser.parse_args(argv)
    if not hasattr(options, "cmd"):
        cli.parser.error("too few arguments")
    url = os.environ.get("VEXIL_DATABASE_URL") or sqlite_url(Path(os.environ.get("VEXIL_DATA_DIR", "vexil-data")))
    cli.run_cmd(alembic_config(url), options)
