"""A table drawn by Rich (`rich.table.Table`) from our own layout (output/table.py).

output/table.py decides which columns fit, which fold under another or go, each column's
width and how each cell's text breaks into lines; Rich is handed those lines and widths and
draws the box (`HEAVY_HEAD`, its default). Rich is never asked to measure, wrap or crop a
cell, and never reads a cell as markup: a name like `[VIP] 王芳` is drawn as typed.

The lines are the same as output/table.py's own `draw` gives for the same layout (a test
checks it byte for byte); which of the two writes a table is chosen in `write_table`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any

from followup_cli.text import text_width


class _Lines:
    """A cell as lines already padded to the column's width (its one-space margins too):
    Rich draws them as they are."""

    __slots__ = ("lines",)

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        from rich.segment import Segment

        end = Segment.line()
        for line in self.lines:
            yield Segment(line)
            yield end


def rich_table(
    widths: list[int],
    heads: list[list[str]],
    body: Iterable[list[list[str]]],
    title: str | None,
    above: list[str],
    width: int,
    styles: Iterable[str | None] = (),
    colour: bool = False,
) -> None:
    """Print a table to stdout with Rich: each column `widths` wide, `heads` its heading's
    lines, `body` each row's cells as lines (all padded to the width); `title` above it when
    it fits the table, else `above`'s lines (the title wrapped to the screen); `styles` each
    row's style (with `colour`)."""
    from rich import box
    from rich.console import Console
    from rich.table import Column, Table
    from rich.text import Text

    table_width = sum(widths) + 3 * len(widths) + 1
    columns = [
        Column(_Lines([f" {line} " for line in head]), width=w + 2, no_wrap=True, overflow="ignore")
        for head, w in zip(heads, widths, strict=True)
    ]
    table = Table(
        *columns,
        box=box.HEAVY_HEAD,
        padding=0,
        title=Text(title) if title else None,
        title_justify="left",
        title_style="italic" if colour else None,
        header_style="bold" if colour else None,
        highlight=False,
    )
    row_styles = iter(styles) if colour else None
    for cells in body:
        style = next(row_styles, None) if row_styles is not None else None
        table.add_row(*(_Lines([f" {line} " for line in cell]) for cell in cells), style=style)

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # the reader has gone (`| head`): the program's own handling ends quietly, exit 0
            self.quiet = True
            raise BrokenPipeError

    console = _Console(
        file=sys.stdout,
        width=max(width, table_width, *map(text_width, above)),
        color_system="auto" if colour else None,
        force_terminal=colour or None,
        no_color=not colour,
        markup=False,
        emoji=False,
        highlight=False,
    )
    for line in above:
        console.print(Text(line, style="italic" if colour else ""), crop=False, soft_wrap=True)
    console.print(table, crop=False)
