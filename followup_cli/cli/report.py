"""How the shop is doing: `report`, `segments`, `tiers suggest` and `forecast`."""

from __future__ import annotations

import typer

from followup_cli.cli.options import (
    DayOpt,
    ExcelOpt,
    LateDbOpt,
    ReplanDayOpt,
    TableFormatOpt,
    check_output_folder,
    connect,
    format_of_file,
    option_day,
)
from followup_cli.i18n import _
from followup_cli.output import files, terminal
from followup_cli.output.formats import Format
from followup_cli.views import exports as exports_views
from followup_cli.views import report as report_views
from followup_cli.views import segments as segments_views

app = typer.Typer()


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
    on: DayOpt = None,
    fmt: TableFormatOpt = Format.table,
    output: str | None = typer.Option(None, "--output", "-o", help="Write CSV/JSON to a file."),
    excel: ExcelOpt = False,
    html: str | None = typer.Option(None, "--html", help="Write a self-contained HTML page."),
    explain: bool = typer.Option(False, "--explain", help="Say what each figure means."),
    late_db: LateDbOpt = None,
) -> None:
    """Success, churn and conversion rates, CSAT, NPS, overdue and churn risk for a period."""
    from followup_cli.commands.report import build_report
    from followup_cli.core.dates import resolve_period

    as_of = option_day(on)
    first, last_day = resolve_period(as_of, start, end, month, last, quarter, year)
    for path in (output, html):
        check_output_folder(path)
    if output and fmt is Format.table and not excel:
        fmt = format_of_file(output)
    from followup_cli.vocabulary import dimension

    dimensions = [
        dimension(d) for item in by for d in item.replace("，", ",").split(",") if d.strip()
    ]
    data = build_report(connect(ctx), first, last_day, as_of, dimensions)
    if excel and fmt is Format.table:
        fmt = Format.csv
    if html:
        from followup_cli.views.report_html import render as render_html

        files.to_text_file(html, lambda page, out: out.write(page), render_html(data))
        if fmt is Format.table and not explain:
            terminal.message(_("Report written to {file}").format(file=html))
            return
    report_views.report_view(data, fmt, output, excel)
    if explain and fmt is Format.table:
        report_views.report_definitions()


@app.command()
def segments(
    ctx: typer.Context,
    fmt: TableFormatOpt = Format.table,
    late_db: LateDbOpt = None,
) -> None:
    """Customers by value segment (RFM): how many, and their share of the spend.

    Recency, frequency and spend are scored 1-5 by quintiles over every customer with
    imported purchases; 4-5 is high. The eight segments are the usual RFM ones.
    """
    from followup_cli.planner.purchases import segments_view

    segments_views.segments_view(segments_view(connect(ctx)), fmt)


tiers_app = typer.Typer(help="Tier changes that purchases suggest.", no_args_is_help=True)


@tiers_app.callback()
def tiers_group(late_db: LateDbOpt = None) -> None:
    # no docstring: the group's help is the one above
    pass


@tiers_app.command("suggest")
def tiers_suggest(
    ctx: typer.Context,
    apply: bool = typer.Option(False, "--apply", help="Make the changes (one transaction)."),
    on: ReplanDayOpt = None,
    fmt: TableFormatOpt = Format.table,
    late_db: LateDbOpt = None,
) -> None:
    """Regulars among the most valuable (suggest vip) and VIPs who fell away (suggest regular)."""
    from followup_cli.planner.purchases import tier_suggestions

    segments_views.tier_suggestions_view(
        tier_suggestions(connect(ctx), option_day(on), apply), fmt, apply
    )


@app.command()
def forecast(
    ctx: typer.Context,
    horizon: str = typer.Option("90d", "--horizon", help="How far ahead (e.g. 30d, 3m, 1y)."),
    on: DayOpt = None,
    backtest: bool = typer.Option(
        False, "--backtest", help="Refit without the last --holdout days and judge it on them."
    ),
    holdout: str = typer.Option("90d", "--holdout", help="Days held out for --backtest."),
    show_all: bool = typer.Option(
        False, "--all", help="Every customer (table: 20 by default, and a screenful on a terminal)."
    ),
    fmt: TableFormatOpt = Format.table,
    output: str | None = typer.Option(
        None, "--output", "-o", help=_("Write every customer to this file (.csv, .json, .xlsx).")
    ),
    excel: ExcelOpt = False,
    late_db: LateDbOpt = None,
) -> None:
    """What the shop's own purchase history says of each customer: the chance they are still
    a customer, purchases expected in the horizon, the next purchase date and the spend at
    stake. Fitted to this shop's purchases (Pareto/NBD, Gamma-Gamma spend)."""
    from followup_cli.commands import forecast as forecasting
    from followup_cli.views.forecast import FORECAST_KEYS, backtest_view, forecast_view

    today_ = option_day(on)
    conn = connect(ctx)
    if backtest:
        days = forecasting.horizon_days(today_, holdout, holdout=True)
        backtest_view(forecasting.backtest(conn, today_, days), fmt)
        return
    check_output_folder(output)
    days = forecasting.horizon_days(today_, horizon)
    result = forecasting.forecast(conn, today_, days)
    if output or excel:
        if output and fmt is Format.table and not excel:
            fmt = format_of_file(output)
        rows = [c.as_dict() for c in result.customers]
        exports_views.export_rows(rows, FORECAST_KEYS, fmt, output, excel)
        return
    forecast_view(result, fmt, None if show_all else 20)
