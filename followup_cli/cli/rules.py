"""The cadence rules, the shop options and the level table: `rules`, `rules set|reset|option`,
`rules levels [set|remove]`.
"""

from __future__ import annotations

import typer

from followup_cli.cli.options import (
    LateDbOpt,
    ReplanDayOpt,
    TableFormatOpt,
    TextFormatOpt,
    TextOrJson,
    YesOpt,
    confirm,
    connect,
    option_day,
    typed_tier,
)
from followup_cli.i18n import _
from followup_cli.output import formats, terminal
from followup_cli.output.formats import Format
from followup_cli.views import rules as rules_views

app = typer.Typer(
    help="Show or change the cadence rules and shop options.", invoke_without_command=True
)


@app.callback()
def rules_show(
    ctx: typer.Context,
    fmt: TableFormatOpt = Format.table,
    late_db: LateDbOpt = None,
) -> None:
    """Show each tier's rule and the shop-wide options."""
    if ctx.invoked_subcommand is not None:
        return
    from followup_cli.planner.rules import rules_view

    rules_views.rules_view(rules_view(connect(ctx)), fmt)


@app.command("set")
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
        callback=lambda value: typed_tier(value),
        help="Tier to follow after the steps.",
    ),
    grace: str | None = typer.Option(None, "--grace", help="How long after due it is late."),
    rank: int | None = typer.Option(
        None, "--rank", min=0, max=1000, help="Order on today's list (low first)."
    ),
    on: ReplanDayOpt = None,
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    """Change a tier's rule, or add a tier; open follow-ups are re-planned."""
    from followup_cli import vocabulary
    from followup_cli.planner.rules import set_rule

    done = set_rule(
        connect(ctx),
        vocabulary.tier(tier),
        option_day(on),
        steps=steps,
        every=every,
        anchor=anchor,
        then=then,
        grace=grace,
        rank=rank,
    )
    if fmt is TextOrJson.json:
        formats.write_json(done)
        return
    from followup_cli import wording

    terminal.message(
        _("{tier}: {rule} (late after {grace}); {replanned} follow-ups re-planned").format(
            tier=wording.tier(done["rule"]["tier"]),
            rule=done["rule"]["describe"],
            grace=wording.duration(done["rule"]["grace"]),
            replanned=done["replanned"],
        )
    )


@app.command("reset")
def rules_reset(
    ctx: typer.Context,
    on: str | None = typer.Option(None, "--date", help="Re-plan as of."),
    yes: YesOpt = False,
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    """Go back to the default rules and shop options; open follow-ups are re-planned."""
    from followup_cli.planner.rules import reset_rules

    day = option_day(on)
    conn = connect(ctx)
    confirm(_("Go back to the default rules and shop options, and re-plan follow-ups?"), yes)
    done = reset_rules(conn, day)
    if fmt is TextOrJson.json:
        formats.write_json(done)
        return
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
app.add_typer(levels_app, name="levels")


@levels_app.callback()
def levels_show(
    ctx: typer.Context,
    fmt: TableFormatOpt = Format.table,
    late_db: LateDbOpt = None,
) -> None:
    """Show the level table: a word found in a level, tag or stage, and the tier it gives.

    An exact match wins, else the longest word found inside the text (VIP3 金卡会员 -> vip).
    A level the table does not know is imported as regular and counted in the summary.
    """
    if ctx.invoked_subcommand is not None:
        return
    from followup_cli.imports.levels import levels_view

    rules_views.levels_view(levels_view(connect(ctx)), fmt)


@levels_app.command("set")
def levels_set(
    ctx: typer.Context,
    level: str = typer.Argument(..., help="A level, tag or stage word, e.g. 铂金卡 or Evangelist."),
    tier: str = typer.Argument(
        ...,
        callback=lambda value: typed_tier(value),
        help="The tier it gives: vip, new, regular, prospect, ... (or VIP客户, 新客户 ...).",
    ),
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    """Map a level to a tier (applies from the next import)."""
    from followup_cli.i18n import _
    from followup_cli.imports.levels import set_level

    done = set_level(connect(ctx), level, tier)
    if fmt is TextOrJson.json:
        formats.write_json(done)
        return
    terminal.message(_("{level} -> {tier}").format(**done))


@levels_app.command("remove")
def levels_remove(
    ctx: typer.Context,
    level: str = typer.Argument(..., help="A word of the level table."),
    late_db: LateDbOpt = None,
) -> None:
    """Take a word out of the level table."""
    from followup_cli.i18n import _
    from followup_cli.imports.levels import remove_level

    remove_level(connect(ctx), level)
    terminal.message(_("{level} removed from the level table").format(level=level))


@app.command("option", context_settings={"ignore_unknown_options": True})
def rules_option(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="An option shown by 'followup rules'."),
    value: str = typer.Argument(..., help="Its new value, e.g. 3d, 5, sun, CN, none."),
    on: ReplanDayOpt = None,
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    """Change a shop-wide option (gaps, retries, capacity, closed weekdays, holidays)."""
    from followup_cli.planner.rules import set_option

    done = set_option(connect(ctx), name, value, option_day(on))
    if fmt is TextOrJson.json:
        formats.write_json(done)
        return
    terminal.message(
        _("{option} = {value}; {replanned} follow-ups re-planned").format(
            option=done["option"], value=done["value"], replanned=done["replanned"]
        )
    )
