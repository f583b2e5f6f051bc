"""Plain data shared by storage, the scheduling engine, metrics and rendering: no behaviour
beyond what a value needs (a rule in words is `wording.describe_rule`, a setting from text is
`core/options.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from followup_cli.core.dates import Duration

OUTCOMES = ("reached", "no-answer", "complaint", "converted", "lost", "opt-out")
# Outcomes that mean contact was made: they count as a completed follow-up.
SUCCESSFUL_OUTCOMES = frozenset({"reached", "complaint", "converted", "lost"})
CHANNELS = ("phone", "sms", "email", "wechat", "visit")
BUYING_TIERS = frozenset({"new", "regular", "vip"})
ANCHORS = ("first_purchase", "last_contact", "last_purchase", "added")


@dataclass(frozen=True)
class Rule:
    """A tier's cadence: milestone steps from an anchor, then a repeat interval or another tier.

    A follow-up is due on its date and late once the grace window after it has passed.
    """

    tier: str
    steps: tuple[Duration, ...] = ()
    interval: Duration | None = None
    anchor: str = "last_contact"
    then: str | None = None
    rank: int = 50  # lower is more important on today's list
    grace: Duration = Duration(1, "w")


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("vip", interval=Duration(1, "m"), anchor="last_contact", rank=10, grace=Duration(2, "w")),
    Rule(
        "new",
        steps=(Duration(7, "d"), Duration(1, "m"), Duration(3, "m")),
        anchor="first_purchase",
        then="regular",
        rank=20,
        grace=Duration(1, "w"),
    ),
    Rule(
        "regular", interval=Duration(3, "m"), anchor="last_contact", rank=30, grace=Duration(1, "m")
    ),
    Rule(
        "prospect",
        interval=Duration(2, "w"),
        anchor="last_contact",
        rank=40,
        grace=Duration(1, "w"),
    ),
)

# Built-in words for the common member levels, tags and lifecycle stages. A fresh database
# holds these in its level table; `followup rules levels` shows and changes them.
DEFAULT_LEVELS: tuple[tuple[str, str], ...] = (
    ("钻石", "vip"),
    ("黑金", "vip"),
    ("至尊", "vip"),
    ("金卡", "vip"),
    ("vip", "vip"),
    ("gold", "vip"),
    ("platinum", "vip"),
    ("diamond", "vip"),
    ("银卡", "regular"),
    ("silver", "regular"),
    ("普通", "regular"),
    ("会员", "regular"),
    ("customer", "regular"),
    ("潜在", "prospect"),
    ("意向", "prospect"),
    ("粉丝", "prospect"),
    ("lead", "prospect"),
    ("subscriber", "prospect"),
    ("opportunity", "prospect"),
)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Settings:
    """Shop-wide scheduling knobs, with the defaults a new shop starts from (read from text and
    written back by core/options.py)."""

    min_gap: Duration = Duration(3, "d")
    retry_after: Duration = Duration(2, "d")
    max_attempts: int = 3
    check_back: Duration = Duration(3, "d")
    renewal_before: Duration = Duration(3, "m")
    churn_window: Duration = Duration(365, "d")
    daily_capacity: int = 20
    closed_weekdays: tuple[int, ...] = ()  # 0 = Monday; every day is open by default
    holidays: str = ""  # a country code for the `holidays` package, e.g. CN; "" = none
    phone_region: str = "CN"  # the country of phone numbers written without +code
    language: str = "auto"  # zh or en; auto follows the locale (LANG)
    shop: str = ""  # the shop's name, as customers know it: {shop} in message templates
    # Purchases drive the plan (see rhythm.py): own repurchase rhythm, churn, date triggers.
    repurchase: bool = True
    repurchase_margin: Fraction = Fraction(3, 2)
    churn_definition: str = "model"  # model | window | rhythm (model: window until fitted)
    churn_factor: Fraction = Fraction(3)
    birthday_before: Duration | None = Duration(3, "d")
    anniversary_before: Duration | None = None
    date_fields: tuple[tuple[str, Duration], ...] = ()
    winback_daily: int = 10
    winback_within: Duration = Duration(30, "d")

    @property
    def by_model(self) -> bool:
        """Whether the churn definition lets the shop's purchase model decide, once one is
        fitted (churn, risk, the morning list's order, repurchase days, tier suggestions)."""
        return self.churn_definition == "model"


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
    purchase_gaps: tuple[int, ...] = ()  # days between distinct purchase days, oldest first
    repurchase_done_for: date | None = None  # last purchase whose repurchase call is closed
    dated_fields: tuple[tuple[str, str], ...] = ()  # (field name, stored text): birthday, ...
    occasions_done: frozenset[str] = frozenset()  # date triggers already called for
    # The shop's purchase model, where it decides (the churn definition `model`): the day it
    # expects this customer's next purchase, known from every purchase they have made.
    model_next: date | None = None
    model_gone: date | None = None  # ... and the day it counts them gone if they buy nothing


@dataclass(frozen=True)
class Plan:
    """One planned follow-up."""

    due_date: date
    kind: str  # step | cadence | check-back | renewal | repurchase | birthday | anniversary | date
    reason: str
    anchor: date | None = None
    occasion: str | None = None  # the date trigger this call covers, e.g. birthday:2026-05-20
    covers_due: date | None = None  # the cadence date a nearer merged call stands in for


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
    returned_on: date | None = None  # a lost customer's return (churned_on: when lost)
    branch: str | None = None  # the branch of a chain the customer belongs to, if set
    in_branch: str | None = None  # the branch they fall under: their own, else their owner's


# The customer fields an import row or a person can set, and which of them are dates.
CUSTOMER_FIELDS = (
    "id",
    "name",
    "phone",
    "email",
    "tier",
    "first_purchase",
    "last_purchase",
    "added",
    "owner",
    "notes",
    "contract_end",
    "branch",
)
CUSTOMER_DATE_FIELDS = ("first_purchase", "last_purchase", "added", "contract_end")
