"""The command line: parse arguments, call one service function, hand the result to render.

No SQL and no Rich here. Every error reaches the user as one line on stderr (see errors.py).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from datetime import date
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from followup_cli import __version__, render
from followup_cli.errors import (
    EXIT_FAILURE,
    EXIT_USAGE,
    ClickException,
    FollowupError,
    UsageError,
)
from followup_cli.i18n import _
from followup_cli.models import CHANNELS, OUTCOMES
from followup_cli.render import Format


class FollowupGroup(TyperGroup):
    """Turns every failure into one line on stderr and a documented exit code."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        _accept_db_after_command(self)
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                print(exc.format_message())
                sys.exit(EXIT_USAGE)
            # One line, always: click lists choices one per line.
            message = " ".join(exc.format_message().replace("Value error, ", "").split())
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            print(f"followup: error: {message}{hint}", file=sys.stderr)
            sys.exit(EXIT_USAGE)
        except ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except typer.Abort:
            print("followup: aborted", file=sys.stderr)
            sys.exit(EXIT_FAILURE)
        except BrokenPipeError:
            _reader_went_away()
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ClickException, typer.Exit, typer.Abort):
            raise
        except BrokenPipeError:
            _reader_went_away()
        except sqlite3.OperationalError as exc:
            raise FollowupError(f"database problem: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise FollowupError(f"database is damaged or not a followup file: {exc}") from None
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            raise FollowupError(f"{exc.strerror or exc}{where}") from None
        except Exception as exc:
            if os.environ.get("FOLLOWUP_DEBUG"):
                raise
            raise FollowupError(
                f"unexpected {type(exc).__name__}: {exc} (run with FOLLOWUP_DEBUG=1 and report it)"
            ) from None


def _reader_went_away() -> None:
    """The reader (`head -1`, a closed pager) took what it wanted: not a failure, no message.
    (Caught here: click would turn it into exit 1.)"""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(0)


def _db_option(ctx: typer.Context, param: Any, value: str | None) -> str | None:
    """--db, before the command or after it; an empty name is refused, not the default."""
    if value is None:
        return None
    if not value.strip():
        raise typer.BadParameter(_("give a database file name, not an empty one"))
    root = ctx.find_root()
    root.obj = {**(root.obj or {}), "db": value}
    return value


def _accept_db_after_command(group: Any) -> None:
    """Every command (and command group) also takes --db, so `today --db shop.db` works."""
    from typer.core import TyperOption

    for command in group.commands.values():
        if not any(p.name == "late_db" for p in command.params):
            command.params.append(
                TyperOption(
                    param_decls=["--db", "late_db"],
                    callback=_db_option,
                    expose_value=False,
                    metavar="PATH",
                    help=_("Database file (as --db before the command)."),
                )
            )
        if hasattr(command, "commands"):
            _accept_db_after_command(command)


app = typer.Typer(
    cls=FollowupGroup,
    name="followup",
    help="Whom to call today, what happened, and how the shop is doing.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
import_app = typer.Typer(help="Bring customers in from a file.", no_args_is_help=True)
export_app = typer.Typer(help="Write data out as CSV or JSON.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")


class Outcome(StrEnum):
    reached = "reached"
    no_answer = "no-answer"
    complaint = "complaint"
    converted = "converted"
    lost = "lost"
    opt_out = "opt-out"


Channel = Enum("Channel", {c: c for c in CHANNELS}, type=str)  # type: ignore[misc]
assert tuple(o.value for o in Outcome) == OUTCOMES


class TextOrJson(StrEnum):
    text = "text"
    json = "json"


def _version(value: bool) -> None:
    if value:
        print(f"followup {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: str | None = typer.Option(
        None, "--db", help="Database file (default: $FOLLOWUP_DB, else the user data folder)."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Whom to call today, what happened, and how the shop is doing."""
    if db is not None and not db.strip():
        raise typer.BadParameter(
            _("give a database file name, not an empty one"), param_hint="'--db'"
        )
    ctx.obj = {**(ctx.obj or {}), "db": db}


def _db_path(ctx: typer.Context) -> tuple[Path, bool]:
    from followup_cli import storage

    return storage.resolve_db_path(ctx.find_root().obj["db"])


def _conn(ctx: typer.Context) -> sqlite3.Connection:
    from followup_cli import storage

    path, is_default = _db_path(ctx)
    # A new file from --db (a typo, maybe) or the default place is announced, once; one named
    # by $FOLLOWUP_DB was set up on purpose (scripts, cron) and stays quiet.
    announce = not path.exists() and (is_default or ctx.find_root().obj["db"] is not None)
    conn = storage.open_db(path, create_folder=is_default)
    if announce:
        render.warn(_("followup: created a new, empty database at {path}").format(path=path))
    return conn


def _confirm(question: str, yes: bool) -> None:
    """Destructive commands ask on a terminal; a script must say --yes."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise FollowupError(f"not on a terminal to ask '{question}': add --yes to go ahead")
    if not typer.confirm(question, default=False):
        raise FollowupError("nothing done")


def _day(value: str | None, what: str = "--date") -> date:
    from followup_cli.dates import parse_iso

    return date.today() if value is None else parse_iso(value, what)


def _not_after_today(day: date) -> date:
    """What happened (a contact, a return) cannot be dated after the real today."""
    if day > date.today():
        raise FollowupError(
            _("{day} is after today ({today}): only what has happened can be recorded").format(
                day=day.isoformat(), today=date.today().isoformat()
            )
        )
    return day


DATE_HELP = "Act as of this day (YYYY-MM-DD; default today)."


@app.command()
def today(
    ctx: typer.Context,
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
    owner: str | None = typer.Option(None, "--owner", help="Only this staff member's customers."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most N, most important."),
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
    explain: bool = typer.Option(
        False, "--explain", help="Show each line's rule, anchor date, due date and window."
    ),
) -> None:
    """List the follow-ups due today (overdue included), most important first.

    Status: due (today), overdue (within the tier's grace window), late (past it).
    """
    from followup_cli.service import due_count, due_list

    day = _day(on)
    conn = _conn(ctx)
    items = due_list(conn, day, owner, limit)
    total = due_count(conn, day, owner) if limit is not None and len(items) == limit else None
    render.today_view([i.as_dict() for i in items], fmt, day.isoformat(), explain, total)


@app.command()
def log(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help="Customer id, or a phone, e-mail or exact name."),
    outcome: Outcome = typer.Argument(..., help="What happened.", case_sensitive=False),
    on: str | None = typer.Option(None, "--date", help="Day of the contact (default today)."),
    note: str | None = typer.Option(None, "--note", help="What was said."),
    channel: Channel | None = typer.Option(
        None, "--channel", help="How they were contacted.", case_sensitive=False
    ),
    score: int | None = typer.Option(None, "--score", min=1, max=5, help="Satisfaction 1-5."),
    nps: int | None = typer.Option(None, "--nps", min=0, max=10, help="Would recommend 0-10."),
    again: bool = typer.Option(
        False, "--again", help=_("Log it even if the same outcome is already logged that day.")
    ),
    fmt: TextOrJson = typer.Option(TextOrJson.text, "--format", help="text or json."),
) -> None:
    """Record the outcome of a contact and plan the next follow-up."""
    from followup_cli.service import log_outcome, same_outcome_logged

    day = _not_after_today(_day(on))
    conn = _conn(ctx)
    already = None if again else same_outcome_logged(conn, customer, outcome.value, day)
    if already is not None:
        question = _("{who} already has {outcome} logged on {day}. Log it again?").format(
            who=already, outcome=outcome.value, day=day.isoformat()
        )
        if not sys.stdin.isatty():
            raise FollowupError(
                _(
                    "{who} already has {outcome} logged on {day}: add --again to log a second one"
                ).format(who=already, outcome=outcome.value, day=day.isoformat())
            )
        if not typer.confirm(question, default=False):
            raise FollowupError(_("nothing logged"))
    result = log_outcome(
        conn,
        customer,
        outcome.value,
        day,
        note,
        channel.value if channel else None,
        score,
        nps,
    )
    if fmt is TextOrJson.json:
        render.write_json(result.as_dict())
        return
    done = {
        "retry": "no answer, will try again",
        "missed": "no answer after the last attempt: follow-up missed",
    }.get(result.status)
    nxt = (
        f"next: {result.next_due} ({result.next_reason})" if result.next_due else "nothing planned"
    )
    render.message(
        f"Logged {result.outcome} for {result.customer_id} {result.name} on {result.date}; "
        + (f"{done}; " if done else "")
        + nxt
    )


@app.command()
def show(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help="Customer id, or a phone, e-mail or exact name."),
    fmt: Format = typer.Option(Format.table, "--format", help="table, json, or csv (history)."),
) -> None:
    """Show one customer, their history and their next follow-up."""
    from followup_cli.service import show_customer

    render.customer_view(show_customer(_conn(ctx), customer), fmt)


@app.command()
def report(
    ctx: typer.Context,
    start: str | None = typer.Option(None, "--from", help="First day (default: 1st of month)."),
    end: str | None = typer.Option(None, "--to", help="Last day (default: --date)."),
    month: str | None = typer.Option(None, "--month", help="A calendar month, e.g. 2025-02."),
    last: str | None = typer.Option(None, "--last", help="The days up to --date, e.g. 30d."),
    quarter: str | None = typer.Option(None, "--quarter", help="A quarter, e.g. 2025Q1."),
    year: str | None = typer.Option(None, "--year", help="A calendar year, e.g. 2025."),
    by: list[str] = typer.Option(
        [], "--by", help="Break down by tier, owner, channel or month (repeatable)."
    ),
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
    output: str | None = typer.Option(None, "--output", "-o", help="Write CSV/JSON to a file."),
    excel: bool = typer.Option(False, "--excel", help="CSV as UTF-8 with BOM, for Excel."),
    html: str | None = typer.Option(None, "--html", help="Write a self-contained HTML page."),
    explain: bool = typer.Option(False, "--explain", help="Say what each figure means."),
) -> None:
    """Success, churn and conversion rates, CSAT, NPS, overdue and churn risk for a period."""
    from followup_cli.dates import resolve_period
    from followup_cli.service import build_report

    as_of = _day(on)
    first, last_day = resolve_period(as_of, start, end, month, last, quarter, year)
    for path in (output, html):
        _check_output_folder(path)
    if output and fmt is Format.table and not excel:
        fmt = _format_of_file(output)
    dimensions = [d.strip().lower() for item in by for d in item.split(",") if d.strip()]
    data = build_report(_conn(ctx), first, last_day, as_of, dimensions)
    if excel and fmt is Format.table:
        fmt = Format.csv
    if html:
        from followup_cli.html_report import render as render_html

        render.to_text_file(html, lambda page, out: out.write(page), render_html(data))
        if fmt is Format.table and not explain:
            render.message(f"Report written to {html}")
            return
    render.report_view(data, fmt, output, excel)
    if explain and fmt is Format.table:
        render.report_definitions()


FileArg = Annotated[
    Path, typer.Argument(help="CSV/TSV (UTF-8, UTF-8 with BOM, GBK, UTF-16) or .xlsx workbook.")
]
EncodingOpt = Annotated[str | None, typer.Option("--encoding", help="Force an encoding.")]
DelimiterOpt = Annotated[
    str | None, typer.Option("--delimiter", help="Force a delimiter (',', ';', 'tab', '|').")
]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help="Excel sheet (default: first).")]
MapOpt = Annotated[list[str], typer.Option("--map", help="'Column=field', repeatable.")]
DayFirstOpt = Annotated[
    bool | None, typer.Option("--dayfirst/--monthfirst", help="How to read 03/04/2025.")
]
RegionOpt = Annotated[
    str | None,
    typer.Option(
        "--region", help="Country for phones without +code (default: option phone_region)."
    ),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Check everything, write nothing.")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Import nothing if any row is bad.")]
