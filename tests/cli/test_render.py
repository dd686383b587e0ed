"""`render.table`: the one way the CLI draws a table of rows."""

from __future__ import annotations

import io

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from vexil.cli import render


def printed(renderable: RenderableType) -> str:
    file = io.StringIO()
    Console(width=60, file=file, color_system=None).print(renderable)
    return file.getvalue()


def test_table__no_rows__the_empty_message_dimmed() -> None:
    # Given no rows
    # When they are drawn with an empty message
    drawn = render.table([], [render.NAME, "State"], empty="No flags.")
    # Then the message is all there is, dimmed
    assert isinstance(drawn, Text)
    assert drawn.plain == "No flags."
    assert str(drawn.style) == "dim"


def test_table__no_rows_and_no_empty_message__the_headers_alone() -> None:
    # Given no rows and no empty message
    # When they are drawn
    drawn = render.table([], ["Flag", "Setting"], title="Against the flags as they are")
    # Then the table is drawn anyway, its title and headers only
    assert isinstance(drawn, Table)
    assert drawn.row_count == 0
    assert "Flag" in printed(drawn)


def test_table__text_cell_with_brackets__printed_as_typed_not_as_markup() -> None:
    # Given a cell from the server that looks like rich markup
    rows = [("[bold]hook[/bold]", Text("on"))]
    # When the table is printed
    output = printed(render.table(rows, [render.Column("URL", no_wrap=True), "State"], empty="No webhooks."))
    # Then the brackets show as typed
    assert "[bold]hook[/bold]" in output


def test_table__columns__plain_headers_wrap_and_column_specs_kept() -> None:
    # Given a plain header and two specified columns
    columns: list[str | render.Column] = ["Title", render.NAME, render.Column("ID", justify="right", overflow="fold")]
    # When a table is drawn
    drawn = render.table([("a", "b", "1")], columns, empty="none")
    # Then each column is as specified, the plain one wrapping at words
    assert isinstance(drawn, Table)
    specs = [(c.header, c.justify, c.no_wrap, c.overflow) for c in drawn.columns]
    assert specs == [
        ("Title", "left", False, render.WRAP),
        ("Name", "left", True, render.WRAP),
        ("ID", "right", False, "fold"),
    ]
