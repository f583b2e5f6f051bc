"""Everything that reaches stdout: tables for people (laid out by layout.py), CSV and JSON
for scripts; Rich only for the progress bar.

Machine formats are written with print/json/csv, never through Rich, which would wrap lines.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from followup_cli.layout import Col


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


Column = tuple[str, str]  # (key in the row dict, heading on a terminal); or a layout.Col

# Cells that a spreadsheet would run as a formula (OWASP CSV injection) ...
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# ... except plain numbers and phone numbers, which stay usable: +8613800000000, -12.50.
_NUMERIC = re.compile(r"^[+-]?[\d\s().]*\d[\d\s().-]*$")


def neutralise(value: Any) -> Any:
    """Prefix a quote to a text cell that Excel would otherwise treat as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMERIC.match(value):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
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


def write_csv(
    rows: Sequence[dict[str, Any]], keys: Sequence[str], out: TextIO | None = None
) -> None:
    writer = csv.writer(out or sys.stdout, lineterminator="\r\n")
    writer.writerow(keys)
    for row in rows:
        writer.writerow(neutralise(_cell(row.get(k))) for k in keys)


def console(stderr: bool = False):
    """A Rich console that never colours or animates when not on a terminal."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else int(os.environ.get("COLUMNS", "120"))
    return Console(
        file=stream,
        width=width,
        no_color="NO_COLOR" in os.environ or not stream.isatty(),
        highlight=False,
        emoji=False,
    )


def colour_on(stream: TextIO | None = None) -> bool:
    """Colour only on a terminal, and never with NO_COLOR or TERM=dumb."""
    stream = stream or sys.stdout
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def write_table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Column | Col],
    title: str | None = None,
    empty: str = "nothing to show",
    row_style: Callable[[dict[str, Any]], str | None] | None = None,
) -> None:
    """A table laid out for the terminal's width (see layout.py); cells are never markup."""
    from followup_cli.layout import table_lines

    if not rows:
        print(empty)
        return
    lines = table_lines(rows, columns, _text, title, row_style, colour_on())
    sys.stdout.write("\n".join(lines) + "\n")


def _text(value: Any) -> str:
    return str(_cell(value))


def emit(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Column],
    fmt: Format,
    title: str | None = None,
    empty: str = "nothing to show",
) -> None:
    """One output path for every listing."""
    if fmt is Format.json:
        write_json(list(rows))
    elif fmt is Format.csv:
        write_csv(rows, [key for key, _ in columns])
    else:
        write_table(rows, columns, title, empty)


def to_text_file(path: str, writer, *args: Any, bom: bool = False) -> None:
    """Write an export to a file whole: a half-written export is never left behind."""
    buffer = io.StringIO()
    writer(*args, out=buffer)
    _write_private(path, buffer.getvalue().encode("utf-8-sig" if bom else "utf-8"))


def write_to(output: str | None, writer, *args: Any, bom: bool = False) -> None:
    """To the file named (whole, owner-only), or to stdout when none is named."""
    if output:
        to_text_file(output, writer, *args, bom=bom)
    else:
        writer(*args)


def _write_private(path: str, data: bytes) -> None:
    """Exports hold personal data: readable by the owner only, and never half-written."""
    tmp = f"{path}.tmp-{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


PROGRESS_MIN_ROWS = 20_000  # smaller files import in well under a second


@contextmanager
def progress(label: str) -> Iterator[Callable[[int], Callable[[int], None]] | None]:
    """A factory (total rows -> tick) for a progress bar, only on a terminal and big files."""
    if not sys.stderr.isatty() or os.environ.get("TERM") == "dumb":
        yield None
        return
    from rich.markup import escape
    from rich.progress import Progress

    with Progress(console=console(stderr=True), transient=True) as bar:

        def start(total: int) -> Callable[[int], None]:
            if total < PROGRESS_MIN_ROWS:
                return lambda _: None
            task = bar.add_task(escape(label), total=total)  # a file name is not markup
            return lambda n: bar.advance(task, n)

        yield start


def import_summary(summary: dict[str, Any], as_json: bool, quiet: bool, strict: bool) -> None:
    if as_json:
        write_json(summary)
        return
    if quiet:
        return
    prefix = "dry run, nothing written: " if summary["dry_run"] else ""
    refused = " (nothing written: --strict)" if strict and not summary["written"] else ""
    message(
        f"{summary['file']}: {prefix}read {summary['read']}, added {summary['added']}, updated "
        f"{summary['updated']}, unchanged {summary['unchanged']}, rejected "
        f"{summary['rejected']}{refused}"
    )
    spread = summary.get("spread")
    if spread:
        from followup_cli.i18n import _

        message(
            _(
                "First import: the {backlog} calls due now are spread over {days} open days, "
                "until {last}, at most {capacity} a day (option daily_capacity), most important "
                "first; {kept} are on today's list."
            ).format(
                backlog=spread["backlog"],
                days=spread["open_days"],
                last=spread["last_day"],
                capacity=spread["capacity"],
                kept=spread["kept_today"],
            )
        )