RejectsOpt = Annotated[
    Path | None, typer.Option("--rejects", help="Write rejected rows here, with a reason column.")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing when all is well.")]
ProfileOpt = Annotated[
    str | None, typer.Option("--profile", help="Use the options saved under this name.")
]
SaveProfileOpt = Annotated[
    str | None, typer.Option("--save-profile", help="Save this run's options under a name.")
]
SummaryOpt = Annotated[TextOrJson, typer.Option("--format", help="Summary as text or json.")]
ImportDateOpt = Annotated[str | None, typer.Option("--date", help="Import as of this day.")]


def _import_command(kind: str, help_text: str) -> Any:
    """`import customers` and `import purchases` take the same options; one signature."""

    def command(
        ctx: typer.Context,
        file: FileArg,
        on: ImportDateOpt = None,
        encoding: EncodingOpt = None,
        delimiter: DelimiterOpt = None,
        sheet: SheetOpt = None,
        mapping: MapOpt = [],  # noqa: B006 - typer needs the default here
        dayfirst: DayFirstOpt = None,
        region: RegionOpt = None,
        profile: ProfileOpt = None,
        save_profile: SaveProfileOpt = None,
        dry_run: DryRunOpt = False,
        strict: StrictOpt = False,
        rejects: RejectsOpt = None,
        quiet: QuietOpt = False,
        fmt: SummaryOpt = TextOrJson.text,
    ) -> None:
        _run_import(
            kind,
            ctx,
            file,
            on,
            encoding=encoding,
            delimiter=delimiter,
            sheet=sheet,
            mapping=mapping,
            dayfirst=dayfirst,
            region=region,
            profile=profile,
            save_profile=save_profile,
            dry_run=dry_run,
            strict=strict,
            rejects=rejects,
            quiet=quiet,
            fmt=fmt,
        )

    command.__doc__ = help_text
    command.__name__ = f"import_{kind}"
    return command


import_app.command("customers")(
    _import_command(
        "customers",
        """Add or update customers from a file. Re-importing the same file changes nothing.

    Exit 0: every row used; 3: done, some rows rejected; 4: nothing imported.
    """,
    )
)
import_app.command("purchases")(
    _import_command(
        "purchases",
        """Add purchases (customer id/phone/e-mail, date, amount, order number).

    Updates first and last purchase dates and spend; a prospect who buys becomes a new
    customer. Exit codes as for 'import customers'.
    """,
    )
)


def _run_import(kind: str, ctx: typer.Context, file: Path, on: str | None, **opts: Any) -> None:
    from followup_cli import imports

    if opts["rejects"] is not None and not opts["rejects"].parent.exists():
        raise FollowupError(f"folder {opts['rejects'].parent} does not exist")
    given = imports.ImportOptions(
        encoding=opts["encoding"],
        delimiter=_delimiter(opts["delimiter"]),
        sheet=opts["sheet"],
        mapping=_parse_mapping(opts["mapping"], kind),
        dayfirst=opts["dayfirst"],
        region=opts["region"].upper() if opts["region"] else None,
    )
    conn = _conn(ctx)
    options = imports.resolve_options(conn, given, opts["profile"], opts["save_profile"])
    run = imports.import_customers if kind == "customers" else imports.import_purchases
    with render.progress(f"Importing {file.name}") as progress:
        result = run(
            conn,
            file,
            _day(on),
            options,
            dry_run=opts["dry_run"],
            strict=opts["strict"],
            progress=progress,
        )
    for rejection in result.rejected:
        render.warn(f"{file}: line {rejection.line}: {rejection.reason}")
    if opts["rejects"] is not None:
        rows = [
            {**dict(zip(result.header, r.cells, strict=False)), "reason": r.reason}
            for r in result.rejected
        ]
        columns = [*result.header, "reason"]
        render.to_text_file(str(opts["rejects"]), render.write_csv, rows, columns, bom=True)
    render.import_summary(
        result.summary(),
        opts["fmt"] is TextOrJson.json,
        opts["quiet"] and not result.rejected,
        opts["strict"],
    )
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def _delimiter(value: str | None) -> str | None:
    if value is None:
        return None
    if value.lower() in ("tab", "\\t", "\t"):
        return "\t"
    if len(value) != 1:
        raise FollowupError("--delimiter takes one character (or 'tab')")
    return value


def _parse_mapping(pairs: list[str], kind: str) -> dict[str, str]:
    from followup_cli.importer import FIELDS, PURCHASE_FIELDS

    fields = FIELDS if kind == "customers" else PURCHASE_FIELDS
    mapping = {}
    for pair in pairs:
        column, sep, target = pair.rpartition("=")
        target = target.strip().lower()
        if not sep or not column.strip() or target not in fields:
            raise FollowupError(
                f"--map {pair!r} must be 'Column=field' with field one of {', '.join(fields)}"
            )
        mapping[column] = target
    return mapping


imports_app = typer.Typer(
    help="List past imports, or undo one.", invoke_without_command=True, no_args_is_help=False
)
app.add_typer(imports_app, name="imports")


@imports_app.callback()
def imports_list(
    ctx: typer.Context,
    limit: int = typer.Option(20, "--limit", min=1, help="Show the N most recent."),
    every: bool = typer.Option(
        False, "--all", help=_("Also the imports that changed nothing (a nightly re-import).")
    ),
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
) -> None:
    """List past imports, newest first: when, which file, what it did."""
    if ctx.invoked_subcommand is not None:
        return
    from followup_cli.imports import list_imports

    render.imports_view(list_imports(_conn(ctx), limit, every), fmt)


@imports_app.command("undo")
def imports_undo(
    ctx: typer.Context,
    import_id: int = typer.Argument(..., help="The import's ID from 'followup imports'."),
    on: str | None = typer.Option(None, "--date", help="Re-plan as of this day."),
) -> None:
    """Revert an import: customers it added removed, fields it changed restored.

    Refused when anything was logged on those customers since the import.
    """
    from followup_cli.imports import undo_import

    done = undo_import(_conn(ctx), import_id, _day(on))
    render.message(
        f"Import {done['import_id']} undone: {done['removed']} customers removed, "
        f"{done['restored']} restored."
    )


@export_app.command("customers")
def export_customers(
    ctx: typer.Context,
    fmt: Format = typer.Option(Format.csv, "--format", help="csv or json."),
    output: str | None = typer.Option(None, "--output", "-o", help="File (default stdout)."),
) -> None:
    """Every customer with every field, in a stable column order."""
    from followup_cli.service import export_customers as rows

    _no_table(fmt)
    _check_output_folder(output)
    render.export_view(rows(_conn(ctx)), fmt, output)


@export_app.command("history")
def export_history(
    ctx: typer.Context,
    fmt: Format = typer.Option(Format.csv, "--format", help="csv or json."),
    output: str | None = typer.Option(None, "--output", "-o", help="File (default stdout)."),
) -> None:
    """Every logged contact: who, when, outcome, channel, scores and notes."""
    from followup_cli.service import export_history as rows

    _no_table(fmt)
    _check_output_folder(output)
    render.export_rows(rows(_conn(ctx)), render.HISTORY_KEYS, fmt, output)


@export_app.command("customer")
def export_customer(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help="Customer id, or a phone, e-mail or exact name."),
    output: str | None = typer.Option(None, "--output", "-o", help="File (default stdout)."),
) -> None:
    """Everything stored about one customer, as JSON (for a data access request)."""
    from followup_cli.maintenance import customer_export

    _check_output_folder(output)
    render.write_to(output, render.write_json, customer_export(_conn(ctx), customer))


