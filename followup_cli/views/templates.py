"""Messages to send: the template of each reason for a person, and the send list (one message
a customer) for a bulk SMS or WeCom tool."""

from __future__ import annotations

from typing import Any

from followup_cli.i18n import N_, _, language
from followup_cli.output.formats import Format
from followup_cli.views.emit import Said, Shown, Table, emit
from followup_cli.views.exports import export_rows

TEMPLATE_KEYS = ("key", "text", "custom")
SEND_KEYS = ("customer_id", "name", "phone", "owner", "template", "message")


def templates_view(rows: list[dict[str, Any]], fmt: Format) -> None:
    def said() -> list[Said]:
        from followup_cli.commands.templates import CHINESE_NAMES

        chinese = language() != "en"  # the name an owner types (满月回访), not the stored key
        shown = [
            {
                **row,
                "key": CHINESE_NAMES.get(row["key"], (row["key"],))[0] if chinese else row["key"],
                "custom": _("your own") if row["custom"] else _("the default"),
            }
            for row in rows
        ]
        columns = (("key", N_("Template")), ("custom", N_("Wording")), ("text", N_("Text")))
        return [Table(shown, columns, title=_("Messages to send, per reason"))]

    emit(Shown(rows, TEMPLATE_KEYS, said=said), fmt)


def send_list_view(
    rows: list[dict[str, Any]], fmt: Format, output: str | None = None, excel: bool = False
) -> None:
    """A send list for a bulk SMS or WeCom tool: CSV or JSON, to stdout or a private file."""
    export_rows(rows, SEND_KEYS, fmt, output, excel)
