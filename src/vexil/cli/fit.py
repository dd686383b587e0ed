"""Fitting tables to the terminal: the widest columns give way first, short ones keep their values.

Left to itself, rich shrinks every column of a table that is too wide by the same amount, so an
80-column terminal showing one long token name cut "client" to "clie…" and "production" to "pro…".
`fit` plans the widths instead: while the table is too wide, the widest column loses a character,
down to a floor (its longest word, and at least 8 characters), so long values are what is shortened and
the short ones (roles, states, percentages) stay whole. Columns whose text wraps give way before the
name columns (`no_wrap`), which are only shortened when wrapping the others is not enough. Inside
its width, a cell wraps at whole words, and a word still too wide ends in "…" (render.WRAP): words
are never split.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table

FLOOR = 8  # no column is planned narrower than this or its cells' longest word (up to WORD) ...
WORD = 16  # ... unless it is naturally narrower
SQUEEZE, HARD_FLOOR = 2, 4  # what a wrapping column may lose beyond its floor, and down to, to keep names whole


def fit(renderable: RenderableType, console: Console) -> None:
    """Give every table in `renderable` (a table, or a group of them) widths that fit `console`."""
    if isinstance(renderable, Group):
        for part in renderable.renderables:
            fit(part, console)
    elif isinstance(renderable, Table):
        _fit_table(renderable, console)


def _fit_table(table: Table, console: Console) -> None:
    options = console.options
    measured = [_measure([column.header, *column.cells], console, options) for column in table.columns]
    contents = [_measure(list(column.cells), console, options) for column in table.columns]
    natural = [measurement.maximum for measurement in measured]
    overhead = Measurement.get(console, options.update_width(10**6), table).maximum - sum(natural)
    budget = console.width - overhead
    floors = [_floor(whole, cells) for whole, cells in zip(measured, contents, strict=True)]
    # Columns that wrap give way first, to their floors; names (no_wrap: what people copy) only when
    # that is not enough. Wrapping columns may lose SQUEEZE more characters if that saves every name.
    kept = [
        width if column.no_wrap else floor for column, width, floor in zip(table.columns, natural, floors, strict=True)
    ]
    widths = plan(natural, kept, budget)
    squeezed = plan(
        widths,
        [
            width if column.no_wrap else max(HARD_FLOOR, width - SQUEEZE)
            for column, width in zip(table.columns, kept, strict=True)
        ],
        budget,
    )
    widths = squeezed if sum(squeezed) <= budget else plan(widths, floors, budget)
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


def _floor(measurement: Measurement, cells: Measurement) -> int:
    """Its longest word in the cells (dates, states) within `FLOOR` and `WORD`; never above its natural width.

    The header does not count: when something must be cut, "Descrip…" is better than a flag's name.
    """
    return min(measurement.maximum, max(FLOOR, min(cells.minimum, WORD)))


def _measure(cells: list[RenderableType], console: Console, options: ConsoleOptions) -> Measurement:
    wide = options.update_width(10**6)
    measurements = [Measurement.get(console, wide, cell) for cell in cells] or [Measurement(0, 0)]
    return Measurement(max(m.minimum for m in measurements), max(m.maximum for m in measurements))
