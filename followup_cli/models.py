"""Plain data shared by storage, the scheduling engine, metrics and rendering."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from followup_cli.dates import Duration

OUTCOMES = ("reached", "no-answer", "complaint", "converted", "lost", "opt-out")
# Outcomes that mean contact was made: they count as a completed follow-up (DOMAIN.md).
SUCCESSFUL_OUTCOMES = frozenset({"reached", "complaint", "converted", "lost"})
CHANNELS = ("phone", "sms", "email", "wechat", "visit")
BUYING_TIERS = frozenset({"new", "regular", "vip"})
ANCHORS = ("first_purchase", "last_contact", "last_purchase", "added")


@dataclass(frozen=True)
class Rule:
    """A tier's cadence: milestone steps from an anchor, then a repeat interval or another tier."""

    tier: str
    steps: tuple[Duration, ...] = ()
    interval: Duration | None = None
    anchor: str = "last_contact"
    then: str | None = None
    rank: int = 50  # lower is more important on today's list

    def describe(self) -> str:
        parts = []
        if self.steps:
            parts.append(", ".join(s.label() for s in self.steps) + f" after {_anchor(self)}")
        if self.interval:
            parts.append(f"every {self.interval.label()}")
        if self.then:
            parts.append(f"then as {self.then}")
        return "; ".join(parts)


def _anchor(rule: Rule) -> str:
    return rule.anchor.replace("_", " ")


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("vip", interval=Duration(1, "m"), anchor="last_contact", rank=10),
    Rule(
        "new",
        steps=(Duration(7, "d"), Duration(1, "m"), Duration(3, "m")),
        anchor="first_purchase",
        then="regular",
        rank=20,
    ),
    Rule("regular", interval=Duration(3, "m"), anchor="last_contact", rank=30),
    Rule("prospect", interval=Duration(2, "w"), anchor="last_contact", rank=40),
)


@dataclass(frozen=True)
class Settings:
    """Shop-wide scheduling knobs; defaults from DOMAIN.md."""

    min_gap: Duration = Duration(3, "d")
    retry_after: Duration = Duration(2, "d")
    max_attempts: int = 3
    check_back: Duration = Duration(3, "d")
    renewal_before: Duration = Duration(3, "m")
    churn_window: Duration = Duration(365, "d")


@dataclass(frozen=True)
class CustomerState:
    """What the engine needs to know about one customer; no ids, no database."""

    tier: str
    added: date
    first_purchase: date | None = None
    last_purchase: date | None = None
    last_success: date | None = None
    last_contact: date | None = None
    contract_end: date | None = None
    do_not_contact: bool = False
    churned: bool = False
    previous_due: date | None = None  # due date of the last closed cadence follow-up
    renewal_done_for: date | None = None  # contract end whose renewal call is already closed


@dataclass(frozen=True)
class Plan:
    """One planned follow-up."""

    due_date: date
    kind: str  # step | cadence | check-back | renewal
    reason: str
    anchor: date | None = None


@dataclass
class Customer:
    id: int
    ref: str
    name: str
    tier: str
    added: date
    phone: str | None = None
    email: str | None = None
    first_purchase: date | None = None
    last_purchase: date | None = None
    owner: str | None = None
    notes: str | None = None
    contract_end: date | None = None
    status: str = "active"
    churned_on: date | None = None
    converted_on: date | None = None
    do_not_contact: bool = False
    last_contact: date | None = None
    last_success: date | None = None
    last_outcome: str | None = None
    last_note: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    spend: float | None = None  # sum of imported purchases, when there are any
