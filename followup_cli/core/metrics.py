"""The shop's numbers, defined once (see DEFINITIONS). Pure functions over plain data.

Follow-up and score facts are tallies: storage hands over rows already summed by SQLite for
the groups a report asks for, so a report over a million follow-ups works on a few hundred.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from followup_cli.core.dates import Duration, months_between
from followup_cli.i18n import N_

DIMENSIONS = ("tier", "owner", "channel", "month", "segment", "branch")
NONE = "(none)"


@dataclass(frozen=True)
class FollowupFact:
    """`planned` follow-ups due on `due_date` (or within its month, for a month tally), of
    which `completed` ended with contact made. Cancelled ones are not planned."""

    due_date: date
    planned: int
    completed: int
    tier: str = ""
    owner: str = NONE
    channel: str = NONE  # how the contact that closed them was made
    segment: str = NONE  # value segment (RFM) of the customer
    branch: str = NONE  # the branch of a chain the customer falls under


@dataclass(frozen=True)
class OpenFact:
    """`count` open follow-ups of contactable customers, due on `due_date`."""

    due_date: date
    count: int
    tier: str = ""
    owner: str = NONE
    channel: str = NONE
    segment: str = NONE
    branch: str = NONE


@dataclass(frozen=True)
class CustomerFact:
    tier: str
    added: date
    first_purchase: date | None
    last_purchase: date | None
    last_success: date | None
    converted_on: date | None
    churned_on: date | None  # the day `lost` was logged
    owner: str = NONE
    contactable: bool = True  # active and not opted out (for churn risk)
    returned_on: date | None = None  # came back (bought again) after `churned_on`
    segment: str = NONE
    branch: str = NONE


@dataclass(frozen=True)
class ScoreFact:
    """Satisfaction (1-5) and recommend (0-10) scores given on `date`, summed."""

    date: date
    scores: int = 0
    score_total: int = 0
    satisfied: int = 0  # scores of 4 or 5
    answers: int = 0
    promoters: int = 0  # 9-10
    detractors: int = 0  # 0-6
    tier: str = ""
    owner: str = NONE
    channel: str = NONE
    segment: str = NONE
    branch: str = NONE


@dataclass(frozen=True)
class Metrics:
    planned: int
    completed: int
    success_rate: float | None
    active_at_start: int | None
    churned: int | None
    churn_rate: float | None
    prospects: int | None
    converted: int | None
    conversion_rate: float | None
    csat_responses: int
    csat_mean: float | None
    csat_satisfied_share: float | None
    nps_responses: int
    nps: float | None
    overdue: int | None
    churn_risk: int | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def no_data() -> Metrics:
    """The figures of a period that has not begun: nothing planned, nothing to rate."""
    return Metrics(
        planned=0,
        completed=0,
        success_rate=None,
        active_at_start=None,
        churned=None,
        churn_rate=None,
        prospects=None,
        converted=None,
        conversion_rate=None,
        csat_responses=0,
        csat_mean=None,
        csat_satisfied_share=None,
        nps_responses=0,
        nps=None,
        overdue=0,
        churn_risk=None,
    )


def _rate(part: int | None, whole: int | None) -> float | None:
    """None means "no data": a period with nothing in it is not a division error."""
    return part / whole if whole and part is not None else None


def customer_since(fact: CustomerFact) -> date | None:
    """The day someone became a buying customer, or None for a prospect who never bought."""
    if fact.converted_on is not None:
        return fact.converted_on
    if fact.tier != "prospect":  # new, regular, vip, and any tier the shop added
        return fact.first_purchase or fact.added
    return None


def last_activity(fact: CustomerFact) -> date:
    return max(
        d for d in (fact.added, fact.first_purchase, fact.last_purchase, fact.last_success) if d
    )


def churn_date(
    fact: CustomerFact, as_of: date, window: Duration, last: date | None = None
) -> date | None:
    """`lost` logged (and not back since), else the day the churn window ran out with no
    purchase or contact."""
    if fact.churned_on is not None and fact.returned_on is None:
        return fact.churned_on
    return window_ran_out(fact, as_of, window, last)


def window_ran_out(
    fact: CustomerFact, as_of: date, window: Duration, last: date | None = None
) -> date | None:
    """The day the churn window ran out with no purchase or contact, if it has by `as_of`."""
    if customer_since(fact) is None:
        return None
    runs_out = window.after(last or last_activity(fact))
    return runs_out if runs_out <= as_of else None


def success(followups: Iterable[FollowupFact], start: date, end: date) -> tuple[int, int]:
    """(planned, completed) for follow-ups due in [start, end]; retries keep their due date."""
    planned = completed = 0
    for item in followups:
        if start <= item.due_date <= end:
            planned += item.planned
            completed += item.completed
    return planned, completed


@dataclass(frozen=True)
class Lifeline:
    """A customer's dates that every period asks about, worked out once per report."""

    since: date | None  # became a buying customer
    gone: date | None  # churned by the report date: lost logged, or the window ran out
    prospect_from: date | None  # when they were added, if they ever were a prospect
    converted_on: date | None
    lost_on: date | None
    at_risk: bool
    returned_on: date | None = None  # back after `lost_on`: the loss counts until then
    silent_gone: date | None = None  # when the churn window ran out (used once back)

    def still_lost(self, day: date, inclusive: bool) -> bool:
        """Lost, and not back by `day` (`inclusive`: coming back on `day` itself counts)."""
        if self.lost_on is None:
            return False
        if self.returned_on is None:
            return True
        return self.returned_on > day if inclusive else self.returned_on >= day

    def gone_on(self, day: date, inclusive: bool) -> date | None:
        """The churn date in effect on `day`: the loss while it lasts, else the churn window's."""
        return self.lost_on if self.still_lost(day, inclusive) else self.silent_gone


