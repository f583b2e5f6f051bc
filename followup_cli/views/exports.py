"""Exports, files for other programs and for people: every customer, every contact, the
planned calls, as CSV or JSON streamed a row at a time, a CSV with a BOM for
Excel (`--excel`) or a workbook (`-o NAME.xlsx`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from followup_cli.output.formats import Format
from followup_cli.views.customers import CUSTOMER_KEYS
from followup_cli.views.emit import Shown, emit

HISTORY_KEYS = (
    "customer_id",
    "name",
    "date",
    "outcome",
    "channel",
    "score",
    "nps",
    "note",
    "owner",
    "followup_due",
    "followup_kind",
    "logged_at",
    "branch",  # last: a chain's column, after the columns scripts already know
)
DUE_KEYS = (
    "show_date",
    "due_date",
    "customer_id",
    "name",
    "phone",
    "tier",
    "owner",
    "kind",
    "reason",
    "last_note",
    "branch",  # last: a chain's column, after the columns scripts already know
)


def export_rows(
    rows: Iterable[dict[str, Any]],
    keys: Sequence[str],
    fmt: Format,
    output: str | None,
    excel: bool = False,
) -> None:
    """CSV (the default) or JSON for scripts, to a file written whole or to stdout, streamed a
    row at a time; a file for a person (`-o NAME.xlsx`, or `--excel` for CSV with a BOM) is
    written by output/xlsx.py."""
    emit(Shown(rows, keys, streamed=True), fmt, output, excel)


def export_view(
    rows: Iterable[dict[str, Any]], fmt: Format, output: str | None, excel: bool = False
) -> None:
    export_rows(rows, CUSTOMER_KEYS, fmt, output, excel)
