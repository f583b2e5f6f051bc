"""`followup forecast`: what the shop's own purchase model expects of each customer, and how
far to trust it (a backtest on the shop's own history).

Storage gives each customer's purchase days; purchase_model.py fits and scores them; this
module returns frozen results for forecast_view.py to put into words. The model is fitted
here, when asked, in about a second for 25 000 customers.
"""

from __future__ import annotations

import sqlite3
import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from followup_cli import storage
from followup_cli.errors import FollowupError
from followup_cli.i18n import _
from followup_cli.planner.purchase_outlook import fitted_model, histories_until

MAX_HORIZON_DAYS = 3 * 366  # beyond three years the model's steady rates say little


@dataclass(frozen=True)
class CustomerForecast:
    customer_id: str
    name: str
    tier: str
    purchase_days: int
    last_purchase: date
    p_alive: float
    p_buy: float
    expected_purchases: float
    next_purchase: date
    expected_spend: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "name": self.name,
            "tier": self.tier,
            "purchase_days": self.purchase_days,
            "last_purchase": self.last_purchase.isoformat(),
            "p_alive": round(self.p_alive, 4),
            "p_buy": round(self.p_buy, 4),
            "expected_purchases": round(self.expected_purchases, 3),
            "next_purchase": self.next_purchase.isoformat(),
            "expected_spend": None
            if self.expected_spend is None
            else round(self.expected_spend, 2),
        }


@dataclass(frozen=True)
class Forecast:
    on: date
    horizon_days: int
    model: Any  # purchase_model.ShopModel
    customers: tuple[CustomerForecast, ...]

    @property
    def expected_purchases(self) -> float:
        return sum(c.expected_purchases for c in self.customers)


def _fit(histories: list[Any], cut: date) -> Any:
    from followup_cli.core.purchase_model import TooLittleHistory

    if not histories:
        raise FollowupError(
            _(
                "no purchases on or before {day} to learn from: import the shop's sales with "
                "'followup import purchases FILE'"
            ).format(day=cut.isoformat())
        )
    try:
        return fitted_model(histories)
    except TooLittleHistory as exc:
        raise FollowupError(
            _(
                "too little purchase history for a forecast: {customers} customers with "
                "purchases, {returning} of them came back (needs 30 and 10); until then the "
                "plan follows each tier's cadence"
            ).format(customers=exc.customers, returning=exc.returning)
        ) from None


def horizon_days(on: date, horizon: str, holdout: bool = False) -> int:
    """A --horizon (or --holdout) as a number of days from `on`, bounded."""
    from followup_cli.core.dates import Duration

    duration = Duration.parse(horizon, bounded=False)  # its own bound, below
    if duration.approx_days() > MAX_HORIZON_DAYS:
        message = (
            _("a holdout of {text} is too long (at most 3 years)")
            if holdout
            else _("a horizon of {text} is too long (at most 3 years)")
        )
        raise FollowupError(message.format(text=horizon), 2)
    return (duration.after(on) - on).days


def forecast(conn: sqlite3.Connection, on: date, horizon: int) -> Forecast:
    """Every customer with purchases on or before `on`, most expected purchases first."""
    from followup_cli.core.purchase_model import next_purchase, score_all

    rows = histories_until(conn, on)
    histories = [h for _who, (h, _days) in rows]
    model = _fit(histories, on)
    outlooks = score_all(model, histories, horizon)
    customers = [
        CustomerForecast(
            customer_id=ref,
            name=name,
            tier=tier,
            purchase_days=h.repeat_days + 1,
            last_purchase=days[-1],
            p_alive=o.p_alive,
            p_buy=o.p_buy,
            expected_purchases=o.expected_purchases,
            next_purchase=next_purchase(on, o),
            expected_spend=o.expected_spend,
        )
        for ((ref, name, tier), (h, days)), o in zip(rows, outlooks, strict=True)
    ]
    customers.sort(key=lambda c: (-c.expected_purchases, c.customer_id))
    return Forecast(on, horizon, model, tuple(customers))


@dataclass(frozen=True)
class Measure:
    """One way of judging the forecast on the held-out days: the model beside a naive guess."""

    model: float | None
    naive: float | None


