"""Lost customers who come back: a purchase after the loss, or the owner saying so.

They are active again from that day and planned again; `churned_on` keeps the day they were
lost and `returned_on` the day they came back, so the churn figures count both (metrics.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import date
from typing import Any

from followup_cli import storage
from followup_cli.commands.service import _now, replan, resolve_customer
from followup_cli.errors import FollowupError
from followup_cli.i18n import _


def came_back(
    status: str | None, churned_on: str | date | None, purchases: Iterable[str | date | None]
) -> dict[str, Any]:
    """The changes that make a lost customer active again, when one of `purchases` (ISO
    strings or dates) is on or after the day they were lost; nothing otherwise."""
    if status != "churned" or not churned_on:
        return {}
    lost = str(churned_on)
    after = sorted(str(day) for day in purchases if day and str(day) >= lost)
    if not after:
        return {}
    return {"status": "active", "returned_on": after[0]}


def reactivate(conn: sqlite3.Connection, key: str, on: date) -> dict[str, Any]:
    """By hand: the owner knows they are back (they came in, called, bought elsewhere)."""
    with storage.transaction(conn):
        customer = resolve_customer(conn, key)
        if customer.status != "churned":
            raise FollowupError(
                _("{ref} {name} is not marked lost: nothing to bring back").format(
                    ref=customer.ref, name=customer.name
                )
            )
        if customer.churned_on is not None and on < customer.churned_on:
            raise FollowupError(
                _("{ref} was marked lost on {lost}: they cannot be back on {day}").format(
                    ref=customer.ref, lost=customer.churned_on.isoformat(), day=on.isoformat()
                )
            )
        storage.update_customer(
            conn, customer.id, {"status": "active", "returned_on": on.isoformat()}, _now()
        )
        replan(conn, [customer.id], on)
        upcoming = storage.open_followup(conn, customer.id)
    return {
        "customer_id": customer.ref,
        "name": customer.name,
        "returned_on": on.isoformat(),
        "next_due": upcoming["show_date"] if upcoming else None,
        "next_reason": upcoming["reason"] if upcoming else None,
    }
