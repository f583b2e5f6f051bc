"""The `followup` command line: the root group, its global options, and where every
failure becomes one line on stderr with a documented exit code (see errors.py).

Each command group lives in its own module below this one (morning, contacts, customers,
report, imports, export, maintenance, rules, templates, staff), with the options they share
in options.py and the help pages' language in helppage.py; they do not import this module,
this module adds them. No SQL and no Rich here.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from typing import Any

import typer

# The one piece of Typer not exported from `typer` itself: the group class that `cls=`
# takes, subclassed as Typer's documentation does (custom command order), to catch every
# failure once and to list the commands in the order of the help page.
from typer.core import TyperGroup

from followup_cli import __version__
from followup_cli.cli import (
    contacts,
    customers,
    export,
    imports,
    maintenance,
    morning,
    report,
    rules,
    staff,
    templates,
)
from followup_cli.cli.helppage import localise_help, show_chain_options
from followup_cli.cli.options import ascii_numbers
from followup_cli.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    INTERRUPTED,
    SERVER_GONE,
    FollowupError,
)
from followup_cli.i18n import _, set_language

# The order of `followup --help`: the morning's work first, the command groups last.
COMMAND_ORDER = (
    "today",
    "review",
    "log",
    "undo",
    "show",
    "find",
    "add",
    "edit",
    "merge",
    "report",
    "forget",
    "backup",
    "restore",
    "doctor",
    "transfer",
    "snooze",
    "assign",
    "optout",
    "reactivate",
    "plan",
    "upcoming",
    "at-risk",
    "segments",
    "forecast",
    "import",
    "export",
    "imports",
    "rules",
    "templates",
    "staff",
    "tiers",
)


class FollowupGroup(TyperGroup):
    """Turns every failure into one line on stderr and a documented exit code."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        known = [name for name in COMMAND_ORDER if name in self.commands]
        return known + [name for name in self.commands if name not in COMMAND_ORDER]

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        from followup_cli.help_examples import wants_help

        argv = args[0] if args else kwargs.get("args")
        words = list(sys.argv[1:] if argv is None else argv)
        if wants_help(words):
            from followup_cli.commands.branches import file_is_chain
            from followup_cli.help_examples import add_examples

            chain = file_is_chain([str(word) for word in words])
            show_chain_options(self, chain)
            add_examples(self, chain=chain)
            from followup_cli.vocabulary import add_outcome_words

            add_outcome_words(self.commands["log"], kwargs.get("terminal_width"))
        localise_help(self)
        numbers = ascii_numbers([str(word) for word in words])
        if numbers != words:
            args, kwargs = (numbers, *args[1:]), {k: v for k, v in kwargs.items() if k != "args"}
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
        except typer.TyperException as exc:  # the parser's errors (click's, vendored by typer)
            if exc.exit_code != EXIT_USAGE:  # a file click could not open, say
                exc.show() if hasattr(exc, "show") else FollowupError(str(exc)).show()
                return exc.exit_code
            if type(exc).__name__ == "NoArgsIsHelpError":
                print(exc.format_message())
                return EXIT_USAGE
            from followup_cli.text import for_stream, strip_controls
            from followup_cli.wording import usage_error

            _number_error_as_documented(exc)

            # One line, always: click lists choices one per line.
            message = " ".join(
                strip_controls(
                    usage_error(exc.format_message().replace("Value error, ", ""))
                ).split()
            )
            where = getattr(exc, "ctx", None)
            hint = (
                _(" (see '{command} --help')").format(command=where.command_path) if where else ""
            )
            said = _("followup: error: {message}").format(message=message + hint)
            print(for_stream(said, sys.stderr), file=sys.stderr)
            return EXIT_USAGE
        except FollowupError as exc:
            exc.show()
            return exc.exit_code
        except typer.Abort:
            print(_("followup: aborted"), file=sys.stderr)
            return EXIT_FAILURE
        return result if isinstance(result, int) else 0

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (FollowupError, typer.TyperException, typer.Exit, typer.Abort):
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


def _number_error_as_documented(exc: typer.TyperException) -> None:
    """Typer 0.29 checks numbers with pydantic and words a bad one its way ("Input should be
    less than or equal to 5"); the README and the Chinese catalogue word it as click does
    under Typer 0.28 ("9 is not in the range 1<=x<=5."). No public seam sets that wording:
    the value typed and the bounds are read back from the validation error and the option."""
    errors = getattr(exc.__cause__, "errors", None)
    param = getattr(exc, "param", None)
    found = errors() if callable(errors) else []
    if not found or param is None:
        return
    kind, typed = str(found[0].get("type", "")), found[0].get("input")
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if kind.startswith(("greater_than", "less_than")) and (low, high) != (None, None):
        if low is not None and high is not None:
            bounds = f"{low}<=x<={high}"
        else:
            bounds = f"x>={low}" if low is not None else f"x<={high}"
        exc.message = f"{typed} is not in the range {bounds}."  # type: ignore[attr-defined]
    elif kind == "int_parsing":
        ranged = "int range" if (low, high) != (None, None) else "integer"
        exc.message = f"{typed!r} is not a valid {ranged}."  # type: ignore[attr-defined]


def _reader_went_away() -> None:
    """The reader (`head -1`, a closed pager) took what it wanted: not a failure, no message.
    (Caught here: click would turn it into exit 1.)"""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(0)


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


app.add_typer(morning.app)
app.add_typer(contacts.app)
app.add_typer(customers.app)
app.add_typer(report.app)
app.add_typer(maintenance.app)
app.add_typer(imports.import_app, name="import")
app.add_typer(imports.imports_app, name="imports")
app.add_typer(export.app, name="export")
app.add_typer(rules.app, name="rules")
app.add_typer(templates.app, name="templates")
app.add_typer(staff.app, name="staff")
app.add_typer(report.tiers_app, name="tiers")


def main() -> None:
    app(prog_name="followup")
