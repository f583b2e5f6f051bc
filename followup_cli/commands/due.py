"""Today's list: the open follow-ups due by a day, most important first, and the backlog
spread over the coming days.

Read-only but for `spread`: listing changes nothing, so a cron `today` and a person logging
calls never wait on each other. `commands/morning.py` draws this list straight away.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from followup_cli import storage
from followup_cli.commands.lookup import check_owner
from followup_cli.core.dates import Duration
from followup_cli.core.models import Rule
from followup_cli.core.purchase_model import value_order
from followup_cli.core.schedule import spread_backlog
from followup_cli.planner.replan import Scheduler
from followup_cli.wording import describe_rule


@dataclass
class DueItem:
    customer_id: str
    name: str
    phone: str | None
    tier: str
    owner: str | None
    due_date: str
    days_overdue: int
    status: str  # due (today), overdue (within the grace window), late (past it)
    late_after: str
    kind: str
    reason: str
    anchor: str | None
    rule: str
    win_back: bool
    attempts: int
    last_contact: str | None
    last_outcome: str | None
    last_note: str | None
    last_purchase: str | None = None  # for the words to say (message templates)
    branch: str | None = None  # the branch of a chain the customer falls under
    expected_spend: float | None = None  # the purchase model's spend at stake, next 90 days
    expected_purchases: float | None = None  # ... and purchase days expected in them

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def due_list(
    conn: sqlite3.Connection,
    on: date,
    owner: str | None = None,
    limit: int | None = None,
    branches: Sequence[str] | None = None,
) -> list[DueItem]:
    """Open follow-ups showing on or before `on`, most important first (of the customers of
    `branches`, the stored spellings of one branch, when given).

    Check-backs after a complaint lead; then overdue before due-today; then by tier rank
    (VIP first), longest overdue first, and name. Under the purchase model (the default
    churn definition, once the shop's history is long enough) the check-backs and overdue
    first calls keep their place and the rest go by the spend at stake, and customers the
    model sees slipping join the list as win-back calls whatever their next call's date.
    Read-only: listing changes nothing.
    """
    from followup_cli.planner.winback import WinBackQueue

    rules = storage.load_rules(conn)
    queue = WinBackQueue.load(conn, rules, on)
    if queue.by_model:
        return _by_value(conn, on, owner, limit, branches, rules, queue)
    fetch = limit
    while True:
        rows = storage.due_rows(conn, on, owner, fetch, branches)
        queue.prepare(conn, rows)
        items = _due_items(rows, on, rules, queue)
        kept = queue.cap(items)
        if limit is None or len(kept) >= limit or len(rows) < (fetch or 0):
            break
        fetch = 2 * (fetch or 0)  # the cap held some back: read further down the list
    if owner is not None and not kept:
        check_owner(conn, owner)
    return kept[:limit] if limit else kept


def _by_value(
    conn: sqlite3.Connection,
    on: date,
    owner: str | None,
    limit: int | None,
    branches: Sequence[str] | None,
    rules: dict[str, Rule],
    queue: Any,
) -> list[DueItem]:
    """Today's list ordered by the purchase model: see due_list. The whole list is ordered
    from a few columns; only as many rows as the day's list shows are read whole (more when
    the win-back cap holds some back)."""
    slipping = storage.slipping_rows(conn, on, owner, queue.settings.winback_daily, branches)
    if not limit:  # the whole list: read whole at once
        rows = storage.due_rows(conn, on, owner, None, branches)
        items = _due_items(rows, on, rules, queue) + _due_items(slipping, on, rules, queue, True)
        pairs = zip(items, [*rows, *slipping], strict=True)
        ordered = sorted(pairs, key=lambda pair: _key_order(pair[1], on))
        kept = queue.cap([item for item, _row in ordered])
        if owner is not None and not kept:
            check_owner(conn, owner)
        return kept
    keys = storage.due_keys(conn, on, owner, branches)
    ranked = sorted(
        [
            *((_key_order(key, on), key["followup_id"]) for key in keys),
            *((_key_order(row, on), row) for row in slipping),
        ],
        key=lambda pair: pair[0],
    )
    kept: list[DueItem] = []
    read = 0
    step = max(2 * limit, 50)
    while read < len(ranked) and len(kept) < limit:
        part = [entry for _order, entry in ranked[read : read + step]]
        whole = storage.due_rows_by_ids(conn, [e for e in part if isinstance(e, int)])
        for entry in part:
            pulled = not isinstance(entry, int)
            row = entry if pulled else whole.get(entry)  # None: closed meanwhile by a log
            if row is not None:
                kept.append(_due_items([row], on, rules, queue, pulled)[0])
        kept = queue.cap(kept)
        read += step
    if owner is not None and not kept:
        check_owner(conn, owner)
    return kept[:limit]


def _key_order(row: Any, on: date) -> tuple:
    """Complaints, then overdue first calls, in their own order; then the spend at stake
    (a row of today's list, before its item is made)."""
    if row["kind"] == "check-back":
        return (0,)
    if row["kind"] == "step" and row["due_date"] < on.isoformat():
        return (1,)
    return (2, *value_order(row["expected_spend"], row["expected_purchases"]))


def _due_items(
    rows: list[Any], on: date, rules: dict[str, Rule], queue: Any, pulled: bool = False
) -> list[DueItem]:
    """`pulled`: the win-back queue's customers, listed before their next call's date."""
    described = {tier: describe_rule(rule) for tier, rule in rules.items()}
    items = []
    for row in rows:
        due = date.fromisoformat(row["due_date"])
        rule = rules.get(row["tier"])
        late_after = (rule.grace if rule else Duration(1, "w")).after(due)
        status = "due" if due >= on else ("late" if on > late_after else "overdue")
        # ISO dates sort as text: the latest of them, read once
        activity = date.fromisoformat(
            max(
                v
                for v in (
                    row["added"],
                    row["first_purchase"],
                    row["last_purchase"],
                    row["last_success"],
                )
                if v
            )
        )
        win_back = pulled or (
            row["kind"] in queue.win_back_kinds and queue.listed_at_risk(row, activity)
        )
        reason = row["reason"]
        if win_back:
            reason = f"win-back: silent since {activity.isoformat()} ({reason})"
        if row["attempts"]:
            reason += f" (attempt {row['attempts'] + 1})"
        items.append(
            DueItem(
                customer_id=row["ref"],
                name=row["name"],
                phone=row["phone"],
                tier=row["tier"],
                owner=row["owner"],
                due_date=row["due_date"],
                days_overdue=max(0, (on - due).days),
                status=status,
                late_after=late_after.isoformat(),
                kind=row["kind"],
                reason=reason,
                anchor=row["anchor"],
                rule=described.get(row["tier"], ""),
                win_back=win_back,
                attempts=row["attempts"],
                last_contact=row["last_contact"],
                last_outcome=row["last_outcome"],
                last_note=row["last_note"],
                last_purchase=row["last_purchase"],
                branch=row["branch"],
                expected_spend=row["expected_spend"],
                expected_purchases=row["expected_purchases"],
            )
        )
    return items


def due_count(
    conn: sqlite3.Connection,
    on: date,
    owner: str | None = None,
    branches: Sequence[str] | None = None,
) -> int:
    """The whole list's length, for "5 of 23" when --limit shows only the first."""
    return storage.due_count(conn, on, owner, branches)


def due_in_segment(
    conn: sqlite3.Connection,
    on: date,
    owner: str | None,
    limit: int | None,
    segment: str,
    branches: Sequence[str] | None = None,
) -> list[Any]:
    """Today's list, only the customers in one value segment (of one branch, with `branches`)."""
    from followup_cli.planner.purchases import ValueModel, parse_segment

    chosen = parse_segment(segment)
    model = ValueModel.load(conn)
    if not model.count:
        return []
    members = set(storage.segment_member_refs(conn, model.high_above(), chosen.high))
    items = [
        item for item in due_list(conn, on, owner, None, branches) if item.customer_id in members
    ]
    return items[:limit] if limit else items


# --- the backlog -------------------------------------------------------------------------------


def spread(
    conn: sqlite3.Connection, today: date, days: int, capacity: int | None
) -> dict[str, Any]:
    """Re-plan today's backlog across the next open days, most important first."""
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
