"""What every command group shares: the --db, --date and --format options as `Annotated`
types, opening the database a command names, the as-of day, confirmation and completion.

Kept below the group modules (each imports it; it imports none of them), so that an option
is declared once and reads the same in every command's help.
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import date
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from followup_cli.core.models import CHANNELS, OUTCOMES
from followup_cli.errors import EXIT_USAGE, FollowupError
from followup_cli.i18n import N_, _
from followup_cli.output import files, terminal
from followup_cli.output.formats import Format


class UsageProblem(typer.TyperException):
    """A usage error a command finds itself (exit 2, with the `--help` hint), as the parser's
    own are shown (see app.py)."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, ctx: typer.Context | None = None) -> None:
        super().__init__(message)
        self.ctx = ctx


# Options that take a whole number: a number typed in other digits is read as int() reads it.
NUMBER_OPTIONS = ("--limit", "--score", "--nps", "--days", "--header-row", "--rank", "--capacity")


def ascii_numbers(words: list[str]) -> list[str]:
    """A number typed in another script's digits (١, a full-width ３ from a Chinese input
    method) as the ASCII digits the parser reads: Python's int() takes them, typer 0.29's
    number check does not, and both paths of `today` must take the same input."""
    out: list[str] = []
    after_option = False
    for word in words:
        name, equals, value = word.partition("=")
        if after_option and word.isdecimal() and not word.isascii():
            word = str(int(word))
        elif equals and name in NUMBER_OPTIONS and value.isdecimal() and not value.isascii():
            word = f"{name}={int(value)}"
        after_option = word in NUMBER_OPTIONS
        out.append(word)
    return out


def db_option(ctx: typer.Context, param: Any, value: str | None) -> str | None:
    """--db, before the command or after it; an empty name is refused, not the default."""
    if value is None:
        return None
    if not value.strip():
        raise typer.BadParameter(_("give a database file name, not an empty one"))
    root = ctx.find_root()
    root.obj = {**(root.obj or {}), "db": value}
    return value


class Outcome(StrEnum):
    reached = "reached"
    no_answer = "no-answer"
    complaint = "complaint"
    converted = "converted"
    lost = "lost"
    opt_out = "opt-out"


Channel = Enum("Channel", {c: c for c in CHANNELS}, type=str)  # type: ignore[misc]


assert tuple(o.value for o in Outcome) == OUTCOMES


def typed_word(kind: str, value: str | None) -> str | None:
    """An outcome or channel typed in English or Chinese, in any case (see vocabulary.py)."""
    from followup_cli import vocabulary

    if value is None:
        return None
    try:
        return vocabulary.outcome(value) if kind == "outcome" else vocabulary.channel(value)
    except FollowupError as exc:
        raise typer.BadParameter(exc.format_message()) from None


def typed_outcome(ctx: typer.Context, value: str) -> str | None:
    """The outcome typed, kept as typed too (ctx.meta) to be echoed in the owner's own word."""
    ctx.meta["typed_outcome"] = value.strip()
    return typed_word("outcome", value)


def typed_tier(value: str | None) -> str | None:
    from followup_cli import vocabulary

    return None if value is None else vocabulary.tier(value)


class TextOrJson(StrEnum):
    text = "text"
    json = "json"


DB_AFTER_HELP = "Database file or postgresql:// URL (as --db before the command)."
# Every command and command group also takes --db, so `today --db shop.db` works.
LateDbOpt = Annotated[
    str | None,
    typer.Option("--db", callback=db_option, expose_value=False, metavar="DB", help=DB_AFTER_HELP),
]


def db_path(ctx: typer.Context) -> tuple[Path, bool]:
    from followup_cli import storage

    return storage.resolve_db_path(ctx.find_root().obj["db"])


def connect(ctx: typer.Context) -> sqlite3.Connection:
    from followup_cli import storage

    url = storage.chosen_server(ctx.find_root().obj["db"])
    if url is not None:
        server = storage.open_server(url)
        ctx.call_on_close(server.close)  # a server counts its connections; a file does not
        # A new shop from --db (a mistyped database name, maybe) is announced, as a new file
        # is; one named by $FOLLOWUP_DB was set up on purpose (cron) and stays quiet.
        if server.created and ctx.find_root().obj["db"] is not None:
            terminal.warn(
                _("followup: made {database} a new, empty followup shop").format(
                    database=storage.shown_name(url)
                )
            )
        return server  # type: ignore[return-value]
    path, is_default = db_path(ctx)
    # A new file from --db (a typo, maybe) or the default place is announced, once; one named
    # by $FOLLOWUP_DB was set up on purpose (scripts, cron) and stays quiet.
    announce = not path.exists() and (is_default or ctx.find_root().obj["db"] is not None)
    conn = storage.open_db(path, create_folder=is_default)
    if announce:
        terminal.warn(_("followup: created a new, empty database at {path}").format(path=path))
    return conn


