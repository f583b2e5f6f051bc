"""One way out for every command's result: a view says what there is to show, `emit` picks
the format once.

A view builds a `Shown`: the stored values for `--format json`, rows and keys for CSV and a
workbook, and (built only when a person reads it) the tables and sentences of the screen.
`emit` writes it as a text table, CSV, JSON, a people's CSV (`--excel`) or an `.xlsx`, to
stdout or to a file written whole (see output/files.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from followup_cli.i18n import N_
from followup_cli.output.formats import Format

if TYPE_CHECKING:
    from followup_cli.output.table import Col, Column


@dataclass(frozen=True)
class Table:
    """A table for a person; `empty` is said instead when there are no rows."""

    rows: Sequence[dict[str, Any]]
    columns: Sequence[Column | Col]
    title: str | None = None
    empty: str = N_("nothing to show")
    row_style: Callable[[dict[str, Any]], str | None] | None = None
    # On a terminal, a table longer than the screen is cut there; its footer advises "all"
    # (the command's --all shows every row) or "pager" (`| less`); None: not cut (--all).
    more: str | None = "pager"


Said = str | Table  # a sentence (a line of its own) or a table


@dataclass(frozen=True)
class Shown:
    """What a view makes of a result, for every format."""

    data: Any  # --format json: stored values under stable English keys
    keys: Sequence[str] = ()  # the columns of CSV and a workbook
    rows: Iterable[dict[str, Any]] | None = None  # CSV and workbook rows (None: `data`)
    said: Callable[[], Iterable[Said]] | None = None  # for a person; None: CSV
    streamed: bool = False  # JSON written an element at a time (an export's million rows)


def emit(shown: Shown, fmt: Format, output: str | None = None, excel: bool = False) -> None:
    """Write `shown` in the chosen format: to `output` (whole, owner-only) or to stdout; a
    workbook when `output` ends in .xlsx, a CSV for a person (with a BOM) with `excel`."""
    from followup_cli.output.files import write_to

    rows = shown.data if shown.rows is None else shown.rows
    workbook = False
    if output:  # the morning list (no file) never loads the workbook writer
        from followup_cli.output.xlsx import is_workbook

        workbook = is_workbook(output)
    if workbook:
        from followup_cli.output.xlsx import write_xlsx

        write_xlsx(rows, shown.keys, str(output))
    elif excel:
        from followup_cli.output.xlsx import write_people_csv

        write_to(output, write_people_csv, rows, shown.keys, bom=True)
    elif fmt is Format.json:
        from followup_cli.output.formats import write_json, write_json_rows

        write_to(output, write_json_rows if shown.streamed else write_json, shown.data)
    elif fmt is Format.csv or shown.said is None:
        from followup_cli.output.formats import write_csv

        write_to(output, write_csv, rows, shown.keys)
    else:
        _say(shown.said())


def _say(parts: Iterable[Said]) -> None:
    from followup_cli.output.table import write_table
    from followup_cli.output.terminal import message

    for part in parts:
        if isinstance(part, Table):
            write_table(part.rows, part.columns, part.title, part.empty, part.row_style, part.more)
        else:
            message(part)


def listing(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Column],
    title: str | None = None,
    empty: str = N_("nothing to show"),
) -> Shown:
    """A plain list: the rows as JSON, the columns' keys as CSV, one table for a person."""
    return Shown(
        list(rows),
        [key for key, _heading in columns],
        said=lambda: [Table(rows, columns, title, empty)],
    )