def _format_of_file(output: str) -> Format:
    """--output without --format: the file's own extension says which, or it is refused."""
    suffix = Path(output).suffix.lower()
    if suffix in (".csv", ".json"):
        return Format(suffix[1:])
    raise typer.BadParameter(
        _("{file} needs --format csv or json (or a file name ending .csv or .json)").format(
            file=output
        ),
        param_hint="'--output'",
    )


def _no_table(fmt: Format) -> None:
    """Exports are files for other programs: a table is refused, never quietly made CSV."""
    if fmt is Format.table:
        raise typer.BadParameter(
            _("an export is csv or json, not a table"),
            param_hint="'--format'",
        )


def _check_output_folder(output: str | None) -> None:
    if output and not Path(output).expanduser().resolve().parent.exists():
        raise FollowupError(f"folder {Path(output).parent} does not exist")


@app.command()
def forget(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help="Customer id, or a phone, e-mail or exact name."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Erase a customer and all their history from the file (right to erasure)."""
    from followup_cli.maintenance import describe, forget_customer

    conn = _conn(ctx)
    _confirm(f"Erase {describe(conn, customer)} and all their history?", yes)
    gone = forget_customer(conn, customer)
    render.message(f"Erased {gone['customer_id']} {gone['name']} and all their history.")


@app.command()
def backup(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Where to write the copy."),
    force: bool = typer.Option(False, "--force", help="Replace the file if it exists."),
) -> None:
    """Copy the database safely, even while it is in use."""
    from followup_cli.maintenance import backup as run_backup

    path, _default = _db_path(ctx)
    if file.expanduser().resolve() == path.expanduser().resolve():
        raise FollowupError(
            _("{file} is the database itself: back up to another file").format(file=file)
        )
    target = run_backup(_conn(ctx), file, force)
    render.message(f"Backed up to {target}")


@app.command()
def restore(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A backup made by 'followup backup'."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Replace the database with a backup; the current one is kept aside."""
    from followup_cli.maintenance import check_backup
    from followup_cli.maintenance import restore as run_restore

    path, _ = _db_path(ctx)
    conn = _conn(ctx)
    version = check_backup(path, file)
    _confirm(f"Replace {path} with {file}?", yes)
    done = run_restore(conn, path, file, version)
    render.message(
        f"Restored from {done['restored_from']}; the previous database is kept at "
        f"{done['previous_kept_at']}"
    )


@app.command()
def doctor(
    ctx: typer.Context,
    fmt: TextOrJson = typer.Option(TextOrJson.text, "--format", help="text or json."),
) -> None:
    """Check the database: integrity, schema version, counts, inconsistencies.

    Exit 0 when all is well, 1 when a problem was found.
    """
    from followup_cli.maintenance import doctor as run_doctor

    path, _ = _db_path(ctx)
    report = run_doctor(_conn(ctx), path)
    render.doctor_view(report, fmt is TextOrJson.json)
    if report["problems"]:
        raise typer.Exit(EXIT_FAILURE)


rules_app = typer.Typer(
    help="Show or change the cadence rules and shop options.", invoke_without_command=True
)
app.add_typer(rules_app, name="rules")


@rules_app.callback()
def rules_show(
    ctx: typer.Context,
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
) -> None:
    """Show each tier's rule and the shop-wide options."""
    if ctx.invoked_subcommand is not None:
        return
    from followup_cli.planning import rules_view

    render.rules_view(rules_view(_conn(ctx)), fmt)


@rules_app.command("set")
def rules_set(
    ctx: typer.Context,
    tier: str = typer.Argument(..., help="A tier (vip, new, regular, prospect) or a new one."),
    steps: str | None = typer.Option(None, "--steps", help="Milestones, e.g. 7d,1m,3m ('' none)."),
    every: str | None = typer.Option(None, "--every", help="Repeat interval, e.g. 6w ('none')."),
    anchor: str | None = typer.Option(
        None, "--anchor", help="first_purchase, last_contact, last_purchase or added."
    ),
    then: str | None = typer.Option(None, "--then", help="Tier to follow after the steps."),
    grace: str | None = typer.Option(None, "--grace", help="How long after due it is late."),
    rank: int | None = typer.Option(None, "--rank", help="Order on today's list (low first)."),
    on: str | None = typer.Option(None, "--date", help="Re-plan as of this day."),
) -> None:
    """Change a tier's rule, or add a tier; open follow-ups are re-planned."""
    from followup_cli.planning import set_rule

    done = set_rule(
        _conn(ctx),
        tier,
        _day(on),
        steps=steps,
        every=every,
        anchor=anchor,
        then=then,
        grace=grace,
        rank=rank,
    )
    render.message(
        f"{done['rule']['tier']}: {done['rule']['describe']} (late after "
        f"{done['rule']['grace']}); {done['replanned']} follow-ups re-planned"
    )


@rules_app.command("reset")
def rules_reset(
    ctx: typer.Context, on: str | None = typer.Option(None, "--date", help="Re-plan as of.")
) -> None:
    """Go back to the default rules and shop options; open follow-ups are re-planned."""
    from followup_cli.planning import reset_rules

    done = reset_rules(_conn(ctx), _day(on))
    changes = ", ".join(
        f"{name} {change['was'] or '(none)'} -> {change['now'] or '(none)'}"
        for name, change in done["options"].items()
    )
    if changes:
        text = _(
            "Default rules restored, and the shop options too ({changes}); {replanned} "
            "follow-ups re-planned"
        )
    else:
        text = _(
            "Default rules restored, and the shop options too; {replanned} follow-ups re-planned"
        )
    render.message(text.format(changes=changes, replanned=done["replanned"]))


@rules_app.command("option", context_settings={"ignore_unknown_options": True})
def rules_option(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="An option shown by 'followup rules'."),
    value: str = typer.Argument(..., help="Its new value, e.g. 3d, 5, sun, CN, none."),
    on: str | None = typer.Option(None, "--date", help="Re-plan as of this day."),
) -> None:
    """Change a shop-wide option (gaps, retries, capacity, closed weekdays, holidays)."""
    from followup_cli.planning import set_option

    done = set_option(_conn(ctx), name, value, _day(on))
    render.message(f"{done['option']} = {done['value']}; {done['replanned']} follow-ups re-planned")


