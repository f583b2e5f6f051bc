"""Finding the customer a person means, and showing one: by id, phone, e-mail or name.

Every command that takes a customer on the command line resolves it here, so `log`, `show`,
`snooze` and the rest agree on who "138 0013 8000" or "王芳" is.
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import date
from typing import Any

from followup_cli import storage
from followup_cli.core.models import Customer
from followup_cli.errors import FollowupError
from followup_cli.i18n import _


def resolve_customer(conn: sqlite3.Connection, key: str) -> Customer:
    """The customer a user means: id, else the one customer with that phone, e-mail or name."""
    found = storage.customer_by_ref(conn, key) or _one(storage.customers_by_ref_any_case(conn, key))
    if found is not None:
        return found
    phone_key = None
    if any(ch.isdigit() for ch in key):
        from followup_cli.core.phones import InvalidValue, phone_normaliser

        with contextlib.suppress(InvalidValue):  # not a phone: try it as e-mail or name
            phone_key = phone_normaliser(storage.load_settings(conn).phone_region)(key)
    matches = storage.find_customers(conn, key, phone_key)
    if not matches:
        raise FollowupError(
            _("no customer matches {key!r} (try an id, phone, e-mail or name)").format(key=key)
        )
    if len(matches) > 1:
        listing = "; ".join(f"{c.ref} {c.name} {c.phone or ''}".strip() for c in matches[:10])
        raise FollowupError(
            _("{count} customers match {key!r}: {listing} - use the id to choose one").format(
                count=len(matches), key=key, listing=listing
            )
        )
    return matches[0]


def _one(customers: list[Customer]) -> Customer | None:
    return customers[0] if len(customers) == 1 else None


def check_owner(conn: sqlite3.Connection, owner: str) -> None:
    """An empty list for a mistyped owner would look like a quiet day: say so instead."""
    known = storage.owner_names(conn)
    if owner.strip().casefold() not in {name.casefold() for name in known}:
        raise FollowupError(
            _("no customer is followed up by {owner!r} (owners: {known})").format(
                owner=owner, known=", ".join(known) or "none yet"
            )
        )


# --- show -------------------------------------------------------------------------------------


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def customer_record(customer: Customer) -> dict[str, Any]:
    """One customer as export and `show` give it: stable keys, ISO dates."""
    return {
        "customer_id": customer.ref,
        "name": customer.name,
        "phone": customer.phone,
        "email": customer.email,
        "tier": customer.tier,
        "owner": customer.owner,
        "branch": customer.in_branch if customer.in_branch is not None else customer.branch,
        "first_purchase": _iso(customer.first_purchase),
        "last_purchase": _iso(customer.last_purchase),
        "added": _iso(customer.added),
        "contract_end": _iso(customer.contract_end),
        "status": customer.status,
        "churned_on": _iso(customer.churned_on),
        "returned_on": _iso(customer.returned_on),
        "converted_on": _iso(customer.converted_on),
        "do_not_contact": customer.do_not_contact,
        "last_contact": _iso(customer.last_contact),
        "last_outcome": customer.last_outcome,
        "spend": customer.spend,
        "notes": customer.notes,
        "extra": customer.extra,
    }


def show_customer(conn: sqlite3.Connection, key: str) -> dict[str, Any]:
    customer = resolve_customer(conn, key)
    followup = storage.open_followup(conn, customer.id)
    record = customer_record(customer)
    from followup_cli.planner.purchases import value_of

    record.update(value_of(conn, customer.id))
    record["next_due"] = followup["show_date"] if followup else None
    record["next_reason"] = followup["reason"] if followup else None
    record["history"] = [dict(row) for row in storage.history(conn, customer.id)]
    record["outlook"] = _outlook(conn, customer.id)
    return record


def _outlook(conn: sqlite3.Connection, customer_id: int) -> dict[str, Any] | None:
    """What the shop's purchase model expected of them at the last purchases import (over the
    next 90 days, see planner/purchase_outlook.py), or None."""
    scores = storage.purchase_scores_of(conn, customer_id)
    model = storage.purchase_model_row(conn) if scores else None
    if scores is None or model is None:
        return None
    return {**scores, "outlook_on": model["scored_on"], "horizon_days": model["horizon_days"]}