def lifeline(
    fact: CustomerFact, as_of: date, window: Duration, intervals: dict[str, Duration]
) -> Lifeline:
    interval = intervals.get(fact.tier)
    last = last_activity(fact)
    at_risk = (
        fact.contactable
        and (fact.churned_on is None or fact.returned_on is not None)
        and interval is not None
        and interval.after(last, 2) < as_of
    )
    was_prospect = fact.tier == "prospect" or fact.converted_on is not None
    return Lifeline(
        since=customer_since(fact),
        gone=churn_date(fact, as_of, window, last),
        prospect_from=fact.added if was_prospect else None,
        converted_on=fact.converted_on,
        lost_on=fact.churned_on,
        at_risk=bool(at_risk),
        returned_on=fact.returned_on,
        silent_gone=window_ran_out(fact, as_of, window, last),
    )


def churn(lives: Iterable[Lifeline], start: date, end: date) -> tuple[int, int]:
    """(active at start, of those churned in the period). Prospects are not customers."""
    active = churned = 0
    for life in lives:
        if life.since is None or life.since >= start:
            continue
        gone = life.gone_on(start, inclusive=False)
        if gone is not None and gone < start:
            continue
        active += 1
        gone = life.gone_on(end, inclusive=True)
        churned += gone is not None and gone <= end
    return active, churned


def conversion(lives: Iterable[Lifeline], start: date, end: date) -> tuple[int, int]:
    """(prospects active at any time in the period, of those converted in it)."""
    prospects = converted = 0
    for life in lives:
        if life.prospect_from is None or life.prospect_from > end:
            continue
        if life.converted_on is not None and life.converted_on < start:
            continue
        if life.still_lost(start, inclusive=False) and life.lost_on < start:  # type: ignore[operator]
            continue
        prospects += 1
        converted += life.converted_on is not None and life.converted_on <= end
    return prospects, converted


@dataclass(frozen=True)
class CustomerCounts:
    """The customer side of a report for one group and one period."""

    active_at_start: int = 0
    churned: int = 0
    prospects: int = 0
    converted: int = 0
    churn_risk: int = 0


def count_customers(lives: Sequence[Lifeline], start: date, end: date) -> CustomerCounts:
    """The reference definition; storage counts the same in SQL (a property test holds the
    two together), using the thresholds below."""
    active, churned = churn(lives, start, end)
    prospects, converted = conversion(lives, start, end)
    return CustomerCounts(active, churned, prospects, converted, sum(x.at_risk for x in lives))


def first_day_reaching(step: Callable[[date], date], target: date) -> date:
    """The earliest day d with step(d) >= target, for a non-decreasing step (calendar months
    included), so "step(last) < target" can be asked as "last < that day"."""
    day = target
    while step(day) >= target:
        day -= timedelta(days=max(1, (step(day) - day).days))
    while step(day) < target:
        day += timedelta(days=1)
    return day


def churn_thresholds(start: date, end: date, as_of: date, window: Duration) -> tuple[date, date]:
    """(gone before start if last activity < first, gone by end if < second), for customers
    with no `lost` logged: the window runs out on window.after(last) and counts only once
    that day has come (as_of)."""
    one = timedelta(days=1)
    return (
        first_day_reaching(window.after, min(start, as_of + one)),
        first_day_reaching(window.after, min(end, as_of) + one),
    )


def risk_thresholds(intervals: dict[str, Duration], as_of: date) -> dict[str, date]:
    """Per tier: silent since before this day means silent for more than twice the interval."""
    return {
        tier: first_day_reaching(lambda d, i=interval: i.after(d, 2), as_of)
        for tier, interval in intervals.items()
    }


