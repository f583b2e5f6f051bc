"""Everything that reaches stdout: Rich tables for people, CSV and JSON for scripts.

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
from typing import Any, TextIO


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


Column = tuple[str, str]  # (key in the row dict, heading on a terminal)

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


def write_table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Column],
    title: str | None = None,
    empty: str = "nothing to show",
    row_style: Callable[[dict[str, Any]], str | None] | None = None,
) -> None:
    from rich.table import Table

    out = console()
    if not rows:
        out.print(empty)
        return
    # A column with nothing in it only takes room from the ones that matter.
    columns = [c for c in columns if any(_cell(row.get(c[0])) != "" for row in rows)]
    table = Table(title=title, title_justify="left", show_lines=False)
    for key, heading in columns:
        keep_whole = key in _NO_WRAP
        table.add_column(heading, overflow="fold", no_wrap=keep_whole, min_width=None)
    for row in rows:
        style = row_style(row) if row_style else None
        table.add_row(*(_text(row.get(key)) for key, _ in columns), style=style)
    out.print(table)


_NO_WRAP = frozenset({"customer_id", "phone", "tier", "due_date", "days_overdue", "date"})


def _text(value: Any) -> str:
    from rich.markup import escape

    return escape(str(_cell(value)))


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
    from rich.progress import Progress

    with Progress(console=console(stderr=True), transient=True) as bar:

        def start(total: int) -> Callable[[int], None]:
            if total < PROGRESS_MIN_ROWS:
                return lambda _: None
            task = bar.add_task(label, total=total)
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
    emit(rows, IMPORT_COLUMNS, fmt, "Imports, newest first", empty="No imports yet.")


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

TODAY_COLUMNS: tuple[Column, ...] = (
    ("customer_id", "ID"),
    ("name", "Name"),
    ("phone", "Phone"),
    ("tier", "Tier"),
    ("due_date", "Due"),
    ("days_overdue", "Days over"),
    ("status", "Status"),
    ("reason", "Why"),
    ("last_outcome", "Last outcome"),
    ("last_note", "Last note"),
)
EXPLAIN_COLUMNS: tuple[Column, ...] = (
    ("customer_id", "ID"),
    ("name", "Name"),
    ("tier", "Tier"),
    ("rule", "Rule"),
    ("anchor", "Counted from"),
    ("due_date", "Due"),
    ("late_after", "Late after"),
    ("status", "Status"),
    ("reason", "Why"),
)
_STATUS_STYLE = {"late": "bold red", "overdue": "yellow"}
TODAY_CSV_KEYS = (
    "customer_id",
    "name",
    "phone",
    "tier",
    "owner",
    "due_date",
    "days_overdue",
    "kind",
    "reason",
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


def today_view(items: list[dict[str, Any]], fmt: Format, on: str, explain: bool = False) -> None:
    if fmt is not Format.table:
        emit(items, [(k, k) for k in TODAY_CSV_KEYS], fmt)
        return
    if not items:
        console().print(f"Nothing due on {on}.")
        return
    late = sum(1 for i in items if i["status"] == "late")
    title = f"Follow-ups due on {on}: {len(items)}" + (f" ({late} late)" if late else "")
    write_table(
        items,
        EXPLAIN_COLUMNS if explain else TODAY_COLUMNS,
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
    for pair in pairs:
        if pair["field"] == "spend" and pair["value"] is not None:
            pair["value"] = money(pair["value"])
    write_table(
        [p for p in pairs if p["value"] not in (None, "", {})],
        (("field", "Field"), ("value", "Value")),
        f"{record['name']}",
    )
    if "timeline" in record:
        timeline_table(record["timeline"])
    else:
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
        console().print("Nothing planned in those days.")
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
                f"{overall['churned']} churned of {overall['active_at_start']} active at start"
            ),
        },
        {
            "metric": "Conversion rate",
            "value": _percent(overall["conversion_rate"]),
            "basis": f"{overall['converted']} converted of {overall['prospects']} prospects",
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
            "value": str(overall["churn_risk"]),
            "basis": "customers silent for more than twice their interval",
        },
    ]
    write_table(
        rows,
        (("metric", "Metric"), ("value", "Value"), ("basis", "Counts")),
        f"Report {period['from']} to {period['to']} (as of {period['as_of']})",
    )
    by, breakdown = report["by"], report["breakdown"]
    if not by:
        return
    if not breakdown:
        console().print("No data to break down.")
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
    columns = [(d, d.capitalize()) for d in by] + [
        ("success", "Success"),
        ("bar", "Success (bar)"),
        ("churn", "Churn"),
        ("conversion", "Conversion"),
        ("csat", "CSAT"),
        ("nps", "NPS"),
        ("overdue", "Overdue"),
    ]
    write_table(table_rows, columns, f"By {' and '.join(by)}")


def report_definitions() -> None:
    from followup_cli.metrics import DEFINITIONS

    out = console()
    out.print("What the figures mean:")
    for name, text in DEFINITIONS:
        out.print(f"  {name}: {text}")


# --- find, timeline ------------------------------------------------------------------------------


def money(amount: float | int | None) -> str:
    """Spend as money: thousands separated, two decimals (1,280.00)."""
    return "" if amount is None else f"{amount:,.2f}"


FIND_COLUMNS: tuple[Column, ...] = (
    ("customer_id", "ID"),
    ("name", "Name"),
    ("phone", "Phone"),
    ("email", "E-mail"),
    ("tier", "Tier"),
    ("owner", "Owner"),
    ("status", "Status"),
    ("next_due", "Next"),
)
FIND_KEYS = (*(key for key, _ in FIND_COLUMNS), "matched")


def find_view(found: dict[str, Any], fmt: Format) -> None:
    from followup_cli.i18n import _

    rows = found["customers"]
    if fmt is Format.json:
        write_json(rows)
        return
    if fmt is Format.csv:
        write_csv(rows, FIND_KEYS)
        return
    if not rows:
        console().print(
            _("No customer matches {query!r}.").format(query=found["query"]), markup=False
        )
        return
    if found["total"] > len(rows):
        title = _("{shown} of {total} customers matching {query!r}").format(
            shown=len(rows), total=found["total"], query=found["query"]
        )
    else:
        title = _("Customers matching {query!r}: {total}").format(
            total=found["total"], query=found["query"]
        )
    columns = [(key, _(heading)) for key, heading in FIND_COLUMNS]
    write_table(rows, columns, _escape(title))


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def timeline_details(event: dict[str, Any]) -> tuple[str, str]:
    """What one timeline event says to a person: (what happened, the details)."""
    from followup_cli.i18n import _

    kind = event["kind"]
    if kind == "added":
        return _("added"), ""
    if kind == "purchase":
        details = money(event["amount"]) if event["amount"] is not None else ""
        if event.get("order"):
            details = (details + " " + _("order {order}").format(order=event["order"])).strip()
        return _("purchase"), details
    if kind == "change":
        if event["field"] == "merged":
            return _("merged"), _("with {other}").format(other=event["from"])
        old, new = event["from"] or "-", event["to"] or "-"
        return _("{field} changed").format(field=event["field"]), f"{old} -> {new}"
    if kind == "snooze":
        return _("snoozed"), _("{note} (contact {contact_id})").format(
            note=event["note"] or "", contact_id=event["contact_id"]
        )
    if kind == "planned":
        return _("next follow-up"), event["reason"] or ""
    parts = [p for p in (event.get("channel"), event.get("note")) if p]
    if event.get("score") is not None:
        parts.append(_("CSAT {score}").format(score=event["score"]))
    if event.get("nps") is not None:
        parts.append(_("NPS {nps}").format(nps=event["nps"]))
    parts.append(_("contact {contact_id}").format(contact_id=event["contact_id"]))
    return event["outcome"], "; ".join(parts)


def timeline_table(events: list[dict[str, Any]]) -> None:
    from followup_cli.i18n import _

    rows = []
    for event in events:
        what, details = timeline_details(event)
        rows.append({"date": event["date"], "what": what, "details": details})
    columns = (("date", _("Date")), ("what", _("What")), ("details", _("Details")))
    write_table(rows, columns, _("Timeline"))
