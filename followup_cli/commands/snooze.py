"""`snooze`: put a customer's open follow-up off to a later day, and take a snooze back.

A snooze keeps the follow-up's due date for the numbers (it is not a miss) and is written as a
contact of its own, so the timeline shows it and `undo` can find it.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Any

from followup_cli import storage
from followup_cli.commands.lookup import resolve_customer
from followup_cli.core.dates import Duration
from followup_cli.core.schedule import next_open_day
from followup_cli.errors import FollowupError
from followup_cli.i18n import _
from followup_cli.planner.replan import Scheduler


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


def snooze(
    conn: sqlite3.Connection, key: str, until: date, today: date, note: str | None
) -> dict[str, Any]:
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
                "logged_at": storage.write_stamp(),
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