@dataclass(frozen=True)
class Backtest:
    """How the model, fitted on the history before the holdout, did on the holdout."""

    cut: date
    until: date
    customers: int
    bought_again: int
    purchases: int
    expected: Measure  # purchase days expected in the holdout, all customers together
    ranking: Measure  # AUC: the chance a buyer is ranked above a non-buyer (0.5 is chance)
    top_decile: Measure  # the top tenth's share of buyers over the shop's share (lift)
    date_error: Measure  # median days between the expected and the first real next purchase
    share_buying: Measure  # the share expected to buy at least once (naive: as many as came
    # back in the same number of days before the cut)

    def as_dict(self) -> dict[str, Any]:
        def pair(m: Measure) -> dict[str, float | None]:
            return {"model": m.model, "naive": m.naive}

        return {
            "cut": self.cut.isoformat(),
            "until": self.until.isoformat(),
            "customers": self.customers,
            "bought_again": self.bought_again,
            "purchases": self.purchases,
            "expected_purchases": pair(self.expected),
            "ranking_auc": pair(self.ranking),
            "top_decile_lift": pair(self.top_decile),
            "median_date_error_days": pair(self.date_error),
            "share_buying": pair(self.share_buying),
        }


def backtest(conn: sqlite3.Connection, on: date, holdout: int) -> Backtest:
    """Refit on the purchases up to `on` - holdout and score the days after it, to `on`."""
    from followup_cli.core.purchase_model import next_purchase, score_all

    cut = on - timedelta(days=holdout)
    rows = histories_until(conn, cut)
    histories = [h for _who, (h, _days) in rows]
    model = _fit(histories, cut)
    outlooks = score_all(model, histories, holdout)
    later = storage.purchase_days_between(conn, cut, on)
    actual = [len(later.get(ref, ())) for (ref, _n, _t), _h in rows]
    if not any(actual):
        raise FollowupError(
            _(
                "nobody with purchases before {cut} bought again by {on}: nothing to judge the "
                "forecast by (try a longer --holdout)"
            ).format(cut=cut, on=on)
        )
    naive_rate = [h.repeat_days / max(h.age, 1) for h in histories]
    naive_expected = [rate * holdout for rate in naive_rate]
    bought = [n > 0 for n in actual]
    model_expected = [o.expected_purchases for o in outlooks]
    firsts = [later[ref][0] if ref in later else None for (ref, _n, _t), _h in rows]
    model_dates = [next_purchase(cut, o) for o in outlooks]
    naive_dates = [_naive_next(cut, h, days) for _who, (h, days) in rows]
    return Backtest(
        cut=cut,
        until=on,
        customers=len(rows),
        bought_again=sum(bought),
        purchases=sum(actual),
        expected=Measure(round(sum(model_expected), 1), round(sum(naive_expected), 1)),
        ranking=Measure(_auc(model_expected, bought), _auc(naive_rate, bought)),
        top_decile=Measure(_lift(model_expected, bought), _lift(naive_rate, bought)),
        date_error=Measure(_median_error(model_dates, firsts), _median_error(naive_dates, firsts)),
        share_buying=Measure(
            round(sum(o.p_buy for o in outlooks) / len(outlooks), 4),
            round(
                sum(1 for _w, (_h, days) in rows if _came_back_in(days, cut, holdout)) / len(rows),
                4,
            ),
        ),
    )


def _came_back_in(days: list[date], cut: date, holdout: int) -> bool:
    """Bought again (a day after their first) in the `holdout` days before the cut."""
    start = cut - timedelta(days=holdout)
    return any(day > start for day in days[1:])


def _naive_next(cut: date, history: Any, days: list[date]) -> date:
    """The guess without a model: the last purchase plus their own average gap (one-time
    buyers: the time they have been a customer), tomorrow if that is already past."""
    gap = history.last_age / history.repeat_days if history.repeat_days else max(history.age, 1)
    return max(days[-1] + timedelta(days=round(gap)), cut + timedelta(days=1))


def _auc(scores: list[float], labels: list[bool]) -> float | None:
    """Area under the ROC curve by ranks (ties share their average rank)."""
    positives = sum(labels)
    negatives = len(labels) - positives
    if not positives or not negatives:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum = 0.0
    i = 0
    while i < len(order):
        j = i
        while j < len(order) and scores[order[j]] == scores[order[i]]:
            j += 1
        average = (i + 1 + j) / 2
        rank_sum += average * sum(1 for k in order[i:j] if labels[k])
        i = j
    return round((rank_sum - positives * (positives + 1) / 2) / (positives * negatives), 4)


def _lift(scores: list[float], labels: list[bool]) -> float | None:
    """The top tenth's share of buyers over the whole shop's share (ties broken by position)."""
    if not any(labels) or len(labels) < 10:
        return None
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    top = order[: len(order) // 10]
    return round((sum(labels[i] for i in top) / len(top)) / (sum(labels) / len(labels)), 3)


def _median_error(guesses: list[date], firsts: list[date | None]) -> float | None:
    errors = [abs((g - f).days) for g, f in zip(guesses, firsts, strict=True) if f is not None]
    return float(statistics.median(errors)) if errors else None
