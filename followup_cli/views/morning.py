"""The morning list for a person and for a script: `today`, the command a shop runs every day.

The plain `today` (see commands/morning.py) comes here without the command tree, so this
module loads only what drawing the list needs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from followup_cli import wording
from followup_cli.i18n import _
from followup_cli.output.formats import Format
from followup_cli.views.cells import with_branch
from followup_cli.views.emit import Said, Shown, Table, emit

if TYPE_CHECKING:
    from followup_cli.output.table import Col


def _today_columns() -> tuple[Col, ...]:
    """The morning list, one line a customer at 80 columns: on a narrow screen the notes go
    first, then days over and the due date (the status says how late), then the reason moves
    under the name, then the tier; id, name (a long one cut with …), phone and status stay."""
    from followup_cli.output.table import Col

    return (
        Col("customer_id", "ID", keep=0, whole=True),
        Col("name", "Name", keep=0, shorten="end"),
        Col("phone", "Phone", keep=1, whole=True),
        Col("tier", "Tier", keep=4),
        Col("due_date", "Due", keep=6),
        Col("days_overdue", "Days over", keep=7),
        Col("status", "Status", keep=0),
        Col("reason", "Why", keep=5, fold_into="name", whole=True, free=True),
        Col("last_outcome", "Last outcome", keep=8),
        Col("last_note", "Last note", keep=9, free=True),
    )


def _explain_columns() -> tuple[Col, ...]:
    from followup_cli.output.table import Col

    return (
        Col("customer_id", "ID", keep=0, whole=True),
        Col("name", "Name", keep=0, whole=True),
        Col("tier", "Tier", keep=7),
        Col("rule", "Rule", keep=3),
        Col("anchor", "Counted from", keep=5),
        Col("due_date", "Due", keep=2),
        Col("late_after", "Late after", keep=4),
        Col("status", "Status", keep=1),
        Col("reason", "Why", keep=6, fold_into="name", free=True),
    )


_STATUS_STYLE = {"late": "bold red", "overdue": "yellow"}
TODAY_CSV_KEYS = (  # the same fields as --format json, in the table's order
    "customer_id",
    "name",
    "phone",
    "tier",
    "owner",
    "due_date",
    "days_overdue",
    "status",
    "late_after",
    "kind",
    "reason",
    "win_back",
    "anchor",
    "rule",
    "attempts",
    "last_contact",
    "last_outcome",
    "last_note",
    "last_purchase",
    "branch",  # a chain's column, after the columns scripts already know
    "expected_purchases",  # the purchase model's: blank where the shop has none
    "expected_spend",
)


def today_view(
    items: list[dict[str, Any]],
    fmt: Format,
    on: str,
    explain: bool = False,
    total: int | None = None,
    branch: str | None = None,
    every: bool = False,
) -> None:
    """The morning list; `total` is the whole list's length when only the first are shown.
    On a terminal a list longer than the screen stops at a screenful, unless `every` (--all).
    A Branch column when customers on it have one; one branch's list names it in the title
    instead."""

    def said() -> list[Said]:
        named = branch
        if named is not None:
            named = next((i["branch"] for i in items if i.get("branch")), named)
        if not items:
            if named is not None:
                return [_("Nothing due on {day} at {branch}.").format(day=on, branch=named)]
            return [_("Nothing due on {day}.").format(day=on)]
        late = sum(1 for i in items if i["status"] == "late")
        count = str(len(items))
        if total is not None and total > len(items):
            count = _("{shown} of {total}").format(shown=len(items), total=total)
        if named is not None and late:
            title = _("Follow-ups due on {day} at {branch}: {count} ({late} late)").format(
                day=on, branch=named, count=count, late=late
            )
        elif named is not None:
            title = _("Follow-ups due on {day} at {branch}: {count}").format(
                day=on, branch=named, count=count
            )
        elif late:
            title = _("Follow-ups due on {day}: {count} ({late} late)").format(
                day=on, count=count, late=late
            )
        else:
            title = _("Follow-ups due on {day}: {count}").format(day=on, count=count)
        columns = _explain_columns() if explain else _today_columns()
        rows = items if explain else _reasons_that_fit(items, columns)
        if named is None and any(item.get("branch") for item in rows):
            columns = with_branch(columns, after="name" if explain else "phone", keep=3)
        style = lambda row: _STATUS_STYLE.get(row["status"])  # noqa: E731
        return [Table(rows, columns, title, row_style=style, more=None if every else "all")]

    emit(Shown(items, TODAY_CSV_KEYS, said=said), fmt)


def _reasons_that_fit(items: list[dict[str, Any]], columns: Sequence[Col]) -> list[dict[str, Any]]:
    """The full reason when the whole list fits one line a customer (a wide screen), else
    the short form (`挽回（每 1 个月）`); the full one is always under --explain and `show`."""
    from followup_cli.output.table import cell_text, fits_in_full, for_reader

    shown, headings, _style = for_reader(items, columns, None)
    wanted = [c for c in headings if c.key not in ("last_outcome", "last_note")]
    if fits_in_full(shown, wanted, cell_text):
        return items
    return [{**item, "reason": wording.short_reason(item["reason"])} for item in items]


def show(
    items: list[dict[str, Any]],
    total: int | None,
    fmt: str,
    day: date,
    explain: bool,
    branch: str | None = None,
    every: bool = False,
) -> None:
    """What `today` prints, on both paths (the plain one and the full command line)."""
    shown = " ".join(branch.split()) if branch is not None else None
    today_view(items, Format(fmt), day.isoformat(), explain, total, shown, every)


def run_plain_today(argv: Sequence[str]) -> bool:
    """Draw the morning list for a plain `today`; False when the full command line should."""
    from followup_cli.commands.morning import read_plain_today

    found = read_plain_today(argv)
    if found is None:
        return False
    try:
        show(
            found.items,
            found.total,
            found.fmt,
            found.day,
            found.explain,
            found.branch,
            found.every,
        )
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return True
