"""Everything that reaches stdout: tables for people (laid out by layout.py), CSV and JSON
for scripts; Rich only for the progress bar.

Machine formats are written with print/json/csv, never through Rich, which would wrap lines.
"""

from __future__ import annotations

import csv
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from followup_cli import wording
from followup_cli.i18n import N_, _

if TYPE_CHECKING:
    from followup_cli.output.table import Col

from followup_cli.text import strip_controls


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


Column = tuple[str, str]  # (key in the row dict, heading on a terminal); or a layout.Col

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
        writer.writerow(neutralise(_cell(row.get(k))) for k in keys)


def console(stderr: bool = False):
    """A Rich console that never colours or animates when not on a terminal."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    columns = os.environ.get("COLUMNS", "")
    width = None if stream.isatty() else int(columns) if columns.isdigit() else 80
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
    empty: str = N_("nothing to show"),
    row_style: Callable[[dict[str, Any]], str | None] | None = None,
) -> None:
    """A table laid out for the terminal's width (see layout.py); cells are never markup."""
    from followup_cli.output.table import table_lines

    if not rows:
        print(_(empty))
        return
    shown, headings, style = _for_reader(rows, columns, row_style)
    title = strip_controls(title) if title else title
    lines = table_lines(shown, headings, _text, title, style, colour_on())
    sys.stdout.write("\n".join(lines) + "\n")


def _text(value: Any) -> str:
    return strip_controls(str(_cell(value)))


def _for_reader(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Column | Col],
    row_style: Callable[[dict[str, Any]], str | None] | None,
) -> tuple[list[dict[str, Any]], list[Column | Col], Any]:
    """Rows, headings and row styles as a person reads them: stored English values (tiers,
    statuses, outcomes, reasons) and headings in the chosen language; styles from the
    stored values."""
    from dataclasses import replace

    from followup_cli.i18n import language

    if language() == "en":
        return list(rows), list(columns), row_style
    headings = [
        replace(c, heading=_(c.heading)) if not isinstance(c, tuple) else (c[0], _(c[1]))
        for c in columns
    ]
    shown = [{key: _shown(key, value) for key, value in row.items()} for row in rows]
    if row_style is None:
        return shown, headings, None
    stored = {id(s): row for s, row in zip(shown, rows, strict=True)}
    return shown, headings, lambda row: row_style(stored[id(row)])


# How a stored value reads in a table, by column: the file keeps it in English.
_SHOWN_AS: dict[str, Callable[[Any], str]] = {
    "tier": wording.tier,
    "then": wording.tier,
    "status": wording.status,
    "outcome": wording.outcome,
    "last_outcome": wording.outcome,
    "channel": wording.channel,
    "kind": wording.kind,
    "reason": wording.reason,
    "anchor": wording.anchor,
    "interval": wording.duration,
    "grace": wording.duration,
    "every": wording.durations,
    "steps": wording.durations,
    "spend": wording.money,
    "segment": lambda key: segment_name(key),
}


def emit(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Column],
    fmt: Format,
    title: str | None = None,
    empty: str = N_("nothing to show"),
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
    with open_output(path, bom=bom) as out:
        writer(*args, out=out)


def write_to(output: str | None, writer, *args: Any, bom: bool = False) -> None:
    """To the file named (whole, owner-only), or to stdout when none is named."""
    if output:
        to_text_file(output, writer, *args, bom=bom)
    else:
        writer(*args)


def check_output(path: str | None) -> None:
    """Refuse an output that cannot work before any work is done: a folder, or a file in a
    folder that does not exist."""
    from followup_cli.errors import FollowupError
    from followup_cli.i18n import _

    if not path or path == "-":
        return
    target = Path(path).expanduser()
    if target.is_dir():
        raise FollowupError(_("{path} is a folder: give a file name").format(path=path))
    if not target.resolve().parent.is_dir():
        raise FollowupError(_("folder {folder} does not exist").format(folder=target.parent))


def _written_directly(target: Path) -> bool:
    """`-`, a FIFO, a device or a terminal is written to as it is: replacing it with a file
    (or, as root, replacing /dev/null) would be wrong."""
    if str(target) == "-" or str(target).startswith(("/dev/", "/proc/")):
        return True
    try:
        mode = os.stat(target).st_mode  # follows links: what would be written to
    except FileNotFoundError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


@contextmanager
def open_output(path: str, bom: bool = False, binary: bool = False) -> Iterator[Any]:
    """A handle to stream an export into, owner-only and never half-written.

    A regular file is written under an unpredictable name created exclusively in its folder
    (never through a link or file planted in advance) and renamed over the target at the end;
    any failure removes it. FIFOs, devices and `-` are written straight through.
    """
    import tempfile

    check_output(path)
    target = Path(path).expanduser()
    encoding = "utf-8-sig" if bom else "utf-8"
    if _written_directly(target):
        if str(target) == "-":
            sys.stdout.flush()
            if binary:
                yield sys.stdout.buffer
                sys.stdout.buffer.flush()
            else:
                sys.stdout.write("\ufeff" if bom else "")
                yield sys.stdout
            return
        fd = os.open(target, os.O_WRONLY)  # never creates a file under /dev
        with _fd_handle(fd, binary, encoding) as handle:
            yield handle
        return
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with _fd_handle(fd, binary, encoding) as handle:
            yield handle
        os.replace(partial, target)  # replaces a link itself, never the file it points at
    finally:
        Path(partial).unlink(missing_ok=True)


