"""First plans of an import's new customers, and the spread of a first import's backlog.

A till's export repeats tiers and purchase days: `FirstPlans` plans each distinct set of inputs
once. A long-neglected list's first import (or a shop's first purchases) would put thousands of
calls on day one: they are spread over the coming open days at the daily capacity, most
important first, each keeping its due date for the numbers.
"""

from __future__ import annotations

import sqlite3
from array import array
from datetime import date, timedelta
from typing import Any

from followup_cli import storage
from followup_cli.core.dates import optional_date
from followup_cli.core.models import CustomerState, Plan, Settings
from followup_cli.core.purchase_model import value_order
from followup_cli.core.rhythm import field_key, occasion_keys
from followup_cli.core.schedule import chain_anchors, closed_day_checker, fill_days, first_plan_key
from followup_cli.planner.replan import Scheduler

Occasions = tuple[tuple[str, str], ...]  # (field name, its text): what a date trigger reads
# A first follow-up as stored: kind, reason, anchor, due date, occasion, the day it covers.
PlanText = tuple[str | None, str | None, str | None, str | None, str | None, str | None]


class FirstPlans:
    """First follow-ups of the customers an import adds (no history yet), each distinct set
    of inputs planned once: a till's export repeats tiers and purchase days, and customers
    who share them get the same plan (see `schedule.first_plan_key`)."""

    CACHED = 50_000  # plans kept; memory stays flat on a file of a million customers

    def __init__(self, scheduler: Scheduler, today: date) -> None:
        self.scheduler = scheduler
        self.today = today
        self.anniversary = scheduler.settings.anniversary_before is not None
        self.anchors: dict[str, tuple[str, ...]] = {}
        self.texts: dict[tuple, PlanText] = {}
        self.date_texts: dict[tuple, PlanText] = {}
        self.occasion_keys = occasion_keys(scheduler.settings)  # 生日, the shop's date columns

    def occasions_of(self, extra: dict[str, str] | None) -> Occasions:
        """The cells of a new customer's other fields that a first plan reads: a birthday,
        the shop's date columns. Planned here, in the import's one pass, not afterwards."""
        if not extra or not self.occasion_keys:
            return ()
        keys = self.occasion_keys
        return tuple(
            (name, str(text)) for name, text in extra.items() if text and field_key(name) in keys
        )

    def stored(
        self,
        tier: str,
        added: str,
        first_purchase: str | None,
        last_purchase: str | None,
        contract_end: str | None,
        occasions: Occasions = (),
    ) -> PlanText:
        """A new customer's first plan, from their stored (ISO text) fields, as the
        follow-up's stored text (see PlanText); all None when they are not to be called."""
        key = self._key(tier, added, first_purchase, last_purchase, contract_end, occasions)
        try:
            return self.texts[key]
        except KeyError:
            pass
        plan = self._make(tier, added, first_purchase, last_purchase, contract_end, occasions)
        text = (
            (None, None, None, None, None, None)
            if plan is None
            else (
                plan.kind,
                plan.reason,
                plan.anchor and plan.anchor.isoformat(),
                plan.due_date.isoformat(),
                plan.occasion,
                plan.covers_due and plan.covers_due.isoformat(),
            )
        )
        return self._remember(self.texts, key, text)

    def stored_for_dates(
        self,
        tier: str,
        added: date,
        first_purchase: date | None,
        last_purchase: date | None,
        contract_end: date | None,
        half: bool = False,
        occasions: Occasions = (),
    ) -> PlanText | None:
        """`stored`, from dates as a row's reading gives them: a row whose plan is known
        costs no date-to-text work. With `half`, a plan not made yet is made only if its
        key falls in this process's half (None: left to the other process, which plans
        the other half: each makes about half of the distinct plans)."""
        key = self._key(tier, added, first_purchase, last_purchase, contract_end, occasions)
        try:
            return self.date_texts[key]
        except KeyError:
            if half and hash(key) & 1:
                return None
        text = self.stored(
            tier,
            added.isoformat(),
            first_purchase and first_purchase.isoformat(),
            last_purchase and last_purchase.isoformat(),
            contract_end and contract_end.isoformat(),
            occasions,
        )
        return self._remember(self.date_texts, key, text)

    def _remember(self, cache: dict[tuple, Any], key: tuple, value: Any) -> Any:
        """`value`, kept under `key`; a full cache starts again (memory stays flat)."""
        if len(cache) >= self.CACHED:
            cache.clear()
        cache[key] = value
        return value

    def _key(
        self,
        tier: str,
        added: str,
        first_purchase: str | None,
        last_purchase: str | None,
        contract_end: str | None,
        occasions: Occasions = (),
    ) -> tuple:
        anchors = self.anchors.get(tier)
        if anchors is None:
            anchors = self.anchors[tier] = chain_anchors(tier, self.scheduler.rules)
        key = first_plan_key(
            tier, added, first_purchase, last_purchase, contract_end, anchors, self.anniversary
        )
        return (*key, occasions) if occasions else key

    def _make(
        self,
        tier: str,
        added: str,
        first_purchase: str | None,
        last_purchase: str | None,
        contract_end: str | None,
        occasions: Occasions = (),
    ) -> Plan | None:
        state = CustomerState(
            tier=tier,
            added=date.fromisoformat(added),
            first_purchase=optional_date(first_purchase),
            last_purchase=optional_date(last_purchase),
            contract_end=optional_date(contract_end),
            dated_fields=occasions,
        )
        return self.scheduler.next_for(state, self.today)


