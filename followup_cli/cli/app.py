"""The command line: parse arguments, call one service function, hand the result to a view.

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
from typer._click.exceptions import ClickException, UsageError  # typer vendors click
from typer.core import TyperGroup

from followup_cli import __version__
from followup_cli.commands.morning import LIMIT_MOST
from followup_cli.core.models import CHANNELS, OUTCOMES
from followup_cli.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    INTERRUPTED,
    SERVER_GONE,
    FollowupError,
)
from followup_cli.i18n import N_, _, language, set_language
from followup_cli.output import files, terminal
from followup_cli.output.formats import Format, write_csv, write_json
from followup_cli.views.customers import at_risk_view, customer_view, find_view, staff_view
from followup_cli.views.exports import DUE_KEYS, HISTORY_KEYS, export_rows, export_view
from followup_cli.views.imports import import_summary, imports_view
from followup_cli.views.maintenance import doctor_view, transfer_view
from followup_cli.views.morning import show as show_today
from followup_cli.views.plans import upcoming_view
from followup_cli.views.report import report_definitions, report_view
from followup_cli.views.segments import tier_suggestions_view
from followup_cli.views.templates import send_list_view, templates_view


class FollowupGroup(TyperGroup):
    """Turns every failure into one line on stderr and a documented exit code."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        from followup_cli.help_examples import wants_help

        argv = args[0] if args else kwargs.get("args")
        words = list(sys.argv[1:] if argv is None else argv)
        if wants_help(words):
            from followup_cli.commands.branches import file_is_chain
            from followup_cli.help_examples import add_examples

            chain = file_is_chain([str(word) for word in words])
            _show_chain_options(self, chain)
            add_examples(self, chain=chain)
            from followup_cli.vocabulary import add_outcome_words

            add_outcome_words(self.commands["log"], kwargs.get("terminal_width"))
        _accept_db_after_command(self)
        _localise_help(self)
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = self._run_reporting_errors(*args, **kwargs)
            sys.stdout.flush()  # here, not at exit, where a closed pipe prints a traceback
        except BrokenPipeError:
            # The reader (`head`, a closed pager) went away: not worth a message, and whatever
            # was left unwritten goes nowhere instead of failing again at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.dup2(devnull, sys.stderr.fileno())
            code = 0  # `export customers | head -1` got what it asked for: not a failure
        except SystemExit as exc:
            # click ends a closed pipe (help, say) with exit 1 after wrapping stdout
            if type(sys.stdout).__name__ != "PacifyFlushWrapper":
                raise
            code = 0 if exc.code == 1 else exc.code
        sys.exit(code)

    def _run_reporting_errors(self, *args: Any, **kwargs: Any) -> int:
        """Run the command; every failure becomes one line on stderr and its exit code."""
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                print(exc.format_message())
                return EXIT_USAGE
            from followup_cli.text import strip_controls
            from followup_cli.wording import usage_error

            # One line, always: click lists choices one per line.
            message = " ".join(
                strip_controls(
                    usage_error(exc.format_message().replace("Value error, ", ""))
                ).split()
            )
            hint = (
                _(" (see '{command} --help')").format(command=exc.ctx.command_path)
                if exc.ctx
                else ""
            )
            print(_("followup: error: {message}").format(message=message + hint), file=sys.stderr)
            return EXIT_USAGE
        except (FollowupError, ClickException) as exc:
            exc.show()
            return exc.exit_code
        except typer.Abort:
            print(_("followup: aborted"), file=sys.stderr)
            return EXIT_FAILURE
        return result if isinstance(result, int) else 0

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (FollowupError, ClickException, typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            # A change under way is rolled back by its transaction; say why the command ended.
            print(_(INTERRUPTED), file=sys.stderr)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            _reader_went_away()
        except OverflowError:  # date arithmetic past year 9999 or before year 1
            raise FollowupError(
                _("a date worked out from these options is out of range: use nearer days")
            ) from None
        except sqlite3.OperationalError as exc:
            if getattr(exc, "server_gone", False):
                raise FollowupError(_(SERVER_GONE).format(detail=exc)) from None
            raise FollowupError(_("database problem: {detail}").format(detail=exc)) from None
        except sqlite3.DatabaseError as exc:
            raise FollowupError(
                _("database is damaged or not a followup file: {detail}").format(detail=exc)
            ) from None
        except OSError as exc:
            from followup_cli.wording import os_error

            where = f" ({exc.filename})" if exc.filename else ""
            raise FollowupError(f"{os_error(exc)}{where}") from None
        except Exception as exc:
            if os.environ.get("FOLLOWUP_DEBUG"):
                raise
            raise FollowupError(
                _("unexpected {kind}: {detail} (run with FOLLOWUP_DEBUG=1 and report it)").format(
                    kind=type(exc).__name__, detail=exc
                )
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


_BY_HELP_IN_A_CHAIN = N_(
    "Break down by tier, owner, branch, channel, month or segment (repeatable)."
)


def _show_chain_options(group: Any, chain: bool) -> None:
    """A single shop never reads the word branch in help: the --branch options show only in
    a chain's help (they work everywhere), and `report --by` names branch only there."""
    for command in group.commands.values():
        for param in command.params:
            optional_branch = param.name == "branch" and not param.required
            if optional_branch and getattr(param, "opts", None) == ["--branch"]:
                param.hidden = not chain
            if chain and param.name == "by":
                param.help = _BY_HELP_IN_A_CHAIN
        if hasattr(command, "commands"):
            _show_chain_options(command, chain)


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
                    metavar="DB",
                    help=_("Database file or postgresql:// URL (as --db before the command)."),
                )
            )
        if hasattr(command, "commands"):
            _accept_db_after_command(command)


def _localise_help(command: Any) -> None:
    """Help texts are written in English in the code; show them in the chosen language."""
    if language() == "en":
        return
    from typer._click import formatting

    from followup_cli.text import text_width

    formatting.term_len = text_width  # help columns line up with Chinese words in them
    typer.core._ = _  # typer's own words on help pages (default, required, Options) through ours
    if not getattr(formatting.wrap_text, "by_columns", False):
        formatting.wrap_text = _wrap_by_columns(formatting.wrap_text)
    if command.help:
        command.help = _(command.help)
    if command.short_help:
        command.short_help = _(command.short_help)
    elif command.help and not command.help.isascii():
        # click shortens by characters and spaces, which Chinese has few of: its first sentence
        command.short_help = command.help.split("\n\n")[0].split("。")[0].replace("\n", "")
    from followup_cli.wording import argument_name

    for param in command.params:
        if getattr(param, "help", None):
            param.help = _(param.help)
        if param.param_type_name == "argument" and param.metavar is None:
            param.metavar = argument_name(param.name)
    if not getattr(command, "_localised_page", False):
        page = command.get_help
        command.get_help = lambda ctx: _localise_help_page(page(ctx))
        command._localised_page = True
    for sub in getattr(command, "commands", {}).values():
        _localise_help(sub)


_HELP_PAGE_WORDS = (
    ("Usage: ", N_("Usage: ")),
    ("[OPTIONS]", N_("[OPTIONS]")),
    ("COMMAND [ARGS]...", N_("COMMAND [ARGS]...")),
    ("[required]", N_("[required]")),
    ("[default: ", N_("[default: ")),
    ("<str>", N_("<text>")),
    ("<int>", N_("<number>")),
    ("<int range>", N_("<number>")),
    ("<path>", N_("<file>")),
    ("<boolean>", N_("<yes/no>")),
    ("Show this message and exit.", N_("Show this message and exit.")),
)


# typer's own words, passed to `_()` once typer.core uses it (see _localise_help)
_TYPER_WORDS = (
    N_("default: {default}"),
    N_("required"),
    N_("Options"),
    N_("Arguments"),
    N_("Commands"),
)

_HELP_PAGE_HEADINGS = {
    "Arguments:": N_("Arguments:"),
    "Options:": N_("Options:"),
    "Commands:": N_("Commands:"),
}


