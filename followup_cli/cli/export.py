"""Data out for other programs: `export customers|history|customer|due`."""

from __future__ import annotations

from enum import StrEnum

import typer

from followup_cli.cli.options import (
    BranchFilterOpt,
    CustomerArg,
    DayOpt,
    ExcelOpt,
    LateDbOpt,
    check_output_folder,
    complete_branches,
    connect,
    excel_is_csv,
    no_table,
    option_day,
)
from followup_cli.i18n import _
from followup_cli.output import files, formats
from followup_cli.output.formats import Format
from followup_cli.views import exports as exports_views

app = typer.Typer(help="Write data out as CSV or JSON.", no_args_is_help=True)


@app.callback()
def export_group(late_db: LateDbOpt = None) -> None:
    # no docstring: the group's help is the one above
    pass


@app.command("customers")
def export_customers(
    ctx: typer.Context,
    fmt: Format = typer.Option(Format.csv, "--format", help="csv or json."),
    output: str | None = typer.Option(None, "--output", "-o", help="File (default stdout)."),
    branch: BranchFilterOpt = None,
    excel: ExcelOpt = False,
    late_db: LateDbOpt = None,
) -> None:
    """Every customer with every field, in a stable column order."""
    from followup_cli.commands.branches import optional
    from followup_cli.commands.export import export_customers as rows

    no_table(fmt)
    excel_is_csv(fmt, excel)
    check_output_folder(output)
    conn = connect(ctx)
    exports_views.export_view(rows(conn, optional(conn, branch)), fmt, output, excel)


@app.command("history")
def export_history(
    ctx: typer.Context,
    fmt: Format = typer.Option(Format.csv, "--format", help="csv or json."),
    output: str | None = typer.Option(None, "--output", "-o", help="File (default stdout)."),
    branch: str | None = typer.Option(
        None,
        "--branch",
        help=_("Only contacts with this branch's customers (a chain of shops)."),
        hidden=True,
        autocompletion=complete_branches,
    ),
    excel: ExcelOpt = False,
    late_db: LateDbOpt = None,
) -> None:
    """Every logged contact: who, when, outcome, channel, scores and notes."""
    from followup_cli.commands.branches import optional
    from followup_cli.commands.export import export_history as rows

    no_table(fmt)
    excel_is_csv(fmt, excel)
    check_output_folder(output)
    conn = connect(ctx)
    exports_views.export_rows(
        rows(conn, optional(conn, branch)), exports_views.HISTORY_KEYS, fmt, output, excel
    )


@app.command("customer")
def export_customer(
    ctx: typer.Context,
    customer: CustomerArg,
    output: str | None = typer.Option(None, "--output", "-o", help="File (default stdout)."),
    late_db: LateDbOpt = None,
) -> None:
    """Everything stored about one customer, as JSON (for a data access request)."""
    from followup_cli.commands.maintenance import customer_export

    check_output_folder(output)
    files.write_to(output, formats.write_json, customer_export(connect(ctx), customer))


class DueFormat(StrEnum):
    csv = "csv"
    json = "json"
    ics = "ics"


@app.command("due")
def export_due(
    ctx: typer.Context,
    fmt: DueFormat = typer.Option(DueFormat.csv, "--format", help="csv, json or ics."),
    days: int = typer.Option(30, "--days", min=1, max=366, help="How many days ahead."),
    on: DayOpt = None,
    output: str | None = typer.Option(None, "--output", "-o", help="File (default stdout)."),
    branch: BranchFilterOpt = None,
    excel: ExcelOpt = False,
    late_db: LateDbOpt = None,
) -> None:
    """Planned calls (overdue included): CSV, JSON, or an iCalendar file for a phone calendar."""
    from followup_cli.commands.branches import optional
    from followup_cli.planner.upcoming import due_export, to_ics

    if excel and fmt is not DueFormat.csv:
        raise typer.BadParameter(
            _("--excel is a CSV file for a person: leave out --format"), param_hint="'--excel'"
        )
    check_output_folder(output)
    today_ = option_day(on)
    conn = connect(ctx)
    rows = due_export(conn, today_, days, optional(conn, branch))
    if fmt is DueFormat.ics:
        files.write_bytes(to_ics(rows, today_), output)
    else:
        exports_views.export_rows(rows, exports_views.DUE_KEYS, Format(fmt.value), output, excel)
