"""The scheduling engine: pure functions from a customer's state to their next follow-up.

Nothing here reads a clock or a database: "today" is always an argument, so every rule can
be tested on hand-worked dates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from followup_cli.core.dates import Duration
from followup_cli.core.models import CustomerState, Plan, Rule, Settings
from followup_cli.i18n import _


class RuleError(ValueError):
    """The rules cannot plan this tier (unknown tier, or tiers that follow each other forever)."""


def anchor_date(anchor: str, state: CustomerState) -> date:
    """The date a rule counts from, falling back to purchases and the date added."""
    if anchor == "first_purchase":
        return state.first_purchase or state.added
    if anchor == "last_purchase":
        return state.last_purchase or state.first_purchase or state.added
    if anchor == "added":
        return state.added
    return state.last_success or state.last_purchase or state.added


def chain_anchors(tier: str, rules: dict[str, Rule]) -> tuple[str, ...]:
    """The anchors of every rule a plan for `tier` may read: its own rule's, then those of
    the tiers it becomes (an unknown tier has none; planning it fails as usual)."""
    anchors: list[str] = []
    seen: set[str] = set()
    rule = rules.get(tier)
    while rule is not None and rule.tier not in seen:
        seen.add(rule.tier)
        if rule.anchor not in anchors:
            anchors.append(rule.anchor)
        rule = rules.get(rule.then or "")
    return tuple(anchors)


def first_plan_key(
    tier: str,
    added: Any,
    first_purchase: Any,
    last_purchase: Any,
    contract_end: Any,
    anchors: tuple[str, ...],
    anniversary: bool,
) -> tuple:
    """Everything the first plan of a customer with no history depends on, as a key.

    Such a customer's plan reads only the anchor days of the tier's chain of rules (as
    `anchor_date` picks them when nothing was logged yet), the contract end and, with
    anniversary calls on, the first purchase. Customers with the same key get the same
    plan, so an import plans each key once. Dates may be given as dates or ISO text.
    """
    days = []
    for anchor in anchors:
        if anchor == "first_purchase":
            days.append(first_purchase or added)
        elif anchor == "last_purchase":
            days.append(last_purchase or first_purchase or added)
        elif anchor == "added":
            days.append(added)
        else:  # counted from the last success, of which there is none yet
            days.append(last_purchase or added)
    return (tier, contract_end, first_purchase if anniversary else None, *days)


ClosedDay = Callable[[date], bool]


def never_closed(_: date) -> bool:
    return False


def next_open_day(day: date, is_closed: ClosedDay) -> date:
    """The day itself, or the first open day after it (shops close weekdays or holidays)."""
    for _attempt in range(366):
        if not is_closed(day):
            return day
        day += timedelta(days=1)
    raise RuleError(_("no open day within a year: check closed_weekdays and holidays"))


def closed_day_checker(settings: Settings) -> ClosedDay:
    """A predicate for the shop's closed days: chosen weekdays and a country's holidays."""
    weekdays = frozenset(settings.closed_weekdays)
    public: Any = ()
    if settings.holidays:
        import holidays

        try:
            public = holidays.country_holidays(settings.holidays)
        except NotImplementedError:
            raise RuleError(
                _("no holiday calendar for country {holidays!r}").format(holidays=settings.holidays)
            ) from None
    if not weekdays and not settings.holidays:
        return never_closed
    return lambda day: day.weekday() in weekdays or day in public


def plan_next(
    state: CustomerState,
    rules: dict[str, Rule],
    settings: Settings,
    today: date,
    is_closed: ClosedDay = never_closed,
) -> Plan | None:
    """The next follow-up by the tier's cadence, or None when the customer must not be called.

    With no previous follow-up (a fresh import) the plan is the cadence date nearest to today
    (the earlier one on a tie): a long-ago anchor gives one call, not a years-old backlog, and
    a milestone missed long ago gives way to the one coming up. After a closed follow-up the
    plan is the first cadence date after it.
    """
    if state.do_not_contact or state.churned:
        return None
    plan = _cadence_plan(state, rules, today)
    plan = _renewal_first(state, settings, today, plan)
    plan = _repurchase_first(state, rules, settings, today, plan)
    plan = _occasion_in(state, settings, today, plan)
    plan = _respect_min_gap(plan, state, settings)
    return _on_open_day(plan, is_closed)


def _on_open_day(plan: Plan, is_closed: ClosedDay) -> Plan:
    day = next_open_day(plan.due_date, is_closed)
    if day == plan.due_date:
        return plan
    return replace(plan, due_date=day, reason=plan.reason + " (moved: shop closed)")


def _cadence_plan(state: CustomerState, rules: dict[str, Rule], today: date) -> Plan:
    rule = _rule_for(state.tier, rules)
    seen = {rule.tier}
    while True:
        if rule.steps:
            step_plan = _step_plan(rule, state, rules, today)
            if step_plan is not None:
                return step_plan
        if rule.interval is not None:
            return _repeat_plan(rule, state, today)
        if rule.then is None or rule.then in seen:
            raise RuleError(
                _("tier {tier!r} has no repeat interval and no tier to follow").format(
                    tier=rule.tier
                )
            )
        rule = _rule_for(rule.then, rules)
        seen.add(rule.tier)


def _rule_for(tier: str, rules: dict[str, Rule]) -> Rule:
    try:
        return rules[tier]
    except KeyError:
        raise RuleError(_("no rule for tier {tier!r}").format(tier=tier)) from None


def _step_plan(
    rule: Rule, state: CustomerState, rules: dict[str, Rule], today: date
) -> Plan | None:
    anchor = anchor_date(rule.anchor, state)
    if state.previous_due is None:
        follower = rules.get(rule.then or "")
        return _nearest_step(rule, follower.interval if follower else None, anchor, today)
    dated = [(step, step.after(anchor)) for step in rule.steps]
    pending = [(s, d) for s, d in dated if d > state.previous_due]
    if not pending:
        return None
    step, due = pending[0]
    return Plan(due, "step", f"{step.label()} after {rule.anchor.replace('_', ' ')}", anchor)


@lru_cache(maxsize=8192)
def _nearest_step(
    rule: Rule, follower_interval: Duration | None, anchor: date, today: date
) -> Plan | None:
    """The step nearest today (the earlier on a tie), or None when the tier that follows has
    overtaken the last one. Memoised: an import plans many customers who share an anchor day."""
    dated = [(step, step.after(anchor)) for step in rule.steps]
    step, due = min(dated, key=lambda item: (abs((item[1] - today).days), item[1]))
    if step == rule.steps[-1] and _overtaken_by(follower_interval, due, today):
        return None
    return Plan(due, "step", f"{step.label()} after {rule.anchor.replace('_', ' ')}", anchor)


def _overtaken_by(interval: Duration | None, last_step_due: date, today: date) -> bool:
    """True when the tier that follows (repeating every `interval`) is due nearer to today
    than the last step."""
    if interval is None:
        return False
    follower_due = interval.after(last_step_due)
    return abs((follower_due - today).days) < abs((last_step_due - today).days)


def _repeat_plan(rule: Rule, state: CustomerState, today: date) -> Plan:
    assert rule.interval is not None
    anchor = anchor_date(rule.anchor, state)
    due = _repeat_due(rule.interval, anchor, state.previous_due, today)
    return Plan(due, "cadence", f"every {rule.interval.label()}", anchor)


@lru_cache(maxsize=65536)
def _repeat_due(interval: Duration, anchor: date, previous_due: date | None, today: date) -> date:
    """Memoised: an import plans many customers who share an anchor day."""
    if previous_due is not None:
        times = _first_multiple_after(anchor, interval, previous_due)
    else:
        times = _multiple_nearest(anchor, interval, today)
    return interval.after(anchor, times)


def _estimate(anchor: date, interval: Duration, target: date) -> int:
    return max(1, round((target - anchor).days / interval.approx_days()))


def _first_multiple_after(anchor: date, interval: Duration, after: date) -> int:
    """The smallest n >= 1 with anchor + n x interval > after."""
    times = _estimate(anchor, interval, after)
    while times > 1 and interval.after(anchor, times - 1) > after:
        times -= 1
    while interval.after(anchor, times) <= after:
        times += 1
    return times


def _multiple_nearest(anchor: date, interval: Duration, today: date) -> int:
    """The n >= 1 whose date is nearest today (the earlier on a tie)."""
    first_after = _first_multiple_after(anchor, interval, today)
    candidates = [n for n in (first_after - 1, first_after) if n >= 1]
    return min(
        candidates,
        key=lambda n: (abs((interval.after(anchor, n) - today).days), n),
    )


def _renewal_first(state: CustomerState, settings: Settings, today: date, plan: Plan) -> Plan:
    """A renewal call before a contract end comes before the ordinary cadence when sooner."""
    end = state.contract_end
    if end is None or end == state.renewal_done_for or end < today:
        return plan
    due = settings.renewal_before.before(end)
    if due <= plan.due_date:
        return Plan(due, "renewal", f"renewal: contract ends {end.isoformat()}", end)
    return plan


def _repurchase_first(
    state: CustomerState, rules: dict[str, Rule], settings: Settings, today: date, plan: Plan
) -> Plan:
    """A customer due to buy again (by the shop's purchase model, else late on their own
    rhythm) is called before the cadence would call them."""
    from followup_cli.core.rhythm import repurchase_plan

    if not state.purchase_gaps and state.model_next is None:
        return plan
    late = repurchase_plan(state, effective_interval(state.tier, rules), settings, today)
    return late if late is not None and late.due_date < plan.due_date else plan


def _occasion_in(state: CustomerState, settings: Settings, today: date, plan: Plan) -> Plan:
    """Birthdays, anniversaries and the owner's dates: alone, or merged within a week."""
    if not state.dated_fields and settings.anniversary_before is None:
        return plan
    from followup_cli.core.rhythm import with_occasion

    return with_occasion(plan, state, settings, today)


