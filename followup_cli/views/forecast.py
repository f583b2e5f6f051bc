"""`followup forecast` for people (a table, and the backtest in sentences) and for scripts
(CSV and JSON with stable English keys and stored values)."""

from __future__ import annotations

from followup_cli import wording
from followup_cli.commands.forecast import Backtest, Forecast
from followup_cli.i18n import N_, _
from followup_cli.output.formats import Format
from followup_cli.output.table import Col
from followup_cli.views.emit import Said, Shown, Table, emit

FORECAST_KEYS = (
    "customer_id",
    "name",
    "tier",
    "purchase_days",
    "last_purchase",
    "p_alive",
    "p_buy",
    "expected_purchases",
    "next_purchase",
    "expected_spend",
)


def _percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def forecast_view(result: Forecast, fmt: Format, limit: int | None) -> None:
    rows = [c.as_dict() for c in result.customers]
    emit(Shown(rows, FORECAST_KEYS, said=lambda: _forecast_said(result, rows, limit)), fmt)


def _forecast_said(result: Forecast, rows: list[dict], limit: int | None) -> list[Said]:
    shown = rows if limit is None else rows[:limit]
    people = [
        {
            **row,
            "p_alive": _percent(row["p_alive"]),
            "p_buy": _percent(row["p_buy"]),
            "expected_purchases": f"{row['expected_purchases']:.2f}",
            "expected_spend": wording.money(row["expected_spend"]),
        }
        for row in shown
    ]
    columns = (
        Col("customer_id", N_("ID"), keep=0, whole=True),
        Col("name", N_("Name"), keep=0, whole=True),
        Col("tier", N_("Tier"), keep=6),
        Col("p_alive", N_("Still a customer"), keep=3),
        Col("p_buy", N_("Buys in horizon"), keep=1),
        Col("expected_purchases", N_("Expected purchases"), keep=2),
        Col("next_purchase", N_("Next purchase"), keep=0),
        Col("expected_spend", N_("Spend at stake"), keep=4),
        Col("last_purchase", N_("Last purchase"), keep=5),
    )
    title = _(
        "Forecast for the {days} days after {on}: {count} customers with purchases, "
        "{expected} purchases expected"
    ).format(
        days=result.horizon_days,
        on=result.on.isoformat(),
        count=len(rows),
        expected=f"{result.expected_purchases:.0f}",
    )
    # --all shows every customer, none cut at a screenful either
    said: list[Said] = [Table(people, columns, title, more=None if limit is None else "all")]
    if limit is not None and len(rows) > limit:
        said.append(
            _(
                "{shown} of {total} shown; --all shows every customer, --format csv writes them"
            ).format(shown=limit, total=len(rows))
        )
    return said


def backtest_view(result: Backtest, fmt: Format) -> None:
    """JSON: the figures; CSV: a row a measure (model and plain guess); a person: sentences."""
    data = result.as_dict()
    rows = [
        {"measure": key, "model": pair["model"], "naive": pair["naive"]}
        for key, pair in data.items()
        if isinstance(pair, dict)
    ]
    shown = Shown(data, ("measure", "model", "naive"), rows=rows, said=lambda: [_sentences(result)])
    emit(shown, fmt)


def _number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _sentences(result: Backtest) -> str:
    """The backtest as an owner reads it: what happened, what the model said, what a plain
    guess said."""
    days = (result.until - result.cut).days
    lines = [
        _(
            "Fitted on the purchases up to {cut}, then checked on the {days} days to {until}:"
        ).format(cut=result.cut.isoformat(), days=days, until=result.until.isoformat()),
        _("- {bought} of {customers} customers bought again, on {purchases} purchase days.").format(
            bought=result.bought_again, customers=result.customers, purchases=result.purchases
        ),
        _(
            "- The model expected {model} purchase days; each customer coming back at their "
            "past pace would have said {naive}."
        ).format(model=_number(result.expected.model), naive=_number(result.expected.naive)),
        _(
            "- It expected {model} of customers to buy at least once ({real} did; "
            "as many as came back in the {days} days before would have been {naive})."
        ).format(
            model=_percent(result.share_buying.model or 0),
            real=_percent(result.bought_again / result.customers),
            days=days,
            naive=_percent(result.share_buying.naive or 0),
        ),
        _(
            "- Ranking: a customer who came back was placed above one who did not {model} of "
            "the time (a coin: 50%; the past pace: {naive})."
        ).format(
            model=_percent(result.ranking.model or 0), naive=_percent(result.ranking.naive or 0)
        ),
        _(
            "- The tenth it ranked highest held {model} times the shop's share of returning "
            "customers (the past pace: {naive} times)."
        ).format(
            model=_number(result.top_decile.model, 1), naive=_number(result.top_decile.naive, 1)
        ),
        _(
            "- Its next-purchase dates were {model} days off the real first purchase (median; "
            "last purchase plus the usual gap: {naive} days off)."
        ).format(model=_number(result.date_error.model), naive=_number(result.date_error.naive)),
    ]
    return "\n".join(lines)
