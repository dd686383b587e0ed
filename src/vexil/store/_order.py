"""The order environments are listed in: the team's, once set (`environments.position`), else the
usual path of a change (development, staging, production), the others after them by name.

Defined here once: the API, the export and the UI all list environments in this order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from vexil.store.tables import EnvironmentRow

__all__ = ["USUAL_ORDER", "moved", "ordered"]

USUAL_ORDER = ("development", "staging", "production")
Row = TypeVar("Row", bound=EnvironmentRow)


def _key(row: EnvironmentRow) -> tuple[int, int, str]:
    """Placed environments first, by place; then the usual ones; then the rest by name."""
    if row.position is not None:
        return (0, row.position, row.name)
    usual = USUAL_ORDER.index(row.name) if row.name in USUAL_ORDER else len(USUAL_ORDER)
    return (1, usual, row.name)


def ordered(rows: Iterable[Row]) -> list[Row]:
    return sorted(rows, key=_key)


def moved(names: Sequence[str], name: str, place: int) -> list[str]:
    """`names` with `name` moved to index `place` (clamped to the list)."""
    rest = [other for other in names if other != name]
    place = max(0, min(place, len(rest)))
    return [*rest[:place], name, *rest[place:]]
