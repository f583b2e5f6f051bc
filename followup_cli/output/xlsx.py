"""Files for a person: a real `.xlsx`, or a CSV with a BOM (`--excel`), that open right in Excel,
WPS and LibreOffice on a Chinese Windows as well as anywhere else.

Scripts keep `--format csv|json` (stable English keys, stored values, no BOM). A file for a
person has headings, tiers, outcomes, channels and segments in the reader's language, rates as
percentages, money as money and dates as dates, and is formula-safe: a cell never runs as a
formula. openpyxl is imported only when a workbook is written.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, TextIO

from followup_cli import wording
from followup_cli.i18n import N_, _, language
from followup_cli.output.files import open_output
from followup_cli.output.formats import cell_value, neutralise
from followup_cli.output.shown import shown
from followup_cli.text import strip_controls

RATE_KEYS = frozenset(
    {
        "success_rate",
        "churn_rate",
        "conversion_rate",
        "csat_satisfied_share",
        "customer_share",
        "spend_share",
        "p_alive",
        "p_buy",
    }
)
MONEY_KEYS = frozenset({"spend", "amount", "expected_spend"})
DATE_KEYS = frozenset(
    {
        "from",
        "to",
        "date",
        "added",
        "first_purchase",
        "last_purchase",
        "contract_end",
        "churned_on",
        "returned_on",
        "converted_on",
        "last_contact",
        "due_date",
        "show_date",
        "followup_due",
        "next_purchase",
    }
)

# Headings of the exports' own columns (the report's and a customer's fields are in wording).
HEADINGS = {
    "date": N_("date"),
    "outcome": N_("outcome"),
    "channel": N_("channel"),
    "score": N_("CSAT score"),
    "note": N_("note"),
    "followup_due": N_("follow-up due"),
    "followup_kind": N_("follow-up kind"),
    "logged_at": N_("logged at"),
    "show_date": N_("listed on"),
    "due_date": N_("due"),
    "kind": N_("kind"),
    "reason": N_("why"),
    "last_note": N_("last note"),
    "template": N_("template"),
    "message": N_("message"),
    "returned_on": N_("came back on"),
    "p_alive": N_("still a customer"),
    "p_buy": N_("buys in horizon"),
    "expected_purchases": N_("expected purchases"),
    "next_purchase": N_("next purchase"),
    "expected_spend": N_("spend at stake"),
}


def heading(key: str) -> str:
    """A column's heading for a person: the key in English, its name in another language."""
    if language() == "en":
        return key
    for names in (wording.FIELD_NAMES, wording.COLUMN_NAMES, HEADINGS):
        if key in names:
            return _(names[key])
    return key


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _words(key: str, value: Any) -> Any:
    """A stored value in the reader's words (tiers, outcomes, channels, yes/no, segments)."""
    if key in MONEY_KEYS:
        return cell_value(value)
    return cell_value(shown(key, value))


def person_text(key: str, value: Any) -> str:
    """One CSV cell for a person: 91.7%, 1280.00, 2026-03-05, 老客户."""
    number = _as_number(value) if key in RATE_KEYS | MONEY_KEYS else None
    if number is not None and key in RATE_KEYS:
        return f"{100 * number:.1f}%"
    if number is not None:
        return f"{number:.2f}"
    return str(neutralise(_words(key, value)))


def write_people_csv(
    rows: Iterable[dict[str, Any]], keys: Sequence[str], out: TextIO | None = None
) -> None:
    """CSV for a person (the caller opens the file with a BOM)."""
    writer = csv.writer(out or sys.stdout, lineterminator="\r\n")
    writer.writerow(heading(k) for k in keys)
    for row in rows:
        writer.writerow(person_text(k, row.get(k)) for k in keys)


def write_xlsx(rows: Iterable[dict[str, Any]], keys: Sequence[str], path: str) -> None:
    """A workbook of one sheet, written whole (never half a file), owner-only."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("followup"))
    bold = Font(bold=True)
    money_format = "¥#,##0.00" if language() != "en" else "#,##0.00"

    def cell(value: Any, number_format: str | None = None, font: Any = None) -> Any:
        made = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str) and value.startswith("="):
            made.data_type = "s"  # text, never a formula
        if number_format:
            made.number_format = number_format
        if font is not None:
            made.font = font
        return made

    sheet.append([cell(strip_controls(heading(k)), font=bold) for k in keys])
    for row in rows:
        cells = []
        for key in keys:
            value = row.get(key)
            day = _as_date(value) if key in DATE_KEYS else None
            number = _as_number(value) if key in RATE_KEYS | MONEY_KEYS else None
            if day is not None:
                cells.append(cell(day, "yyyy-mm-dd"))
            elif number is not None:
                cells.append(cell(number, "0.0%" if key in RATE_KEYS else money_format))
            else:
                shown = _words(key, value)
                cells.append(cell(strip_controls(shown) if isinstance(shown, str) else shown))
        sheet.append(cells)
    with open_output(path, binary=True) as out:
        book.save(out)


def is_workbook(path: str | None) -> bool:
    return bool(path) and str(path).lower().endswith(".xlsx")