def confirm(question: str, yes: bool) -> None:
    """Destructive commands ask on a terminal; a script must say --yes."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise FollowupError(
            _("not on a terminal to ask '{question}': add --yes to go ahead").format(
                question=question
            )
        )
    # Asked here rather than with typer.confirm, whose "[y/N]" and "invalid input" are English.
    # Only a yes goes ahead; anything else, or just Enter, is a no.
    try:
        answer = input(_("{question} [y/N]: ").format(question=question))
    except (EOFError, KeyboardInterrupt):
        raise typer.Abort() from None
    if answer.strip().lower() not in _YES:
        raise FollowupError(_("nothing done"))


_YES = frozenset({"y", "yes", "是", "确定", "确认"})


def option_day(value: str | None, what: str = "--date") -> date:
    """The as-of day in any form a person types (2026/11/05, 11月5日, 昨天); exit 2 if none."""
    from followup_cli.core.dates import parse_day

    return date.today() if value is None else parse_day(value, what)


def typed_dates(fields: dict[str, str | None], today: date) -> dict[str, str | None]:
    """add/edit's date fields (--first-purchase 昨天) as ISO text, before the import's checks."""
    from followup_cli.core.dates import option_dates
    from followup_cli.core.models import CUSTOMER_DATE_FIELDS

    return option_dates(fields, CUSTOMER_DATE_FIELDS, today)


def not_after_today(day: date) -> date:
    """What happened (a contact, a return) cannot be dated after the real today."""
    if day > date.today():
        raise FollowupError(
            _("{day} is after today ({today}): only what has happened can be recorded").format(
                day=day.isoformat(), today=date.today().isoformat()
            )
        )
    return day


# The largest id of a contact or an import an option takes (LIMIT_MOST bounds the lists): a
# number past the database's integers was reported as "a date ... out of range".
ID_MOST = 999_999_999


DATE_HELP = (
    "Act as of this day (2026-11-05, 2026/11/05, 2026年11月5日, today, 昨天; 11月5日 is the "
    "latest 5 Nov not after today; default today)."
)


def complete_customers(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """Customer ids (with the name as help) for shell completion; quiet on any problem."""
    from followup_cli import storage

    try:
        conn = storage.open_for_reading(ctx.find_root().params.get("db"))
        if conn is None:
            return []
        try:
            return storage.customer_refs_starting(conn, incomplete, 50)
        finally:
            conn.close()
    except (sqlite3.Error, OSError):
        return []


def complete_tiers(ctx: Any, incomplete: str) -> list[str]:
    """Tier names for shell completion: this shop's rules, else the defaults."""
    from followup_cli import storage
    from followup_cli.core.models import DEFAULT_RULES

    tiers = [rule.tier for rule in DEFAULT_RULES]
    try:
        conn = storage.open_for_reading(ctx.find_root().params.get("db"))
        if conn is not None:
            try:
                tiers = storage.tier_names(conn)
            finally:
                conn.close()
    except (sqlite3.Error, OSError):
        pass
    return [tier for tier in tiers if tier.startswith(incomplete.lower())]


def complete_branches(ctx: Any, incomplete: str) -> list[str]:
    """A chain's branch names for shell completion (any case); quiet on any problem."""
    from followup_cli import storage

    try:
        conn = storage.open_for_reading(ctx.find_root().params.get("db"))
        if conn is None:
            return []
        try:
            names = storage.branch_names(conn)
        finally:
            conn.close()
    except Exception:  # completion stays quiet whatever the database's state
        return []
    return [name for name in names if name.casefold().startswith(incomplete.casefold())]


CustomerArg = Annotated[
    str,
    typer.Argument(
        help="Customer id, or a phone, e-mail or exact name.",
        autocompletion=complete_customers,
    ),
]


DayOpt = Annotated[str | None, typer.Option("--date", help=DATE_HELP)]
ReplanDayOpt = Annotated[str | None, typer.Option("--date", help="Re-plan as of this day.")]
TextFormatOpt = Annotated[TextOrJson, typer.Option("--format", help="text or json.")]
TableFormatOpt = Annotated[Format, typer.Option("--format", help="table, csv or json.")]
BranchFilterOpt = Annotated[
    str | None,
    typer.Option(
        "--branch",
        help=N_("Only this branch's customers (a chain of shops)."),
        hidden=True,
        autocompletion=complete_branches,
    ),
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
ExcelOpt = Annotated[
    bool,
    typer.Option("--excel", help=N_("A file for a person: CSV with a BOM, for Excel and WPS.")),
]


def format_of_file(output: str) -> Format:
    """--output without --format: the file's own extension says which, or it is refused."""
    suffix = Path(output).suffix.lower()
    if suffix in (".csv", ".json"):
        return Format(suffix[1:])
    if suffix == ".xlsx":  # a workbook for a person: written by spreadsheet.py
        return Format.csv
    raise typer.BadParameter(
        _("{file} needs --format csv or json (or a file name ending .csv or .json)").format(
            file=output
        ),
        param_hint="'--output'",
    )


def excel_is_csv(fmt: Format, excel: bool) -> None:
    """`--excel` is CSV for a person; JSON is for scripts."""
    if excel and fmt is not Format.csv:
        raise typer.BadParameter(
            _("--excel is a CSV file for a person: leave out --format"), param_hint="'--excel'"
        )


def no_table(fmt: Format) -> None:
    """Exports are files for other programs: a table is refused, never quietly made CSV."""
    if fmt is Format.table:
        raise typer.BadParameter(
            _("an export is csv or json, not a table"),
            param_hint="'--format'",
        )


def check_output_folder(output: str | None) -> None:
    files.check_output(output)