def _fd_handle(fd: int, binary: bool, encoding: str) -> Any:
    if binary:
        return os.fdopen(fd, "wb")
    return os.fdopen(fd, "w", encoding=encoding, newline="")


PROGRESS_MIN_ROWS = 20_000  # smaller files import in well under a second


@contextmanager
def progress(
    label: str, done_label: str | None = None, quiet: bool = False
) -> Iterator[Callable[[int], Callable[[int], None]] | None]:
    """A factory (total rows -> tick) for a progress bar: only for a person watching (both
    outputs on a terminal, no --quiet) and a big file. The bar is drawn by the ticks, with no
    thread of its own, so an import may fork its reading process at any time; once every row
    is counted it says `done_label` (the writing that follows takes a while on a big file)."""
    if (
        quiet
        or not (sys.stderr.isatty() and sys.stdout.isatty())
        or os.environ.get("TERM") == "dumb"
    ):
        yield None
        return
    import time

    from rich.markup import escape
    from rich.progress import Progress

    with Progress(console=console(stderr=True), transient=True, auto_refresh=False) as bar:

        def start(total: int) -> Callable[[int], None]:
            if total < PROGRESS_MIN_ROWS:
                return lambda _: None
            task = bar.add_task(escape(label), total=total)  # a file name is not markup
            counted, drawn = [0], [0.0]

            def tick(rows: int) -> None:
                bar.advance(task, rows)
                counted[0] += rows
                finished = counted[0] >= total
                if finished and done_label:
                    bar.update(task, description=escape(done_label))
                now = time.monotonic()
                if finished or now - drawn[0] >= 0.1:
                    bar.refresh()
                    drawn[0] = now

            return tick

        yield start


def import_summary(summary: dict[str, Any], as_json: bool, quiet: bool, strict: bool) -> None:
    if as_json:
        write_json(summary)
        return
    if quiet:
        return
    counts = _(
        "read {read}, added {added}, updated {updated}, unchanged {unchanged}, rejected {rejected}"
    ).format(**{k: summary[k] for k in ("read", "added", "updated", "unchanged", "rejected")})
    counts = _read_as(summary) + counts + _more_counts(summary)
    if summary["dry_run"]:
        counts = _("dry run, nothing written: {counts}").format(counts=counts)
    if strict and not summary["written"]:
        counts = _("{counts} (nothing written: --strict)").format(counts=counts)
    encoding = _(ENCODING_NAMES.get(summary["encoding"], summary["encoding"]))
    message(
        _("{file} ({encoding}): {counts}").format(
            file=summary["file"], encoding=encoding, counts=counts
        )
    )
    if summary["dry_run"] and summary.get("columns"):
        read = _("Columns read: {columns}").format(columns=columns_read(summary["columns"]))
        if summary.get("kept_columns"):
            read += _("; kept as other fields: {columns}").format(
                columns=_(", ").join(summary["kept_columns"])
            )
        message(read)
    unknown = summary.get("unknown_levels") or {}
    if unknown:
        listed = ", ".join(f"{level} ×{count}" for level, count in unknown.items())
        example = next(iter(unknown))
        message(
            _(
                "{count} rows had a level the level table does not know ({listed}): imported as "
                "regular. Map one with: followup rules levels set '{example}' vip"
            ).format(count=sum(unknown.values()), listed=listed, example=example)
        )
    spread = summary.get("spread")
    if spread:
        sentence = (
            _(
                "The shop's first purchases: the {backlog} calls they make due now are spread "
                "over {days} open days, until {last}, at most {capacity} a day (option "
                "daily_capacity), most important first, each due on its day; {kept} are on "
                "today's list."
            )
            if spread.get("after") == "purchases"
            else _(
                "First import: the {backlog} calls due now are spread over {days} open days, "
                "until {last}, at most {capacity} a day (option daily_capacity), most important "
                "first; {kept} are on today's list."
            )
        )
        message(
            sentence.format(
                backlog=spread["backlog"],
                days=spread["open_days"],
                last=spread["last_day"],
                capacity=spread["capacity"],
                kept=spread["kept_today"],
            )
        )


# The fields an import fills besides a customer's own (see importer.HELPER_ALIASES).
_HELPER_FIELD_NAMES = {
    "first_name": N_("first name"),
    "last_name": N_("last name"),
    "nickname": N_("nickname"),
    "phone2": N_("second phone"),
    "country": N_("country"),
    "tags": N_("tags"),
    "level2": N_("second level"),
    "spend": N_("spend (kept)"),
    "visits": N_("visits (kept)"),
}


