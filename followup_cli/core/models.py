"""Plain data shared by storage, the scheduling engine, metrics and rendering."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from followup_cli.core.dates import Duration
from followup_cli.i18n import _

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

    def describe(self) -> str:
        """The rule in words, in the reader's language (shown, never stored)."""
        from followup_cli import wording

        parts = []
        if self.steps:
            steps = _(", ").join(wording.duration(s.label()) for s in self.steps)
            parts.append(
                _("{steps} after {anchor}").format(
                    steps=steps, anchor=wording.anchor(self.anchor) or _anchor(self)
                )
            )
        if self.interval:
            parts.append(_("every {every}").format(every=wording.duration(self.interval.label())))
        if self.then:
            parts.append(_("then as {tier}").format(tier=wording.tier(self.then)))
        return _("; ").join(parts)


def _anchor(rule: Rule) -> str:
    return rule.anchor.replace("_", " ")


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

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Options of purchase-driven planning, read and written by rhythm.py.
PURCHASE_OPTIONS = frozenset(
    {
        "repurchase",
        "repurchase_margin",
        "churn_definition",
        "churn_factor",
        "birthday_before",
        "anniversary_before",
        "date_fields",
        "winback_daily",
        "winback_within",
    }
)


# Whole-number options and what they may be: a day's calls and attempts a shop can make.
NUMBER_BOUNDS = {"max_attempts": (1, 20), "daily_capacity": (1, 10_000)}


def _is_pairs(value: object) -> bool:
    return isinstance(value, tuple) and bool(value) and isinstance(value[0], tuple)


@dataclass(frozen=True)
class Settings:
    """Shop-wide scheduling knobs, with the defaults a new shop starts from."""

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
    churn_definition: str = "window"  # window | rhythm
    churn_factor: Fraction = Fraction(3)
    birthday_before: Duration | None = Duration(3, "d")
    anniversary_before: Duration | None = None
    date_fields: tuple[tuple[str, Duration], ...] = ()
    winback_daily: int = 10
    winback_within: Duration = Duration(30, "d")

    @staticmethod
    def parse_value(name: str, text: str, stored: bool = False) -> object:
        """A setting from its typed text; ValueError with a readable message (and the bound) if
        bad. A `stored` value that is out of bounds (kept before the bound, or written by hand)
        is read as the nearest allowed value, or the default, so no command fails on it."""
        if stored:
            return Settings._stored_value(name, text)
        text = text.strip()
        if name not in Settings.__dataclass_fields__:
            known = ", ".join(Settings.__dataclass_fields__)
            raise ValueError(
                _("unknown option {name!r} (options: {known})").format(name=name, known=known)
            )
        if name in PURCHASE_OPTIONS:
            from followup_cli.core import rhythm

            return rhythm.parse_option(name, text)
        if name in NUMBER_BOUNDS:
            lowest, highest = NUMBER_BOUNDS[name]
            if not (text.isascii() and text.isdigit()) or not lowest <= int(text) <= highest:
                raise ValueError(
                    _("{name} must be a whole number from {lowest} to {highest}").format(
                        name=name, lowest=lowest, highest=highest
                    )
                )
            return int(text)
        if name == "closed_weekdays":
            days = [d.strip().lower()[:3] for d in text.replace(" ", ",").split(",") if d.strip()]
            unknown = [d for d in days if d not in WEEKDAYS]
            if unknown:
                raise ValueError(
                    _("unknown weekday {day!r} (use mon, tue, ... sun)").format(day=unknown[0])
                )
            closed = tuple(sorted({WEEKDAYS.index(d) for d in days}))
            if len(closed) == 7:
                raise ValueError(_("at least one weekday must stay open"))
            return closed
        if name == "holidays":
            return text.upper() if text.lower() not in ("", "none", "off") else ""
        if name == "phone_region":
            if not re.fullmatch(r"[A-Za-z]{2}", text):
                raise ValueError(_("phone_region must be a two-letter country code, e.g. CN, GB"))
            return text.upper()
        if name == "language":
            choice = text.lower().replace("-", "_")
            if choice in ("", "auto", "none"):
                return "auto"
            if choice in ("zh", "zh_cn", "中文", "cn"):
                return "zh"
            if choice in ("en", "english", "英文"):
                return "en"
            raise ValueError(_("language must be zh, en or auto"))
        if name == "shop":
            return "" if text.lower() in ("none", "-") else " ".join(text.split())
        from followup_cli.errors import FollowupError

        try:
            return Duration.parse(text)
        except FollowupError as exc:
            raise ValueError(exc.format_message()) from None

    @staticmethod
    def _stored_value(name: str, text: str) -> object:
        try:
            return Settings.parse_value(name, text)
        except ValueError:
            pass
        default = getattr(Settings(), name, None)
        word = text.strip()
        if isinstance(default, Duration) or name in ("birthday_before", "anniversary_before"):
            from followup_cli.errors import FollowupError

            try:
                return Duration.stored(word)
            except FollowupError:
                return default
        if name in NUMBER_BOUNDS and word.isascii() and word.isdigit():
            lowest, highest = NUMBER_BOUNDS[name]
            return min(max(int(word), lowest), highest)
        return default

    @staticmethod
    def format_value(value: object) -> str:
        if value is None or isinstance(value, bool | Fraction) or _is_pairs(value):
            from followup_cli.core import rhythm

            return rhythm.format_option(value)
        if isinstance(value, tuple):
            return ",".join(WEEKDAYS[d] for d in value)
        return str(value)


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