def _localise_help_page(page: str) -> str:
    """Click lays help out in English; swap its words, keeping the option column aligned."""
    import re

    # click's own help option, wrapped or not
    page = re.sub(r"Show\s+this\s+message\s+and\s+exit\.", _("Show this message and exit."), page)
    for english, sentence in _HELP_PAGE_WORDS:
        shown = _(sentence)
        extra = _display_width(shown) - len(english)
        pattern = re.compile(re.escape(english) + "( *)")

        def swap(match: re.Match[str], shown: str = shown, extra: int = extra) -> str:
            spaces = len(match.group(1))
            if spaces < 2:  # within a sentence, not before a column
                return shown + match.group(1)
            return shown + " " * max(1, spaces - extra)

        page = pattern.sub(swap, page)
    headings = {_(name) + ":" for name in _TYPER_WORDS[2:]}
    lines = page.split("\n")
    return "\n".join(
        _(_HELP_PAGE_HEADINGS[line])
        if line in _HELP_PAGE_HEADINGS
        else line[:-1] + "："
        if line in headings
        else line
        for line in lines
    )


def _wrap_by_columns(wrap_text: Any) -> Any:
    """Click wraps help by characters; a Chinese character takes two columns. Paragraphs with
    Chinese in them are wrapped here by columns and handed to click as already wrapped."""

    def wrapped(
        text: str,
        width: int = 78,
        initial_indent: str = "",
        subsequent_indent: str = "",
        preserve_paragraphs: bool = False,
    ) -> str:
        if text.isascii():
            return wrap_text(text, width, initial_indent, subsequent_indent, preserve_paragraphs)
        room = max(10, width - max(len(initial_indent), len(subsequent_indent)))
        if not preserve_paragraphs:
            lines = _wrap_columns(" ".join(text.split()), room)
            return "\n".join(
                (initial_indent if n == 0 else subsequent_indent) + line
                for n, line in enumerate(lines)
            )
        paragraphs = []
        for block in text.split("\n\n"):
            lines = block.splitlines()
            if not lines or lines[0].strip() == "\b" or block.isascii():
                paragraphs.append(block)
                continue
            indent = len(lines[0]) - len(lines[0].lstrip())
            joined = ""
            for line in (line.strip() for line in lines):
                gap = " " if joined and (joined[-1].isascii() or line[:1].isascii()) else ""
                joined += gap + line
            shown = _wrap_columns(joined, max(10, room - indent))
            paragraphs.append("\b\n" + "\n".join(" " * indent + line for line in shown))
        return wrap_text("\n\n".join(paragraphs), width, initial_indent, subsequent_indent, True)

    wrapped.by_columns = True  # type: ignore[attr-defined]
    return wrapped


def _wrap_columns(text: str, width: int) -> list[str]:
    """Help text in lines by columns, by the Chinese line-breaking rules (see layout.py)."""
    from followup_cli.output.table import break_lines

    return break_lines(text, width)


def _display_width(text: str) -> int:
    """Columns on a terminal: Chinese characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


app = typer.Typer(
    cls=FollowupGroup,
    name="followup",
    help="Whom to call today, what happened, and how the shop is doing.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=True,
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


def _typed_word(kind: str, value: str | None) -> str | None:
    """An outcome or channel typed in English or Chinese, in any case (see vocabulary.py)."""
    from followup_cli import vocabulary

    if value is None:
        return None
    try:
        return vocabulary.outcome(value) if kind == "outcome" else vocabulary.channel(value)
    except FollowupError as exc:
        raise typer.BadParameter(exc.format_message()) from None


def _typed_outcome(ctx: typer.Context, value: str) -> str | None:
    """The outcome typed, kept as typed too (ctx.meta) to be echoed in the owner's own word."""
    ctx.meta["typed_outcome"] = value.strip()
    return _typed_word("outcome", value)


def _typed_tier(value: str | None) -> str | None:
    from followup_cli import vocabulary

    return None if value is None else vocabulary.tier(value)


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
        None,
        "--db",
        help="Database file or a chain's postgresql:// URL (default: $FOLLOWUP_DB, else the "
        "user data folder).",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    lang: str | None = typer.Option(
        None, "--lang", help="Language: zh or en (default: option 'language', else the locale)."
    ),
) -> None:
    """Whom to call today, what happened, and how the shop is doing."""
    if db is not None and not db.strip():
        raise typer.BadParameter(
            _("give a database file name, not an empty one"), param_hint="'--db'"
        )
    if lang is not None:
        from followup_cli.i18n import normalise

        if not lang.strip().lower().startswith(("zh", "en")):
            raise FollowupError(
                _("--lang {value!r} is not a language (use zh or en)").format(value=lang)
            )
        set_language(normalise(lang))
    ctx.obj = {**(ctx.obj or {}), "db": db}


def _db_path(ctx: typer.Context) -> tuple[Path, bool]:
    from followup_cli import storage

    return storage.resolve_db_path(ctx.find_root().obj["db"])


def _conn(ctx: typer.Context) -> sqlite3.Connection:
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
    path, is_default = _db_path(ctx)
    # A new file from --db (a typo, maybe) or the default place is announced, once; one named
    # by $FOLLOWUP_DB was set up on purpose (scripts, cron) and stays quiet.
    announce = not path.exists() and (is_default or ctx.find_root().obj["db"] is not None)
    conn = storage.open_db(path, create_folder=is_default)
    if announce:
        terminal.warn(_("followup: created a new, empty database at {path}").format(path=path))
    return conn


def _confirm(question: str, yes: bool) -> None:
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


def _day(value: str | None, what: str = "--date") -> date:
    """The as-of day in any form a person types (2026/11/05, 11月5日, 昨天); exit 2 if none."""
    from followup_cli.core.dates import parse_day

    return date.today() if value is None else parse_day(value, what)


def _typed_dates(fields: dict[str, str | None], today: date) -> dict[str, str | None]:
    """add/edit's date fields (--first-purchase 昨天) as ISO text, before the import's checks."""
    from followup_cli.core.dates import option_dates
    from followup_cli.core.models import CUSTOMER_DATE_FIELDS

    return option_dates(fields, CUSTOMER_DATE_FIELDS, today)


def _not_after_today(day: date) -> date:
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


def _complete_customers(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
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


def _complete_tiers(ctx: Any, incomplete: str) -> list[str]:
    """Tier names for shell completion: this shop's rules, else the defaults."""
    from followup_cli import storage
    from followup_cli.core.models import DEFAULT_RULES

    tiers = [rule.tier for rule in DEFAULT_RULES]
    try:
        conn = storage.open_for_reading(ctx.find_root().params.get("db"))
        if conn is not None:
            try:
                tiers = [row[0] for row in conn.execute("SELECT tier FROM rules ORDER BY rank")]
            finally:
                conn.close()
    except (sqlite3.Error, OSError):
        pass
    return [tier for tier in tiers if tier.startswith(incomplete.lower())]


def _complete_branches(ctx: Any, incomplete: str) -> list[str]:
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
        autocompletion=_complete_customers,
    ),
]


@app.command()
def today(
    ctx: typer.Context,
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
    owner: str | None = typer.Option(None, "--owner", help="Only this staff member's customers."),
    limit: int | None = typer.Option(
        None, "--limit", min=1, max=LIMIT_MOST, help="At most N, most important."
    ),
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
    explain: bool = typer.Option(
        False, "--explain", help="Show each line's rule, anchor date, due date and window."
    ),
    segment: str | None = typer.Option(
        None, "--segment", help=_("Only one value segment, e.g. important-value or 重要价值.")
    ),
    with_message: bool = typer.Option(
        False,
        "--with-message",
        help=_("A send list: each customer with a phone and the filled message (csv or json)."),
    ),
    signature: str | None = typer.Option(
        None, "--signature", help=_("Start each message with 【SIGNATURE】, as carriers require.")
    ),
    opt_out_line: bool = typer.Option(
        False,
        "--opt-out-line",
        help=_("End each message with the opt-out line (template opt-out, e.g. 拒收请回复R)."),
    ),
    output: str | None = typer.Option(
        None, "--output", "-o", help=_("Write the send list to this file (readable by you only).")
    ),
    excel: bool = typer.Option(
        False, "--excel", help=_("A file for a person: CSV with a BOM, for Excel and WPS.")
    ),
    branch: str | None = typer.Option(
        None,
        "--branch",
        help=_("Only this branch's customers (a chain of shops)."),
        hidden=True,
        autocompletion=_complete_branches,
    ),
) -> None:
    """List the follow-ups due today (overdue included), most important first.

    Status: due (today), overdue (within the tier's grace window), late (past it).
    """
    from followup_cli.commands import morning

    if (signature is not None or opt_out_line) and not with_message:
        raise FollowupError(_("--signature and --opt-out-line go with --with-message"))
    from followup_cli.output.xlsx import is_workbook

    for_a_person = excel or is_workbook(output)
    if excel and not with_message:
        raise FollowupError(_("--excel goes with --with-message"))
    if with_message and fmt is Format.table and not for_a_person:
        raise FollowupError(_("--with-message writes a send list: add --format csv or json"))
    if output is not None and not with_message:
        raise FollowupError(_("--output goes with --with-message"))
    _check_output_folder(output)
    day = _day(on)
    conn = _conn(ctx)
    if owner is not None and segment is not None:
        from followup_cli.commands.lookup import check_owner

        check_owner(conn, owner)  # a mistyped owner is an error on every path, not a quiet day
    if with_message:
        from followup_cli.commands.branches import optional
        from followup_cli.commands.templates import send_list

        items = morning.due_items(conn, day, owner, limit, segment, explain, optional(conn, branch))
        rows, left_out = send_list(conn, items, day, signature, opt_out_line)
        send_list_view(rows, fmt, output, excel)
        if left_out:
            terminal.warn(
                _("Not in the send list, no phone: {ids}").format(
                    ids=", ".join(i.customer_id for i in left_out)
                )
            )
        return
    listed, total = morning.gather(conn, day, owner, limit, segment, explain, branch)
    show_today(listed, total, fmt.value, day, explain, branch)


