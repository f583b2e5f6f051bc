"""What the plan holds ahead: the coming days' calls, the customers at churn risk, and the
planned calls as a file or a phone calendar. Read-only.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import Any

from followup_cli import storage
from followup_cli.core.schedule import effective_interval
from followup_cli.i18n import _


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
    their tier's interval (or twice their own typical gap, under the rhythm definition); under
    the purchase model, a scored customer while the model sees them slipping (below 3 in 4,
    not yet below one half)."""
    from followup_cli.planner.winback import WinBackQueue

    rules = storage.load_rules(conn)
    queue = WinBackQueue.load(conn, rules, today)
    rows = list(storage.activity_of_active_customers(conn))
    queue.prepare(conn, rows)
    found = []
    for row in rows:
        interval = effective_interval(row["tier"], rules)
        last = date.fromisoformat(row["last_activity"])
        if queue.listed_at_risk(row, last):
            by_model = queue.scored(row)
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
                    "interval": "model"
                    if by_model
                    else (str(interval) if own is None else f"{own}d (own rhythm x 2)"),
                    "slipping_on": row["slipping_on"] if by_model else None,
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


def _stamp() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
