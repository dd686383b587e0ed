"""Fitting tables to the terminal: the widest columns give way first, short ones keep their values.

Left to itself, rich shrinks every column of a table that is too wide by the same amount, so an
80-column terminal showing one long token name cut "client" to "clie…" and "production" to "pro…".
`fit` plans the widths instead: while the table is too wide, the widest column loses a character,
down to a floor (its header, and at least 8 characters), so long values are what is shortened and
the short ones (roles, states, percentages) stay whole. Columns whose text wraps give way before the
name columns (`no_wrap`), which are only shortened when wrapping the others is not enough. Inside
its width, a cell wraps at whole words, and a word still too wide ends in "…" (render.WRAP): words
are never split.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.measure import Measurement
from rich.table import Column, Table

FLOOR = 8  # no column is planned narrower than this, its header or its longest word (up to WORD) ...
WORD = 16  # ... unless it is naturally narrower


def fit(renderable: RenderableType, console: Console) -> None:
    """Give every table in `renderable` (a table, or a group of them) widths that fit `console`."""
    if isinstance(renderable, Group):
        for part in renderable.renderables:
            fit(part, console)
    elif isinstance(renderable, Table):
        _fit_table(renderable, console)


def _fit_table(table: Table, console: Console) -> None:
    options = console.options
    measured = [_measure(column, console, options) for column in table.columns]
    natural = [measurement.maximum for measurement in measured]
    overhead = Measurement.get(console, options.update_width(10**6), table).maximum - sum(natural)
    budget = console.width - overhead
    floors = [_floor(column, measurement) for column, measurement in zip(table.columns, measured, strict=True)]
    # Columns that wrap give way first; names (no_wrap: what people copy) only when that is not enough.
    columns = zip(table.columns, natural, floors, strict=True)
    names_kept = [width if column.no_wrap else floor for column, width, floor in columns]
    widths = plan(plan(natural, names_kept, budget), floors, budget)
    for column, width, wanted in zip(table.columns, widths, natural, strict=True):
        if width < wanted:
            column.max_width = width


def plan(natural: Sequence[int], floors: Sequence[int], budget: int) -> list[int]:
    """Widths summing to at most `budget` where possible: the widest column above its floor shrinks first."""
    widths = list(natural)
    while sum(widths) > budget:
        shrinkable = [index for index, width in enumerate(widths) if width > floors[index]]
        if not shrinkable:
            break  # too many columns for this terminal: rich's own shrinking takes over
        widest = max(shrinkable, key=lambda index: widths[index])
        widths[widest] -= 1
    return widths


def _floor(column: Column, measurement: Measurement) -> int:
    """Its header and its longest word (dates, states), within `FLOOR` and `WORD`; never above its natural width."""
    header = len(column.header) if isinstance(column.header, str) else 0
    return min(measurement.maximum, max(FLOOR, header, min(measurement.minimum, WORD)))


def _measure(column: Column, console: Console, options: ConsoleOptions) -> Measurement:
    wide = options.update_width(10**6)
    cells = [column.header, *column.cells]
    measurements = [Measurement.get(console, wide, cell) for cell in cells]
    return Measurement(max(m.minimum for m in measurements), max(m.maximum for m in measurements))