@app.command(
    help=_(
        "Walk today's list full-screen: one key per outcome, the customer's card and the "
        "message to send beside it; a summary on quit."
    )
)
def review(
    ctx: typer.Context,
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
    owner: str | None = typer.Option(None, "--owner", help="Only this staff member's customers."),
    limit: int | None = typer.Option(
        None, "--limit", min=1, max=LIMIT_MOST, help="At most N, most important."
    ),
    channel: Channel | None = typer.Option(
        None, "--channel", help=_("How you contact them this time, logged with each outcome.")
    ),
    branch: str | None = typer.Option(
        None,
        "--branch",
        help=_("Only this branch's customers (a chain of shops)."),
        hidden=True,
        autocompletion=_complete_branches,
    ),
) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise FollowupError(
            _("review needs a terminal; in a script use 'followup today' and 'followup log'")
        )
    day = _day(on)
    conn = _conn(ctx)
    from followup_cli.commands.branches import optional
    from followup_cli.tui.review_app import run_review

    summary, printed = run_review(
        conn, day, owner, limit, channel.value if channel else None, optional(conn, branch)
    )
    for text in printed:
        terminal.message(text)
    terminal.message(summary)


@app.command()
def log(
    ctx: typer.Context,
    customer: CustomerArg,
    outcome: str = typer.Argument(
        ...,
        callback=_typed_outcome,
        help="What happened: reached, no-answer, complaint, converted, lost, opt-out "
        "(or 已接通, 没人接, 投诉了, 下单了, 流失, 不要再打: every word below).",
    ),
    on: str | None = typer.Option(None, "--date", help="Day of the contact (default today)."),
    note: str | None = typer.Option(None, "--note", help="What was said."),
    channel: str | None = typer.Option(
        None,
        "--channel",
        callback=lambda value: _typed_word("channel", value),
        help="How they were contacted: phone, sms, email, wechat, visit "
        "(or 电话, 短信, 微信, 邮件, 到店).",
    ),
    score: int | None = typer.Option(None, "--score", min=1, max=5, help="Satisfaction 1-5."),
    nps: int | None = typer.Option(None, "--nps", min=0, max=10, help="Would recommend 0-10."),
    again: bool = typer.Option(
        False, "--again", help=_("Log it even if the same outcome is already logged that day.")
    ),
    fmt: TextOrJson = typer.Option(TextOrJson.text, "--format", help="text or json."),
) -> None:
    """Record the outcome of a contact and plan the next follow-up."""
    from followup_cli.commands.contacts import AlreadyLogged, log_outcome, same_outcome_logged
    from followup_cli.text import strip_controls
    from followup_cli.vocabulary import shown_outcome

    day = _not_after_today(_day(on))
    conn = _conn(ctx)
    already = None if again else same_outcome_logged(conn, customer, outcome, day)
    if already is not None:
        said = shown_outcome(ctx.meta.get("typed_outcome", ""), outcome)
        question = _("{who} already has {outcome} logged on {day}. Log it again?").format(
            who=already, outcome=said, day=day.isoformat()
        )
        if not sys.stdin.isatty():
            raise FollowupError(
                _(
                    "{who} already has {outcome} logged on {day}: add --again to log a second one"
                ).format(who=already, outcome=said, day=day.isoformat())
            )
        if not typer.confirm(question, default=False):
            raise FollowupError(_("nothing logged"))
        again = True  # asked and confirmed
    try:
        result = log_outcome(
            conn,
            customer,
            outcome,
            day,
            strip_controls(note) if note else note,
            channel,
            score,
            nps,
            refuse_same_day=not again,  # checked again under the write lock
        )
    except AlreadyLogged as exc:
        said = shown_outcome(ctx.meta.get("typed_outcome", ""), outcome)
        raise FollowupError(
            _(
                "{who} already has {outcome} logged on {day}: add --again to log a second one"
            ).format(who=exc.who, outcome=said, day=day.isoformat())
        ) from None
    if fmt is TextOrJson.json:
        write_json(result.as_dict())
        return
    from followup_cli import wording

    done = {
        "retry": _("no answer, will try again"),
        "missed": _("no answer after the last attempt: follow-up missed"),
    }.get(result.status)
    nxt = (
        _("next: {due} ({reason})").format(
            due=result.next_due, reason=wording.reason(result.next_reason)
        )
        if result.next_due
        else _("nothing planned")
    )
    logged = _("Logged {outcome} for {customer_id} {name} on {date} (contact {contact_id})").format(
        outcome=wording.outcome(result.outcome),
        customer_id=result.customer_id,
        name=result.name,
        date=result.date,
        contact_id=result.contact_id,
    )
    terminal.message(
        _("{logged}; {done}; {next}").format(logged=logged, done=done, next=nxt)
        if done
        else _("{logged}; {next}").format(logged=logged, next=nxt)
    )


@app.command()
def undo(
    ctx: typer.Context,
    contact: int | None = typer.Option(
        None,
        "--contact",
        min=1,
        max=ID_MOST,
        help="The contact's number (shown by 'log' and 'show').",
    ),
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
    owner: str | None = typer.Option(
        None, "--owner", help=_("The last log of this staff member's customers.")
    ),
    branch: str | None = typer.Option(
        None,
        "--branch",
        help=_("The last log at this branch (a chain of shops)."),
        hidden=True,
        autocompletion=_complete_branches,
    ),
    fmt: TextOrJson = typer.Option(TextOrJson.text, "--format", help="text or json."),
) -> None:
    """Take back the last logged contact (or --contact N): the follow-up it closed is open again
    and what it planned is removed. Refused once something later depends on it."""
    from followup_cli import wording
    from followup_cli.commands.branches import optional
    from followup_cli.commands.contacts import undo_log
    from followup_cli.i18n import _

    conn = _conn(ctx)
    if contact is not None and (owner is not None or branch is not None):
        raise FollowupError(_("--contact names one contact: leave out --owner and --branch"))
    done = undo_log(conn, contact, _day(on), owner=owner, branches=optional(conn, branch))
    if fmt is TextOrJson.json:
        write_json(done)
        return
    from followup_cli.undo_words import undid_line

    lines = [undid_line(done)]
    if done["removed"] and done["removed"] != done["reopened"]:
        lines.append(_("No longer planned: {day}.").format(day=done["removed"]))
    if done["next_due"]:
        lines.append(
            _("Next: {day} ({reason}).").format(
                day=done["next_due"], reason=wording.reason(done["next_reason"])
            )
        )
    else:
        lines.append(_("Nothing is planned."))
    terminal.message(" ".join(lines))


@app.command()
def show(
    ctx: typer.Context,
    customer: CustomerArg,
    fmt: Format = typer.Option(Format.table, "--format", help="table, json, or csv (history)."),
) -> None:
    """Show one customer and their story in date order: purchases, contacts, snoozes, tier
    and owner changes, and the next follow-up."""
    from followup_cli.commands.customers import timeline

    customer_view(timeline(_conn(ctx), customer), fmt)


@app.command()
def find(
    ctx: typer.Context,
    text: str = typer.Argument(
        ..., help="Part of a name, an id, or the last 4+ digits of a phone."
    ),
    limit: int = typer.Option(20, "--limit", min=1, max=LIMIT_MOST, help="Show at most N."),
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
) -> None:
    """Find customers by part of a name, an id, an e-mail or the last digits of a phone."""
    from followup_cli.commands.customers import find as run_find

    find_view(run_find(_conn(ctx), text, limit), fmt)


