"""The morning's work: today's list, the full-screen review, the days ahead, and
spreading a backlog (`today`, `review`, `upcoming`, `at-risk`, `plan`).

A plain `today` is drawn by launch.py without this module (commands/morning.py).
"""

from __future__ import annotations

import sys

import typer

from followup_cli.cli.options import (
    BranchFilterOpt,
    Channel,
    DayOpt,
    ExcelOpt,
    LateDbOpt,
    TableFormatOpt,
    TextFormatOpt,
    TextOrJson,
    check_output_folder,
    connect,
    option_day,
)
from followup_cli.commands.morning import LIMIT_MOST
from followup_cli.errors import FollowupError
from followup_cli.i18n import _
from followup_cli.output import formats, terminal
from followup_cli.output.formats import Format
from followup_cli.views import customers as customers_views
from followup_cli.views import plans as plans_views
from followup_cli.views import templates as templates_views
from followup_cli.views.morning import show as show_today

app = typer.Typer()


@app.command()
def today(
    ctx: typer.Context,
    on: DayOpt = None,
    owner: str | None = typer.Option(None, "--owner", help="Only this staff member's customers."),
    limit: int | None = typer.Option(
        None, "--limit", min=1, max=LIMIT_MOST, help="At most N, most important."
    ),
    fmt: TableFormatOpt = Format.table,
    explain: bool = typer.Option(
        False, "--explain", help="Show each line's rule, anchor date, due date and window."
    ),
    every: bool = typer.Option(
        False,
        "--all",
        help=_("On a terminal too, every row: a longer list otherwise stops at a screenful."),
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
    excel: ExcelOpt = False,
    branch: BranchFilterOpt = None,
    late_db: LateDbOpt = None,
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
    check_output_folder(output)
    day = option_day(on)
    conn = connect(ctx)
    if owner is not None and segment is not None:
        from followup_cli.commands.lookup import check_owner

        check_owner(conn, owner)  # a mistyped owner is an error on every path, not a quiet day
    if with_message:
        from followup_cli.commands.branches import optional
        from followup_cli.commands.templates import send_list

        items = morning.due_items(conn, day, owner, limit, segment, explain, optional(conn, branch))
        rows, left_out = send_list(conn, items, day, signature, opt_out_line)
        templates_views.send_list_view(rows, fmt, output, excel)
        if left_out:
            terminal.warn(
                _("Not in the send list, no phone: {ids}").format(
                    ids=", ".join(i.customer_id for i in left_out)
                )
            )
        return
    listed, total = morning.gather(conn, day, owner, limit, segment, explain, branch)
    show_today(listed, total, fmt.value, day, explain, branch, every)


@app.command(
    help=_(
        "Walk today's list full-screen: one key per outcome, the customer's card and the "
        "message to send beside it; a summary on quit."
    )
)
def review(
    ctx: typer.Context,
    on: DayOpt = None,
    owner: str | None = typer.Option(None, "--owner", help="Only this staff member's customers."),
    limit: int | None = typer.Option(
        None, "--limit", min=1, max=LIMIT_MOST, help="At most N, most important."
    ),
    channel: Channel | None = typer.Option(
        None, "--channel", help=_("How you contact them this time, logged with each outcome.")
    ),
    branch: BranchFilterOpt = None,
    late_db: LateDbOpt = None,
) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise FollowupError(
            _("review needs a terminal; in a script use 'followup today' and 'followup log'")
        )
    day = option_day(on)
    conn = connect(ctx)
    from followup_cli.commands.branches import optional
    from followup_cli.tui.review_app import run_review

    summary, printed = run_review(
        conn, day, owner, limit, channel.value if channel else None, optional(conn, branch)
    )
    for text in printed:
        terminal.message(text)
    terminal.message(summary)


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
    on: DayOpt = None,
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    """Re-plan an overdue backlog across the next open days, most important first."""
    from followup_cli.commands.due import spread
    from followup_cli.core.dates import Duration

    today_ = option_day(on)
    days = (Duration.parse(spread_over).after(today_) - today_).days
    done = spread(connect(ctx), today_, days, capacity)
    if fmt is TextOrJson.json:
        formats.write_json(done)
        return
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
    on: DayOpt = None,
    fmt: TableFormatOpt = Format.table,
    branch: BranchFilterOpt = None,
    late_db: LateDbOpt = None,
) -> None:
    """The coming days' calls, grouped by day, with the load per day."""
    from followup_cli.commands.branches import optional
    from followup_cli.planner.upcoming import upcoming as run_upcoming

    conn = connect(ctx)
    plans_views.upcoming_view(run_upcoming(conn, option_day(on), days, optional(conn, branch)), fmt)


@app.command("at-risk")
def at_risk(
    ctx: typer.Context,
    on: DayOpt = None,
    fmt: TableFormatOpt = Format.table,
    every: bool = typer.Option(
        False,
        "--all",
        help=_("On a terminal too, every row: a longer list otherwise stops at a screenful."),
    ),
    late_db: LateDbOpt = None,
) -> None:
    """Customers silent for longer than twice their tier's interval (churn risk)."""
    from followup_cli.planner.upcoming import at_risk as run_at_risk

    customers_views.at_risk_view(run_at_risk(connect(ctx), option_day(on)), fmt, every)