def _respect_min_gap(plan: Plan, state: CustomerState, settings: Settings) -> Plan:
    if state.last_contact is None:
        return plan
    earliest = settings.min_gap.after(state.last_contact)
    if plan.due_date < earliest:
        return replace(plan, due_date=earliest, reason=plan.reason + " (moved: minimum gap)")
    return plan


def plan_check_back(on: date, settings: Settings, is_closed: ClosedDay = never_closed) -> Plan:
    """After a complaint: call back to confirm the customer is now satisfied (回访确认满意)."""
    plan = Plan(settings.check_back.after(on), "check-back", "check-back after complaint", on)
    return _on_open_day(plan, is_closed)


def after_no_answer(
    attempts: int, on: date, settings: Settings, is_closed: ClosedDay = never_closed
) -> date | None:
    """The day a no-answer follow-up shows again, or None when it is now missed."""
    if attempts >= settings.max_attempts:
        return None
    return next_open_day(settings.retry_after.after(on), is_closed)


def effective_interval(tier: str, rules: dict[str, Rule]) -> Duration | None:
    """The repeat interval a tier settles into (a new customer's is the tier it becomes)."""
    rule = rules.get(tier)
    seen = set()
    while rule is not None and rule.tier not in seen:
        if rule.interval is not None:
            return rule.interval
        seen.add(rule.tier)
        rule = rules.get(rule.then or "")
    return None


