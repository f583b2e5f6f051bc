"""The formats a script reads: `--format csv|json` with stable English keys and stored values.

Machine formats are written with print/json/csv, never through Rich, which would wrap lines;
a CSV cell is never left for a spreadsheet to run as a formula.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any, TextIO

from followup_cli.text import strip_controls


class Format(StrEnum):
    """`--format`: a table for a person, CSV or JSON for a script."""

    table = "table"
    csv = "csv"
    json = "json"


# Cells that a spreadsheet would run as a formula (OWASP CSV injection), full-width forms
# included (a Chinese input method types ＝ and Excel reads it as =) ...
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# ... except plain numbers and phone numbers, which stay usable: -12.50, +8613800000000.
# Nothing else passes: -1-1 and -(1)-(2) are formulas.
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_PHONE = re.compile(r"^\+\d[\d ]*\d$")


def neutralise(value: Any) -> Any:
    """Prefix a quote to a text cell that Excel would otherwise treat as a formula, and drop
    control characters."""
    if isinstance(value, str):
        value = strip_controls(value)
        if (
            value.startswith(_FORMULA_START)
            and not _NUMBER.match(value)
            and not _PHONE.match(value)
        ):
            return "'" + value
    return value


def cell_value(value: Any) -> Any:
    """A value as one cell, in a table or a CSV: nothing for None, yes/no for a flag, a dict
    (the shop's own fields) as sorted JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    return value


def write_json(data: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    out.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def write_json_rows(rows: Iterable[Any], out: TextIO | None = None) -> None:
    """A JSON array written an element at a time, byte for byte what write_json(list) gives."""
    out = out or sys.stdout
    first = True
    for row in rows:
        text = json.dumps(row, ensure_ascii=False, indent=2, sort_keys=True)
        out.write(("[\n  " if first else ",\n  ") + text.replace("\n", "\n  "))
        first = False
    out.write("[]\n" if first else "\n]\n")


def write_csv(
    rows: Iterable[dict[str, Any]], keys: Sequence[str], out: TextIO | None = None
) -> None:
    writer = csv.writer(out or sys.stdout, lineterminator="\r\n")
    writer.writerow(neutralise(k) for k in keys)  # a rejects file repeats the shop's header
    for row in rows:
        writer.writerow(neutralise(cell_value(row.get(k))) for k in keys)