def columns_read(columns: dict[str, str]) -> str:
    """`备注名 -> name, 备注手机号 -> phone`: which column of the file went to which field."""
    return _(", ").join(
        f"{column} -> "
        + (_(_HELPER_FIELD_NAMES[name]) if name in _HELPER_FIELD_NAMES else wording.field(name))
        for column, name in columns.items()
    )


def _read_as(summary: dict[str, Any]) -> str:
    """Which known export the file was read as, and where its header was, when that matters."""
    layout, line = summary.get("layout"), summary.get("header_line", 1)
    layout = wording.layout_name(layout) if layout else layout
    if layout and line != 1:
        return _("read as a {layout} export, header on line {line}; ").format(
            layout=layout, line=line
        )
    if layout:
        return _("read as a {layout} export; ").format(layout=layout)
    if line != 1:
        return _("header on line {line}; ").format(line=line)
    return ""


def _more_counts(summary: dict[str, Any]) -> str:
    """The counts that are not zero beyond the usual five, so a plain import reads as before."""
    parts = [
        (summary.get("merged"), _("merged {count}")),
        (summary.get("named_from_contact"), _("named from nickname/phone/e-mail {count}")),
        (summary.get("phones_left_out"), _("phones left out {count}")),
        (summary.get("shared_phones"), _("sharing a phone {count}")),
        (summary.get("skipped_totals"), _("skipped {count} total rows")),
        (summary.get("skipped_placeholders"), _("skipped {count} placeholder rows")),
        (summary.get("skipped_unpaid"), _("skipped {count} unpaid/refunded orders")),
        (summary.get("skipped_walk_ins"), _("skipped {count} sales to walk-in customers")),
        (
            summary.get("skipped_masked"),
            _("skipped {count} orders whose phone the marketplace hid"),
        ),
        (
            summary.get("skipped_keyless"),
            _("skipped {count} contacts with no phone or e-mail"),
        ),
        (summary.get("buyers_added"), _("new customers from the orders {count}")),
    ]
    return "".join(
        _(", {part}").format(part=text.format(count=count)) for count, text in parts if count
    )


# How the import summary names the encoding it read the file in.
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": N_("UTF-8 with BOM"),
    "utf-16": "UTF-16",
    "gb18030": N_("GBK/GB18030"),
    "xlsx": N_("Excel workbook"),
    "xls": N_("Excel workbook"),
    "ods": N_("OpenDocument spreadsheet"),
}


IMPORT_COLUMNS: tuple[Column, ...] = (
    ("id", N_("ID")),
    ("started_at", N_("When (UTC)")),
    ("kind", N_("Kind")),
    ("file", N_("File")),
    ("read", N_("Read")),
    ("added", N_("Added")),
    ("updated", N_("Updated")),
    ("unchanged", N_("Unchanged")),
    ("rejected", N_("Rejected")),
    ("status", N_("Status")),
    ("message", N_("Message")),
)


def imports_view(rows: list[dict[str, Any]], fmt: Format) -> None:
    if fmt is not Format.table:
        emit(rows, IMPORT_COLUMNS, fmt)
        return
    from followup_cli.output.table import Col

    # On a narrow screen what the import did stays; how many rows it read goes first.
    columns = (
        Col("id", N_("ID"), keep=0),
        Col("started_at", N_("When"), keep=0, whole=True),
        Col("kind", N_("Kind"), keep=8),
        Col("file", N_("File"), keep=2, shorten="middle"),  # one line; the name's end stays
        Col("read", N_("Read"), keep=6),
        Col("added", N_("Added"), keep=1),
        Col("updated", N_("Updated"), keep=3),
        Col("unchanged", N_("Unchanged"), keep=7),
        Col("rejected", N_("Rejected"), keep=4),
        Col("status", N_("Status"), keep=5),
        Col("message", N_("Message"), keep=9, free=True),
    )
    shown = [{**row, "started_at": _to_minute(row.get("started_at"))} for row in rows]
    write_table(shown, columns, _("Imports, newest first"), empty=N_("No imports yet."))