def is_at_risk(tier: str, last_activity: date, today: date, rules: dict[str, Rule]) -> bool:
    """Churn risk: silent for longer than twice the tier's interval."""
    interval = effective_interval(tier, rules)
    return interval is not None and interval.after(last_activity, 2) < today


def spread_backlog(
    items: list[tuple[int, date]],
    load: dict[date, int],
    start: date,
    days: int,
    capacity: int,
    is_closed: ClosedDay = never_closed,
) -> dict[int, date]:
    """New show dates for backlog items (already in priority order) within a daily capacity.

    `load` holds what is already planned on each day. Items that do not fit stay where they
    are (absent from the result).
    """
    open_days = [
        day for day in (start + timedelta(days=n) for n in range(days)) if not is_closed(day)
    ]
    moved: dict[int, date] = {}
    used = {day: load.get(day, 0) for day in open_days}
    position = 0
    for item_id, _due in items:
        while position < len(open_days) and used[open_days[position]] >= capacity:
            position += 1
        if position == len(open_days):
            break
        day = open_days[position]
        used[day] += 1
        moved[item_id] = day
    return moved


def fill_days(open_days: list[date], load: dict[date, int], capacity: int) -> Iterator[date]:
    """The day of each next item of a backlog in priority order, as `spread_backlog` places
    them (each open day filled up to the capacity, what is planned on it counted), without
    holding the items: a million-customer first import spreads in constant memory."""
    for day in open_days:
        for _slot in range(capacity - load.get(day, 0)):
            yield day


def validate_rules(rules: dict[str, Rule]) -> None:
    """Every tier must be plannable: its chain of follow-on tiers ends in a repeat interval."""
    for rule in rules.values():
        seen = {rule.tier}
        current = rule
        while current.interval is None:
            if current.then is None or current.then in seen:
                raise RuleError(
                    _(
                        "tier {tier!r} would run out of follow-ups: give it a repeat interval "
                        "or a tier to follow that has one"
                    ).format(tier=rule.tier)
                )
            current = _rule_for(current.then, rules)
            seen.add(current.tier)
