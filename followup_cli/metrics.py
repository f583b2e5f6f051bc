"""The shop's numbers, exactly as DOMAIN.md defines them. Pure functions over plain data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date

from followup_cli.dates import Duration
from followup_cli.models import BUYING_TIERS, SUCCESSFUL_OUTCOMES


@dataclass(frozen=True)
class FollowupFact:
    due_date: date
    status: str
    outcome: str | None


@dataclass(frozen=True)
class CustomerFact:
    tier: str
    added: date
    first_purchase: date | None
    last_purchase: date | None
    last_success: date | None
    converted_on: date | None
    churned_on: date | None  # the day `lost` was logged


@dataclass(frozen=True)
class ContactFact:
    date: date
    score: int | None
    nps: int | None


@dataclass(frozen=True)
class Metrics:
    planned: int
    completed: int
    success_rate: float | None
    active_at_start: int
    churned: int
    churn_rate: float | None
    prospects: int
    converted: int
    conversion_rate: float | None
    csat_responses: int
    csat_mean: float | None
    csat_satisfied_share: float | None
    nps_responses: int
    nps: float | None
    overdue: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _rate(part: int, whole: int) -> float | None:
    """None means "no data": a period with nothing in it is not a division error."""
    return part / whole if whole else None


def customer_since(fact: CustomerFact) -> date | None:
    """The day someone became a buying customer, or None for a prospect who never bought."""
    if fact.converted_on is not None:
        return fact.converted_on
    if fact.tier in BUYING_TIERS:
        return fact.first_purchase or fact.added
    return None


def churn_date(fact: CustomerFact, as_of: date, window: Duration) -> date | None:
    """`lost` logged, else the day the churn window ran out with no purchase or contact."""
    if fact.churned_on is not None:
        return fact.churned_on
    since = customer_since(fact)
    if since is None:
        return None
    last_activity = max(d for d in (since, fact.last_purchase, fact.last_success) if d)
    runs_out = window.after(last_activity)
    return runs_out if runs_out <= as_of else None


def success(followups: Iterable[FollowupFact], start: date, end: date) -> tuple[int, int]:
    """(planned, completed) for follow-ups due in [start, end]; retries keep their due date."""
    planned = completed = 0
    for item in followups:
        if start <= item.due_date <= end and item.status != "cancelled":
            planned += 1
            completed += item.outcome in SUCCESSFUL_OUTCOMES
    return planned, completed


def churn(
    customers: Iterable[CustomerFact], start: date, end: date, as_of: date, window: Duration
) -> tuple[int, int]:
    """(active at start, of those churned in the period). Prospects are not customers."""
    active = churned = 0
    for fact in customers:
        since = customer_since(fact)
        if since is None or since >= start:
            continue
        gone = churn_date(fact, as_of, window)
        if gone is not None and gone < start:
            continue
        active += 1
        churned += gone is not None and gone <= end
    return active, churned


def conversion(customers: Iterable[CustomerFact], start: date, end: date) -> tuple[int, int]:
    """(prospects active at any time in the period, of those converted in it)."""
    prospects = converted = 0
    for fact in customers:
        was_prospect = fact.tier == "prospect" or fact.converted_on is not None
        if not was_prospect or fact.added > end:
            continue
        if fact.converted_on is not None and fact.converted_on < start:
            continue
        if fact.churned_on is not None and fact.churned_on < start:
            continue
        prospects += 1
        converted += fact.converted_on is not None and fact.converted_on <= end
    return prospects, converted


def satisfaction(
    contacts: Iterable[ContactFact], start: date, end: date
) -> tuple[int, float | None, float | None, int, float | None]:
    """CSAT (responses, mean, share of 4-5) and NPS (responses, promoters% - detractors%)."""
    scores: list[int] = []
    recommends: list[int] = []
    for contact in contacts:
        if not start <= contact.date <= end:
            continue
        if contact.score is not None:
            scores.append(contact.score)
        if contact.nps is not None:
            recommends.append(contact.nps)
    mean = sum(scores) / len(scores) if scores else None
    satisfied = _rate(sum(1 for s in scores if s >= 4), len(scores))
    nps = None
    if recommends:
        promoters = sum(1 for r in recommends if r >= 9)
        detractors = sum(1 for r in recommends if r <= 6)
        nps = 100 * (promoters - detractors) / len(recommends)
    return len(scores), mean, satisfied, len(recommends), nps


def compute(
    followups: list[FollowupFact],
    customers: list[CustomerFact],
    contacts: list[ContactFact],
    start: date,
    end: date,
    as_of: date,
    window: Duration,
    overdue: int = 0,
) -> Metrics:
    planned, completed = success(followups, start, end)
    active, churned = churn(customers, start, end, as_of, window)
    prospects, converted = conversion(customers, start, end)
    csat_n, csat_mean, csat_share, nps_n, nps = satisfaction(contacts, start, end)
    return Metrics(
        planned=planned,
        completed=completed,
        success_rate=_rate(completed, planned),
        active_at_start=active,
        churned=churned,
        churn_rate=_rate(churned, active),
        prospects=prospects,
        converted=converted,
        conversion_rate=_rate(converted, prospects),
        csat_responses=csat_n,
        csat_mean=csat_mean,
        csat_satisfied_share=csat_share,
        nps_responses=nps_n,
        nps=nps,
        overdue=overdue,
    )