def _to_minute(stamp: str | None) -> str | None:
    """2026-11-24T20:05:29.562527+00:00 -> 2026-11-25 04:05 in Shanghai: the shop's own clock
    (the computer's time zone), to the minute, for the table's When column."""
    if not stamp:
        return stamp
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp[:16].replace("T", " ")
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def doctor_view(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        write_json(report)
        return
    counts = _(", ").join(
        _("{count} {what}").format(count=v, what=wording.counted(k))
        for k, v in report["counts"].items()
    )
    if report["file_mode"] == "server":
        message(_("database: {database} (a PostgreSQL server)").format(database=report["file"]))
    else:
        message(
            _("file: {file} ({mode}, {journal})").format(
                file=report["file"],
                mode=wording.file_mode(report["file_mode"]),
                journal=wording.journal_mode(report["journal_mode"]),
            )
        )
    message(
        _("schema version: {version}; integrity: {integrity}").format(
            version=report["schema_version"], integrity=wording.status(report["integrity"])
        )
    )
    message(_("counts: {counts}").format(counts=counts))
    if report["problems"]:
        for problem in report["problems"]:
            message(_("problem: {problem}").format(problem=problem))
    else:
        message(_("no problems found"))


def transfer_view(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        write_json(result)
        return
    for row in result["tables"]:
        message(
            _("{table}: {source} rows copied, {target} there").format(
                table=row["table"], source=row["source"], target=row["target"]
            )
        )
    message(
        _("the report from {start} to {end} reads the same in both: the copy is complete").format(
            start=result["report_from"], end=result["report_to"]
        )
    )


def message(text: str) -> None:
    print(strip_controls(text))


def warn(text: str) -> None:
    print(strip_controls(text), file=sys.stderr)


# --- views -------------------------------------------------------------------------------------


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
    "branch",  # last: a chain's column, after the columns scripts already know
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
    "segment",
    "rfm",
    "purchase_days",
    "notes",
    "extra",
    "branch",  # last: a chain's column, after the columns scripts already know
)
HISTORY_COLUMNS: tuple[Column, ...] = (
    ("date", N_("Date")),
    ("outcome", N_("Outcome")),
    ("channel", N_("Channel")),
    ("score", "CSAT"),
    ("nps", "NPS"),
    ("owner", N_("Owner")),
    ("note", N_("Note")),
)


def today_view(
    items: list[dict[str, Any]],
    fmt: Format,
    on: str,
    explain: bool = False,
    total: int | None = None,
    branch: str | None = None,
) -> None:
    """The morning list; `total` is the whole list's length when only the first are shown.
    A Branch column when customers on it have one; one branch's list names it in the title
    instead."""
    if fmt is not Format.table:
        emit(items, [(k, k) for k in TODAY_CSV_KEYS], fmt)
        return
    if branch is not None:
        branch = next((i["branch"] for i in items if i.get("branch")), branch)
    if not items:
        if branch is not None:
            print(_("Nothing due on {day} at {branch}.").format(day=on, branch=branch))
        else:
            print(_("Nothing due on {day}.").format(day=on))
        return
    late = sum(1 for i in items if i["status"] == "late")
    count = str(len(items))
    if total is not None and total > len(items):
        count = _("{shown} of {total}").format(shown=len(items), total=total)
    if branch is not None and late:
        title = _("Follow-ups due on {day} at {branch}: {count} ({late} late)").format(
            day=on, branch=branch, count=count, late=late
        )
    elif branch is not None:
        title = _("Follow-ups due on {day} at {branch}: {count}").format(
            day=on, branch=branch, count=count
        )
    elif late:
        title = _("Follow-ups due on {day}: {count} ({late} late)").format(
            day=on, count=count, late=late
        )
    else:
        title = _("Follow-ups due on {day}: {count}").format(day=on, count=count)
    columns = _explain_columns() if explain else _today_columns()
    if not explain:
        items = _reasons_that_fit(items, columns)
    if branch is None and any(item.get("branch") for item in items):
        columns = _with_branch(columns, after="name" if explain else "phone", keep=3)
    write_table(
        items,
        columns,
        title,
        row_style=lambda row: _STATUS_STYLE.get(row["status"]),
    )


def _reasons_that_fit(items: list[dict[str, Any]], columns: Sequence[Col]) -> list[dict[str, Any]]:
    """The full reason when the whole list fits one line a customer (a wide screen), else
    the short form (`挽回（每 1 个月）`); the full one is always under --explain and `show`."""
    from followup_cli.output.table import fits_in_full

    shown, headings, _style = _for_reader(items, columns, None)
    wanted = [c for c in headings if c.key not in ("last_outcome", "last_note")]
    if fits_in_full(shown, wanted, _text):
        return items
    return [{**item, "reason": wording.short_reason(item["reason"])} for item in items]


def _with_branch(columns: Sequence[Col], after: str, keep: int) -> tuple[Col, ...]:
    """A chain's tables name each customer's branch (a single shop never sees the column)."""
    from followup_cli.output.table import Col

    shown: list[Col] = []
    for column in columns:
        shown.append(column)
        if column.key == after:
            shown.append(Col("branch", N_("Branch"), keep=keep))
    return tuple(shown)


def customer_view(record: dict[str, Any], fmt: Format) -> None:
    if fmt is Format.json:
        write_json(record)
        return
    if fmt is Format.csv:
        write_csv(record["history"], [k for k, _ in HISTORY_COLUMNS])
        return
    owner_at = CUSTOMER_KEYS.index("owner") + 1  # a chain's branch reads beside the owner
    keys = (*CUSTOMER_KEYS[:owner_at], "branch", *CUSTOMER_KEYS[owner_at:-1])
    pairs = [
        {"field": wording.field(k), "value": _shown(k, record.get(k))}
        for k in (*keys, "next_due", "next_reason")
        if record.get(k) not in (None, "", {}) and k != "extra"
    ]
    pairs += _other_fields(record.get("extra"))
    if record.get("aliases"):  # their other ids (a second account, a merged customer)
        pairs.insert(1, {"field": _("other ids"), "value": ", ".join(record["aliases"])})
    write_table(pairs, (("field", N_("Field")), ("value", N_("Value"))), f"{record['name']}")
    if "timeline" in record:
        timeline_table(record["timeline"])
    else:
        write_table(
            record["history"], HISTORY_COLUMNS, _("History"), empty=N_("No contacts logged yet.")
        )


def _other_fields(extra: Any) -> list[dict[str, Any]]:
    """The shop's own columns kept from an import, a labelled line each (`其他字段：生日`)."""
    if not isinstance(extra, dict):
        return [] if extra in (None, "") else [{"field": _("other fields"), "value": extra}]
    label = _("other field: {name}")
    return [
        {"field": label.format(name=name), "value": value}
        for name, value in extra.items()
        if value not in (None, "")
    ]


def _shown(key: str, value: Any) -> Any:
    """A customer's field as a person reads it (see _SHOWN_AS)."""
    shown = _SHOWN_AS.get("reason" if key == "next_reason" else key)
    if isinstance(value, bool):
        return wording.yes_no(value)
    return shown(value) if shown is not None else value


def export_view(
    rows: Iterable[dict[str, Any]], fmt: Format, output: str | None, excel: bool = False
) -> None:
    export_rows(rows, CUSTOMER_KEYS, fmt, output, excel)


def export_rows(
    rows: Iterable[dict[str, Any]],
    keys: Sequence[str],
    fmt: Format,
    output: str | None,
    excel: bool = False,
) -> None:
    """CSV (the default) or JSON for scripts, to a file written whole or to stdout, streamed a
    row at a time; a file for a person (`-o NAME.xlsx`, or `--excel` for CSV with a BOM) is
    written by spreadsheet.py."""
    from followup_cli.output import xlsx as spreadsheet

    if spreadsheet.is_workbook(output):
        spreadsheet.write_xlsx(rows, keys, str(output))
    elif excel:
        write_to(output, spreadsheet.write_people_csv, rows, keys, bom=True)
    elif fmt is Format.json:
        write_to(output, write_json_rows, rows)
    else:
        write_to(output, write_csv, rows, keys)


def write_bytes(data: bytes, output: str | None) -> None:
    if output:
        with open_output(output, binary=True) as out:
            out.write(data)
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


def levels_view(rows: list[dict[str, str]], fmt: Format) -> None:
    columns = (("level", _("Level word")), ("tier", _("Tier")))
    emit(rows, columns, fmt, _("Level table (import)"), empty=_("The level table is empty."))


def rules_view(data: dict[str, Any], fmt: Format) -> None:
    if fmt is Format.json:
        write_json(data)
        return
    keys = ("tier", "steps", "every", "anchor", "then", "grace", "rank")
    if fmt is Format.csv:
        write_csv(data["rules"], keys)
        return
    write_table(data["rules"], [(k, RULE_HEADINGS[k]) for k in (*keys, "describe")], _("Rules"))
    from followup_cli.wording import option_value

    options = [{"option": k, "value": option_value(v)} for k, v in data["options"].items()]
    write_table(options, (("option", N_("Option")), ("value", N_("Value"))), _("Options"))


RULE_HEADINGS = {
    "tier": N_("Tier"),
    "steps": N_("Steps"),
    "every": N_("Every"),
    "anchor": N_("Anchor"),
    "then": N_("Then"),
    "grace": N_("Grace"),
    "rank": N_("Rank"),
    "describe": N_("Describe"),
}


def upcoming_view(days: list[dict[str, Any]], fmt: Format) -> None:
    if fmt is Format.json:
        write_json(days)
        return
    rows = [{"date": d["date"], "count": d["count"], **item} for d in days for item in d["items"]]
    if fmt is Format.csv:
        write_csv(rows, ("date", *DUE_KEYS[1:]))
        return
    if not days:
        print(_("Nothing planned in those days."))
        return
    peak = max(d["count"] for d in days)
    load = [
        {
            "date": d["date"],
            "count": d["count"],
            "bar": _bar(d["count"], peak),
            "names": _(", ").join(i["name"] for i in d["items"][:6])
            + (" ..." if d["count"] > 6 else ""),
        }
        for d in days
    ]
    write_table(
        load,
        (("date", N_("Day")), ("count", N_("Calls")), ("bar", N_("Load")), ("names", N_("Who"))),
        _("Coming days"),
    )


def _bar(value: float, peak: float, width: int = 20) -> str:
    """A bar drawn with block characters, so a change is seen, not read."""
    if peak <= 0 or value <= 0:
        return ""
    eighths = round(width * 8 * value / peak)
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


AT_RISK_COLUMNS: tuple[Column, ...] = (
    ("customer_id", N_("ID")),
    ("name", N_("Name")),
    ("phone", N_("Phone")),
    ("tier", N_("Tier")),
    ("owner", N_("Owner")),
    ("last_activity", N_("Last purchase/contact")),
    ("silent_days", N_("Silent days")),
    ("interval", N_("Interval")),
)


def at_risk_view(rows: list[dict[str, Any]], fmt: Format) -> None:
    columns = AT_RISK_COLUMNS
    if fmt is not Format.table or any(row["branch"] for row in rows):
        at = [key for key, _heading in columns].index("owner") + 1
        columns = (*columns[:at], ("branch", N_("Branch")), *columns[at:])
        if fmt is not Format.table:  # machine output: the chain's column last, always
            columns = (*AT_RISK_COLUMNS, ("branch", "branch"))
    emit(
        rows,
        columns,
        fmt,
        _("At risk of churning: {count}").format(count=len(rows)),
        empty=N_("Nobody is at risk."),
    )


def _percent(value: float | None) -> str:
    return _("no data") if value is None else f"{100 * value:.1f}%"


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
    from followup_cli.output import xlsx as spreadsheet

    if spreadsheet.is_workbook(output):
        spreadsheet.write_xlsx(*report_rows(report), str(output))
    elif fmt is Format.json:
        write_to(output, write_json, report)
    elif fmt is Format.csv and bom:
        write_to(output, spreadsheet.write_people_csv, *report_rows(report), bom=bom)
    elif fmt is Format.csv:
        write_to(output, write_csv, *report_rows(report), bom=bom)
    else:
        _report_table(report)


def _csat(value: float | None) -> str:
    return _("no data") if value is None else f"{value:.2f}"


def _nps(value: float | None) -> str:
    return _("no data") if value is None else f"{value:+.0f}"


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
    return _("Report {start} to {end} (as of {as_of})").format(**fields)


def _report_table(report: dict[str, Any]) -> None:
    period, overall = report["period"], report["overall"]
    rows = [
        {
            "metric": _("Success rate"),
            "value": _percent(overall["success_rate"]),
            "basis": _("{completed} completed of {planned} planned").format(**overall),
        },
        {
            "metric": _("Churn rate"),
            "value": _percent(overall["churn_rate"]),
            "basis": _("{churned} churned of {active_at_start} active at start").format(
                churned=_count(overall["churned"]),
                active_at_start=_count(overall["active_at_start"]),
            ),
        },
        {
            "metric": _("Conversion rate"),
            "value": _percent(overall["conversion_rate"]),
            "basis": _("{converted} converted of {prospects} prospects").format(
                converted=_count(overall["converted"]), prospects=_count(overall["prospects"])
            ),
        },
        {
            "metric": _("CSAT"),
            "value": _csat(overall["csat_mean"]) + " / 5",
            "basis": _("{responses} scores, {share} gave 4-5").format(
                responses=overall["csat_responses"],
                share=_percent(overall["csat_satisfied_share"]),
            ),
        },
        {
            "metric": _("NPS"),
            "value": _nps(overall["nps"]),
            "basis": _("{nps_responses} answers").format(**overall),
        },
        {
            "metric": _("Overdue"),
            "value": str(overall["overdue"]),
            "basis": _("open follow-ups past due on {day}").format(day=period["as_of"]),
        },
        {
            "metric": _("Churn risk"),
            "value": _count(overall["churn_risk"]),
            "basis": _("customers silent for more than twice their interval"),
        },
    ]
    win_back = report.get("win_back")
    if win_back:
        rows.append(
            {
                "metric": _("Win-back rate"),
                "value": _percent(win_back["rate"]),
                "basis": _(
                    "{bought} of {contacted} dormant customers reached bought within {days} days"
                ).format(**win_back),
            }
        )
    from followup_cli.output.table import Col

    write_table(
        rows,
        (
            Col("metric", N_("Metric"), whole=True),
            Col("value", N_("Value"), whole=True),
            Col("basis", N_("Counts"), free=True),
        ),
        _report_title(period),
    )
    if report.get("churn_definition_text"):
        from followup_cli.output.table import terminal_width, wrap

        line = _("Churn definition: {text}").format(text=report["churn_definition_text"])
        print("\n".join(wrap(line, terminal_width(), cut_long_words=True)))
    by, breakdown = report["by"], report["breakdown"]
    if not by:
        return
    if not breakdown:
        print(_("No data to break down."))
        return
    table_rows = []
    for row in breakdown:
        table_rows.append(
            {
                **{d: _group_value(d, row[d]) for d in by},
                "success": f"{_percent(row['success_rate'])} ({row['completed']}/{row['planned']})",
                "bar": _bar(row["success_rate"] or 0, 1, 16),
                "churn": _percent(row["churn_rate"]),
                "conversion": _percent(row["conversion_rate"]),
                "csat": _csat(row["csat_mean"]),
                "nps": _nps(row["nps"]),
                "overdue": _count(row["overdue"]),
            }
        )
    from followup_cli.output.table import Col

    # Figures are never broken; on a narrow screen the bar goes first, then NPS and CSAT.
    columns = [Col(d, wording.dimension(d), keep=0, whole=True) for d in by] + [
        Col("success", N_("Success"), keep=1, whole=True),
        Col("bar", N_("Success (bar)"), keep=9, whole=True),
        Col("churn", N_("Churn"), keep=2, whole=True),
        Col("conversion", N_("Conversion"), keep=3, whole=True),
        Col("csat", "CSAT", keep=5, whole=True),
        Col("nps", "NPS", keep=6, whole=True),
        Col("overdue", N_("Overdue"), keep=4, whole=True),
    ]
    names = wording.dimensions(by)
    write_table(table_rows, columns, _("By {dimensions}").format(dimensions=names))


def _group_value(dimension: str, value: Any) -> Any:
    """A breakdown row's label: tier and channel names in the reader's language."""
    if value == "(none)":
        return _("(none)")
    if dimension == "tier":
        return wording.tier(value)
    if dimension == "channel":
        return wording.channel(value)
    return value


def report_definitions() -> None:
    from followup_cli.core.metrics import DEFINITIONS

    print(_("What the figures mean:"))
    for name, text in DEFINITIONS:
        print(_("  {name}: {text}").format(name=_(name), text=_(text)))


# --- find, timeline ------------------------------------------------------------------------------


def _find_columns() -> list[Col]:
    """On a narrow window the e-mail goes first, then owner, status, tier; id, name and phone
    stay."""
    from followup_cli.output.table import Col

    return [
        Col("customer_id", _("ID"), keep=0, whole=True),
        Col("name", _("Name"), keep=0, whole=True),
        Col("phone", _("Phone"), keep=1, whole=True),
        Col("email", _("E-mail"), keep=6, whole=True),
        Col("tier", _("Tier"), keep=3),
        Col("owner", _("Owner"), keep=5),
        Col("status", _("Status"), keep=4),
        Col("next_due", _("Next"), keep=2),
    ]


FIND_KEYS = (
    "customer_id",
    "name",
    "phone",
    "email",
    "tier",
    "owner",
    "status",
    "next_due",
    "matched",
    "branch",  # last: a chain's column, after the columns scripts already know
)


def find_view(found: dict[str, Any], fmt: Format) -> None:
    rows = found["customers"]
    if fmt is Format.json:
        write_json(rows)
        return
    if fmt is Format.csv:
        write_csv(rows, FIND_KEYS)
        return
    if not rows:
        print(_("No customer matches {query!r}.").format(query=found["query"]))
        return
    if found["total"] > len(rows):
        title = _("{shown} of {total} customers matching {query!r}").format(
            shown=len(rows), total=found["total"], query=found["query"]
        )
    else:
        title = _("Customers matching {query!r}: {total}").format(
            total=found["total"], query=found["query"]
        )
    columns = _find_columns()
    if any(row.get("branch") for row in rows):
        columns = list(_with_branch(columns, after="owner", keep=4))
    write_table(rows, columns, title)


STAFF_KEYS = ("name", "branch", "customers", "open", "due")


def staff_view(data: dict[str, Any], fmt: Format) -> None:
    """Staff and their load; the Branch column only in a chain."""
    from followup_cli.output.table import Col

    rows = data["staff"]
    if fmt is not Format.table:
        emit(rows, [(k, k) for k in STAFF_KEYS], fmt)
        return
    if not rows:
        print(_("No staff yet: give customers an owner (followup assign C001 --owner NAME)."))
        return
    columns = [
        Col("name", N_("Staff"), keep=0, whole=True),
        Col("customers", N_("Customers"), keep=3, whole=True),
        Col("open", N_("Open follow-ups"), keep=2, whole=True),
        Col("due", _("Due by {day}").format(day=data["date"]), keep=1, whole=True),
    ]
    if data["chain"]:
        columns.insert(1, Col("branch", N_("Branch"), keep=4))
    write_table(rows, columns, _("Staff: {count}").format(count=len(rows)))


def timeline_details(event: dict[str, Any]) -> tuple[str, str]:
    """What one timeline event says to a person: (what happened, the details)."""
    kind = event["kind"]
    if kind == "added":
        return _("added"), ""
    if kind == "purchase":
        details = wording.money(event["amount"])
        if event.get("order"):
            details = (details + " " + _("order {order}").format(order=event["order"])).strip()
        return _("purchase"), details
    if kind == "change":
        if event["field"] == "merged":
            return _("merged"), _("with {other}").format(other=event["from"])
        if event["field"] == "added_by":
            return _("also added by"), event["to"] or ""
        shown = wording.tier if event["field"] == "tier" else str
        old, new = (shown(v) if v else "-" for v in (event["from"], event["to"]))
        return _("{field} changed").format(field=wording.field(event["field"])), f"{old} -> {new}"
    if kind == "snooze":
        return _("snoozed"), _("{note} (contact {contact_id})").format(
            note=event["note"] or "", contact_id=event["contact_id"]
        )
    if kind == "planned":
        return _("next follow-up"), wording.reason(event["reason"]) if event["reason"] else ""
    channel = wording.channel(event["channel"]) if event.get("channel") else None
    parts = [p for p in (channel, event.get("note")) if p]
    if event.get("score") is not None:
        parts.append(_("CSAT {score}").format(score=event["score"]))
    if event.get("nps") is not None:
        parts.append(_("NPS {nps}").format(nps=event["nps"]))
    parts.append(_("contact {contact_id}").format(contact_id=event["contact_id"]))
    return wording.outcome(event["outcome"]), "; ".join(parts)


def timeline_table(events: list[dict[str, Any]]) -> None:
    from followup_cli.output.table import Col

    rows = []
    for event in events:
        what, details = timeline_details(event)
        rows.append({"date": event["date"], "what": what, "details": details})
    columns = [
        Col("date", _("Date"), keep=0, whole=True),
        Col("what", _("What"), keep=0),
        Col("details", _("Details"), keep=0, free=True),
    ]
    write_table(rows, columns, _("Timeline"))


# --- message templates and send lists ---------------------------------------------------------

SEND_KEYS = ("customer_id", "name", "phone", "owner", "template", "message")


def send_list_view(
    rows: list[dict[str, Any]], fmt: Format, output: str | None = None, excel: bool = False
) -> None:
    """A send list for a bulk SMS or WeCom tool: CSV or JSON, to stdout or a private file."""
    export_rows(rows, SEND_KEYS, fmt, output, excel)


def templates_view(rows: list[dict[str, Any]], fmt: Format) -> None:
    if fmt is not Format.table:
        emit(rows, [(k, k) for k in ("key", "text", "custom")], fmt)
        return
    shown = [
        {**row, "custom": _("your own") if row["custom"] else _("the default")} for row in rows
    ]
    write_table(
        shown,
        (("key", N_("Template")), ("custom", N_("Wording")), ("text", N_("Text"))),
        title=_("Messages to send, per reason"),
    )


# --- purchases drive the plan: segments, tier suggestions -----------------------------------


def segment_name(key: Any) -> str:
    """A value segment as the reader says it: 重要价值 in Chinese, the key in English."""
    from followup_cli.core.segments import find_segment
    from followup_cli.i18n import language

    found = find_segment(str(key)) if key else None
    return found.chinese if found and language() == "zh_CN" else str(key or "")


SEGMENT_KEYS = (
    "segment",
    "name",
    "r",
    "f",
    "m",
    "customers",
    "customer_share",
    "spend",
    "spend_share",
)


def segments_view(data: dict[str, Any], fmt: Format) -> None:
    if fmt is Format.json:
        write_json(data)
        return
    if fmt is Format.csv:
        write_csv(data["segments"], SEGMENT_KEYS)
        return
    if not data["customers"]:
        print(_("No purchases imported yet: segments need purchases."))
        return
    peak = max((row["spend_share"] or 0) for row in data["segments"])
    rows = [
        {
            **row,
            "rfm": f"{row['r'][0].upper()}{row['f'][0].upper()}{row['m'][0].upper()}",
            "share": _percent(row["customer_share"]),
            "spend_pct": _percent(row["spend_share"]),
            "bar": _bar(row["spend_share"] or 0, peak),
        }
        for row in data["segments"]
    ]
    from followup_cli.output.table import Col

    # Narrow: the bar goes first, then the meaning (a legend), R F M and the name; the
    # figures the README promises (customers, share, spend, spend share) stay.
    columns: tuple[Col, ...] = (
        Col("segment", _("Segment"), keep=0, whole=True),
        Col("name", _("Segment name"), keep=5),
        Col("label", _("Meaning"), keep=7, free=True),
        Col("rfm", "R F M", keep=6),
        Col("customers", _("Customers"), keep=0),
        Col("share", _("Share"), keep=2),
        Col("spend", _("Spend"), keep=3),
        Col("spend_pct", _("Spend share"), keep=1),
        Col("bar", _("Spend (bar)"), keep=8),
    )
    if all(segment_name(row["segment"]) == row["name"] for row in rows):
        columns = tuple(c for c in columns if c.key != "name")  # in Chinese: the same words
    title = _("Value segments: {customers} customers with purchases, spend {spend}").format(
        customers=data["customers"], spend=data["spend"]
    )
    write_table(rows, columns, title)


TIER_SUGGESTION_KEYS = (
    "customer_id",
    "name",
    "tier",
    "suggested",
    "segment",
    "rfm",
    "last_purchase",
    "purchase_days",
    "spend",
    "applied",
)


def tier_suggestions_view(rows: list[dict[str, Any]], fmt: Format, applied: bool) -> None:
    if fmt is not Format.table:
        emit(rows, [(k, k) for k in TIER_SUGGESTION_KEYS], fmt)
        return
    title = (
        _("Tier changes made: {count}") if applied else _("Tier changes suggested: {count}")
    ).format(count=len(rows))
    columns = [(k, k.replace("_", " ").capitalize()) for k in TIER_SUGGESTION_KEYS[:-1]]
    write_table(rows, columns, title, empty=_("No tier changes to suggest."))
