from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import BACKENDS
from tests.postgres import empty_database
from tests.schedules.harness import Clock, settings_for
from vexil.config import Settings


@pytest.fixture(params=BACKENDS)
def backend_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """A replica's settings: on a SQLite file, or on the session's PostgreSQL database."""
    url: str | None = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    return settings_for(url, tmp_path / "data")


@pytest.fixture
async def settings(backend_settings: Settings) -> Settings:
    """`backend_settings` on an empty database."""
    if backend_settings.database_url:
        await empty_database(backend_settings.database_url)
    return backend_settings


@pytest.fixture
def clock() -> Clock:
    return Clock()