@app.command()
def snooze(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help="Customer id, or a phone, e-mail or exact name."),
    until: str = typer.Option(..., "--until", help="A day (YYYY-MM-DD) or +3d, +2w, +1m."),
    note: str | None = typer.Option(None, "--note", help="Why."),
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
) -> None:
    """Postpone a customer's follow-up (not a miss)."""
    from followup_cli.planning import parse_until
    from followup_cli.planning import snooze as run_snooze

    today_ = _day(on)
    done = run_snooze(_conn(ctx), customer, parse_until(until, today_), today_, note)
    render.message(f"Snoozed {done['customer_id']} {done['name']} until {done['until']}")


@app.command()
def assign(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help="Customer id, or a phone, e-mail or exact name."),
    owner: str = typer.Option(..., "--owner", help="The staff member who follows them up."),
) -> None:
    """Give a customer to a staff member."""
    from followup_cli.planning import assign as run_assign

    done = run_assign(_conn(ctx), customer, owner)
    render.message(f"{done['customer_id']} {done['name']} is now followed up by {done['owner']}")


@app.command()
def optout(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help="Customer id, or a phone, e-mail or exact name."),
    undo: bool = typer.Option(False, "--undo", help="They agreed to be contacted again."),
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
) -> None:
    """Mark a customer do-not-contact (kept across re-imports), or undo it."""
    from followup_cli.planning import set_opt_out

    done = set_opt_out(_conn(ctx), customer, not undo, _day(on))
    state = "will not be contacted" if done["do_not_contact"] else "may be contacted again"
    nxt = f"; next: {done['next_due']}" if done["next_due"] else ""
    render.message(f"{done['customer_id']} {done['name']} {state}{nxt}")


