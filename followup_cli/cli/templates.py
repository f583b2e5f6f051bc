"""The messages sent, one per reason: `templates`, `templates set|reset`."""

from __future__ import annotations

import typer

from followup_cli.cli.options import (
    LateDbOpt,
    TableFormatOpt,
    TextFormatOpt,
    TextOrJson,
    connect,
)
from followup_cli.i18n import _
from followup_cli.output import formats, terminal
from followup_cli.output.formats import Format
from followup_cli.views import templates as templates_views

app = typer.Typer(
    help="Show or change the messages to send, one per reason.\n\n"
    "Fields: {name} {shop} {days_since_purchase} {last_purchase} {owner}. Text in "
    "[brackets] with a field in it is left out when the field is empty (no purchase yet).",
    invoke_without_command=True,
)


@app.callback()
def templates_show(
    ctx: typer.Context,
    fmt: TableFormatOpt = Format.table,
    late_db: LateDbOpt = None,
) -> None:
    """Each reason's message: the owner's wording, else the default in the shop's language.

    Fields: {name} {shop} {days_since_purchase} {last_purchase} {owner}. Text in [brackets]
    with a field in it is left out when that field is empty (no purchase yet).
    """
    if ctx.invoked_subcommand is not None:
        return
    from followup_cli.commands.templates import list_templates, shop_name

    conn = connect(ctx)
    templates_views.templates_view(list_templates(conn), fmt)
    if fmt is Format.table and not shop_name(conn):
        terminal.message(_("The shop's name is not set: messages use a neutral word instead."))
        terminal.message(_("Set it with: followup rules option shop NAME"))


@app.command("set", help=_("Write your own wording of one message."))
def templates_set(
    ctx: typer.Context,
    key: str = typer.Argument(
        ..., help=_("Which message, e.g. vip, first-week, win-back (or 满月回访, 投诉回访, 唤回).")
    ),
    text: str = typer.Argument(..., help=_("The text, with fields such as {name} and {shop}.")),
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    from followup_cli.commands.templates import set_template

    done = set_template(connect(ctx), key, text)
    if fmt is TextOrJson.json:
        formats.write_json(done)
        return
    terminal.message(_("Template {key} saved: {text}").format(key=done["key"], text=done["text"]))


@app.command("reset", help=_("Go back to the default wording (one message, or all)."))
def templates_reset(
    ctx: typer.Context,
    key: str | None = typer.Argument(None, help=_("Which message (default: all of them).")),
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    from followup_cli.commands.templates import reset_templates

    done = reset_templates(connect(ctx), key)
    if fmt is TextOrJson.json:
        formats.write_json(done)
        return
    if done["key"] is None:
        terminal.message(_("All templates are back to the default wording."))
    else:
        terminal.message(
            _("Template {key} is back to the default wording.").format(key=done["key"])
        )
