"""Purchases drive the plan: each customer's own rhythm, their churn, and dated occasions.

Pure functions over plain values ("today" is always an argument), used by the scheduling
engine, the reports and `today`. The definitions, in the shop's words (README "Purchases drive
the plan"):

- *Purchase days*: the distinct days with an imported purchase; *gaps*: the days between
  one purchase day and the next.
- *Typical gap* (needs 3 purchase days, so 2 gaps): the median gap, pulled toward the tier's
  interval as if that interval were one more observed gap:
  ``typical = (n x median + tier interval in days) / (n + 1)`` for n gaps. With few purchases the
  tier's interval weighs a lot; with many, the customer's own median decides.
- *Repurchase call* (复购提醒): due ``ceil(margin x typical)`` days after the last purchase
  (margin 1.5 by default), if nobody has spoken to them since that purchase.
- *Own churn* (option ``churn_definition rhythm``): silent for longer than
  ``ceil(churn_factor x typical)`` days (factor 3 by default); churn risk after twice the typical
  gap. Customers with fewer than 3 purchase days keep the shop-wide window.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from fractions import Fraction
from functools import cache, lru_cache

from followup_cli.core.dates import Duration, add_months
from followup_cli.core.models import CustomerState, Plan, Settings
from followup_cli.i18n import N_, _

# Reasons as stored (English); wording.py has their translations, matched back at display time.
REPURCHASE_REASON = N_("repurchase: usually every {typical} days, last bought {last}")
MODEL_REPURCHASE_REASON = N_("repurchase: expected back about {expected}, last bought {last}")
BIRTHDAY_REASON = N_("birthday {monthday}")
ANNIVERSARY_REASON = N_("first purchase anniversary {monthday}")
BOTH_REASONS = N_("{first}; also {second}")

MIN_GAPS = 2  # three purchase days: two gaps, the least that has a median worth the name
WEEK = 7  # two calls this close are one call (the nearer carries both reasons)

# --- the customer's own rhythm ----------------------------------------------------------------


def interval_days(interval: Duration) -> int:
    """A tier's interval in days for the typical-gap formula: a month counts 30, a year 365."""
    return interval.count * {"d": 1, "w": 7, "m": 30, "y": 365}[interval.unit]


@dataclass(frozen=True)
class Rhythm:
    """How a customer buys: their gaps, median, typical gap and what follows from them."""

    gaps: tuple[int, ...]
    median: Fraction
    tier_days: int
    typical: Fraction

    def late_after(self, margin: Fraction) -> int:
        """Whole days of silence after which the customer is late (ceil(margin x typical))."""
        return math.ceil(margin * self.typical)

    def describe(self, last_purchase: date, margin: Fraction) -> str:
        expected = last_purchase + timedelta(days=math.ceil(self.typical))
        late = self.late_after(margin)
        return _(
            "own rhythm: gaps {gaps} days; median {median}; typical ({count} x {median} + tier "
            "{tier}) / {weight} = {typical} days; expected {expected}; late after {margin} x "
            "typical = {late} days, on {late_on}"
        ).format(
            gaps=", ".join(str(g) for g in self.gaps),
            median=number_text(self.median),
            count=len(self.gaps),
            tier=self.tier_days,
            weight=len(self.gaps) + 1,
            typical=number_text(self.typical),
            expected=expected.isoformat(),
            margin=number_text(margin),
            late=late,
            late_on=(last_purchase + timedelta(days=late)).isoformat(),
        )


def number_text(value: Fraction) -> str:
    """1.5 stays 1.5, 30 stays 30, 91/3 shows as 30.33."""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def rhythm_of(gaps: tuple[int, ...], tier_interval: Duration | None) -> Rhythm | None:
    """The typical gap, or None with fewer than 3 purchase days or no tier interval."""
    if len(gaps) < MIN_GAPS or tier_interval is None:
        return None
    ordered = sorted(gaps)
    middle = len(ordered) // 2
    median = Fraction(ordered[middle] + ordered[~middle], 2)  # the middle one, or the mean of two
    tier_days = interval_days(tier_interval)
    count = len(gaps)
    return Rhythm(gaps, median, tier_days, (count * median + tier_days) / (count + 1))