@app.command()
def reactivate(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help=_("Customer id, or a phone, e-mail or exact name.")),
    on: str | None = typer.Option(
        None, "--date", help=_("The day they came back (default today).")
    ),
) -> None:
    """Bring back a customer marked lost: active again, with their next follow-up planned.

    A purchase after the loss (imported, or 'converted' for a prospect) does this by itself.
    """
    from followup_cli.returning import reactivate as run_reactivate

    day = _not_after_today(_day(on))
    done = run_reactivate(_conn(ctx), customer, day)
    if done["next_due"]:
        text = _("{ref} {name} is active again from {day}; next: {due} ({reason})")
    else:
        text = _("{ref} {name} is active again from {day}; nothing planned")
    render.message(
        text.format(
            ref=done["customer_id"],
            name=done["name"],
            day=done["returned_on"],
            due=done["next_due"],
            reason=done["next_reason"],
        )
    )


@app.command()
def plan(
    ctx: typer.Context,
    spread_over: str = typer.Option(..., "--spread", help="Spread the backlog over, e.g. 14d."),
    capacity: int | None = typer.Option(
        None, "--capacity", min=1, help="Calls per day (default: option daily_capacity)."
    ),
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
) -> None:
    """Re-plan an overdue backlog across the next open days, most important first."""
    from followup_cli.dates import Duration
    from followup_cli.planning import spread

    today_ = _day(on)
    days = (Duration.parse(spread_over).after(today_) - today_).days
    done = spread(_conn(ctx), today_, days, capacity)
    render.message(
        f"Backlog of {done['backlog']}: {done['kept_today']} stay today, {done['moved']} moved "
        f"(at most {done['capacity']} a day), {done['not_placed']} did not fit"
    )