NameOpt = Annotated[str | None, typer.Option("--name", help="Full name.")]
PhoneOpt = Annotated[
    str | None, typer.Option("--phone", help="Phone; without +code, the shop's phone_region.")
]
EmailOpt = Annotated[str | None, typer.Option("--email", help="E-mail address.")]
TierOpt = Annotated[
    str | None,
    typer.Option(
        "--tier",
        help="vip, new, regular, prospect (or a tier of your own; 新客户, VIP客户 ...).",
        autocompletion=_complete_tiers,
    ),
]
OwnerOpt = Annotated[str | None, typer.Option("--owner", help="The staff member who follows up.")]
NotesOpt = Annotated[str | None, typer.Option("--notes", help="Free text about the customer.")]
FirstOpt = Annotated[str | None, typer.Option("--first-purchase", help="Date of first purchase.")]
LastOpt = Annotated[str | None, typer.Option("--last-purchase", help="Date of last purchase.")]
AddedOpt = Annotated[str | None, typer.Option("--added", help="Customer since (default: today).")]
ContractOpt = Annotated[
    str | None, typer.Option("--contract-end", help="Contract or membership end date.")
]
IdOpt = Annotated[str | None, typer.Option("--id", help="The shop's own customer number.")]
BranchOpt = Annotated[
    str | None,
    typer.Option(
        "--branch",
        help="The branch of a chain the customer belongs to (else their owner's).",
        hidden=True,
        autocompletion=_complete_branches,
    ),
]
DayOpt = Annotated[str | None, typer.Option("--date", help=DATE_HELP)]
TextFormatOpt = Annotated[TextOrJson, typer.Option("--format", help="text or json.")]


@app.command()
def add(
    ctx: typer.Context,
    customer_name: str = typer.Argument(..., help="The customer's name."),
    customer_id: IdOpt = None,
    phone: PhoneOpt = None,
    email: EmailOpt = None,
    tier: TierOpt = None,
    owner: OwnerOpt = None,
    notes: NotesOpt = None,
    first_purchase: FirstOpt = None,
    last_purchase: LastOpt = None,
    added: AddedOpt = None,
    contract_end: ContractOpt = None,
    branch: BranchOpt = None,
    on: DayOpt = None,
    fmt: TextFormatOpt = TextOrJson.text,
) -> None:
    """Add one customer by hand, checked as an import row is; their first follow-up is planned.

    Needs an id, a phone or an e-mail. Refused if that id, phone or e-mail already belongs to a
    customer. Dates as in imports (2025-01-31, 2025/1/31, 2025年1月31日), or 昨天, 1月31日.
    """
    from followup_cli.commands.customers import add as run_add
    from followup_cli.i18n import _

    fields = dict(
        id=customer_id,
        name=customer_name,
        phone=phone,
        email=email,
        tier=tier,
        owner=owner,
        notes=notes,
        first_purchase=first_purchase,
        last_purchase=last_purchase,
        added=added,
        contract_end=contract_end,
        branch=branch,
    )
    today_ = _day(on)
    done = run_add(_conn(ctx), _typed_dates(fields, today_), today_)
    if fmt is TextOrJson.json:
        write_json(done)
        return
    from followup_cli import wording

    text = _("Added {ref} {name} ({tier}).").format(
        ref=done["customer_id"], name=done["name"], tier=wording.tier(done["tier"])
    )
    terminal.message(f"{text} {_next_sentence(done)}")
    if done["same_name"]:
        terminal.warn(
            _(
                "Note: {refs} has the same name; if they are one person, "
                "'followup merge {first} {ref}' joins them."
            ).format(
                refs=", ".join(done["same_name"]),
                first=done["same_name"][0],
                ref=done["customer_id"],
            )
        )


def _next_sentence(done: dict[str, Any]) -> str:
    from followup_cli import wording
    from followup_cli.i18n import _

    if done["next_due"]:
        return _("Next: {day} ({reason}).").format(
            day=done["next_due"], reason=wording.reason(done["next_reason"])
        )
    return _("Nothing is planned.")


@app.command()
def edit(
    ctx: typer.Context,
    customer: CustomerArg,
    name: NameOpt = None,
    new_id: IdOpt = None,
    phone: PhoneOpt = None,
    email: EmailOpt = None,
    tier: TierOpt = None,
    owner: OwnerOpt = None,
    notes: NotesOpt = None,
    first_purchase: FirstOpt = None,
    last_purchase: LastOpt = None,
    added: AddedOpt = None,
    contract_end: ContractOpt = None,
    branch: BranchOpt = None,
    on: DayOpt = None,
    fmt: TextFormatOpt = TextOrJson.text,
) -> None:
    """Correct a customer's details ('' clears an optional one). A new tier or date re-plans
    the next follow-up; every change is kept and shown by 'followup show'."""
    from followup_cli.commands.customers import edit as run_edit
    from followup_cli.i18n import _

    fields = dict(
        id=new_id,
        name=name,
        phone=phone,
        email=email,
        tier=tier,
        owner=owner,
        notes=notes,
        first_purchase=first_purchase,
        last_purchase=last_purchase,
        added=added,
        contract_end=contract_end,
        branch=branch,
    )
    today_ = _day(on)
    done = run_edit(_conn(ctx), customer, _typed_dates(fields, today_), today_)
    if fmt is TextOrJson.json:
        write_json(done)
        return
    if not done["changed"]:
        terminal.message(
            _("{ref} {name}: nothing changed.").format(ref=done["customer_id"], name=done["name"])
        )
        return
    from followup_cli import wording

    def shown(field: str, value: Any) -> str:
        if not value:
            return "-"
        return wording.tier(value) if field == "tier" else str(value)

    changed = "; ".join(
        f"{wording.field(field)}: {shown(field, change['from'])} -> {shown(field, change['to'])}"
        for field, change in done["changed"].items()
    )
    text = _("Changed {ref} {name}: {changes}.").format(
        ref=done["customer_id"], name=done["name"], changes=changed
    )
    terminal.message(f"{text} {_next_sentence(done)}")


@app.command()
def merge(
    ctx: typer.Context,
    keep: CustomerArg,
    other: Annotated[
        str,
        typer.Argument(
            help="The duplicate record, merged into the first and then removed.",
            autocompletion=_complete_customers,
        ),
    ],
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    on: DayOpt = None,
    fmt: TextFormatOpt = TextOrJson.text,
) -> None:
    """Merge two records of one person into the first: both histories kept, the first's
    details win and its gaps are filled from the second; at most one follow-up stays open."""
    from followup_cli.commands.customers import merge as run_merge
    from followup_cli.commands.maintenance import describe
    from followup_cli.i18n import _

    conn = _conn(ctx)
    _confirm(
        _("Merge {other} into {keep}, and remove {other}?").format(
            other=describe(conn, other), keep=describe(conn, keep)
        ),
        yes,
    )
    done = run_merge(conn, keep, other, _day(on))
    if fmt is TextOrJson.json:
        write_json(done)
        return
    text = _("Merged {other} into {ref} {name}.").format(
        other=done["merged"], ref=done["customer_id"], name=done["name"]
    )
    terminal.message(f"{text} {_next_sentence(done)}")


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
        [], "--by", help="Break down by tier, owner, channel, month or segment (repeatable)."
    ),
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
    output: str | None = typer.Option(None, "--output", "-o", help="Write CSV/JSON to a file."),
    excel: bool = typer.Option(
        False, "--excel", help=_("A file for a person: CSV with a BOM, for Excel and WPS.")
    ),
    html: str | None = typer.Option(None, "--html", help="Write a self-contained HTML page."),
    explain: bool = typer.Option(False, "--explain", help="Say what each figure means."),
) -> None:
    """Success, churn and conversion rates, CSAT, NPS, overdue and churn risk for a period."""
    from followup_cli.commands.report import build_report
    from followup_cli.core.dates import resolve_period

    as_of = _day(on)
    first, last_day = resolve_period(as_of, start, end, month, last, quarter, year)
    for path in (output, html):
        _check_output_folder(path)
    if output and fmt is Format.table and not excel:
        fmt = _format_of_file(output)
    from followup_cli.vocabulary import dimension

    dimensions = [
        dimension(d) for item in by for d in item.replace("，", ",").split(",") if d.strip()
    ]
    data = build_report(_conn(ctx), first, last_day, as_of, dimensions)
    if excel and fmt is Format.table:
        fmt = Format.csv
    if html:
        from followup_cli.views.report_html import render as render_html

        files.to_text_file(html, lambda page, out: out.write(page), render_html(data))
        if fmt is Format.table and not explain:
            terminal.message(_("Report written to {file}").format(file=html))
            return
    report_view(data, fmt, output, excel)
    if explain and fmt is Format.table:
        report_definitions()


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
HeaderRowOpt = Annotated[
    int | None,
    typer.Option(
        "--header-row", min=1, help="Line of the header row (default: found in the file)."
    ),
]


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
        header_row: HeaderRowOpt = None,
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
            header_row=header_row,
        )

    command.__doc__ = help_text
    command.__name__ = f"import_{kind}"
    return command


