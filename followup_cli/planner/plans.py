"""The owner's control over the plan: rules, options, snooze, assign, opt-out, backlog, calendar."""

from __future__ import annotations

import json
import re
import sqlite3
from array import array
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from followup_cli import storage
from followup_cli.commands.service import Scheduler, _now, replan, resolve_customer
from followup_cli.core.dates import Duration, optional_date
from followup_cli.core.models import ANCHORS, DEFAULT_RULES, CustomerState, Plan, Rule, Settings
from followup_cli.core.schedule import (
    RuleError,
    chain_anchors,
    closed_day_checker,
    effective_interval,
    fill_days,
    first_plan_key,
    next_open_day,
    spread_backlog,
    validate_rules,
)
from followup_cli.errors import FollowupError
from followup_cli.i18n import _


def rules_view(conn: sqlite3.Connection) -> dict[str, Any]:
    rules = storage.load_rules(conn)
    settings = storage.load_settings(conn)
    return {
        "rules": [_rule_dict(rule) for rule in sorted(rules.values(), key=lambda r: r.rank)],
        "options": {
            name: Settings.format_value(getattr(settings, name))
            for name in Settings.__dataclass_fields__
        },
    }


def _rule_dict(rule: Rule) -> dict[str, Any]:
    return {
        "tier": rule.tier,
        "steps": ",".join(str(s) for s in rule.steps),
        "every": str(rule.interval) if rule.interval else "",
        "anchor": rule.anchor,
        "then": rule.then or "",
        "grace": str(rule.grace),
        "rank": rule.rank,
        "describe": rule.describe(),
    }


def set_rule(
    conn: sqlite3.Connection,
    tier: str,
    today: date,
    *,
    steps: str | None = None,
    every: str | None = None,
    anchor: str | None = None,
    then: str | None = None,
    grace: str | None = None,
    rank: int | None = None,
) -> dict[str, Any]:
    """Change (or add) a tier's rule, then re-plan its customers' unstarted follow-ups."""
    tier = tier.strip().lower()
    if not tier or not tier.replace("-", "").replace("_", "").isalnum():
        raise FollowupError(
            _("tier name {tier!r} must be letters, digits, - or _").format(tier=tier)
        )
    with storage.transaction(conn):
        rules = storage.load_rules(conn)
        current = rules.get(tier, Rule(tier, rank=50 + 10 * len(rules)))
        if tier not in rules and not (every or then):
            raise FollowupError(_("new tier {tier!r} needs --every or --then").format(tier=tier))
        changed = current
        if steps is not None:
            parsed = tuple(Duration.parse(s) for s in re.split("[,，、]", steps) if s.strip())
            changed = replace(changed, steps=parsed)
        if every is not None:
            no_repeat = every.strip().lower() in ("", "none", "-", "无", "不重复")
            interval = None if no_repeat else Duration.parse(every)
            changed = replace(changed, interval=interval)
        if anchor is not None:
            if anchor not in ANCHORS:
                raise FollowupError(
                    _("anchor {anchor!r} is not one of {choices}").format(
                        anchor=anchor, choices=", ".join(ANCHORS)
                    )
                )
            changed = replace(changed, anchor=anchor)
        if then is not None:
            follower = then.strip().lower() or None
            if follower in ("none", "-"):
                follower = None
            if follower is not None and follower not in rules and follower != tier:
                raise FollowupError(_("unknown tier {then!r} to follow").format(then=then))
            changed = replace(changed, then=follower)
        if grace is not None:
            changed = replace(changed, grace=Duration.parse(grace))
        if rank is not None:
            changed = replace(changed, rank=rank)
        updated = {**rules, tier: changed}
        try:
            validate_rules(updated)
        except RuleError as exc:
            raise FollowupError(str(exc)) from None
        storage.save_rules(conn, updated.values())
        replanned = _replan_tiers(conn, _tiers_following(tier, updated), today)
    return {"rule": _rule_dict(changed), "replanned": replanned}