CountSource = Callable[[Sequence[str], date, date], dict[tuple[str, ...], CustomerCounts]]


def satisfaction(
    tallies: Iterable[ScoreFact], start: date, end: date
) -> tuple[int, float | None, float | None, int, float | None]:
    """CSAT (responses, mean, share of 4-5) and NPS (responses, promoters% - detractors%)."""
    n_scores = total = satisfied = 0
    n_nps = promoters = detractors = 0
    for tally in tallies:
        if start <= tally.date <= end:
            n_scores += tally.scores
            total += tally.score_total
            satisfied += tally.satisfied
            n_nps += tally.answers
            promoters += tally.promoters
            detractors += tally.detractors
    mean = total / n_scores if n_scores else None
    nps = 100 * (promoters - detractors) / n_nps if n_nps else None
    return n_scores, mean, _rate(satisfied, n_scores), n_nps, nps


def overdue(open_items: Iterable[OpenFact], as_of: date, start: date, end: date) -> int:
    """Open follow-ups past due on the report date (those due within [start, end])."""
    return sum(
        item.count for item in open_items if item.due_date < as_of and start <= item.due_date <= end
    )


@dataclass
class Facts:
    """Everything a report needs, as plain data."""

    followups: list[FollowupFact]
    customers: list[CustomerFact]
    scores: list[ScoreFact]
    open_items: list[OpenFact]  # every open follow-up past due, whatever its due date
    lives: list[Lifeline] | None = None  # one per customer, same order; see with_lives
    # Counts per group of the report's customer dims for a period; when absent they are
    # worked out here from `customers`.
    count_source: CountSource | None = None


def with_lives(
    facts: Facts, as_of: date, window: Duration, intervals: dict[str, Duration]
) -> Facts:
    if facts.lives is not None:
        return facts
    lives = [lifeline(fact, as_of, window, intervals) for fact in facts.customers]
    return Facts(
        facts.followups, facts.customers, facts.scores, facts.open_items, lives, facts.count_source
    )


def compute(
    facts: Facts,
    start: date,
    end: date,
    as_of: date,
    counts: CustomerCounts | None,
    whole_period: bool = True,
) -> Metrics:
    """One period, one group. `counts` is None for groups customers have none of (a channel);
    `whole_period` is False for a month row, where overdue counts that month's."""
    planned, completed = success(facts.followups, start, end)
    csat_n, csat_mean, csat_share, nps_n, nps = satisfaction(facts.scores, start, end)
    late_start = start if not whole_period else date.min
    c = counts or CustomerCounts()
    known = counts is not None
    return Metrics(
        planned=planned,
        completed=completed,
        success_rate=_rate(completed, planned),
        active_at_start=c.active_at_start if known else None,
        churned=c.churned if known else None,
        churn_rate=_rate(c.churned, c.active_at_start) if known else None,
        prospects=c.prospects if known else None,
        converted=c.converted if known else None,
        conversion_rate=_rate(c.converted, c.prospects) if known else None,
        csat_responses=csat_n,
        csat_mean=csat_mean,
        csat_satisfied_share=csat_share,
        nps_responses=nps_n,
        nps=nps,
        overdue=overdue(facts.open_items, as_of, late_start, end if not whole_period else as_of),
        churn_risk=c.churn_risk if known and whole_period else None,
    )


def customer_counts(
    facts: Facts, dims: Sequence[str], start: date, end: date
) -> dict[tuple[str, ...], CustomerCounts]:
    """Counts per group of `dims` (customer dims only): from storage, or from `lives`."""
    if facts.count_source is not None:
        return facts.count_source(dims, start, end)
    assert facts.lives is not None, "call with_lives first"
    groups: dict[tuple[str, ...], list[Lifeline]] = {}
    for fact, life in zip(facts.customers, facts.lives, strict=True):
        key = tuple(_KEYS[d]["customer"](fact) for d in dims)
        groups.setdefault(key, []).append(life)
    return {key: count_customers(lives, start, end) for key, lives in groups.items()}


_KEYS: dict[str, dict[str, Callable]] = {
    "tier": {
        "followup": lambda f: f.tier,
        "contact": lambda c: c.tier,
        # A converted prospect is counted with the prospects, where conversion happens.
        "customer": lambda c: "prospect" if c.converted_on is not None else c.tier,
    },
    "owner": {
        "followup": lambda f: f.owner,
        "contact": lambda c: c.owner,
        "customer": lambda c: c.owner,
    },
    "channel": {
        "followup": lambda f: f.channel,
        "contact": lambda c: c.channel,
        "customer": None,  # customers have no channel: churn and conversion do not apply
    },
    "segment": {
        "followup": lambda f: f.segment,
        "contact": lambda c: c.segment,
        "customer": lambda c: c.segment,
    },
    "branch": {
        "followup": lambda f: f.branch,
        "contact": lambda c: c.branch,
        "customer": lambda c: c.branch,
    },
}


