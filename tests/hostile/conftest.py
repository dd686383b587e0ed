"""Fixtures of the hostile-caller tests, shared with the replication tests."""

from tests.bus.conftest import postgres_proxy

__all__ = ["postgres_proxy"]