def repurchase_plan(
    state: CustomerState,
    tier_interval: Duration | None,
    settings: Settings,
    today: date | None = None,
) -> Plan | None:
    """The repurchase call (复购提醒): on the day the shop's purchase model expects the next
    purchase (never before today), or, without a model, when the customer is late on their
    own rhythm by the margin; else None.

    Not planned when the option is off, when someone spoke to the customer after their last
    purchase, or when this purchase's call is already closed; by the rhythm, not with fewer
    than 3 purchase days either.
    """
    if not settings.repurchase or state.last_purchase is None:
        return None
    if state.last_success is not None and state.last_success > state.last_purchase:
        return None
    if state.repurchase_done_for == state.last_purchase:
        return None
    if state.model_next is not None:
        if state.model_gone is not None and state.model_gone <= (today or state.model_next):
            return None  # gone, by the model: nobody is "expected back" (the cadence stands)
        due = max(
            state.model_next, today or state.model_next, state.last_purchase + timedelta(days=1)
        )
        reason = MODEL_REPURCHASE_REASON.format(
            expected=state.model_next.isoformat(), last=state.last_purchase.isoformat()
        )
        return Plan(due, "repurchase", reason, state.last_purchase)
    if len(state.purchase_gaps) < MIN_GAPS or tier_interval is None:
        return None
    # Whole numbers (the engine plans every customer on import): typical = top / bottom.
    top, bottom = _typical(state.purchase_gaps, interval_days(tier_interval))
    margin = settings.repurchase_margin
    late = -(-(margin.numerator * top) // (margin.denominator * bottom))
    due = state.last_purchase + timedelta(days=late)
    # Stored in English, like every planned reason; wording.reason() says it in the reader's.
    reason = REPURCHASE_REASON.format(
        typical=number_text(Fraction(top, bottom)), last=state.last_purchase.isoformat()
    )
    return Plan(due, "repurchase", reason, state.last_purchase)


def _typical(gaps: tuple[int, ...], tier_days: int) -> tuple[int, int]:
    """The typical gap as a fraction: (n x 2 x median + 2 x tier days) / (2 x (n + 1))."""
    ordered = sorted(gaps)
    middle = len(ordered) // 2
    twice_median = ordered[middle] + ordered[~middle]
    return len(gaps) * twice_median + 2 * tier_days, 2 * (len(gaps) + 1)


def churn_days(
    gaps: tuple[int, ...], tier_interval: Duration | None, settings: Settings
) -> int | None:
    """Under the per-customer definition: silent days after which this customer has churned
    (None: too few purchases, the shop-wide window applies)."""
    if settings.churn_definition != "rhythm":
        return None
    rhythm = rhythm_of(gaps, tier_interval)
    return None if rhythm is None else math.ceil(settings.churn_factor * rhythm.typical)


def risk_days(gaps: tuple[int, ...], tier_interval: Duration | None, settings: Settings):
    """Under the per-customer definition: silent days after which the customer is at risk
    (twice the typical gap); None when the tier-based rule applies."""
    if settings.churn_definition != "rhythm":
        return None
    rhythm = rhythm_of(gaps, tier_interval)
    return None if rhythm is None else math.ceil(2 * rhythm.typical)


# --- dated occasions: birthdays, anniversaries, the owner's own date fields ------------------

BIRTHDAY_FIELDS = ("birthday", "生日", "出生日期", "生日日期", "date of birth", "dob", "birth date")
_MONTH_DAY = re.compile(r"^(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_YEAR_MONTH_DAY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@lru_cache(maxsize=4096)  # a handful of column names, asked for every customer
@lru_cache(maxsize=4096)  # a file's few column names, asked for every customer planned
def field_key(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name).casefold()


def occasion_keys(settings: Settings) -> frozenset[str]:
    """The keys (see field_key) of the columns a call can be planned for: a birthday column,
    the shop's own date columns."""
    return frozenset(
        {field_key(n) for n in BIRTHDAY_FIELDS} | {field_key(n) for n, _b in settings.date_fields}
    )


def birthday_field(extra: dict[str, str]) -> str | None:
    """The customer's birthday text, from a column named 生日, birthday, 出生日期, ..."""
    wanted = {field_key(n) for n in BIRTHDAY_FIELDS}
    for name, value in extra.items():
        if field_key(name) in wanted and str(value).strip():
            return str(value)
    return None


@lru_cache(maxsize=65536)  # birthdays repeat: a shop re-plans thousands at once
def parse_month_day(text: str) -> tuple[int | None, int, int] | None:
    """(year or None, month, day) from 05-20, 5月20日, 1990-05-20, 1990/5/20 or 1990年5月20日;
    None when it is not such a date (a birthday on 29 Feb is kept as it is)."""
    text = text.strip()
    if " " in text and re.match(r"^\d{4}-\d{2}-\d{2} 0{1,2}:00", text):
        text = text.split(" ")[0]  # a spreadsheet date cell with its midnight time
    match = _YEAR_MONTH_DAY.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _MONTH_DAY.match(text)
        if not match:
            return None
        year, (month, day) = None, (int(g) for g in match.groups())
    if not 1 <= month <= 12 or not 1 <= day <= _days_in(month, 2000):  # 2000: a leap year
        return None
    if year is not None and (year < 1 or day > _days_in(month, year)):
        return None
    return year, month, day


@cache  # twelve months of the few years a plan looks at
def _days_in(month: int, year: int) -> int:
    return (add_months(date(year, month, 1), 1) - timedelta(days=1)).day


def in_year(year: int, month: int, day: int) -> date:
    """The day in a given year; 29 Feb falls on 28 Feb in a year without one."""
    return date(year, month, min(day, _days_in(month, year)))


@dataclass(frozen=True)
class Occasion:
    trigger: str  # birthday | anniversary | a named field
    on: date  # this year's (or the one-off) date
    before: Duration

    @property
    def key(self) -> str:
        return f"{self.trigger}:{self.on.isoformat()}"

    @property
    def call_on(self) -> date:
        return self.before.before(self.on)

    def reason(self) -> str:
        """Stored in English ('birthday 20 May'); wording.reason() says it as 生日 5月20日."""
        monthday = f"{self.on.day} {MONTH_NAMES[self.on.month - 1]}"
        if self.trigger == "birthday":
            return BIRTHDAY_REASON.format(monthday=monthday)
        if self.trigger == "anniversary":
            return ANNIVERSARY_REASON.format(monthday=monthday)
        return f"{self.trigger} {self.on.isoformat()}"


def next_occasion(state: CustomerState, settings: Settings, today: date) -> Occasion | None:
    """The soonest date trigger not yet called for whose day is today or later."""
    candidates = []
    extra = dict(state.dated_fields)
    birthday = birthday_field(extra)
    if birthday is not None and settings.birthday_before is not None:
        parsed = parse_month_day(birthday)
        if parsed is not None:
            _year, month, day = parsed
            found = _yearly("birthday", month, day, settings.birthday_before, state, today)
            if found is not None:
                candidates.append(found)
    by_key = {field_key(name): text for name, text in extra.items()}
    for trigger, before in settings.date_fields:
        text = by_key.get(field_key(trigger))
        parsed = parse_month_day(text) if text else None
        if parsed is None:
            continue
        year, month, day = parsed
        if year is None:
            found = _yearly(trigger, month, day, before, state, today)
        else:
            one_off = Occasion(trigger, date(year, month, day), before)
            fresh = one_off.on >= today and one_off.key not in state.occasions_done
            found = one_off if fresh else None
        if found is not None:
            candidates.append(found)
    if settings.anniversary_before is not None and state.first_purchase is not None:
        first = state.first_purchase
        found = _yearly(
            "anniversary", first.month, first.day, settings.anniversary_before, state, today
        )
        if found is not None and found.on > first:
            candidates.append(found)
    return min(candidates, key=lambda o: (o.call_on, o.trigger), default=None)


def _yearly(
    trigger: str, month: int, day: int, before: Duration, state: CustomerState, today: date
) -> Occasion | None:
    """This year's occasion if its day has not passed and it was not called for, else next
    year's (once per year)."""
    for year in (today.year, today.year + 1, today.year + 2):
        occasion = Occasion(trigger, in_year(year, month, day), before)
        if occasion.on >= today and occasion.key not in state.occasions_done:
            return occasion
    return None


def with_occasion(plan: Plan, state: CustomerState, settings: Settings, today: date) -> Plan:
    """Put the next dated occasion into the plan: alone when it comes a week or more before
    the planned call; merged when the two fall within a week (the nearer carries both
    reasons); left for later when it comes a week or more after."""
    occasion = next_occasion(state, settings, today)
    if occasion is None:
        return plan
    call_on = occasion.call_on
    if abs((call_on - plan.due_date).days) < WEEK:
        both = BOTH_REASONS
        if call_on < plan.due_date:
            return replace(
                plan,
                due_date=call_on,
                reason=both.format(first=occasion.reason(), second=plan.reason),
                occasion=occasion.key,
                covers_due=plan.due_date,
            )
        return replace(
            plan,
            reason=both.format(first=plan.reason, second=occasion.reason()),
            occasion=occasion.key,
        )
    if call_on < plan.due_date:
        kind = occasion.trigger if occasion.trigger in ("birthday", "anniversary") else "date"
        return Plan(call_on, kind, occasion.reason(), occasion.on, occasion.key)
    return plan
