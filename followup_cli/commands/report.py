"""`report`: every metric for a period, overall and broken down by tier, owner, channel, month,
value segment or branch.

Storage counts in SQL (a report over years of contacts reads no rows into memory); the core's
metrics turn the tallies into rates. Days after the report date have not happened yet.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from followup_cli import storage
from followup_cli.core.dates import Duration
from followup_cli.core.models import Settings
from followup_cli.core.options import format_value
from followup_cli.errors import FollowupError
from followup_cli.i18n import _


def build_report(
    conn: sqlite3.Connection, start: date, end: date, as_of: date, by: Sequence[str] = ()
) -> dict[str, Any]:
    """Every metric for the period, overall and broken down `by` dimensions."""
    from followup_cli.core import metrics
    from followup_cli.core.schedule import effective_interval

    if start > end:
        raise FollowupError(_("--from {start} is after --to {end}").format(start=start, end=end))
    unknown = [d for d in by if d not in metrics.DIMENSIONS]
    if unknown:
        from followup_cli.vocabulary import dimension_names

        raise FollowupError(
            _("cannot break down by {dimension!r} (use {choices})").format(
                dimension=unknown[0], choices=_(", ").join(dimension_names())
            )
        )
    by = list(dict.fromkeys(by))
    if "segment" in by:
        from followup_cli.planner.purchases import use_segments

        use_segments(conn)
    period = {"from": start.isoformat(), "to": end.isoformat(), "as_of": as_of.isoformat()}
    if start > as_of:  # nothing in it has happened yet: no rate can be worked out
        period.update(counted_to=None, cut_short=True)
        return {"period": period, "overall": metrics.no_data().as_dict(), "by": by, "breakdown": []}
    # Days after the report date have not happened: a call due then is not a failure yet.
    period.update(counted_to=min(end, as_of).isoformat(), cut_short=end > as_of)
    end = min(end, as_of)
    settings = storage.load_settings(conn)
    rules = storage.load_rules(conn)
    intervals = {t: i for t in rules if (i := effective_interval(t, rules)) is not None}
    iso = date.fromisoformat
    dims = sorted({d for d in by if d != "month"}) + (["month"] if "month" in by else [])

    def day_of(row: Any) -> date:
        """A tally's date: the period's first day, or its month's (within the period)."""
        if "month" not in dims:
            return start
        return max(start, iso(row["month"] + "-01"))

    def keys(row: Any) -> dict[str, str]:
        return {d: row[d] for d in dims if d != "month"}

    facts = metrics.Facts(
        followups=[
            metrics.FollowupFact(day_of(r), r["planned"], r["completed"], **keys(r))
            for r in storage.report_followups(conn, start, end, dims)
        ],
        customers=[],
        scores=[
            metrics.ScoreFact(
                day_of(r),
                r["scores"],
                r["score_total"],
                r["satisfied"],
                r["answers"],
                r["promoters"],
                r["detractors"],
                **keys(r),
            )
            for r in storage.report_scores(conn, start, end, dims)
        ],
        open_items=[
            metrics.OpenFact(
                iso(r["due_date"]) if "month" in dims else as_of - timedelta(days=1),
                r["count"],
                **{d: r[d] for d in dims if d in ("tier", "owner", "segment", "branch")},
            )
            for r in storage.report_open_items(conn, as_of, dims)
            if r["count"]
        ],
    )
    window = settings.churn_window
    risk_before = metrics.risk_thresholds(intervals, as_of)

    churn_by = settings.churn_definition
    if churn_by == "model" and not storage.has_purchase_model(conn):
        churn_by = "window"  # too little purchase history: the view says so
    model_as_of = as_of if churn_by == "model" else None

    def count_source(group: Sequence[str], first: date, last: date):
        thresholds = metrics.churn_thresholds(first, last, as_of, window)
        own = _own_churn(settings, intervals, first, last, as_of)
        rows = storage.customer_counts(
            conn, group, first, last, thresholds, risk_before, own, model_as_of
        )
        return {
            tuple(row[f"group_{d}"] for d in group): metrics.CustomerCounts(
                *(
                    row[k] or 0
                    for k in ("active_at_start", "churned", "prospects", "converted", "churn_risk")
                )
            )
            for row in rows
        }

    facts.count_source = count_source
    counts = metrics.customer_counts(facts, (), start, end).get((), metrics.CustomerCounts())
    overall = metrics.compute(facts, start, end, as_of, counts)
    rows = metrics.breakdown(facts, by, start, end, as_of) if by else []
    from followup_cli.planner.purchase_outlook import follow_up_effect
    from followup_cli.planner.purchases import win_back_figures

    return {
        "period": period,
        "overall": overall.as_dict(),
        "by": by,
        "breakdown": rows,
        "churn_definition": settings.churn_definition,
        "churn_by": churn_by,  # the definition in force: model, window or rhythm
        # the churn definition in force, as stored: the views put it into words
        "churn_factor": format_value(settings.churn_factor),
        "churn_window": format_value(settings.churn_window),
        "win_back": win_back_figures(conn, start, end, settings),
        # reached or not: purchase days in the period beside the model's expectation
        "follow_up_effect": follow_up_effect(conn, start, end),
    }


def _own_churn(
    settings: Settings, intervals: dict[str, Duration], first: date, last: date, as_of: date
) -> dict[str, Any] | None:
    """The per-customer churn definition's parameters for the SQL count, when in force."""
    if settings.churn_definition != "rhythm":
        return None
    from followup_cli.core.rhythm import interval_days

    one = timedelta(days=1)
    factor = settings.churn_factor
    return {
        "factor": (factor.numerator, factor.denominator),
        "intervals": {tier: interval_days(i) for tier, i in intervals.items()},
        "counts_from": min(first, as_of + one),
        "counts_until": min(last, as_of) + one,
        "as_of": as_of,
    }
