"""Contacts: logging what happened on a call, and taking a logged contact back.

`log` closes (or retries) the due follow-up and plans the next one, and keeps per contact the
rows it changed as before/after pairs; `undo` checks each row is still as the log left it and
puts the "before" back, so it restores exactly and refuses once anything has moved on since.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from followup_cli import storage, wording
from followup_cli.commands.lookup import check_owner, resolve_customer
from followup_cli.core.models import SUCCESSFUL_OUTCOMES, Customer
from followup_cli.core.returning import came_back
from followup_cli.errors import FollowupError
from followup_cli.i18n import _
from followup_cli.planner.replan import Scheduler, replan


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
    contact_id: int | None = None  # what `undo --contact` takes
    logged_at: str | None = None  # when it was written: an undo checks it is still this one

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "logged_at"}

    def identity(self) -> LoggedContact:
        return LoggedContact(self.contact_id or 0, self.customer_id, self.outcome, self.logged_at)


@dataclass(frozen=True)
class LoggedContact:
    """What an undo remembers of the contact it means: its number, and the customer, outcome
    and time it was written with, so it never takes back another contact under that number."""

    contact_id: int
    customer_ref: str
    outcome: str
    logged_at: str | None


def log_outcome(
    conn: sqlite3.Connection,
    key: str,
    outcome: str,
    on: date,
    note: str | None = None,
    channel: str | None = None,
    score: int | None = None,
    nps: int | None = None,
    refuse_same_day: bool = False,
) -> LogResult:
    """Record what happened, close (or retry) the due follow-up and plan the next one.

    A contact before the open follow-up is due does not complete it: a successful one
    re-plans it from the new contact (any touch counts), an unsuccessful one changes nothing.
    With `refuse_same_day`, the same outcome already logged for them that day is refused
    (AlreadyLogged), checked under the write lock so two shells logging at once store one.
    """
    with storage.transaction(conn):
        customer = resolve_customer(conn, key)
        if refuse_same_day and storage.contact_logged(conn, customer.id, on, outcome):
            raise AlreadyLogged(f"{customer.ref} {customer.name}", outcome, on)
        _check_outcome(customer, outcome)
        if customer.do_not_contact:
            raise FollowupError(
                _("customer {ref} asked not to be contacted").format(ref=customer.ref)
            )
        scheduler = Scheduler.load(conn)
        before = storage.customer_footprint(conn, customer.id)
        followup = storage.open_followup(conn, customer.id)
        if followup is not None and followup["due_date"] > on.isoformat():
            followup = None  # not due yet: this contact is an extra touch
        contact = _contact_row(customer, followup, outcome, on, note, channel, score, nps)
        from followup_cli.planner.purchases import is_dormant

        if is_dormant(conn, customer, on, scheduler.rules):
            contact["win_back"] = 1  # counted by the report's win-back rate
        contact_id = storage.insert_contact(conn, contact)
        storage.update_customer(
            conn, customer.id, _contact_changes(customer, outcome, on, note), storage.write_stamp()
        )
        status = _settle_followup(conn, followup, outcome, on, scheduler, channel)
        if status != "retry" and outcome not in ("lost", "opt-out", "no-answer"):
            storage.drop_unstarted_followup(conn, customer.id)
        moves_on = status in ("done", "missed") or (
            status == "none" and outcome in SUCCESSFUL_OUTCOMES
        )
        if moves_on and outcome != "lost" and storage.open_followup(conn, customer.id) is None:
            if outcome == "complaint":
                storage.insert_followup(conn, customer.id, scheduler.check_back(on))
            else:
                replan(conn, [customer.id], on, scheduler)
        if outcome in ("lost", "opt-out") and status == "none":
            storage.cancel_open_followup(conn, customer.id)
        upcoming = storage.open_followup(conn, customer.id)
        remember_log(conn, contact_id, customer.id, before)
    return LogResult(
        customer_id=customer.ref,
        name=customer.name,
        outcome=outcome,
        date=on.isoformat(),
        closed_due=followup["due_date"] if followup else None,
        status=status,
        next_due=upcoming["show_date"] if upcoming else None,
        next_reason=upcoming["reason"] if upcoming else None,
        contact_id=contact_id,
        logged_at=contact["logged_at"],
    )


def _check_outcome(customer: Customer, outcome: str) -> None:
    """`converted` is a prospect's first purchase; a lost customer comes back by buying
    (converted, for a prospect; an imported purchase) or with `followup reactivate`."""
    if outcome == "converted" and customer.tier != "prospect":
        raise FollowupError(
            _(
                "{ref} is a {tier} customer, not a prospect: '{converted}' is a prospect's first "
                "purchase (bring purchases in with 'followup import purchases')"
            ).format(
                ref=customer.ref,
                tier=wording.tier(customer.tier),
                converted=wording.outcome("converted"),
            )
        )
    if customer.status == "churned" and outcome != "converted":
        raise FollowupError(
            _(
                "customer {ref} is marked lost (churned): 'followup reactivate {ref}' brings "
                "them back"
            ).format(ref=customer.ref)
        )


class AlreadyLogged(FollowupError):
    """The same outcome is logged for this customer on that day already (a double entry?)."""

    def __init__(self, who: str, outcome: str, on: date) -> None:
        self.who = who
        super().__init__(
            _(
                "{who} already has {outcome} logged on {day}: add --again to log a second one"
            ).format(who=who, outcome=wording.outcome(outcome), day=on.isoformat())
        )


def same_outcome_logged(conn: sqlite3.Connection, key: str, outcome: str, on: date) -> str | None:
    """'C001 王芳' when that outcome is already logged for them on that day (a double entry?)."""
    customer = resolve_customer(conn, key)
    if storage.contact_logged(conn, customer.id, on, outcome):
        return f"{customer.ref} {customer.name}"
    return None


def _contact_row(
    customer: Customer,
    followup: Any,
    outcome: str,
    on: date,
    note: str | None,
    channel: str | None,
    score: int | None,
    nps: int | None,
) -> dict[str, Any]:
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
        "logged_at": storage.write_stamp(),
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
        changes.update(came_back(customer.status, customer.churned_on, [on]))
    elif outcome == "lost":
        changes.update({"status": "churned", "churned_on": on.isoformat(), "returned_on": None})
    elif outcome == "opt-out":
        changes["do_not_contact"] = 1
    return changes


def _settle_followup(
    conn: sqlite3.Connection,
    followup: Any,
    outcome: str,
    on: date,
    scheduler: Scheduler,
    channel: str | None,
) -> str:
    """What the outcome does to the due follow-up: done, closed, retry later, or missed."""
    if followup is None:
        return "none"
    if outcome == "no-answer":
        attempts = followup["attempts"] + 1
        retry_on = scheduler.retry_date(attempts, on)
        if retry_on is not None:
            storage.retry_followup(conn, followup["id"], attempts, retry_on)
            return "retry"
        storage.close_followup(conn, followup["id"], "missed", outcome, on, channel)
        return "missed"
    status = "done" if outcome in SUCCESSFUL_OUTCOMES else "closed"
    storage.close_followup(conn, followup["id"], status, outcome, on, channel)
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


# --- undo a logged contact --------------------------------------------------------------------
# `log` keeps, per contact, the rows it changed as before/after pairs (customer columns,
# follow-ups, purchases). Undo checks that each row is still as the log left it, then puts the
# "before" back; so it restores exactly, and refuses once anything has moved on since.

# Columns that change for reasons of their own (time stamps, today's-list order).
_UNDO_IGNORED = {"customers": {"updated_at"}, "followups": {"rank"}}


def remember_log(
    conn: sqlite3.Connection, contact_id: int, customer_id: int, before: dict[str, Any]
) -> None:
    """Store what this log changed, for `undo`; `before` is the customer's footprint before it."""
    after = storage.customer_footprint(conn, customer_id)
    changes = []
    for table, rows_before in before.items():
        rows_after = after[table]
        ignored = _UNDO_IGNORED.get(table, set())
        for row_id in sorted(set(rows_before) | set(rows_after)):
            old, new = rows_before.get(row_id), rows_after.get(row_id)
            if _comparable(old, ignored) == _comparable(new, ignored):
                continue
            if table == "customers" and old is not None and new is not None:
                columns = [c for c in new if c not in ignored and old.get(c) != new[c]]
                old = {"id": row_id, **{c: old.get(c) for c in columns}}
                new = {"id": row_id, **{c: new[c] for c in columns}}
            changes.append({"table": table, "id": row_id, "before": old, "after": new})
    storage.save_log_undo(conn, contact_id, customer_id, json.dumps(changes))