def _tiers_following(tier: str, rules: dict[str, Rule]) -> set[str]:
    """The tier and every tier whose chain of `then` passes through it."""
    touched = {tier}
    for rule in rules.values():
        current, seen = rule, set()
        while current is not None and current.tier not in seen:
            if current.tier == tier:
                touched.add(rule.tier)
                break
            seen.add(current.tier)
            current = rules.get(current.then or "")
    return touched


def _replan_tiers(conn: sqlite3.Connection, tiers: set[str] | None, today: date) -> int:
    ids = storage.customers_with_unstarted_followups(conn, tiers)
    storage.drop_unstarted_followups(conn, ids)
    return replan(conn, ids, today)


def reset_rules(conn: sqlite3.Connection, today: date) -> dict[str, Any]:
    with storage.transaction(conn):
        defaults = {rule.tier for rule in DEFAULT_RULES}
        stranded = storage.customers_in_other_tiers(conn, defaults)
        if stranded:
            listing = ", ".join(f"{tier} ({n})" for tier, n in stranded)
            raise FollowupError(
                _(
                    "customers are in tiers the defaults do not have: {listing}; "
                    "move them to another tier first"
                ).format(listing=listing)
            )
        storage.save_rules(conn, DEFAULT_RULES)
        options = _reset_options(conn)
        replanned = _replan_tiers(conn, None, today)
    return {"replanned": replanned, "options": options}


def _reset_options(conn: sqlite3.Connection) -> dict[str, dict[str, str]]:
    """The shop options back to a new shop's too (phone region, gaps, capacity, closed days):
    what each changed option was and now is."""
    current, defaults = storage.load_settings(conn), Settings()
    changed = {}
    for name in Settings.__dataclass_fields__:
        was, default = getattr(current, name), getattr(defaults, name)
        if was != default:
            changed[name] = {
                "was": Settings.format_value(was),
                "now": Settings.format_value(default),
            }
        storage.save_setting(conn, name, default)
    return changed


# Options of purchases-driven planning that move dates (rhythm.py).
PLAN_OPTIONS = (
    "repurchase",
    "repurchase_margin",
    "birthday_before",
    "anniversary_before",
    "date_fields",
)


def set_option(conn: sqlite3.Connection, name: str, text: str, today: date) -> dict[str, Any]:
    """Change a shop-wide option; options that move dates re-plan unstarted follow-ups."""
    name = name.strip().lower().replace("-", "_")
    try:
        value = Settings.parse_value(name, text)
    except ValueError as exc:
        raise FollowupError(str(exc)) from None
    if name == "holidays" and value:
        try:
            closed_day_checker(Settings(holidays=str(value)))
        except RuleError as exc:
            raise FollowupError(str(exc)) from None
    with storage.transaction(conn):
        storage.save_setting(conn, name, value)
        moves_dates = name in (
            "min_gap",
            "renewal_before",
            "closed_weekdays",
            "holidays",
            *PLAN_OPTIONS,
        )
        replanned = _replan_tiers(conn, None, today) if moves_dates else 0
    return {"option": name, "value": Settings.format_value(value), "replanned": replanned}


# --- one customer --------------------------------------------------------------------------------


def parse_until(text: str, today: date) -> date:
    """A day (2026-11-05, 11月5日 = the next such day, 明天), or a time from today: 3d, +2w,
    3天, 1个月, 半年. A value that is neither is a usage error naming both kinds."""
    from followup_cli.core.dates import LATEST, UnreadableDate, parse_day, reads_as_duration
    from followup_cli.errors import EXIT_USAGE

    word = text.strip()
    if word.startswith("+") or reads_as_duration(word):
        try:
            until = Duration.parse(word.removeprefix("+")).after(today)
        except FollowupError as exc:
            raise FollowupError(exc.format_message(), EXIT_USAGE) from None
        return parse_day(until.isoformat(), "--until") if until > LATEST else until
    try:
        return parse_day(word, "--until", today, ahead=True)
    except UnreadableDate:
        raise FollowupError(
            _(
                "--until {text!r} is neither a day (2026-11-05, 11月5日, 明天) nor a time from "
                "today (3d, 2w, 1m, 3天, 2周, 1个月, 半年)"
            ).format(text=text),
            EXIT_USAGE,
        ) from None