IMPORT_COLUMNS: tuple[Column, ...] = (
    ("id", "ID"),
    ("started_at", "When (UTC)"),
    ("kind", "Kind"),
    ("file", "File"),
    ("read", "Read"),
    ("added", "Added"),
    ("updated", "Updated"),
    ("unchanged", "Unchanged"),
    ("rejected", "Rejected"),
    ("status", "Status"),
    ("message", "Message"),
)


def imports_view(rows: list[dict[str, Any]], fmt: Format) -> None:
    if fmt is not Format.table:
        emit(rows, IMPORT_COLUMNS, fmt)
        return
    from followup_cli.layout import Col

    # On a narrow screen what the import did stays; how many rows it read goes first.
    columns = (
        Col("id", "ID", keep=0),
        Col("started_at", "When (UTC)", keep=0, whole=True),
        Col("kind", "Kind", keep=8),
        Col("file", "File", keep=2, free=True),
        Col("read", "Read", keep=6),
        Col("added", "Added", keep=1),
        Col("updated", "Updated", keep=3),
        Col("unchanged", "Unchanged", keep=7),
        Col("rejected", "Rejected", keep=4),
        Col("status", "Status", keep=5),
        Col("message", "Message", keep=9, free=True),
    )
    shown = [{**row, "started_at": _to_minute(row.get("started_at"))} for row in rows]
    write_table(shown, columns, "Imports, newest first", empty="No imports yet.")


def _to_minute(stamp: str | None) -> str | None:
    """2026-11-24T20:05:29.562527+00:00 -> 2026-11-24 20:05 (the table's When column)."""
    return stamp[:16].replace("T", " ") if stamp else stamp


def doctor_view(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        write_json(report)
        return
    counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in report["counts"].items())
    message(f"file: {report['file']} ({report['file_mode']}, {report['journal_mode']})")
    message(f"schema version: {report['schema_version']}; integrity: {report['integrity']}")
    message(f"counts: {counts}")
    if report["problems"]:
        for problem in report["problems"]:
            message(f"problem: {problem}")
    else:
        message("no problems found")


def message(text: str) -> None:
    print(text)


def warn(text: str) -> None:
    print(text, file=sys.stderr)


# --- views -------------------------------------------------------------------------------------


def _today_columns() -> tuple[Col, ...]:
    """The morning list: on a narrow screen the notes go first, then the reason moves under
    the name, then tier, due date and days over go; id, name, phone and status stay."""
    from followup_cli.layout import Col

    return (
        Col("customer_id", "ID", keep=0, whole=True),
        Col("name", "Name", keep=0, whole=True),
        Col("phone", "Phone", keep=1, whole=True),
        Col("tier", "Tier", keep=6),
        Col("due_date", "Due", keep=4),
        Col("days_overdue", "Days over", keep=5),
        Col("status", "Status", keep=0),
        Col("reason", "Why", keep=7, fold_into="name", free=True),
        Col("last_outcome", "Last outcome", keep=8),
        Col("last_note", "Last note", keep=9, free=True),
    )


def _explain_columns() -> tuple[Col, ...]:
    from followup_cli.layout import Col

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
)
CUSTOMER_KEYS = (
    "customer_id",
    "name",
    "phone",
    "email",
    "tier",
    "owner",
    "first_purchase",
    "last_purchase",
    "added",
    "contract_end",
    "status",
    "churned_on",
    "returned_on",
    "converted_on",
    "do_not_contact",
    "last_contact",
    "last_outcome",
    "spend",
    "notes",
    "extra",
)
HISTORY_COLUMNS: tuple[Column, ...] = (
    ("date", "Date"),
    ("outcome", "Outcome"),
    ("channel", "Channel"),
    ("score", "CSAT"),
    ("nps", "NPS"),
    ("owner", "Owner"),
    ("note", "Note"),
)


