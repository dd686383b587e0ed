"""The usage settings (docs/usage.md, docs/spec.md §5): read from the environment, and a flush
interval past 10 seconds refused in plain words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from vexil.api.app import usage_limits
from vexil.config import Settings


def test_settings__usage_from_environment__limits_follow() -> None:
    # Given an environment that sets the three usage settings
    env = {"VEXIL_USAGE_FLUSH_SECONDS": "2.5", "VEXIL_USAGE_HOURLY_DAYS": "7", "VEXIL_USAGE_DAILY_DAYS": "90"}
    # When the settings and the counter's limits are made from it
    limits = usage_limits(Settings.from_env(env))
    # Then the counter flushes and prunes as told
    assert limits.interval == 2.5
    assert limits.hourly_retention == timedelta(days=7) and limits.daily_retention == timedelta(days=90)


def test_settings__flush_interval_over_10_seconds__refused() -> None:
    # Given a flush interval longer than a crash may lose, When the settings are read, Then it is refused
    with pytest.raises(ValueError, match="VEXIL_USAGE_FLUSH_SECONDS: use a number of seconds above 0 and at most 10"):
        Settings.from_env({"VEXIL_USAGE_FLUSH_SECONDS": "60"})


@pytest.mark.parametrize(("value", "counting"), [("off", False), ("0", False), ("on", True), ("", True)])
def test_settings__vexil_usage__counting_on_unless_off(value: str, counting: bool) -> None:
    # Given VEXIL_USAGE set to `value`, When the settings are read, Then counting follows it
    assert Settings.from_env({"VEXIL_USAGE": value}).usage is counting
