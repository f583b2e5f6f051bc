"""`report` for a person (the figures with their counts, a breakdown table) and for scripts
and spreadsheets (the figures as flat rows; JSON as built, stored values only)."""

from __future__ import annotations

from typing import Any

from followup_cli import wording
from followup_cli.i18n import N_, _
from followup_cli.output.formats import Format
from followup_cli.output.table import Col, terminal_width, wrap
from followup_cli.views.cells import bar, percent
from followup_cli.views.emit import Said, Shown, Table, emit

METRIC_KEYS = (
    "planned",
    "completed",
    "success_rate",
    "active_at_start",
    "churned",
    "churn_rate",
    "prospects",
    "converted",
    "conversion_rate",
    "csat_responses",
    "csat_mean",
    "csat_satisfied_share",
    "nps_responses",
    "nps",
    "overdue",
    "churn_risk",
)


def report_rows(report: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The report as flat rows (overall first, marked 'all'), for CSV."""
    by = report["by"]
    period = {"from": report["period"]["from"], "to": report["period"]["to"]}
    rows = [{**period, **dict.fromkeys(by, "all"), **report["overall"]}]
    rows += [{**period, **row} for row in report["breakdown"]]
    return rows, ["from", "to", *by, *METRIC_KEYS]


def report_view(report: dict[str, Any], fmt: Format, output: str | None, bom: bool) -> None:
    """To `output` or stdout: a workbook, a CSV for a person (`bom`), CSV, JSON; else the
    tables on the terminal."""
    rows, keys = report_rows(report)
    shown = Shown(report, keys, rows=rows, said=lambda: _report_said(report))
    emit(shown, fmt, output, excel=bom and fmt is Format.csv)


# The stored options a churn definition is made of (the report's JSON carries them).
CHURN_OPTIONS = ("churn_definition", "churn_factor", "churn_window")


def follow_up_effect_words(report: dict[str, Any]) -> str | None:
    """Did following up help, in a sentence (None without a purchase model)."""
    effect = report.get("follow_up_effect")
    if not effect:
        return None
    return _(
        "Did following up help? The {reached} customers reached in the period bought on "
        "{reached_days} days, where the purchase model expected {reached_expected} from "
        "their history alone; the {others} not reached bought on {others_days} days, "
        "where it expected {others_expected}."
    ).format(
        reached=effect["reached"]["customers"],
        reached_days=effect["reached"]["purchase_days"],
        reached_expected=f"{effect['reached']['expected']:.1f}",
        others=effect["not_reached"]["customers"],
        others_days=effect["not_reached"]["purchase_days"],
        others_expected=f"{effect['not_reached']['expected']:.1f}",
    )


def churn_definition_words(report: dict[str, Any]) -> str:
    """The churn definition in force, said in every report, from the options it carries."""
    from followup_cli.core.models import Settings
    from followup_cli.core.options import parse_value
    from followup_cli.wording import churn_definition_text

    options = {name: parse_value(name, report[name], stored=True) for name in CHURN_OPTIONS}
    return churn_definition_text(Settings(**options), report.get("churn_by") == "model")


def _csat(value: float | None) -> str:
    return _("no data") if value is None else f"{value:.2f}"


def _nps(value: float | None) -> str:
    return _("no data") if value is None else f"{value:+.0f}"


def _count(value: Any) -> str:
    return "–" if value is None else str(value)


def _report_title(period: dict[str, Any]) -> str:
    """The period asked for, and whether days after the report date were left out."""
    from followup_cli.i18n import _

    fields = {"start": period["from"], "end": period["to"], "as_of": period["as_of"]}
    if period.get("cut_short") and period.get("counted_to") is None:
        return _("Report {start} to {end} (as of {as_of}): not begun yet, no data").format(**fields)
    if period.get("cut_short"):
        return _(
            "Report {start} to {end}, counted up to {as_of}: the days after it have not "
            "happened yet"
        ).format(**fields)
    return _("Report {start} to {end} (as of {as_of})").format(**fields)


def _report_said(report: dict[str, Any]) -> list[Said]:
    period, overall = report["period"], report["overall"]
    rows = [
        {
            "metric": _("Success rate"),
            "value": percent(overall["success_rate"]),
            "basis": _("{completed} completed of {planned} planned").format(**overall),
        },
        {
            "metric": _("Churn rate"),
            "value": percent(overall["churn_rate"]),
            "basis": _("{churned} churned of {active_at_start} active at start").format(
                churned=_count(overall["churned"]),
                active_at_start=_count(overall["active_at_start"]),
            ),
        },
        {
            "metric": _("Conversion rate"),
            "value": percent(overall["conversion_rate"]),
            "basis": _("{converted} converted of {prospects} prospects").format(
                converted=_count(overall["converted"]), prospects=_count(overall["prospects"])
            ),
        },
        {
            "metric": _("CSAT"),
            # no score yet: say so once, not "no data / 5" beside "no data gave 4-5"
            "value": _csat(overall["csat_mean"]) + " / 5"
            if overall["csat_responses"]
            else _csat(None),
            "basis": _("{responses} scores, {share} gave 4-5").format(
                responses=overall["csat_responses"],
                share=percent(overall["csat_satisfied_share"]),
            )
            if overall["csat_responses"]
            else _("no scores logged in the period (log ... --score 1-5)"),
        },
        {
            "metric": _("NPS"),
            "value": _nps(overall["nps"]),
            "basis": _("{nps_responses} answers").format(**overall),
        },
        {
            "metric": _("Overdue"),
            "value": str(overall["overdue"]),
            "basis": _("open follow-ups past due on {day}").format(day=period["as_of"]),
        },
        {
            "metric": _("Churn risk"),
            "value": _count(overall["churn_risk"]),
            "basis": _("customers the purchase model sees slipping (below 3 in 4), not yet lost")
            if report.get("churn_by") == "model"
            else _("customers silent for more than twice their interval"),
        },
    ]
    win_back = report.get("win_back")
    if win_back:
        rows.append(
            {
                "metric": _("Win-back rate"),
                "value": percent(win_back["rate"]),
                "basis": _(
                    "{bought} of {contacted} dormant customers reached bought within {days} days"
                ).format(**win_back),
            }
        )
    columns = (
        Col("metric", N_("Metric"), whole=True),
        Col("value", N_("Value"), whole=True),
        Col("basis", N_("Counts"), free=True),
    )
    said: list[Said] = [Table(rows, columns, _report_title(period))]
    if "churn_definition" in report:  # a period not begun yet counts nothing, says none
        line = _("Churn definition: {text}").format(text=churn_definition_words(report))
        said.append("\n".join(wrap(line, terminal_width(), cut_long_words=True)))
    effect = follow_up_effect_words(report)
    if effect:
        said.append("\n".join(wrap(effect, terminal_width(), cut_long_words=True)))
    by, breakdown = report["by"], report["breakdown"]
    if not by:
        return said
    if not breakdown:
        return [*said, _("No data to break down.")]
    table_rows = []
    for row in breakdown:
        table_rows.append(
            {
                **{d: _group_value(d, row[d]) for d in by},
                "success": f"{percent(row['success_rate'])} ({row['completed']}/{row['planned']})",
                "bar": bar(row["success_rate"] or 0, 1, 16),
                "churn": percent(row["churn_rate"]),
                "conversion": percent(row["conversion_rate"]),
                "csat": _csat(row["csat_mean"]),
                "nps": _nps(row["nps"]),
                "overdue": _count(row["overdue"]),
            }
        )
    # Figures are never broken; on a narrow screen the bar goes first, then NPS and CSAT.
    columns = [Col(d, wording.dimension(d), keep=0, whole=True) for d in by] + [
        Col("success", N_("Success"), keep=1, whole=True),
        Col("bar", N_("Success (bar)"), keep=9, whole=True),
        Col("churn", N_("Churn"), keep=2, whole=True),
        Col("conversion", N_("Conversion"), keep=3, whole=True),
        Col("csat", "CSAT", keep=5, whole=True),
        Col("nps", "NPS", keep=6, whole=True),
        Col("overdue", N_("Overdue"), keep=4, whole=True),
    ]
    names = wording.dimensions(by)
    return [*said, Table(table_rows, columns, _("By {dimensions}").format(dimensions=names))]


def _group_value(dimension: str, value: Any) -> Any:
    """A breakdown row's label: tier and channel names in the reader's language."""
    if value == "(none)":
        return _("(none)")
    if dimension == "tier":
        return wording.tier(value)
    if dimension == "channel":
        return wording.channel(value)
    return value


def report_definitions() -> None:
    """What each figure means (`report --explain`)."""
    from followup_cli.core.metrics import DEFINITIONS
    from followup_cli.output.terminal import message

    message(_("What the figures mean:"))
    for name, text in DEFINITIONS:
        message(_("  {name}: {text}").format(name=_(name), text=_(text)))