import_app.command("customers")(
    _import_command(
        "customers",
        N_("""Add or update customers from a file. Re-importing the same file changes nothing.

    Exit 0: every row used; 3: done, some rows rejected; 4: nothing imported.
    """),
    )
)
import_app.command("purchases")(
    _import_command(
        "purchases",
        N_("""Add purchases (customer id/phone/e-mail, date, amount, order number).

    Updates first and last purchase dates and spend; a prospect who buys becomes a new
    customer. Exit codes as for 'import customers'.
    """),
    )
)


def _run_import(kind: str, ctx: typer.Context, file: Path, on: str | None, **opts: Any) -> None:
    from followup_cli.imports import run as imports
    from followup_cli.imports.read import check_importable

    if str(file) == "-":  # a cron pipe: `till-export | followup import customers -`
        from followup_cli.imports.read import standard_input_copy

        with standard_input_copy() as copy:
            _run_import(kind, ctx, copy, on, **opts)
        return
    from followup_cli.imports.read import shown_path

    shown = shown_path(file)
    check_importable(file)  # before a new database is made for an import that cannot start
    if opts["rejects"] is not None:
        files.check_output(str(opts["rejects"]))  # before the import, not after it
    given = imports.ImportOptions(
        encoding=opts["encoding"],
        delimiter=_delimiter(opts["delimiter"]),
        sheet=opts["sheet"],
        mapping=_parse_mapping(opts["mapping"], kind),
        dayfirst=opts["dayfirst"],
        region=opts["region"].upper() if opts["region"] else None,
        header_row=opts["header_row"],
    )
    conn = _conn(ctx)
    options = imports.resolve_options(conn, given, opts["profile"], opts["save_profile"])
    run = imports.import_customers if kind == "customers" else imports.import_purchases
    with terminal.progress(
        _("Importing {file}").format(file=Path(shown).name),
        _("Writing {file}").format(file=Path(shown).name),
        quiet=opts["quiet"],
    ) as progress:
        result = run(
            conn,
            file,
            _day(on),
            options,
            dry_run=opts["dry_run"],
            strict=opts["strict"],
            progress=progress,
        )
    reported = [(r.line, r.reason) for r in result.rejected]
    if not opts["quiet"]:
        reported += result.warnings  # values left out; the row itself was used
    for line, text in sorted(reported, key=lambda item: item[0]):
        terminal.warn(_("{file}: line {line}: {reason}").format(file=shown, line=line, reason=text))
    import_summary(
        result.summary(),
        opts["fmt"] is TextOrJson.json,
        opts["quiet"] and not result.rejected,
        opts["strict"],
    )
    if opts["rejects"] is not None:
        rows = [
            {**dict(zip(result.header, r.cells, strict=False)), "reason": r.reason}
            for r in result.rejected
        ]
        columns = [*result.header, "reason"]
        try:
            files.to_text_file(str(opts["rejects"]), write_csv, rows, columns, bom=True)
        except (OSError, FollowupError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else exc.format_message()
            raise FollowupError(
                _(
                    "the import is done as summarised above, but the rejected rows could not "
                    "be written to {file} ({reason})"
                ).format(file=opts["rejects"], reason=reason or exc)
            ) from None
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def _delimiter(value: str | None) -> str | None:
    if value is None:
        return None
    if value.lower() in ("tab", "\\t", "\t"):
        return "\t"
    if len(value) != 1:
        raise FollowupError(_("--delimiter takes one character (or 'tab')"))
    return value


def _parse_mapping(pairs: list[str], kind: str) -> dict[str, str]:
    from followup_cli.imports.headers import FIELDS, PURCHASE_FIELDS

    fields = FIELDS if kind == "customers" else PURCHASE_FIELDS
    mapping = {}
    for pair in pairs:
        column, sep, target = pair.rpartition("=")
        target = target.strip().lower()
        if not sep or not column.strip() or target not in fields:
            raise FollowupError(
                _("--map {pair!r} must be 'Column=field' with field one of {fields}").format(
                    pair=pair, fields=", ".join(fields)
                )
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
    limit: int = typer.Option(20, "--limit", min=1, max=LIMIT_MOST, help="Show the N most recent."),
    every: bool = typer.Option(
        False, "--all", help=_("Also the imports that changed nothing (a nightly re-import).")
    ),
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
) -> None:
    """List past imports, newest first: when, which file, what it did."""
    if ctx.invoked_subcommand is not None:
        return
    from followup_cli.imports.history import list_imports

    imports_view(list_imports(_conn(ctx), limit, every), fmt)


@imports_app.command("undo")
def imports_undo(
    ctx: typer.Context,
    import_id: int = typer.Argument(
        ..., min=1, max=ID_MOST, help="The import's ID from 'followup imports'."
    ),
    on: str | None = typer.Option(None, "--date", help="Re-plan as of this day."),
) -> None:
    """Revert an import: customers it added removed, fields it changed restored.

    Refused when anything was logged on those customers since the import.
    """
    from followup_cli.imports.history import undo_import

    done = undo_import(_conn(ctx), import_id, _day(on))
    terminal.message(
        _("Import {import_id} undone: {removed} customers removed, {restored} restored.").format(
            **done
        )
    )


@export_app.command("customers")
def export_customers(
    ctx: typer.Context,
    fmt: Format = typer.Option(Format.csv, "--format", help="csv or json."),
    output: str | None = typer.Option(None, "--output", "-o", help="File (default stdout)."),
    branch: str | None = typer.Option(
        None,
        "--branch",
        help=_("Only this branch's customers (a chain of shops)."),
        hidden=True,
        autocompletion=_complete_branches,
    ),
    excel: bool = typer.Option(
        False, "--excel", help=_("A file for a person: CSV with a BOM, for Excel and WPS.")
    ),
) -> None:
    """Every customer with every field, in a stable column order."""
    from followup_cli.commands.branches import optional
    from followup_cli.commands.export import export_customers as rows

    _no_table(fmt)
    _excel_is_csv(fmt, excel)
    _check_output_folder(output)
    conn = _conn(ctx)
    export_view(rows(conn, optional(conn, branch)), fmt, output, excel)


@export_app.command("history")
def export_history(
    ctx: typer.Context,
    fmt: Format = typer.Option(Format.csv, "--format", help="csv or json."),
    output: str | None = typer.Option(None, "--output", "-o", help="File (default stdout)."),
    branch: str | None = typer.Option(
        None,
        "--branch",
        help=_("Only contacts with this branch's customers (a chain of shops)."),
        hidden=True,
        autocompletion=_complete_branches,
    ),
    excel: bool = typer.Option(
        False, "--excel", help=_("A file for a person: CSV with a BOM, for Excel and WPS.")
    ),
) -> None:
    """Every logged contact: who, when, outcome, channel, scores and notes."""
    from followup_cli.commands.branches import optional
    from followup_cli.commands.export import export_history as rows

    _no_table(fmt)
    _excel_is_csv(fmt, excel)
    _check_output_folder(output)
    conn = _conn(ctx)
    export_rows(rows(conn, optional(conn, branch)), HISTORY_KEYS, fmt, output, excel)


@export_app.command("customer")
def export_customer(
    ctx: typer.Context,
    customer: CustomerArg,
    output: str | None = typer.Option(None, "--output", "-o", help="File (default stdout)."),
) -> None:
    """Everything stored about one customer, as JSON (for a data access request)."""
    from followup_cli.commands.maintenance import customer_export

    _check_output_folder(output)
    files.write_to(output, write_json, customer_export(_conn(ctx), customer))


def _format_of_file(output: str) -> Format:
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


def _excel_is_csv(fmt: Format, excel: bool) -> None:
    """`--excel` is CSV for a person; JSON is for scripts."""
    if excel and fmt is not Format.csv:
        raise typer.BadParameter(
            _("--excel is a CSV file for a person: leave out --format"), param_hint="'--excel'"
        )


def _no_table(fmt: Format) -> None:
    """Exports are files for other programs: a table is refused, never quietly made CSV."""
    if fmt is Format.table:
        raise typer.BadParameter(
            _("an export is csv or json, not a table"),
            param_hint="'--format'",
        )


def _check_output_folder(output: str | None) -> None:
    files.check_output(output)


@app.command()
def forget(
    ctx: typer.Context,
    customer: CustomerArg,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Erase a customer and all their history from the file (right to erasure)."""
    from followup_cli.commands.maintenance import describe, forget_customer, forget_in_copies
    from followup_cli.i18n import _

    conn = _conn(ctx)
    _confirm(
        _("Erase {customer} and all their history?").format(customer=describe(conn, customer)), yes
    )
    from followup_cli import storage

    if storage.on_server(conn):
        terminal.message(
            _(
                "Rewriting the server's tables that held them, so their details are gone from "
                "its data files too; other commands at every branch wait until this is done."
            )
        )
    gone = forget_customer(conn, customer)

    copies = (
        {"erased_in": [], "backups": [], "unreachable": []}
        if storage.chosen_server(ctx.find_root().obj["db"])
        else forget_in_copies(conn, _db_path(ctx)[0], gone["customer_id"])
    )
    if gone["scrubbed"]:
        terminal.message(
            _("Erased {customer_id} {name} and all their history.").format(
                customer_id=gone["customer_id"], name=gone["name"]
            )
        )
    for copy in copies["erased_in"]:
        terminal.message(_("Also erased from the copy kept by restore: {file}").format(file=copy))
    for copy in copies["unreachable"]:
        terminal.warn(_("Could not erase them from the copy {file}: delete it").format(file=copy))
    for copy in copies["backups"]:
        terminal.warn(
            _(
                "The backup {file} may still hold them: erase there with "
                "'followup --db {file} forget {customer_id} --yes', or delete it"
            ).format(file=copy, customer_id=gone["customer_id"])
        )
    if not gone["scrubbed"]:
        raise FollowupError(
            _(
                "{customer_id} {name} is erased from the customer list, but another program "
                "is reading the database, so their old details stay in the file's bytes for "
                "now: run any followup command once that program has finished, and they are "
                "scrubbed"
            ).format(**gone)
        )


@app.command()
def backup(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Where to write the copy."),
    force: bool = typer.Option(False, "--force", help="Replace the file if it exists."),
) -> None:
    """Copy the database safely, even while it is in use."""
    from followup_cli.commands.maintenance import backup as run_backup

    _file_only(ctx, "backup")
    path, _default = _db_path(ctx)
    if file.expanduser().resolve() == path.expanduser().resolve():
        raise FollowupError(
            _("{file} is the database itself: back up to another file").format(file=file)
        )
    target = run_backup(_conn(ctx), file, force)
    terminal.message(_("Backed up to {file}").format(file=target))


@app.command()
def restore(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A backup made by 'followup backup'."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Replace the database with a backup; the current one is kept aside."""
    from followup_cli import storage
    from followup_cli.commands.maintenance import check_backup, discard
    from followup_cli.commands.maintenance import restore as run_restore

    if storage.chosen_server(ctx.find_root().obj["db"]) is not None:
        raise FollowupError(
            _(
                "'restore' works on a database file; to bring a copy back onto a PostgreSQL "
                "server, use 'followup --db FILE transfer --to URL' into an empty database"
            )
        )
    path, _is_default = _db_path(ctx)
    conn = _conn(ctx)
    staged, version = check_backup(path, file)
    try:
        _confirm(_("Replace {database} with {backup}?").format(database=path, backup=file), yes)
        done = run_restore(conn, path, file, staged, version)
    finally:
        discard(staged)
    terminal.message(
        _("Restored from {restored_from}; the previous database is kept at {kept}").format(
            restored_from=done["restored_from"], kept=done["previous_kept_at"]
        )
    )


@app.command()
def doctor(
    ctx: typer.Context,
    fmt: TextOrJson = typer.Option(TextOrJson.text, "--format", help="text or json."),
) -> None:
    """Check the database: integrity, schema version, counts, inconsistencies.

    Exit 0 when all is well, 1 when a problem was found.
    """
    from followup_cli import storage
    from followup_cli.commands.maintenance import doctor as run_doctor

    url = storage.chosen_server(ctx.find_root().obj["db"])
    report = run_doctor(_conn(ctx), None if url else _db_path(ctx)[0], url)
    doctor_view(report, fmt is TextOrJson.json)
    if report["problems"]:
        raise typer.Exit(EXIT_FAILURE)


@app.command()
def transfer(
    ctx: typer.Context,
    to: str | None = typer.Option(
        None, "--to", help="Copy this database into an empty one: a file or postgresql://…"
    ),
    source: str | None = typer.Option(
        None, "--from", help="Copy a database (a file or postgresql://…) into this empty one."
    ),
    on: str | None = typer.Option(None, "--date", help="The report compared ends on this day."),
    fmt: TextOrJson = typer.Option(TextOrJson.text, "--format", help="text or json."),
) -> None:
    """Move a shop onto a chain's PostgreSQL server, or back into a file.

    Every table is copied whole into an empty database, counted on both sides, and the
    report for the last 12 months compared; any difference and nothing is copied. --from
    a server into a new file is also the offline backup of a chain.
    """
    from followup_cli import storage
    from followup_cli.commands.transfer import transfer as run_transfer

    if (to is None) == (source is None):
        raise UsageError(_("give exactly one of --to and --from"))
    other = (to or source or "").strip()
    if not other:
        raise typer.BadParameter(
            _("give a database file name, not an empty one"),
            param_hint="'--to'" if to is not None else "'--from'",
        )
    here_name = _here_name(ctx)
    if _same_database(other, here_name):
        raise FollowupError(
            _("{database} is this database itself: give another one").format(
                database=storage.shown_name(other)
            )
        )
    if (
        source is not None
        and not storage.is_server(other)
        and not Path(other).expanduser().is_file()
    ):
        raise FollowupError(_("no database file at {path}").format(path=other))
    # Files this command would create: taken away again if the copy fails.
    new_files = [
        Path(name).expanduser()
        for name in (here_name, other)
        if not storage.is_server(name) and not Path(name).expanduser().exists()
    ]
    there = _open_other(other)  # first: a source that cannot be read leaves nothing behind
    try:
        here = _conn(ctx)
        origin, copy = (here, there) if to is not None else (there, here)
        name = other if to is not None else here_name
        with terminal.progress(_("copying")) as bar:
            tick = bar(10**9) if bar else None
            result = run_transfer(
                origin,
                copy,
                storage.shown_name(name),
                _day(on),
                (lambda _table, n: tick(n)) if tick else None,
            )
    except BaseException:
        there.close()
        for path in new_files:
            storage.remove_with_sidecars(path)
        raise
    there.close()
    transfer_view(result, fmt is TextOrJson.json)


def _open_other(target: str) -> Any:
    """The other database of a transfer: a server, or a file (created if new)."""
    from followup_cli import storage

    if storage.is_server(target):
        return storage.open_server(target)
    return storage.open_db(Path(target).expanduser())


def _same_database(one: str, other: str) -> bool:
    from followup_cli import storage

    if storage.is_server(one) or storage.is_server(other):
        return one.strip() == other.strip()
    return Path(one).expanduser().resolve() == Path(other).expanduser().resolve()


def _here_name(ctx: typer.Context) -> str:
    from followup_cli import storage

    url = storage.chosen_server(ctx.find_root().obj["db"])
    return url if url is not None else str(_db_path(ctx)[0])


def _file_only(ctx: typer.Context, command: str) -> None:
    """Commands about the file's bytes: a chain's server keeps its own (pg_dump, transfer)."""
    from followup_cli import storage

    if storage.chosen_server(ctx.find_root().obj["db"]) is not None:
        raise FollowupError(
            _(
                "'{command}' works on a database file; on a PostgreSQL server keep a copy with "
                "'followup --db FILE transfer --from URL' or the server's pg_dump"
            ).format(command=command)
        )


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
    from followup_cli.planner.rules import rules_view as rules_data
    from followup_cli.views.rules import rules_view

    rules_view(rules_data(_conn(ctx)), fmt)


@rules_app.command("set")
def rules_set(
    ctx: typer.Context,
    tier: str = typer.Argument(..., help="A tier (vip, new, regular, prospect) or a new one."),
    steps: str | None = typer.Option(None, "--steps", help="Milestones, e.g. 7d,1m,3m ('' none)."),
    every: str | None = typer.Option(None, "--every", help="Repeat interval, e.g. 6w ('none')."),
    anchor: str | None = typer.Option(
        None, "--anchor", help="first_purchase, last_contact, last_purchase or added."
    ),
    then: str | None = typer.Option(
        None,
        "--then",
        callback=lambda value: _typed_tier(value),
        help="Tier to follow after the steps.",
    ),
    grace: str | None = typer.Option(None, "--grace", help="How long after due it is late."),
    rank: int | None = typer.Option(
        None, "--rank", min=0, max=1000, help="Order on today's list (low first)."
    ),
    on: str | None = typer.Option(None, "--date", help="Re-plan as of this day."),
) -> None:
    """Change a tier's rule, or add a tier; open follow-ups are re-planned."""
    from followup_cli import vocabulary
    from followup_cli.planner.rules import set_rule

    done = set_rule(
        _conn(ctx),
        vocabulary.tier(tier),
        _day(on),
        steps=steps,
        every=every,
        anchor=anchor,
        then=then,
        grace=grace,
        rank=rank,
    )
    from followup_cli import wording

    terminal.message(
        _("{tier}: {rule} (late after {grace}); {replanned} follow-ups re-planned").format(
            tier=wording.tier(done["rule"]["tier"]),
            rule=done["rule"]["describe"],
            grace=wording.duration(done["rule"]["grace"]),
            replanned=done["replanned"],
        )
    )


@rules_app.command("reset")
def rules_reset(
    ctx: typer.Context, on: str | None = typer.Option(None, "--date", help="Re-plan as of.")
) -> None:
    """Go back to the default rules and shop options; open follow-ups are re-planned."""
    from followup_cli.planner.rules import reset_rules

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
    terminal.message(text.format(changes=changes, replanned=done["replanned"]))


levels_app = typer.Typer(
    help="How member levels, tags and stages of other systems become tiers on import.",
    invoke_without_command=True,
)
rules_app.add_typer(levels_app, name="levels")


@levels_app.callback()
def levels_show(
    ctx: typer.Context,
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
) -> None:
    """Show the level table: a word found in a level, tag or stage, and the tier it gives.

    An exact match wins, else the longest word found inside the text (VIP3 金卡会员 -> vip).
    A level the table does not know is imported as regular and counted in the summary.
    """
    if ctx.invoked_subcommand is not None:
        return
    from followup_cli.imports.levels import levels_view as levels_data
    from followup_cli.views.rules import levels_view

    levels_view(levels_data(_conn(ctx)), fmt)


@levels_app.command("set")
def levels_set(
    ctx: typer.Context,
    level: str = typer.Argument(..., help="A level, tag or stage word, e.g. 铂金卡 or Evangelist."),
    tier: str = typer.Argument(
        ...,
        callback=lambda value: _typed_tier(value),
        help="The tier it gives: vip, new, regular, prospect, ... (or VIP客户, 新客户 ...).",
    ),
) -> None:
    """Map a level to a tier (applies from the next import)."""
    from followup_cli.i18n import _
    from followup_cli.imports.levels import set_level

    done = set_level(_conn(ctx), level, tier)
    terminal.message(_("{level} -> {tier}").format(**done))


@levels_app.command("remove")
def levels_remove(
    ctx: typer.Context, level: str = typer.Argument(..., help="A word of the level table.")
) -> None:
    """Take a word out of the level table."""
    from followup_cli.i18n import _
    from followup_cli.imports.levels import remove_level

    remove_level(_conn(ctx), level)
    terminal.message(_("{level} removed from the level table").format(level=level))


@rules_app.command("option", context_settings={"ignore_unknown_options": True})
def rules_option(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="An option shown by 'followup rules'."),
    value: str = typer.Argument(..., help="Its new value, e.g. 3d, 5, sun, CN, none."),
    on: str | None = typer.Option(None, "--date", help="Re-plan as of this day."),
) -> None:
    """Change a shop-wide option (gaps, retries, capacity, closed weekdays, holidays)."""
    from followup_cli.planner.rules import set_option

    done = set_option(_conn(ctx), name, value, _day(on))
    terminal.message(
        _("{option} = {value}; {replanned} follow-ups re-planned").format(
            option=done["option"], value=done["value"], replanned=done["replanned"]
        )
    )


templates_app = typer.Typer(
    help="Show or change the messages to send, one per reason.\n\n"
    "Fields: {name} {shop} {days_since_purchase} {last_purchase} {owner}. Text in "
    "[brackets] with a field in it is left out when the field is empty (no purchase yet).",
    invoke_without_command=True,
)
app.add_typer(templates_app, name="templates")


@templates_app.callback()
def templates_show(
    ctx: typer.Context,
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
) -> None:
    """Each reason's message: the owner's wording, else the default in the shop's language.

    Fields: {name} {shop} {days_since_purchase} {last_purchase} {owner}. Text in [brackets]
    with a field in it is left out when that field is empty (no purchase yet).
    """
    if ctx.invoked_subcommand is not None:
        return
    from followup_cli.commands.templates import list_templates, shop_name

    conn = _conn(ctx)
    templates_view(list_templates(conn), fmt)
    if fmt is Format.table and not shop_name(conn):
        terminal.message(_("The shop's name is not set: messages use a neutral word instead."))
        terminal.message(_("Set it with: followup rules option shop NAME"))


@templates_app.command("set", help=_("Write your own wording of one message."))
def templates_set(
    ctx: typer.Context,
    key: str = typer.Argument(
        ..., help=_("Which message, e.g. vip, first-week, win-back (or 满月回访, 投诉回访, 唤回).")
    ),
    text: str = typer.Argument(..., help=_("The text, with fields such as {name} and {shop}.")),
) -> None:
    from followup_cli.commands.templates import set_template

    done = set_template(_conn(ctx), key, text)
    terminal.message(_("Template {key} saved: {text}").format(key=done["key"], text=done["text"]))


@templates_app.command("reset", help=_("Go back to the default wording (one message, or all)."))
def templates_reset(
    ctx: typer.Context,
    key: str | None = typer.Argument(None, help=_("Which message (default: all of them).")),
) -> None:
    from followup_cli.commands.templates import reset_templates

    done = reset_templates(_conn(ctx), key)
    if done["key"] is None:
        terminal.message(_("All templates are back to the default wording."))
    else:
        terminal.message(
            _("Template {key} is back to the default wording.").format(key=done["key"])
        )


staff_app = typer.Typer(
    help="The staff who follow customers up: their customers and open follow-ups.",
    invoke_without_command=True,
)
app.add_typer(staff_app, name="staff")


@staff_app.callback()
def staff_show(
    ctx: typer.Context,
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
) -> None:
    """Each staff member: active customers, open follow-ups and those due by --date; in a
    chain, the branch each works at."""
    if ctx.invoked_subcommand is not None:
        return
    from followup_cli.commands.branches import staff

    staff_view(staff(_conn(ctx), _day(on)), fmt)


@staff_app.command(
    "set",
    help=_(
        "Put a staff member in a branch of a chain; their customers without a branch of "
        "their own belong to it too."
    ),
)
def staff_set(
    ctx: typer.Context,
    name: str = typer.Argument(..., help=_("The staff member, as customers' owner names them.")),
    branch: str = typer.Option(
        ..., "--branch", help=_("The branch ('' for none)."), autocompletion=_complete_branches
    ),
) -> None:
    from followup_cli.commands.branches import set_staff

    done = set_staff(_conn(ctx), name, branch)
    if done["branch"]:
        text = _("{name} works at {branch}.").format(name=done["name"], branch=done["branch"])
    else:
        text = _("{name} is in no branch.").format(name=done["name"])
    if not done["owns_customers"]:
        text += " " + _("(No customer names {name} as owner yet.)").format(name=done["name"])
    terminal.message(text)


@app.command()
def snooze(
    ctx: typer.Context,
    customer: CustomerArg,
    until: str = typer.Option(
        ...,
        "--until",
        help="A day (2026-11-05, 11月5日 = the next 5 Nov, 明天) or a time from --date: 3d, 2w, "
        "1m, 3天, 2周, 1个月, 半年.",
    ),
    note: str | None = typer.Option(None, "--note", help="Why."),
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
) -> None:
    """Postpone a customer's follow-up (not a miss)."""
    from followup_cli.commands.snooze import parse_until
    from followup_cli.commands.snooze import snooze as run_snooze
    from followup_cli.text import strip_controls

    today_ = _day(on)
    note = strip_controls(note) if note else note
    done = run_snooze(_conn(ctx), customer, parse_until(until, today_), today_, note)
    terminal.message(
        _("Snoozed {customer_id} {name} until {until}").format(
            customer_id=done["customer_id"], name=done["name"], until=done["until"]
        )
    )


@app.command()
def assign(
    ctx: typer.Context,
    customer: CustomerArg,
    owner: str = typer.Option(..., "--owner", help="The staff member who follows them up."),
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
) -> None:
    """Give a customer to a staff member."""
    from followup_cli.commands.customers import assign as run_assign

    done = run_assign(_conn(ctx), customer, owner, _day(on))
    terminal.message(
        _("{customer_id} {name} is now followed up by {owner}").format(
            customer_id=done["customer_id"], name=done["name"], owner=done["owner"]
        )
    )


@app.command()
def optout(
    ctx: typer.Context,
    customer: CustomerArg,
    undo: bool = typer.Option(False, "--undo", help="They agreed to be contacted again."),
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
) -> None:
    """Mark a customer do-not-contact (kept across re-imports), or undo it."""
    from followup_cli.commands.customers import set_opt_out

    done = set_opt_out(_conn(ctx), customer, not undo, _day(on))
    if done["do_not_contact"]:
        sentence = _("{customer_id} {name} will not be contacted")
    elif done["next_due"]:
        sentence = _("{customer_id} {name} may be contacted again; next: {next_due}")
    else:
        sentence = _("{customer_id} {name} may be contacted again")
    terminal.message(
        sentence.format(
            customer_id=done["customer_id"], name=done["name"], next_due=done["next_due"]
        )
    )


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
    from followup_cli.commands.customers import reactivate as run_reactivate

    day = _not_after_today(_day(on))
    done = run_reactivate(_conn(ctx), customer, day)
    if done["next_due"]:
        text = _("{ref} {name} is active again from {day}; next: {due} ({reason})")
    else:
        text = _("{ref} {name} is active again from {day}; nothing planned")
    terminal.message(
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
        None,
        "--capacity",
        min=1,
        max=10_000,
        help="Calls per day (default: option daily_capacity).",
    ),
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
) -> None:
    """Re-plan an overdue backlog across the next open days, most important first."""
    from followup_cli.commands.due import spread
    from followup_cli.core.dates import Duration

    today_ = _day(on)
    days = (Duration.parse(spread_over).after(today_) - today_).days
    done = spread(_conn(ctx), today_, days, capacity)
    terminal.message(
        _(
            "Backlog of {backlog}: {kept_today} stay today, {moved} moved "
            "(at most {capacity} a day), {not_placed} did not fit"
        ).format(
            backlog=done["backlog"],
            kept_today=done["kept_today"],
            moved=done["moved"],
            capacity=done["capacity"],
            not_placed=done["not_placed"],
        )
    )