def snooze(conn: sqlite3.Connection, key: str, until: date, today: date, note: str | None):
    """Postpone the open follow-up; it keeps its due date for the numbers and is not a miss."""
    if until <= today:
        raise FollowupError(
            _("--until {until} is not after {today}: snooze to a later day").format(
                until=until, today=today
            )
        )
    with storage.transaction(conn):
        customer = resolve_customer(conn, key)
        followup = storage.open_followup(conn, customer.id)
        if followup is None:
            raise FollowupError(
                _("customer {ref} has no open follow-up to snooze").format(ref=customer.ref)
            )
        if until <= date.fromisoformat(followup["due_date"]):
            raise FollowupError(
                _("{ref}'s follow-up is not due until {due_date}: snooze to a later day").format(
                    ref=customer.ref, due_date=followup["due_date"]
                )
            )
        scheduler = Scheduler.load(conn)
        day = next_open_day(until, scheduler.is_closed)
        storage.move_followup(conn, followup["id"], day)
        contact_id = storage.insert_contact(
            conn,
            {
                "customer_id": customer.id,
                "followup_id": followup["id"],
                "date": today.isoformat(),
                "outcome": "snoozed",
                "note": note or f"until {day.isoformat()}",
                "owner": customer.owner,
                "logged_at": _now(),
            },
        )
        # What undo_snooze needs to put the follow-up back, kept beside a log's own record.
        moved = {"followup_id": followup["id"], "was": followup["show_date"], "to": day.isoformat()}
        storage.save_log_undo(conn, contact_id, customer.id, json.dumps(moved))
    return {
        "customer_id": customer.ref,
        "name": customer.name,
        "until": day.isoformat(),
        "contact_id": contact_id,
    }


def undo_snooze(conn: sqlite3.Connection, contact_id: int) -> dict[str, Any]:
    """Take back a snooze: the follow-up shows again on the day it showed before, as it was.

    Refused once something happened to that customer after the snooze (a contact, another
    snooze) or the follow-up was re-planned, so a later fact is never silently undone.
    """
    with storage.transaction(conn):
        contact = storage.get_contact(conn, contact_id)
        record = storage.log_undo_changes(conn, contact_id) if contact else None
        if contact is None or contact["outcome"] != "snoozed" or record is None:
            raise FollowupError(
                _("No snooze {contact_id} that can be taken back.").format(contact_id=contact_id)
            )
        moved = json.loads(record)
        customer = storage.get_customer(conn, contact["customer_id"])
        followup = storage.open_followup(conn, customer.id)
        later = storage.contact_after(conn, customer.id, contact_id)
        if (
            later is not None
            or followup is None
            or followup["id"] != moved["followup_id"]
            or followup["show_date"] != moved["to"]
        ):
            raise FollowupError(
                _(
                    "Cannot take back the snooze of {ref}: the follow-up was logged, moved or "
                    "re-planned since."
                ).format(ref=customer.ref)
            )
        storage.move_followup(conn, followup["id"], date.fromisoformat(moved["was"]))
        storage.delete_contact(conn, contact_id)
    return {
        "customer_id": customer.ref,
        "name": customer.name,
        "show_date": moved["was"],
        "was_until": moved["to"],
    }


def assign(
    conn: sqlite3.Connection, key: str, owner: str, today: date | None = None
) -> dict[str, Any]:
    owner = owner.strip()
    if not owner:
        raise FollowupError(_("--owner must not be empty"))
    with storage.transaction(conn):
        customer = resolve_customer(conn, key)
        storage.update_customer(conn, customer.id, {"owner": owner}, _now())
        if owner != customer.owner:  # kept for the customer's timeline in `show`
            storage.record_customer_changes(
                conn,
                customer.id,
                today or date.today(),
                [("owner", customer.owner, owner)],
                "assign",
                _now(),
            )
    return {"customer_id": customer.ref, "name": customer.name, "owner": owner}