def spread_first_import(
    conn: sqlite3.Connection, today: date, added: int, spooled: bool = False
) -> dict[str, Any] | None:
    """The first import of a long-neglected list would put thousands on day one: when its
    overdue calls alone are more than a day's capacity, what falls due now is spread over the
    coming open days up to the daily capacity, most important first, as `plan --spread` does
    (each keeps its due date for the numbers). Runs inside the import's transaction; returns
    what it did, or None when the list was not neglected (a normal day's work stays).

    With `spooled`, the new customers still wait in the import's temporary table: the days
    are worked out from counts and SQLite places the follow-ups by their position in the
    order, so they are written once, on their days. Otherwise the written follow-ups are
    moved, their ids held in an array: memory stays small for a million customers."""
    if not added or storage.customer_count(conn) != (0 if spooled else added):
        return None  # customers were there before: not a first import
    settings = storage.load_settings(conn)
    capacity = settings.daily_capacity
    overdue = storage.spooled_overdue_count if spooled else storage.overdue_count
    if overdue(conn, today) <= capacity:
        return None
    if spooled:
        order = None
        backlog = storage.spooled_due_count(conn, today)
    else:
        order = array("q", storage.iter_due_followup_ids(conn, today))
        backlog = len(order)
    load_per_day = storage.spooled_load_per_day if spooled else storage.load_per_day
    open_days, load = _room_for(conn, today, backlog, settings, load_per_day)
    if order is None:
        return _spread_spooled(conn, today, backlog, open_days, load, capacity)
    kept = moved = 0
    days_used: set[date] = set()
    batch: dict[int, date] = {}
    for followup_id, day in zip(order, fill_days(open_days, load, capacity), strict=False):
        days_used.add(day)
        if day == today:
            kept += 1
            continue
        moved += 1
        batch[followup_id] = day
        if len(batch) >= 10_000:
            storage.move_followups(conn, batch)
            batch = {}
    storage.move_followups(conn, batch)
    return {
        "backlog": backlog,
        "kept_today": kept,
        "moved": moved,
        "open_days": len(days_used),
        "last_day": max(days_used).isoformat(),
        "capacity": capacity,
    }


def _room_for(
    conn: sqlite3.Connection, today: date, backlog: int, settings: Settings, load_per_day: Any
) -> tuple[list[date], dict[date, int]]:
    """The open days from today with room for `backlog` calls at the daily capacity, beside
    what is already planned on them."""
    capacity = settings.daily_capacity
    is_closed = closed_day_checker(settings)
    days = 2 * (backlog // capacity + 1) + 31
    while True:
        load = load_per_day(conn, today + timedelta(days=1), today + timedelta(days=days))
        open_days = [
            day for day in (today + timedelta(days=n) for n in range(days)) if not is_closed(day)
        ]
        room = sum(max(0, capacity - load.get(day, 0)) for day in open_days)
        if room >= backlog or days > 366 * 50:
            return open_days, load
        days *= 2


def spread_first_purchases(conn: sqlite3.Connection, today: date) -> dict[str, Any] | None:
    """The shop's first purchases re-plan its customers from their purchase dates, which can
    put thousands of calls due before the import day. Every call due by today is placed on
    today or a later open day, at most the daily capacity a day, most important first, and is
    dated that day: nothing is planned before the import day. Returns what it did when some
    calls had to wait for later days (else None: today holds them all)."""
    order = array("q", storage.iter_due_followup_ids(conn, today))
    if not order:
        return None
    settings = storage.load_settings(conn)
    open_days, load = _room_for(conn, today, len(order), settings, storage.load_per_day)
    placed = dict(zip(order, fill_days(open_days, load, settings.daily_capacity), strict=False))
    storage.redate_followups(conn, placed)
    days_used = set(placed.values())
    kept = sum(1 for day in placed.values() if day == today)
    if kept == len(placed):
        return None
    return {
        "backlog": len(order),
        "kept_today": kept,
        "moved": len(placed) - kept,
        "open_days": len(days_used),
        "last_day": max(days_used).isoformat(),
        "capacity": settings.daily_capacity,
        "after": "purchases",
    }


def order_spread_by_value(conn: sqlite3.Connection, today: date, spread: dict[str, Any]) -> int:
    """After the purchase model has scored a shop's first purchases: over the days their
    backlog was spread on, the cadence and repurchase calls change places so that the most
    spend at stake comes first, each day holding as many calls as before (steps, check-backs
    and dated occasions stay on their days). Returns how many calls moved."""
    rows = storage.spread_calls_by_value(conn, today, date.fromisoformat(spread["last_day"]))
    days = [show for _id, show, _spend, _purchases in rows]  # in order, as the spread filled
    ranked = sorted(rows, key=lambda row: (*value_order(row[2], row[3]), row[1], row[0]))
    placed = {
        followup_id: date.fromisoformat(day)
        for (followup_id, show, _s, _p), day in zip(ranked, days, strict=True)
        if show != day
    }
    storage.redate_followups(conn, placed)
    return len(placed)


def _spread_spooled(
    conn: sqlite3.Connection,
    today: date,
    backlog: int,
    open_days: list[date],
    load: dict[date, int],
    capacity: int,
) -> dict[str, Any]:
    """The days `fill_days` gives, as ranges of positions in today's order."""
    ranges: list[tuple[int, int, date]] = []
    position = kept = used = 0
    last = today
    for day in open_days:
        if position >= backlog:
            break
        room = min(capacity - load.get(day, 0), backlog - position)
        if room <= 0:
            continue
        if day == today:
            kept = room
        else:
            ranges.append((position, position + room - 1, day))
        position += room
        used += 1
        last = day
    storage.spool_show_by_position(conn, today, ranges)
    return {
        "backlog": backlog,
        "kept_today": kept,
        "moved": position - kept,
        "open_days": used,
        "last_day": last.isoformat(),
        "capacity": capacity,
    }