@app.command()
def upcoming(
    ctx: typer.Context,
    days: int = typer.Option(7, "--days", min=1, max=366, help="How many days ahead."),
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
    branch: str | None = typer.Option(
        None,
        "--branch",
        help=_("Only this branch's customers (a chain of shops)."),
        hidden=True,
        autocompletion=_complete_branches,
    ),
) -> None:
    """The coming days' calls, grouped by day, with the load per day."""
    from followup_cli.commands.branches import optional
    from followup_cli.planner.upcoming import upcoming as run_upcoming

    conn = _conn(ctx)
    upcoming_view(run_upcoming(conn, _day(on), days, optional(conn, branch)), fmt)


@app.command("at-risk")
def at_risk(
    ctx: typer.Context,
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
) -> None:
    """Customers silent for longer than twice their tier's interval (churn risk)."""
    from followup_cli.planner.upcoming import at_risk as run_at_risk

    at_risk_view(run_at_risk(_conn(ctx), _day(on)), fmt)


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
    branch: str | None = typer.Option(
        None,
        "--branch",
        help=_("Only this branch's customers (a chain of shops)."),
        hidden=True,
        autocompletion=_complete_branches,
    ),
    excel: bool = typer.Option(
        False, "--excel", help=_("A file for a person: CSV with a BOM, for Excel and WPS.")
    ),
) -> None:
    """Planned calls (overdue included): CSV, JSON, or an iCalendar file for a phone calendar."""
    from followup_cli.commands.branches import optional
    from followup_cli.planner.upcoming import due_export, to_ics

    if excel and fmt is not DueFormat.csv:
        raise typer.BadParameter(
            _("--excel is a CSV file for a person: leave out --format"), param_hint="'--excel'"
        )
    _check_output_folder(output)
    today_ = _day(on)
    conn = _conn(ctx)
    rows = due_export(conn, today_, days, optional(conn, branch))
    if fmt is DueFormat.ics:
        files.write_bytes(to_ics(rows, today_), output)
    else:
        export_rows(rows, DUE_KEYS, Format(fmt.value), output, excel)


