"""The scheduling engine on hand-worked dates: no database, no terminal."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followup_cli.core.dates import Duration
from followup_cli.core.models import DEFAULT_RULES, CustomerState, Rule, Settings
from followup_cli.core.schedule import RuleError, plan_check_back, plan_next, validate_rules

RULES = {r.tier: r for r in DEFAULT_RULES}
SETTINGS = Settings()


def plan(today: date, **state):
    return plan_next(CustomerState(**state), RULES, SETTINGS, today)


def test_vip_reached_on_31_january_is_due_on_the_last_day_of_february():
    reached = date(2025, 1, 31)
    p = plan(
        reached,
        tier="vip",
        added=date(2020, 1, 1),
        last_success=reached,
        last_contact=reached,
        previous_due=date(2025, 1, 31),
    )
    assert p.due_date == date(2025, 2, 28)
    leap = date(2024, 1, 31)
    p = plan(
        leap,
        tier="vip",
        added=date(2020, 1, 1),
        last_success=leap,
        last_contact=leap,
        previous_due=leap,
    )
    assert p.due_date == date(2024, 2, 29)


def test_new_customer_steps_count_from_the_first_purchase_not_from_each_other():
    first = date(2025, 1, 31)
    state = dict(tier="new", added=first, first_purchase=first)
    # fresh: 7 days after the purchase
    assert plan(first, **state).due_date == date(2025, 2, 7)
    # after the 1-week call: 31 Jan + 1 month = 28 Feb
    assert plan(date(2025, 2, 7), **state, previous_due=date(2025, 2, 7)).due_date == date(
        2025, 2, 28
    )
    # after the 1-month call: 31 Jan + 3 months = 30 Apr (not 28 Feb + 2 months = 28 Apr)
    p = plan(date(2025, 2, 28), **state, previous_due=date(2025, 2, 28))
    assert (p.due_date, p.kind) == (date(2025, 4, 30), "step")


def test_after_the_last_step_a_new_customer_follows_the_regular_cadence():
    first = date(2025, 1, 31)
    p = plan(
        date(2025, 4, 30),
        tier="new",
        added=first,
        first_purchase=first,
        previous_due=date(2025, 4, 30),
        last_success=date(2025, 5, 2),
        last_contact=date(2025, 5, 2),
    )
    assert (p.due_date, p.kind, p.reason) == (
        date(2025, 8, 2),
        "cadence",
        "every 3 months",
    )


def test_a_missed_follow_up_moves_the_cadence_on_from_the_same_anchor():
    # regular, never reached, last purchase 10 Jan: due 10 Apr; missed -> 10 Jul
    p = plan(
        date(2025, 4, 14),
        tier="regular",
        added=date(2024, 1, 1),
        last_purchase=date(2025, 1, 10),
        previous_due=date(2025, 4, 10),
        last_contact=date(2025, 4, 14),
    )
    assert p.due_date == date(2025, 7, 10)


def test_fresh_import_plans_the_cadence_date_nearest_today():
    # regular last bought 30 May 2025: 30 Aug is 85 days back, 30 Nov 7 days ahead
    p = plan(
        date(2025, 11, 23), tier="regular", added=date(2020, 1, 1), last_purchase=date(2025, 5, 30)
    )
    assert p.due_date == date(2025, 11, 30)
    # regular last bought 10 Aug: 10 Nov is 13 days back, 10 Feb far ahead
    p = plan(
        date(2025, 11, 23), tier="regular", added=date(2020, 1, 1), last_purchase=date(2025, 8, 10)
    )
    assert p.due_date == date(2025, 11, 10)


def test_prospect_counts_from_the_day_added():
    p = plan(date(2025, 3, 1), tier="prospect", added=date(2025, 3, 1))
    assert p.due_date == date(2025, 3, 15)


def test_minimum_gap_after_the_last_contact():
    # a VIP touched on 10 Mar whose cadence says 11 Mar is moved to 13 Mar (3-day gap)
    p = plan(
        date(2025, 3, 10),
        tier="vip",
        added=date(2020, 1, 1),
        last_purchase=date(2025, 2, 11),
        last_contact=date(2025, 3, 10),
        previous_due=date(2025, 2, 1),
    )
    assert p.due_date == date(2025, 3, 13)


def test_opted_out_or_churned_customers_are_never_planned():
    assert plan(date(2025, 1, 1), tier="vip", added=date(2024, 1, 1), do_not_contact=True) is None
    assert plan(date(2025, 1, 1), tier="vip", added=date(2024, 1, 1), churned=True) is None


def test_check_back_three_days_after_a_complaint():
    p = plan_check_back(date(2025, 2, 27), SETTINGS)
    assert (p.due_date, p.kind) == (date(2025, 3, 2), "check-back")


def test_renewal_call_three_months_before_the_contract_ends():
    p = plan(
        date(2025, 1, 1),
        tier="regular",
        added=date(2024, 1, 1),
        last_purchase=date(2024, 12, 1),
        contract_end=date(2025, 5, 31),
    )
    assert (p.due_date, p.kind) == (date(2025, 2, 28), "renewal")


def test_a_tier_that_follows_itself_without_interval_is_refused():
    looping = {**RULES, "loop": Rule("loop", steps=(Duration(7, "d"),), then="loop")}
    with pytest.raises(RuleError):
        validate_rules(looping)
    with pytest.raises(RuleError):
        plan(date(2025, 1, 1), tier="gold", added=date(2024, 1, 1))


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    tier=st.sampled_from(sorted(RULES)),
    added=days,
    offsets=st.lists(st.integers(0, 900), min_size=4, max_size=4),
    has=st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_the_next_due_date_is_after_the_last_contact(tier, added, offsets, has):
    first = added + timedelta(days=offsets[0]) if has[0] else None
    contact = added + timedelta(days=offsets[1])
    success = contact if has[1] else None
    previous = contact - timedelta(days=offsets[2] % 30) if has[2] else None
    state = CustomerState(
        tier=tier,
        added=added,
        first_purchase=first,
        last_purchase=first,
        last_success=success,
        last_contact=contact,
        previous_due=previous,
    )
    p = plan_next(state, RULES, SETTINGS, contact)
    assert p is not None
    assert p.due_date > contact
    if previous is not None:
        assert p.due_date > previous


@given(st.sampled_from(["7d", "2w", "1m", "3m", "1y", "2 weeks", "1 month", "14 days"]))
def test_durations_read_both_ways(text):
    d = Duration.parse(text)
    assert Duration.parse(str(d)) == d


@settings(max_examples=500, derandomize=True)
@given(start=days, months=st.integers(-600, 600))
def test_calendar_months_match_dateutil(start, months):
    from dateutil.relativedelta import relativedelta

    from followup_cli.core.dates import add_months

    assert add_months(start, months) == start + relativedelta(months=months)


@settings(max_examples=300, derandomize=True)
@given(anchor=days, span=st.integers(-100, 1500), unit=st.sampled_from("dwmy"), n=st.integers(1, 6))
def test_fresh_plan_takes_the_cadence_date_nearest_today(anchor, span, unit, n):
    from followup_cli.core.schedule import _multiple_nearest

    interval = Duration(n, unit)
    today = anchor + timedelta(days=span)
    limit = 1 + 1600 // int(interval.approx_days())
    brute = min(
        range(1, limit + 1), key=lambda k: (abs((interval.after(anchor, k) - today).days), k)
    )
    assert _multiple_nearest(anchor, interval, today) == brute