def breakdown(
    facts: Facts, by: Sequence[str], start: date, end: date, as_of: date
) -> list[dict[str, object]]:
    """One row per combination of the `by` dimensions that has anything in it."""
    group_dims = [d for d in by if d != "month"]
    periods = months_between(start, end) if "month" in by else [(start, end)]
    customers_apply = all(_KEYS[d]["customer"] is not None for d in group_dims)
    counts = {
        period: customer_counts(facts, group_dims, *period) if customers_apply else {}
        for period in periods
    }
    values = {dim: _observed(facts, dim) for dim in group_dims}
    for per_period in counts.values():
        for key in per_period:
            for dim, value in zip(group_dims, key, strict=True):
                if value not in values[dim]:
                    values[dim].append(value)
    rows = []
    for combo in itertools.product(*(sorted(values[d]) for d in group_dims)):
        wanted = dict(zip(group_dims, combo, strict=True))
        subset = _filter(facts, wanted)
        for first, last in periods:
            found = counts[(first, last)].get(combo, CustomerCounts()) if customers_apply else None
            metrics = compute(subset, first, last, as_of, found, whole_period="month" not in by)
            if not _has_data(metrics):
                continue
            keys: dict[str, object] = dict(wanted)
            if "month" in by:
                keys["month"] = first.strftime("%Y-%m")
            rows.append({**{d: keys[d] for d in by}, **metrics.as_dict()})
    return rows


def _observed(facts: Facts, dim: str) -> list[str]:
    keys = _KEYS[dim]
    seen = {keys["followup"](f) for f in facts.followups}
    seen |= {keys["followup"](f) for f in facts.open_items}
    seen |= {keys["contact"](c) for c in facts.scores}
    return sorted(seen)


def _filter(facts: Facts, wanted: dict[str, str]) -> Facts:
    def match(kind: str, item: object) -> bool:
        for dim, value in wanted.items():
            key = _KEYS[dim][kind]
            if key is None or key(item) != value:
                return False
        return True

    return Facts(
        followups=[f for f in facts.followups if match("followup", f)],
        customers=[],
        scores=[c for c in facts.scores if match("contact", c)],
        open_items=[f for f in facts.open_items if match("followup", f)],
    )


def _has_data(metrics: Metrics) -> bool:
    return bool(
        metrics.planned
        or metrics.csat_responses
        or metrics.nps_responses
        or metrics.active_at_start
        or metrics.prospects
        or metrics.overdue
        or metrics.churn_risk
    )


DEFINITIONS = (
    (
        N_("success rate"),
        N_(
            "Of the follow-ups due in the period, the share where contact was made "
            "(reached, complaint, converted or lost logged). A follow-up retried after no answer "
            "keeps its first due date; one moved by snooze or plan --spread too."
        ),
    ),
    (
        N_("churn rate"),
        N_(
            "Of the buying customers (new, regular, VIP) active on the first day, the "
            "share who churned in the period: 'lost' was logged, or the churn window (default "
            "365 days) ran out with no purchase and no successful contact; the churn date is the "
            "day it ran out."
        ),
    ),
    (
        N_("conversion rate"),
        N_(
            "Of the prospects active at any time in the period, the share who "
            "bought (converted logged, or a purchase imported) in it."
        ),
    ),
    (
        N_("CSAT"),
        N_(
            "The mean of the satisfaction scores (1-5) given in the period, and the share of "
            "4s and 5s."
        ),
    ),
    (
        N_("NPS"),
        N_(
            "Of the recommend scores (0-10) given in the period: % of 9-10 minus % of 0-6, "
            "from -100 to +100."
        ),
    ),
    (
        N_("overdue"),
        N_(
            "Open follow-ups whose due date has passed on the report date and that nothing "
            "has been logged for. In a month row: those that were due in that month."
        ),
    ),
    (
        N_("churn risk"),
        N_(
            "Customers who can be contacted and have had no purchase and no successful "
            "contact for longer than twice their tier's interval: the early warning of churn."
        ),
    ),
    (
        N_("breakdowns"),
        N_(
            "By tier and owner: the customer's current tier and owner (a converted "
            "prospect is counted with prospects). By channel: how the contact that closed the "
            "follow-up was made; churn and conversion have no channel. By month: each calendar "
            "month of the period is a period of its own."
        ),
    ),
)