@app.command()
def segments(
    ctx: typer.Context,
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
) -> None:
    """Customers by value segment (RFM): how many, and their share of the spend.

    Recency, frequency and spend are scored 1-5 by quintiles over every customer with
    imported purchases; 4-5 is high. The eight segments are the usual RFM ones.
    """
    from followup_cli.planner.purchases import segments_view as segments_data
    from followup_cli.views.segments import segments_view

    segments_view(segments_data(_conn(ctx)), fmt)


tiers_app = typer.Typer(help="Tier changes that purchases suggest.", no_args_is_help=True)
app.add_typer(tiers_app, name="tiers")


@tiers_app.command("suggest")
def tiers_suggest(
    ctx: typer.Context,
    apply: bool = typer.Option(False, "--apply", help="Make the changes (one transaction)."),
    on: str | None = typer.Option(None, "--date", help="Re-plan as of this day."),
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
) -> None:
    """Regulars among the most valuable (suggest vip) and VIPs who fell away (suggest regular)."""
    from followup_cli.planner.purchases import tier_suggestions

    tier_suggestions_view(tier_suggestions(_conn(ctx), _day(on), apply), fmt, apply)


@app.command()
def forecast(
    ctx: typer.Context,
    horizon: str = typer.Option("90d", "--horizon", help="How far ahead (e.g. 30d, 3m, 1y)."),
    on: str | None = typer.Option(None, "--date", help=DATE_HELP),
    backtest: bool = typer.Option(
        False, "--backtest", help="Refit without the last --holdout days and judge it on them."
    ),
    holdout: str = typer.Option("90d", "--holdout", help="Days held out for --backtest."),
    show_all: bool = typer.Option(False, "--all", help="Every customer (table: 20 by default)."),
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
    output: str | None = typer.Option(
        None, "--output", "-o", help=_("Write every customer to this file (.csv, .json, .xlsx).")
    ),
    excel: bool = typer.Option(
        False, "--excel", help=_("A file for a person: CSV with a BOM, for Excel and WPS.")
    ),
) -> None:
    """What the shop's own purchase history says of each customer: the chance they are still
    a customer, purchases expected in the horizon, the next purchase date and the spend at
    stake. Fitted to this shop's purchases (Pareto/NBD, Gamma-Gamma spend)."""
    from followup_cli.commands import forecast as forecasting
    from followup_cli.views.forecast import FORECAST_KEYS, backtest_view, forecast_view

    today_ = _day(on)
    conn = _conn(ctx)
    if backtest:
        days = forecasting.horizon_days(today_, holdout, holdout=True)
        backtest_view(forecasting.backtest(conn, today_, days), fmt)
        return
    _check_output_folder(output)
    days = forecasting.horizon_days(today_, horizon)
    result = forecasting.forecast(conn, today_, days)
    if output or excel:
        if output and fmt is Format.table and not excel:
            fmt = _format_of_file(output)
        export_rows([c.as_dict() for c in result.customers], FORECAST_KEYS, fmt, output,
                           excel)  # fmt: skip
        return
    forecast_view(result, fmt, None if show_all else 20)


def main() -> None:
    app(prog_name="followup")