@app.command()
def upcoming(
    ctx: typer.Context,
    days: int = typer.Option(7, "--days", min=1, max=366, help="How many days ahead."),
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
) -> None:
    """The coming days' calls, grouped by day, with the load per day."""
    from followup_cli.planning import upcoming as run_upcoming

    render.upcoming_view(run_upcoming(_conn(ctx), _day(on), days), fmt)


@app.command("at-risk")
def at_risk(
    ctx: typer.Context,
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
) -> None:
    """Customers silent for longer than twice their tier's interval (churn risk)."""
    from followup_cli.planning import at_risk as run_at_risk

    render.at_risk_view(run_at_risk(_conn(ctx), _day(on)), fmt)


class DueFormat(StrEnum):
    csv = "csv"
    json = "json"
    ics = "ics"


@export_app.command("due")
def export_due(
    ctx: typer.Context,
    fmt: DueFormat = typer.Option(DueFormat.csv, "--format", help="csv, json or ics."),
    days: int = typer.Option(30, "--days", min=1, max=366, help="How many days ahead."),
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
    output: str | None = typer.Option(None, "--output", "-o", help="File (default stdout)."),
) -> None:
    """Planned calls (overdue included): CSV, JSON, or an iCalendar file for a phone calendar."""
    from followup_cli.planning import due_export, to_ics

    _check_output_folder(output)
    today_ = _day(on)
    rows = due_export(_conn(ctx), today_, days)
    if fmt is DueFormat.ics:
        render.write_bytes(to_ics(rows, today_), output)
    else:
        render.export_rows(rows, render.DUE_KEYS, Format(fmt.value), output)


def main() -> None:
    app(prog_name="followup")
