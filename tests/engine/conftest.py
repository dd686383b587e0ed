"""Fixtures for the engine tests: flag documents and identifiers in known buckets."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any

import pytest

from vexil.engine import bucket

from .factories import FlagFactory, IdentifierFinder


@pytest.fixture
def make_flag() -> FlagFactory:
    """A factory of enabled boolean flag documents named ``f``; keyword arguments override any key."""

    def make(**fields: Any) -> dict[str, Any]:
        doc: dict[str, Any] = {"name": "f", "enabled": True}
        doc.update(fields)
        return doc

    return make


@pytest.fixture
def identifier_where() -> IdentifierFinder:
    """The first identifier ``user-N`` whose bucket for ``salt`` satisfies ``predicate``."""

    def find(salt: str, predicate: Callable[[int], bool]) -> str:
        return next(f"user-{n}" for n in count() if predicate(bucket(salt, f"user-{n}")))

    return find