def set_opt_out(conn: sqlite3.Connection, key: str, opted_out: bool, today: date):
    """Do-not-contact on or off; off plans the next follow-up again."""
    with storage.transaction(conn):
        customer = resolve_customer(conn, key)
        storage.update_customer(conn, customer.id, {"do_not_contact": int(opted_out)}, _now())
        if opted_out:
            storage.cancel_open_followup(conn, customer.id)
        else:
            replan(conn, [customer.id], today)
        upcoming = storage.open_followup(conn, customer.id)
    return {
        "customer_id": customer.ref,
        "name": customer.name,
        "do_not_contact": opted_out,
        "next_due": upcoming["show_date"] if upcoming else None,
    }


# --- the plan as a whole ---------------------------------------------------------------------


def spread(
    conn: sqlite3.Connection, today: date, days: int, capacity: int | None
) -> dict[str, Any]:
    """Re-plan today's backlog across the next open days, most important first."""
    from followup_cli.commands.service import due_list

    with storage.transaction(conn):
        scheduler = Scheduler.load(conn)
        capacity = capacity or scheduler.settings.daily_capacity
        items = due_list(conn, today)
        movable = [i for i in items if i.kind != "check-back"]
        fixed = len(items) - len(movable)
        ids = storage.open_followup_ids(conn, [i.customer_id for i in movable])
        end = today + timedelta(days=days)
        load = storage.load_per_day(conn, today + timedelta(days=1), end)
        load[today] = fixed
        order = [(ids[i.customer_id], date.fromisoformat(i.due_date)) for i in movable]
        moved = spread_backlog(order, load, today, days, capacity, scheduler.is_closed)
        changed = {fid: day for fid, day in moved.items() if day != today}
        for followup_id, day in changed.items():
            storage.move_followup(conn, followup_id, day)
    per_day: dict[str, int] = {}
    for day in moved.values():
        per_day[day.isoformat()] = per_day.get(day.isoformat(), 0) + 1
    return {
        "backlog": len(movable),
        "kept_today": len(moved) - len(changed),
        "moved": len(changed),
        "not_placed": len(movable) - len(moved),
        "capacity": capacity,
        "per_day": per_day,
    }


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
        self.plans: dict[tuple, Plan | None] = {}
        self.texts: dict[tuple, tuple[str | None, str | None, str | None, str | None]] = {}
        self.date_texts: dict[tuple, tuple[str | None, str | None, str | None, str | None]] = {}

    def plan(
        self,
        tier: str,
        added: str,
        first_purchase: str | None,
        last_purchase: str | None,
        contract_end: str | None,
    ) -> Plan | None:
        """The plan for a new customer, from their stored (ISO text) fields."""
        key = self._key(tier, added, first_purchase, last_purchase, contract_end)
        try:
            return self.plans[key]
        except KeyError:
            pass
        plan = self._make(tier, added, first_purchase, last_purchase, contract_end)
        return self._remember(self.plans, key, plan)

    def stored(
        self,
        tier: str,
        added: str,
        first_purchase: str | None,
        last_purchase: str | None,
        contract_end: str | None,
    ) -> tuple[str | None, str | None, str | None, str | None]:
        """`plan` as the follow-up's stored text: (kind, reason, anchor, due date), all None
        when the customer is not to be called."""
        key = self._key(tier, added, first_purchase, last_purchase, contract_end)
        try:
            return self.texts[key]
        except KeyError:
            pass
        plan = self._make(tier, added, first_purchase, last_purchase, contract_end)
        text = (
            (None, None, None, None)
            if plan is None
            else (
                plan.kind,
                plan.reason,
                plan.anchor and plan.anchor.isoformat(),
                plan.due_date.isoformat(),
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
    ) -> tuple[str | None, str | None, str | None, str | None] | None:
        """`stored`, from dates as a row's reading gives them: a row whose plan is known
        costs no date-to-text work. With `half`, a plan not made yet is made only if its
        key falls in this process's half (None: left to the other process, which plans
        the other half: each makes about half of the distinct plans)."""
        key = self._key(tier, added, first_purchase, last_purchase, contract_end)
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
    ) -> tuple:
        anchors = self.anchors.get(tier)
        if anchors is None:
            anchors = self.anchors[tier] = chain_anchors(tier, self.scheduler.rules)
        return first_plan_key(
            tier, added, first_purchase, last_purchase, contract_end, anchors, self.anniversary
        )

    def _make(
        self,
        tier: str,
        added: str,
        first_purchase: str | None,
        last_purchase: str | None,
        contract_end: str | None,
    ) -> Plan | None:
        state = CustomerState(
            tier=tier,
            added=date.fromisoformat(added),
            first_purchase=optional_date(first_purchase),
            last_purchase=optional_date(last_purchase),
            contract_end=optional_date(contract_end),
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


def upcoming(
    conn: sqlite3.Connection, today: date, days: int, branches: list[str] | None = None
) -> list[dict[str, Any]]:
    """The coming days' calls grouped by day, with the load per day (one branch's, given its
    stored spellings)."""
    end = today + timedelta(days=days - 1)
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in storage.planned_between(conn, today, end):
        if branches is not None and row["branch"] not in branches:
            continue
        groups.setdefault(row["show_date"], []).append(dict(row))
    return [
        {"date": day, "count": len(items), "items": items} for day, items in sorted(groups.items())
    ]


def at_risk(conn: sqlite3.Connection, today: date) -> list[dict[str, Any]]:
    """Active customers at churn risk by the definition in force: silent for longer than twice
    their tier's interval (or twice their own typical gap, under the rhythm definition)."""
    from followup_cli.planner.winback import WinBackQueue

    rules = storage.load_rules(conn)
    queue = WinBackQueue.load(conn, rules, today)
    rows = list(storage.activity_of_active_customers(conn))
    queue.prepare(conn, rows)
    found = []
    for row in rows:
        interval = effective_interval(row["tier"], rules)
        last = date.fromisoformat(row["last_activity"])
        if queue.at_risk(row["ref"], row["tier"], last):
            own = queue.own_risk.get(row["ref"])
            found.append(
                {
                    "customer_id": row["ref"],
                    "name": row["name"],
                    "phone": row["phone"],
                    "tier": row["tier"],
                    "owner": row["owner"],
                    "last_activity": row["last_activity"],
                    "silent_days": (today - last).days,
                    "interval": str(interval) if own is None else f"{own}d (own rhythm x 2)",
                    "branch": row["branch"],
                }
            )
    found.sort(key=lambda r: (-r["silent_days"], r["customer_id"]))
    return found


def due_export(
    conn: sqlite3.Connection, today: date, days: int, branches: list[str] | None = None
) -> list[dict[str, Any]]:
    """Open follow-ups showing up to `days` ahead (overdue included), for a file or calendar
    (one branch's, given its stored spellings)."""
    end = today + timedelta(days=days - 1)
    return [
        dict(row)
        for row in storage.planned_between(conn, None, end)
        if branches is None or row["branch"] in branches
    ]


def to_ics(rows: list[dict[str, Any]], today: date) -> bytes:
    """All-day events, one per planned call, that a phone calendar can subscribe to."""
    from icalendar import Calendar, Event

    from followup_cli import wording

    calendar = Calendar()
    calendar.add("prodid", "-//followup//customer follow-ups//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("Follow-ups"))
    for row in rows:
        day = max(date.fromisoformat(row["show_date"]), today)
        event = Event()
        event.add("uid", f"followup-{row['followup_id']}@followup")
        event.add("dtstamp", _stamp())
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add(
            "summary",
            _("Call {name} ({tier})").format(name=row["name"], tier=wording.tier(row["tier"])),
        )
        details = [
            wording.reason(row["reason"]),
            _("phone: {phone}").format(phone=row["phone"] or "-"),
            _("due: {due_date}").format(due_date=row["due_date"]),
        ]
        if row["last_note"]:
            details.append(_("last note: {last_note}").format(last_note=row["last_note"]))
        event.add("description", "\n".join(details))
        calendar.add_component(event)
    return calendar.to_ical()


def _stamp():
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(microsecond=0)
