"""The shop's rules for a person and for scripts: each tier's rule, the shop-wide options, and
the level table an import maps level words with."""

from __future__ import annotations

from typing import Any

from followup_cli.i18n import N_, _
from followup_cli.output.formats import Format
from followup_cli.views.emit import Said, Shown, Table, emit, listing

RULE_KEYS = ("tier", "steps", "every", "anchor", "then", "grace", "rank")
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


def rules_view(data: dict[str, Any], fmt: Format) -> None:
    """Rules and options as JSON; the rules as CSV; for a person, a table of each."""

    def said() -> list[Said]:
        from followup_cli.output.table import Col
        from followup_cli.wording import option_meaning, option_value

        columns = [(k, RULE_HEADINGS[k]) for k in (*RULE_KEYS, "describe")]
        options = [
            {"option": k, "value": option_value(v), "meaning": option_meaning(k)}
            for k, v in data["options"].items()
        ]
        option_columns = (
            Col("option", N_("Option"), whole=True),
            Col("value", N_("Value"), keep=1),
            Col("meaning", N_("Meaning"), keep=2, free=True),
        )
        return [
            Table(data["rules"], columns, _("Rules")),
            Table(options, option_columns, _("Options")),
        ]

    emit(Shown(data, RULE_KEYS, rows=data["rules"], said=said), fmt)


def levels_view(rows: list[dict[str, str]], fmt: Format) -> None:
    columns = (("level", _("Level word")), ("tier", _("Tier")))
    title, empty = _("Level table (import)"), _("The level table is empty.")
    emit(listing(rows, columns, title, empty), fmt)
