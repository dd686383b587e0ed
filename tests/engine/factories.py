"""Types of the engine-test fixtures, importable by test modules (conftest itself should not be imported)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# make_flag(**fields) -> an enabled boolean flag document named "f", with `fields` laid over it.
FlagFactory = Callable[..., dict[str, Any]]
# identifier_where(salt, predicate) -> the first "user-N" whose bucket satisfies predicate.
IdentifierFinder = Callable[[str, Callable[[int], bool]], str]
