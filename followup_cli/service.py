"""What each command does, in domain terms: storage + engine + metrics, returning plain data.

Commands in cli.py call exactly one function here and hand its result to render.py.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from followup_cli import storage
from followup_cli.errors import FollowupError
from followup_cli.models import SUCCESSFUL_OUTCOMES, Customer, CustomerState, Plan
from followup_cli.schedule import (
    RuleError,
    after_no_answer,
    plan_check_back,
    plan_next,
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def customer_state(conn: sqlite3.Connection, customer: Customer) -> CustomerState:
    return CustomerState(
        tier=customer.tier,
        added=customer.added,
        first_purchase=customer.first_purchase,
        last_purchase=customer.last_purchase,
        last_success=customer.last_success,
        last_contact=customer.last_contact,
        contract_end=customer.contract_end,
        do_not_contact=customer.do_not_contact,
        churned=customer.status == "churned",
        previous_due=storage.previous_due(conn, customer.id),
        renewal_done_for=storage.renewal_done_for(conn, customer.id),
    )


def _plan(conn: sqlite3.Connection, customer: Customer, today: date) -> Plan | None:
    rules = storage.load_rules(conn)
    try:
        return plan_next(customer_state(conn, customer), rules, storage.load_settings(conn), today)
    except RuleError as exc:
        raise FollowupError(str(exc)) from None


# --- finding a customer ---------------------------------------------------------------------


def resolve_customer(conn: sqlite3.Connection, key: str) -> Customer:
    """The customer a user means: id, else the one customer with that phone, e-mail or name."""
    from followup_cli.importer import RowError, phone_normaliser

    try:
        phone_key = phone_normaliser("CN")(key) if any(ch.isdigit() for ch in key) else None
    except RowError:
        phone_key = None
    matches = storage.find_customers(conn, key, phone_key)
    if not matches:
        raise FollowupError(f"no customer matches {key!r} (try an id, phone, e-mail or name)")
    if len(matches) > 1:
        listing = "; ".join(f"{c.ref} {c.name} {c.phone or ''}".strip() for c in matches[:10])
        raise FollowupError(
            f"{len(matches)} customers match {key!r}: {listing} - use the id to choose one"
        )
    return matches[0]


# --- today --------------------------------------------------------------------------------------


@dataclass
class DueItem:
    customer_id: str
    name: str
    phone: str | None
    tier: str
    owner: str | None
    due_date: str
    days_overdue: int
    kind: str
    reason: str
    attempts: int
    last_contact: str | None
    last_outcome: str | None
    last_note: str | None
    rank: int = field(default=99, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "rank"}


def due_list(
    conn: sqlite3.Connection, on: date, owner: str | None = None, limit: int | None = None
) -> list[DueItem]:
    """Open follow-ups showing on or before `on`, most important first.

    Check-backs after a complaint lead; then overdue before due-today; then by tier rank
    (VIP first), longest overdue first, and name.
    """
    items = []
    for row in storage.due_rows(conn, on, owner):
        due = date.fromisoformat(row["due_date"])
        items.append(
            DueItem(
                customer_id=row["ref"],
                name=row["name"],
                phone=row["phone"],
                tier=row["tier"],
                owner=row["owner"],
                due_date=row["due_date"],
                days_overdue=max(0, (on - due).days),
                kind=row["kind"],
                reason=row["reason"]
                + (f" (attempt {row['attempts'] + 1})" if row["attempts"] else ""),
                attempts=row["attempts"],
                last_contact=row["last_contact"],
                last_outcome=row["last_outcome"],
                last_note=row["last_note"],
                rank=row["rank"],
            )
        )
    items.sort(
        key=lambda i: (
            i.kind != "check-back",
            i.days_overdue == 0,
            i.rank,
            -i.days_overdue,
            i.name,
            i.customer_id,
        )
    )
    return items[:limit] if limit is not None else items


# --- log ----------------------------------------------------------------------------------------


@dataclass
class LogResult:
    customer_id: str
    name: str
    outcome: str
    date: str
    closed_due: str | None
    status: str  # what happened to the open follow-up: done, retry, missed, closed, none
    next_due: str | None
    next_reason: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def log_outcome(
    conn: sqlite3.Connection,
    key: str,
    outcome: str,
    on: date,
    note: str | None = None,
    channel: str | None = None,
    score: int | None = None,
    nps: int | None = None,
) -> LogResult:
    """Record what happened, close (or retry) the due follow-up and plan the next one.

    A contact before the open follow-up is due does not complete it: a successful one
    re-plans it from the new contact (any touch counts), an unsuccessful one changes nothing.
    """
    with storage.transaction(conn):
        customer = resolve_customer(conn, key)
        if customer.status == "churned":
            raise FollowupError(f"customer {customer.ref} is marked lost (churned)")
        if customer.do_not_contact:
            raise FollowupError(f"customer {customer.ref} asked not to be contacted")
        settings = storage.load_settings(conn)
        followup = storage.open_followup(conn, customer.id)
        if followup is not None and followup["due_date"] > on.isoformat():
            followup = None  # not due yet: this contact is an extra touch
        storage.insert_contact(
            conn, _contact_row(customer, followup, outcome, on, note, channel, score, nps)
        )
        storage.update_customer(
            conn, customer.id, _contact_changes(customer, outcome, on, note), _now()
        )
        status = _settle_followup(conn, followup, outcome, on, settings)
        if status != "retry" and outcome not in ("lost", "opt-out", "no-answer"):
            storage.drop_unstarted_followup(conn, customer.id)
        moves_on = status in ("done", "missed") or (
            status == "none" and outcome in SUCCESSFUL_OUTCOMES
        )
        if moves_on and outcome != "lost" and storage.open_followup(conn, customer.id) is None:
            next_plan = (
                plan_check_back(on, settings)
                if outcome == "complaint"
                else _plan(conn, storage.get_customer(conn, customer.id), on)
            )
            if next_plan is not None:
                storage.insert_followup(conn, customer.id, next_plan)
        if outcome in ("lost", "opt-out") and status == "none":
            storage.cancel_open_followup(conn, customer.id)
        upcoming = storage.open_followup(conn, customer.id)
    return LogResult(
        customer_id=customer.ref,
        name=customer.name,
        outcome=outcome,
        date=on.isoformat(),
        closed_due=followup["due_date"] if followup else None,
        status=status,
        next_due=upcoming["show_date"] if upcoming else None,
        next_reason=upcoming["reason"] if upcoming else None,
    )


def _contact_row(customer, followup, outcome, on, note, channel, score, nps) -> dict[str, Any]:
    return {
        "customer_id": customer.id,
        "followup_id": followup["id"] if followup else None,
        "date": on.isoformat(),
        "outcome": outcome,
        "channel": channel,
        "score": score,
        "nps": nps,
        "note": note,
        "owner": customer.owner,
        "logged_at": _now(),
    }


def _contact_changes(customer: Customer, outcome: str, on: date, note: str | None) -> dict:
    changes: dict[str, Any] = {"last_outcome": outcome}
    if customer.last_contact is None or on >= customer.last_contact:
        changes["last_contact"] = on.isoformat()
    if note:
        changes["last_note"] = note
    if outcome in SUCCESSFUL_OUTCOMES and (
        customer.last_success is None or on > customer.last_success
    ):
        changes["last_success"] = on.isoformat()
    if outcome == "converted":
        changes.update(_conversion_changes(customer, on))
    elif outcome == "lost":
        changes.update({"status": "churned", "churned_on": on.isoformat()})
    elif outcome == "opt-out":
        changes["do_not_contact"] = 1
    return changes


def _settle_followup(conn, followup, outcome: str, on: date, settings) -> str:
    """What the outcome does to the due follow-up: done, closed, retry later, or missed."""
    if followup is None:
        return "none"
    if outcome == "no-answer":
        attempts = followup["attempts"] + 1
        retry_on = after_no_answer(attempts, on, settings)
        if retry_on is not None:
            storage.retry_followup(conn, followup["id"], attempts, retry_on)
            return "retry"
        storage.close_followup(conn, followup["id"], "missed", outcome, on)
        return "missed"
    status = "done" if outcome in SUCCESSFUL_OUTCOMES else "closed"
    storage.close_followup(conn, followup["id"], status, outcome, on)
    return status


def _conversion_changes(customer: Customer, on: date) -> dict[str, Any]:
    """A purchase: a prospect becomes a new customer with this as their first purchase."""
    changes: dict[str, Any] = {}
    if customer.tier == "prospect":
        changes["tier"] = "new"
        changes["converted_on"] = on.isoformat()
    if customer.first_purchase is None or (customer.tier == "prospect"):
        changes["first_purchase"] = on.isoformat()
    if customer.last_purchase is None or on > customer.last_purchase:
        changes["last_purchase"] = on.isoformat()
    return changes


# --- show and export ------------------------------------------------------------------------


def customer_record(customer: Customer) -> dict[str, Any]:
    """One customer as export and `show` give it: stable keys, ISO dates."""
    return {
        "customer_id": customer.ref,
        "name": customer.name,
        "phone": customer.phone,
        "email": customer.email,
        "tier": customer.tier,
        "owner": customer.owner,
        "first_purchase": _iso(customer.first_purchase),
        "last_purchase": _iso(customer.last_purchase),
        "added": _iso(customer.added),
        "contract_end": _iso(customer.contract_end),
        "status": customer.status,
        "churned_on": _iso(customer.churned_on),
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
    record["next_due"] = followup["show_date"] if followup else None
    record["next_reason"] = followup["reason"] if followup else None
    record["history"] = [dict(row) for row in storage.history(conn, customer.id)]
    return record


def export_customers(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [customer_record(c) for c in storage.all_customers(conn)]


# --- report -------------------------------------------------------------------------------------


def build_report(conn: sqlite3.Connection, start: date, end: date, as_of: date) -> dict[str, Any]:
    from followup_cli import metrics

    if start > end:
        raise FollowupError(f"--from {start} is after --to {end}")
    settings = storage.load_settings(conn)
    followups = [
        metrics.FollowupFact(date.fromisoformat(r["due_date"]), r["status"], r["outcome"])
        for r in storage.followups_between(conn, start, end)
    ]
    customers = [
        metrics.CustomerFact(
            c.tier,
            c.added,
            c.first_purchase,
            c.last_purchase,
            c.last_success,
            c.converted_on,
            c.churned_on,
        )
        for c in storage.all_customers(conn)
    ]
    contacts = [
        metrics.ContactFact(date.fromisoformat(r["date"]), r["score"], r["nps"])
        for r in storage.contacts_between(conn, start, end)
    ]
    overall = metrics.compute(
        followups,
        customers,
        contacts,
        start,
        end,
        as_of,
        settings.churn_window,
        storage.overdue_count(conn, as_of),
    )
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat(), "as_of": as_of.isoformat()},
        "overall": overall.as_dict(),
    }