def today_view(
    items: list[dict[str, Any]],
    fmt: Format,
    on: str,
    explain: bool = False,
    total: int | None = None,
) -> None:
    """The morning list; `total` is the whole list's length when only the first are shown."""
    if fmt is not Format.table:
        emit(items, [(k, k) for k in TODAY_CSV_KEYS], fmt)
        return
    if not items:
        print(f"Nothing due on {on}.")
        return
    late = sum(1 for i in items if i["status"] == "late")
    title = f"Follow-ups due on {on}: {len(items)}"
    if total is not None and total > len(items):
        from followup_cli.i18n import _

        title = _("Follow-ups due on {day}: {shown} of {total}").format(
            day=on, shown=len(items), total=total
        )
    title += f" ({late} late)" if late else ""
    write_table(
        items,
        _explain_columns() if explain else _today_columns(),
        title,
        row_style=lambda row: _STATUS_STYLE.get(row["status"]),
    )


def customer_view(record: dict[str, Any], fmt: Format) -> None:
    if fmt is Format.json:
        write_json(record)
        return
    if fmt is Format.csv:
        write_csv(record["history"], [k for k, _ in HISTORY_COLUMNS])
        return
    pairs = [
        {"field": k, "value": record.get(k)} for k in (*CUSTOMER_KEYS, "next_due", "next_reason")
    ]
    write_table(
        [p for p in pairs if p["value"] not in (None, "", {})],
        (("field", "Field"), ("value", "Value")),
        f"{record['name']}",
    )
    write_table(record["history"], HISTORY_COLUMNS, "History", empty="No contacts logged yet.")


def export_view(rows: list[dict[str, Any]], fmt: Format, output: str | None) -> None:
    export_rows(rows, CUSTOMER_KEYS, fmt, output)


def export_rows(
    rows: list[dict[str, Any]], keys: Sequence[str], fmt: Format, output: str | None
) -> None:
    """CSV (the default) or JSON, to a file written whole or to stdout."""
    if fmt is Format.json:
        write_to(output, write_json, rows)
    else:
        write_to(output, write_csv, rows, keys)


def write_bytes(data: bytes, output: str | None) -> None:
    if output:
        _write_private(output, data)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


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
)


def rules_view(data: dict[str, Any], fmt: Format) -> None:
    if fmt is Format.json:
        write_json(data)
        return
    keys = ("tier", "steps", "every", "anchor", "then", "grace", "rank")
    if fmt is Format.csv:
        write_csv(data["rules"], keys)
        return
    write_table(data["rules"], [(k, k.capitalize()) for k in (*keys, "describe")], "Rules")
    options = [{"option": k, "value": v} for k, v in data["options"].items()]
    write_table(options, (("option", "Option"), ("value", "Value")), "Options")


def upcoming_view(days: list[dict[str, Any]], fmt: Format) -> None:
    if fmt is Format.json:
        write_json(days)
        return
    rows = [{"date": d["date"], "count": d["count"], **item} for d in days for item in d["items"]]
    if fmt is Format.csv:
        write_csv(rows, ("date", *DUE_KEYS[1:]))
        return
    if not days:
        print("Nothing planned in those days.")
        return
    peak = max(d["count"] for d in days)
    load = [
        {
            "date": d["date"],
            "count": d["count"],
            "bar": _bar(d["count"], peak),
            "names": ", ".join(i["name"] for i in d["items"][:6])
            + (" ..." if d["count"] > 6 else ""),
        }
        for d in days
    ]
    write_table(
        load,
        (("date", "Day"), ("count", "Calls"), ("bar", "Load"), ("names", "Who")),
        "Coming days",
    )


def _bar(value: float, peak: float, width: int = 20) -> str:
    """A bar drawn with block characters, so a change is seen, not read."""
    if peak <= 0 or value <= 0:
        return ""
    eighths = round(width * 8 * value / peak)
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


AT_RISK_COLUMNS: tuple[Column, ...] = (
    ("customer_id", "ID"),
    ("name", "Name"),
    ("phone", "Phone"),
    ("tier", "Tier"),
    ("owner", "Owner"),
    ("last_activity", "Last purchase/contact"),
    ("silent_days", "Silent days"),
    ("interval", "Interval"),
)


def at_risk_view(rows: list[dict[str, Any]], fmt: Format) -> None:
    emit(
        rows, AT_RISK_COLUMNS, fmt, f"At risk of churning: {len(rows)}", empty="Nobody is at risk."
    )


def _percent(value: float | None) -> str:
    return "no data" if value is None else f"{100 * value:.1f}%"


METRIC_KEYS = (
    "planned",
    "completed",
    "success_rate",
    "active_at_start",
    "churned",
    "churn_rate",
    "prospects",
    "converted",
    "conversion_rate",
    "csat_responses",
    "csat_mean",
    "csat_satisfied_share",
    "nps_responses",
    "nps",
    "overdue",
    "churn_risk",
)


