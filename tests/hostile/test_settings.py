"""The limits and timeouts against hostile callers are settings (`VEXIL_*`, README "Configuration")."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import vexil.server
from vexil.cli import main
from vexil.config import Settings

LIMITS = {
    "VEXIL_MAX_CLIENT_BODY_KB": "8",
    "VEXIL_MAX_BODY_KB": "512",
    "VEXIL_MAX_IMPORT_MB": "64",
    "VEXIL_MAX_HEADER_KB": "16",
    "VEXIL_HEADER_TIMEOUT": "2.5",
    "VEXIL_BODY_TIMEOUT": "30",
    "VEXIL_MAX_CONNECTIONS": "5000",
    "VEXIL_STREAM_MEMORY_MB": "0.5",
    "VEXIL_MAX_LISTED_FLAGS": "200",
    "VEXIL_MAX_PENDING_BODIES": "300",
}


def test_settings__limits_from_the_environment__read_in_their_units() -> None:
    # Given / When
    settings = Settings.from_env(LIMITS)
    # Then
    assert (settings.max_client_body_bytes, settings.max_body_bytes, settings.max_import_bytes) == (
        8 * 1024,
        512 * 1024,
        64 * 1024 * 1024,
    )
    assert (settings.max_header_bytes, settings.header_timeout, settings.body_timeout) == (16 * 1024, 2.5, 30.0)
    assert (settings.connection_limit(100_000), settings.stream_memory_bytes, settings.max_listed_flags) == (
        5000,
        512 * 1024,
        200,
    )
    assert settings.max_pending_bodies == 300


def test_settings__defaults__documented_values() -> None:
    # Given / When
    settings = Settings.from_env({})
    # Then
    assert (settings.max_client_body_bytes, settings.max_body_bytes, settings.max_import_bytes) == (
        64 * 1024,
        1024 * 1024,
        256 * 1024 * 1024,
    )
    assert (settings.max_header_bytes, settings.header_timeout, settings.body_timeout) == (64 * 1024, 10.0, 60.0)
    assert (settings.stream_memory_bytes, settings.max_listed_flags, settings.max_pending_bodies) == (
        1024 * 1024 * 1024,
        1000,
        1000,
    )
    # And the connection limit is 90% of the open-file limit, at most 50,000
    assert [settings.connection_limit(files) for files in (1024, 20_000, 1_048_576)] == [921, 18_000, 50_000]


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "lots"])
def test_serve__limit_not_a_positive_number__usage_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    # Given
    served: list[Settings] = []
    monkeypatch.setattr(vexil.server, "serve", served.append)
    # When
    result = CliRunner().invoke(main, ["serve"], env={"VEXIL_HEADER_TIMEOUT": value})
    # Then
    assert result.exit_code == 2
    assert result.stderr.startswith("vexil: error: invalid server settings: ")
    assert served == []