def _comparable(row: dict[str, Any] | None, ignored: set[str]) -> dict[str, Any] | None:
    return None if row is None else {k: v for k, v in row.items() if k not in ignored}


def undo_log(
    conn: sqlite3.Connection,
    contact_id: int | None,
    today: date,
    expected: LoggedContact | None = None,
    owner: str | None = None,
    branches: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Take back one logged contact (None: the most recent of `owner`'s customers or of the
    `branches`' customers, when given), in one transaction; `expected`: the contact a session
    logged, refused when the number now holds another.

    The follow-up it closed (or the retry it counted) is open again as before; what it planned
    (next follow-up, check-back) is removed; the customer's fields it set (last contact, tier on
    conversion, churned, do-not-contact) are as they were. Refused once something later depends
    on it: a later contact or snooze for that customer, or a change to what it wrote.
    """
    with storage.transaction(conn):
        if expected is not None:
            contact_id = expected.contact_id
        if contact_id is None:
            if owner is not None:
                check_owner(conn, owner)
            contact = storage.latest_logged_contact(conn, owner, branches)
            if contact is None and (owner is not None or branches is not None):
                raise FollowupError(
                    _("Nothing logged for {whose}: there is nothing to undo.").format(
                        whose=_whose(owner, branches)
                    )
                )
            if contact is None:
                raise FollowupError(_("Nothing has been logged yet: there is nothing to undo."))
            if owner is None and branches is None and storage.has_branches(conn):
                _refuse_anyones_last(conn, contact)
        else:
            contact = storage.get_contact(conn, contact_id)
            if contact is None:
                raise FollowupError(
                    _("No contact {contact_id} (see the ids in 'followup show').").format(
                        contact_id=contact_id
                    )
                )
        customer = storage.get_customer(conn, contact["customer_id"])
        if expected is not None and (
            customer.ref,
            contact["outcome"],
            contact["logged_at"],
        ) != (expected.customer_ref, expected.outcome, expected.logged_at):
            raise FollowupError(
                _(
                    "Not undone: contact {contact_id} is no longer the {outcome} logged for "
                    "{ref} (it was undone or erased elsewhere)."
                ).format(
                    contact_id=expected.contact_id,
                    outcome=wording.outcome(expected.outcome),
                    ref=expected.customer_ref,
                )
            )
        if contact["outcome"] == "snoozed":
            raise FollowupError(
                _(
                    "Contact {contact_id} is a snooze, not a logged contact: "
                    "snooze {ref} again to move the follow-up."
                ).format(contact_id=contact["id"], ref=customer.ref)
            )
        later = storage.contact_after(conn, customer.id, contact["id"])
        if later is not None and later["outcome"] == "snoozed":
            raise FollowupError(
                _(
                    "Cannot undo contact {contact_id}: {ref}'s follow-up was snoozed after it "
                    "(on {date})."
                ).format(contact_id=contact["id"], ref=customer.ref, date=later["date"])
            )
        if later is not None:
            raise FollowupError(
                _(
                    "Cannot undo contact {contact_id}: {ref} has a later entry "
                    "({outcome} on {date}, contact {later_id}); undo that one first."
                ).format(
                    contact_id=contact["id"],
                    ref=customer.ref,
                    outcome=wording.outcome(later["outcome"]),
                    date=later["date"],
                    later_id=later["id"],
                )
            )
        raw = storage.log_undo_changes(conn, contact["id"])
        if raw is None:
            raise FollowupError(
                _(
                    "Contact {contact_id} cannot be undone: it was logged by an older version of "
                    "followup, which kept no record of what it changed, or its customer was "
                    "merged into another since."
                ).format(contact_id=contact["id"])
            )
        changes = json.loads(raw)
        _check_unchanged_since(conn, changes, customer, contact["id"])
        branch = storage.branch_of_contact(conn, contact["id"])
        storage.delete_contact(conn, contact["id"])
        followup_changes = [c for c in changes if c["table"] == "followups"]
        removed = [c["after"]["show_date"] for c in followup_changes if _is_open(c["after"])]
        reopened = [c["before"]["show_date"] for c in followup_changes if _is_open(c["before"])]
        # Rows the log added go first: the one open follow-up slot must be free again before
        # the follow-up it closed is reopened.
        for change in sorted(changes, key=lambda c: c["before"] is not None):
            table, before = change["table"], change["before"]
            if before is None:
                storage.delete_row(conn, table, change["id"])
            elif table == "customers":
                fields = {k: v for k, v in before.items() if k != "id"}
                storage.update_customer(conn, customer.id, fields, storage.write_stamp())
            else:
                storage.put_row(conn, table, before)
        storage.refresh_ranks(conn, [customer.id])
        upcoming = storage.open_followup(conn, customer.id)
    return {
        "contact_id": contact["id"],
        "customer_id": customer.ref,
        "name": customer.name,
        "owner": contact["owner"],
        "branch": branch,
        "date": contact["date"],
        "outcome": contact["outcome"],
        "reopened": reopened[0] if reopened else None,
        "removed": removed[0] if removed else None,
        "next_due": upcoming["show_date"] if upcoming else None,
        "next_reason": upcoming["reason"] if upcoming else None,
        "due_now": bool(upcoming and upcoming["show_date"] <= today.isoformat()),
    }


def _refuse_anyones_last(conn: sqlite3.Connection, contact: Any) -> None:
    """On a chain the last log may be a colleague's at another branch: say whose it is and
    take nothing back until the caller says it is theirs."""
    customer = storage.get_customer(conn, contact["customer_id"])
    raise FollowupError(
        _(
            "On a chain, say whose log to take back: the last one is contact {contact_id}, "
            "{outcome} for {ref} {name} (owner {owner}, branch {branch}); add --branch, "
            "--owner or --contact {contact_id}."
        ).format(
            contact_id=contact["id"],
            outcome=wording.outcome(contact["outcome"]),
            ref=customer.ref,
            name=customer.name,
            owner=contact["owner"] or "-",
            branch=contact["branch"] or "-",
        )
    )


def _whose(owner: str | None, branches: Sequence[str] | None) -> str:
    """'Li', 'branch North' or 'Li at branch North', for a message about one person's logs."""
    if branches is None:
        return owner or ""
    if owner is None:
        return _("branch {branch}").format(branch=branches[0])
    return _("{owner} at branch {branch}").format(owner=owner, branch=branches[0])


def _is_open(row: dict[str, Any] | None) -> bool:
    return row is not None and row["status"] == "open"


def _check_unchanged_since(
    conn: sqlite3.Connection, changes: list[dict[str, Any]], customer: Customer, contact_id: int
) -> None:
    """Refuse when a row the log wrote is no longer as the log left it."""
    for change in changes:
        table, after = change["table"], change["after"]
        current = storage.row_by_id(conn, table, change["id"])
        ignored = _UNDO_IGNORED.get(table, set())
        if after is not None and current is not None:
            current = {k: current.get(k) for k in after}
        if _comparable(current, ignored) == _comparable(after, ignored):
            continue
        if table == "followups":
            what = (after or change["before"] or {}).get("show_date")
            raise FollowupError(
                _(
                    "Cannot undo contact {contact_id}: {ref}'s follow-up of {day} has been "
                    "snoozed, re-planned or logged since."
                ).format(contact_id=contact_id, ref=customer.ref, day=what)
            )
        if table == "customers":
            raise FollowupError(
                _(
                    "Cannot undo contact {contact_id}: {ref} was changed since it was logged "
                    "(by an edit, an import or a merge)."
                ).format(contact_id=contact_id, ref=customer.ref)
            )
        raise FollowupError(
            _(
                "Cannot undo contact {contact_id}: {ref}'s purchases changed since it was logged."
            ).format(contact_id=contact_id, ref=customer.ref)
        )