def report_rows(report: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The report as flat rows (overall first, marked 'all'), for CSV."""
    by = report["by"]
    period = {"from": report["period"]["from"], "to": report["period"]["to"]}
    rows = [{**period, **dict.fromkeys(by, "all"), **report["overall"]}]
    rows += [{**period, **row} for row in report["breakdown"]]
    return rows, ["from", "to", *by, *METRIC_KEYS]


def report_view(report: dict[str, Any], fmt: Format, output: str | None, bom: bool) -> None:
    if fmt is Format.json:
        write_to(output, write_json, report)
    elif fmt is Format.csv:
        write_to(output, write_csv, *report_rows(report), bom=bom)
    else:
        _report_table(report)


def _csat(value: float | None) -> str:
    return "no data" if value is None else f"{value:.2f}"


def _nps(value: float | None) -> str:
    return "no data" if value is None else f"{value:+.0f}"


def _count(value: Any) -> str:
    return "–" if value is None else str(value)


def _report_title(period: dict[str, Any]) -> str:
    """The period asked for, and whether days after the report date were left out."""
    from followup_cli.i18n import _

    fields = {"start": period["from"], "end": period["to"], "as_of": period["as_of"]}
    if period.get("cut_short") and period.get("counted_to") is None:
        return _("Report {start} to {end} (as of {as_of}): not begun yet, no data").format(**fields)
    if period.get("cut_short"):
        return _(
            "Report {start} to {end}, counted up to {as_of}: the days after it have not "
            "happened yet"
        ).format(**fields)
    return f"Report {period['from']} to {period['to']} (as of {period['as_of']})"


def _report_table(report: dict[str, Any]) -> None:
    period, overall = report["period"], report["overall"]
    rows = [
        {
            "metric": "Success rate",
            "value": _percent(overall["success_rate"]),
            "basis": f"{overall['completed']} completed of {overall['planned']} planned",
        },
        {
            "metric": "Churn rate",
            "value": _percent(overall["churn_rate"]),
            "basis": (
                f"{_count(overall['churned'])} churned of {_count(overall['active_at_start'])} "
                "active at start"
            ),
        },
        {
            "metric": "Conversion rate",
            "value": _percent(overall["conversion_rate"]),
            "basis": f"{_count(overall['converted'])} converted of "
            f"{_count(overall['prospects'])} prospects",
        },
        {
            "metric": "CSAT",
            "value": _csat(overall["csat_mean"]) + " / 5",
            "basis": f"{overall['csat_responses']} scores, "
            f"{_percent(overall['csat_satisfied_share'])} gave 4-5",
        },
        {
            "metric": "NPS",
            "value": _nps(overall["nps"]),
            "basis": f"{overall['nps_responses']} answers",
        },
        {
            "metric": "Overdue",
            "value": str(overall["overdue"]),
            "basis": f"open follow-ups past due on {period['as_of']}",
        },
        {
            "metric": "Churn risk",
            "value": _count(overall["churn_risk"]),
            "basis": "customers silent for more than twice their interval",
        },
    ]
    from followup_cli.layout import Col

    write_table(
        rows,
        (
            Col("metric", "Metric", whole=True),
            Col("value", "Value", whole=True),
            Col("basis", "Counts", free=True),
        ),
        _report_title(period),
    )
    by, breakdown = report["by"], report["breakdown"]
    if not by:
        return
    if not breakdown:
        print("No data to break down.")
        return
    table_rows = []
    for row in breakdown:
        table_rows.append(
            {
                **{d: row[d] for d in by},
                "success": f"{_percent(row['success_rate'])} ({row['completed']}/{row['planned']})",
                "bar": _bar(row["success_rate"] or 0, 1, 16),
                "churn": _percent(row["churn_rate"]),
                "conversion": _percent(row["conversion_rate"]),
                "csat": _csat(row["csat_mean"]),
                "nps": _nps(row["nps"]),
                "overdue": _count(row["overdue"]),
            }
        )
    from followup_cli.layout import Col

    # Figures are never broken; on a narrow screen the bar goes first, then NPS and CSAT.
    columns = [Col(d, d.capitalize(), keep=0, whole=True) for d in by] + [
        Col("success", "Success", keep=1, whole=True),
        Col("bar", "Success (bar)", keep=9, whole=True),
        Col("churn", "Churn", keep=2, whole=True),
        Col("conversion", "Conversion", keep=3, whole=True),
        Col("csat", "CSAT", keep=5, whole=True),
        Col("nps", "NPS", keep=6, whole=True),
        Col("overdue", "Overdue", keep=4, whole=True),
    ]
    write_table(table_rows, columns, f"By {' and '.join(by)}")


def report_definitions() -> None:
    from followup_cli.metrics import DEFINITIONS

    print("What the figures mean:")
    for name, text in DEFINITIONS:
        print(f"  {name}: {text}")
