"""The staff who follow customers up: `staff`, and `staff set` in a chain."""

from __future__ import annotations

import typer

from followup_cli.cli.options import (
    DayOpt,
    LateDbOpt,
    TableFormatOpt,
    TextFormatOpt,
    TextOrJson,
    complete_branches,
    connect,
    option_day,
)
from followup_cli.i18n import _
from followup_cli.output import formats, terminal
from followup_cli.output.formats import Format
from followup_cli.views import customers as customers_views

app = typer.Typer(
    help="The staff who follow customers up: their customers and open follow-ups.",
    invoke_without_command=True,
)


@app.callback()
def staff_show(
    ctx: typer.Context,
    on: DayOpt = None,
    fmt: TableFormatOpt = Format.table,
    late_db: LateDbOpt = None,
) -> None:
    """Each staff member: active customers, open follow-ups and those due by --date; in a
    chain, the branch each works at."""
    if ctx.invoked_subcommand is not None:
        return
    from followup_cli.commands.branches import staff

    customers_views.staff_view(staff(connect(ctx), option_day(on)), fmt)


@app.command(
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
        ..., "--branch", help=_("The branch ('' for none)."), autocompletion=complete_branches
    ),
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    from followup_cli.commands.branches import set_staff

    done = set_staff(connect(ctx), name, branch)
    if fmt is TextOrJson.json:
        formats.write_json(done)
        return
    if done["branch"]:
        text = _("{name} works at {branch}.").format(name=done["name"], branch=done["branch"])
    else:
        text = _("{name} is in no branch.").format(name=done["name"])
    if not done["owns_customers"]:
        text += " " + _("(No customer names {name} as owner yet.)").format(name=done["name"])
    terminal.message(text)
