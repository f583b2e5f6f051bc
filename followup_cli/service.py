"""What each command does, in domain terms: storage + engine + metrics, returning plain data.

Commands in cli.py call exactly one function here and hand its result to render.py.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from followup_cli import storage
from followup_cli.errors import EXIT_NOTHING_IMPORTED, EXIT_PARTIAL_IMPORT, FollowupError
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


# --- import ------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    file: str
    encoding: str
    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Any] = field(default_factory=list)
    dry_run: bool = False
    header: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if not self.rejected:
            return 0
        return (
            EXIT_PARTIAL_IMPORT
            if (self.added or self.updated or self.unchanged)
            else (EXIT_NOTHING_IMPORTED)
        )

    def summary(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "encoding": self.encoding,
            "read": self.read,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "dry_run": self.dry_run,
        }


_SCHEDULE_FIELDS = frozenset({"tier", "first_purchase", "last_purchase", "added", "contract_end"})


class _Rollback(Exception):
    pass


def import_customers(
    conn: sqlite3.Connection,
    path: Path,
    today: date,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    mapping: dict[str, str] | None = None,
    dayfirst: bool | None = None,
    region: str = "CN",
    dry_run: bool = False,
    strict: bool = False,
) -> ImportResult:
    """Upsert customers from a file in one transaction; re-importing the same file is a no-op."""
    from followup_cli.importer import HeaderMap, Rejection, clean_rows, phone_normaliser, read_table

    normalise_phone = phone_normaliser(region)
    table = read_table(path, encoding, delimiter)
    headers = HeaderMap.build(table.header, mapping)
    result = ImportResult(str(path), table.encoding, dry_run=dry_run, header=table.header)
    try:
        with storage.transaction(conn):
            rules = storage.load_rules(conn)
            merger = _Merger(conn, today, result, rules)
            for item in clean_rows(table, headers, today, set(rules), normalise_phone, dayfirst):
                result.read += 1
                if isinstance(item, Rejection):
                    result.rejected.append(item)
                else:
                    merger.merge(item)
            merger.plan_all()
            if dry_run or (strict and result.rejected):
                raise _Rollback
    except _Rollback:
        pass
    if strict and result.rejected:
        result.added = result.updated = result.unchanged = 0
    return result


class _Merger:
    """Matches records to stored customers (id, else phone, else e-mail) and writes them."""

    def __init__(self, conn: sqlite3.Connection, today: date, result: ImportResult, rules) -> None:
        self.conn = conn
        self.today = today
        self.result = result
        self.rules = rules
        self.now = _now()
        self.by_ref: dict[str, dict[str, Any]] = {}
        self.by_phone: dict[str, dict[str, Any]] = {}
        self.by_email: dict[str, dict[str, Any]] = {}
        for row in storage.customer_keys(conn):
            self._index(dict(row))
        self.seen: dict[int, int] = {}  # customer id -> line that set it in this file
        self.to_plan: list[int] = []
        self.new_ref = storage.next_generated_ref(conn)

    def _index(self, stored: dict[str, Any]) -> None:
        self.by_ref[stored["ref"]] = stored
        if stored.get("phone"):
            self.by_phone[stored["phone"]] = stored
        if stored.get("email"):
            self.by_email[stored["email"]] = stored

    def merge(self, record) -> None:
        from followup_cli.importer import Rejection

        try:
            stored = self._match(record)
        except ValueError as exc:
            self.result.rejected.append(Rejection(record.line, str(exc), record.cells))
            return
        if stored is not None and stored["id"] in self.seen:
            first = self.seen[stored["id"]]
            self.result.rejected.append(
                Rejection(record.line, f"duplicate of line {first}", record.cells)
            )
            return
        if stored is None:
            self._add(record)
        else:
            self._update(stored, record)

    def _match(self, record) -> dict[str, Any] | None:
        by_ref = self.by_ref.get(record.ref) if record.ref else None
        by_phone = self.by_phone.get(record.phone) if record.phone else None
        by_email = self.by_email.get(record.email) if record.email else None
        stored = by_ref or by_phone or by_email
        if stored is None:
            return None
        for other, what in ((by_phone, f"phone {record.phone}"), (by_email, "e-mail")):
            if other is not None and other["id"] != stored["id"]:
                raise ValueError(f"{what} already belongs to customer {other['ref']}")
        if record.ref and stored["ref"] != record.ref and not stored["ref"].startswith("fu-"):
            raise ValueError(
                f"same phone/e-mail as customer {stored['ref']} but a different id {record.ref}"
            )
        return stored

    def _values(self, record) -> dict[str, Any]:
        values: dict[str, Any] = {
            "name": record.name,
            "phone": record.phone,
            "email": record.email,
            "tier": record.tier,
            "owner": record.owner,
            "notes": record.notes,
        }
        for name, value in record.dates.items():
            values[name] = _iso(value)
        return values

    def _add(self, record) -> None:
        values = self._values(record)
        values["ref"] = record.ref or self.new_ref()
        values["tier"] = record.tier or "regular"
        values["added"] = values["added"] or self.today.isoformat()
        values["extra"] = json.dumps(record.extra, ensure_ascii=False) if record.extra else None
        customer_id = storage.insert_customer(self.conn, values, self.now)
        values["id"] = customer_id
        self._index(values)
        self.seen[customer_id] = record.line
        self.to_plan.append(customer_id)
        self.result.added += 1

    def _update(self, stored: dict[str, Any], record) -> None:
        self.seen[stored["id"]] = record.line
        changes = {
            name: value
            for name, value in self._values(record).items()
            if value is not None and value != stored.get(name)
        }
        if record.ref and stored["ref"] != record.ref:
            changes["ref"] = record.ref
        if changes.get("tier") == "prospect" and stored.get("converted_on"):
            del changes["tier"]  # a stale till export must not undo a logged conversion
        if record.extra:
            merged = {**json.loads(stored.get("extra") or "{}"), **record.extra}
            encoded = json.dumps(merged, ensure_ascii=False)
            if encoded != stored.get("extra"):
                changes["extra"] = encoded
        if not changes:
            self.result.unchanged += 1
            return
        storage.update_customer(self.conn, stored["id"], changes, self.now)
        stored.update(changes)
        self._index(stored)
        self.result.updated += 1
        if _SCHEDULE_FIELDS & changes.keys() and storage.drop_unstarted_followup(
            self.conn, stored["id"]
        ):
            self.to_plan.append(stored["id"])

    def plan_all(self) -> None:
        from followup_cli.schedule import plan_next

        settings = storage.load_settings(self.conn)
        planned = []
        for customer_id in self.to_plan:
            customer = storage.get_customer(self.conn, customer_id)
            try:
                plan = plan_next(
                    customer_state(self.conn, customer), self.rules, settings, self.today
                )
            except RuleError as exc:
                raise FollowupError(str(exc)) from None
            if plan is not None:
                planned.append((customer_id, plan))
        storage.insert_followups(self.conn, planned)


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
