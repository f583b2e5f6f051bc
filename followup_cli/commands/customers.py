"""Customers by hand: find one, add one, correct one, merge two records of one person, read
one person's story as a timeline; give them an owner, stop or resume calling them, and bring a
lost customer back.

A customer typed in is checked exactly as an imported row is (the import's own cleaning: phones
in international form with the shop's region, e-mails, tier aliases, dates), and matched the
same way (id, phone, e-mail), so hand-typed and imported customers never drift apart.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from followup_cli import storage, wording
from followup_cli.commands import branches
from followup_cli.commands.lookup import customer_record, resolve_customer, show_customer
from followup_cli.core.models import CUSTOMER_FIELDS
from followup_cli.errors import FollowupError
from followup_cli.i18n import _
from followup_cli.planner.replan import replan

# The fields a person can type for a customer, as the import knows them.
EDITABLE = CUSTOMER_FIELDS
# Changing these can move the next follow-up.
_SCHEDULE_FIELDS = frozenset({"tier", "first_purchase", "last_purchase", "added", "contract_end"})
# Changes worth a line on the timeline (not the bookkeeping of the last contact).
_SHOWN_CHANGES = frozenset(
    {*EDITABLE, "do_not_contact", "status", "churned_on", "converted_on"} - {"id"}
)
_KEY_NAMES = {"ref": "id", "phone": "phone", "email": "e-mail"}


# --- find ---------------------------------------------------------------------------------------


def find(conn: sqlite3.Connection, text: str, limit: int) -> dict[str, Any]:
    """Customers matching part of a name, an id, an e-mail, or the last 4+ digits of a phone."""
    query = " ".join(text.split()).casefold()
    if not query:
        raise FollowupError(_("Give part of a name, an id, or the last 4 digits of a phone."))
    digits = "".join(ch for ch in query if ch.isdigit())
    phone_like = len(digits) >= 4 and all(ch.isdigit() or ch in "+-(). " for ch in query)
    total, rows = storage.search_customers(conn, query, digits if phone_like else None, limit)
    matched_on = {0: "id", 1: "id", 2: "name", 3: "phone", 4: "email"}
    found = [
        {
            "customer_id": row["ref"],
            "name": row["name"],
            "phone": row["phone"],
            "email": row["email"],
            "tier": row["tier"],
            "owner": row["owner"],
            "branch": row["in_branch"],
            "status": "opted out" if row["do_not_contact"] else row["status"],
            "next_due": row["next_due"],
            "matched": matched_on[row["match_rank"]],
        }
        for row in rows
    ]
    return {"query": text, "total": total, "customers": found}


# --- add and edit -------------------------------------------------------------------------------


def _clean(conn: sqlite3.Connection, cells: dict[str, str], today: date):
    """One customer checked exactly as an import row: a clean Record, or the import's reason.

    Typed by hand, a phone or e-mail that is not one is refused (an import leaves it out and
    says so), and so is a tier that neither the rules nor the level table know.
    """
    from followup_cli.core.phones import InvalidValue, import_phone_reader
    from followup_cli.imports.clean import Record, clean_rows
    from followup_cli.imports.clean import normalise_email as check_email
    from followup_cli.imports.headers import FIELDS, HeaderMap
    from followup_cli.imports.known_layouts import LevelTable
    from followup_cli.imports.opened import Table

    if "name" in cells and not cells["name"].split():
        raise FollowupError(_("name is empty"))
    read_phone = import_phone_reader(storage.load_settings(conn).phone_region)
    try:
        if cells.get("phone"):
            read_phone(cells["phone"])
        if cells.get("email"):
            check_email(cells["email"])
    except InvalidValue as exc:
        raise FollowupError(str(exc)) from None
    rules = storage.load_rules(conn)
    levels = LevelTable(storage.load_levels(conn), {t: r.rank for t, r in rules.items()})
    row = [cells.get(name) or "" for name in FIELDS]
    table = Table(list(FIELDS), "utf-8", ",", lambda: iter([(1, row)]))
    headers = HeaderMap(
        {name: index for index, name in enumerate(FIELDS)}, {}, names={f: f for f in FIELDS}
    )
    result = next(iter(clean_rows(table, headers, today, set(rules), read_phone, None, levels)))
    if not isinstance(result, Record):
        raise FollowupError(
            getattr(result, "reason", None)
            or _("Not a customer: {name!r}.").format(name=cells.get("name"))
        )
    if result.unknown_level:
        raise FollowupError(
            _("unknown tier {tier!r} (known: {known})").format(
                tier=result.unknown_level, known=wording.tier_choices(rules)
            )
        )
    return result


def _values(record: Any) -> dict[str, Any]:
    values = {
        "ref": record.ref,
        "name": record.name,
        "phone": record.phone,
        "email": record.email,
        "tier": record.tier,
        "owner": record.owner,
        "notes": record.notes,
        "branch": record.branch,
    }
    values.update({k: v.isoformat() if v else None for k, v in record.dates.items()})
    return values


def _refuse_taken(
    conn: sqlite3.Connection, values: dict[str, Any], customer_id: int | None, hint: str
) -> None:
    """A customer is one person: an id, phone or e-mail that is someone else's is refused."""
    taken = storage.customers_with_keys(
        conn, values.get("ref"), values.get("phone"), values.get("email")
    )
    for other in taken:
        if other["id"] == customer_id:
            continue
        column = next(
            k for k in ("ref", "phone", "email") if values.get(k) and other[k] == values[k]
        )
        raise FollowupError(
            hint.format(
                what=_KEY_NAMES[column], value=values[column], ref=other["ref"], name=other["name"]
            )
        )


def add(conn: sqlite3.Connection, fields: dict[str, str | None], today: date) -> dict[str, Any]:
    """A new customer typed in by hand, with their first follow-up planned."""
    record = _clean(conn, {k: v for k, v in fields.items() if v is not None}, today)
    values = _values(record)
    values["branch"] = branches.canonical(conn, values["branch"])
    with storage.transaction(conn):
        _refuse_taken(
            conn,
            values,
            None,
            _(
                "{what} {value} already belongs to {ref} {name}: see 'followup show {ref}', "
                "or change that customer with 'followup edit {ref}'."
            ),
        )
        values["ref"] = values["ref"] or storage.next_generated_ref(conn)()
        values["tier"] = values["tier"] or "regular"
        # As for an import: a customer at least since their first known purchase.
        values["added"] = (
            values["added"]
            or values["first_purchase"]
            or values["last_purchase"]
            or today.isoformat()
        )
        customer_id = storage.insert_customer(conn, values, storage.write_stamp())
        replan(conn, [customer_id], today)
        namesakes = [c.ref for c in storage.find_customers(conn, values["name"], None)]
    record = show_customer(conn, values["ref"])
    # Not refused (two people can share a name), but worth a look: it may be one person.
    record["same_name"] = [ref for ref in namesakes if ref != values["ref"]]
    return record


def edit(
    conn: sqlite3.Connection, key: str, fields: dict[str, str | None], today: date
) -> dict[str, Any]:
    """Correct a customer's details; a new tier or date re-plans their next follow-up.

    Only the fields given are checked and changed ("" clears an optional one); each change is
    kept, with the day, so `show` can tell the customer's story.
    """
    given = {k: v for k, v in fields.items() if v is not None}
    if not given:
        raise FollowupError(_("Nothing to change: give at least one option, e.g. --tier vip."))
    for required in ("name", "tier", "added", "id"):
        if given.get(required, "x").strip() == "":
            raise FollowupError(
                _("--{option} cannot be empty.").format(option=required.replace("_", "-"))
            )
    with storage.transaction(conn):
        customer = resolve_customer(conn, key)
        stored = dict(storage.customer_row(conn, customer.id))
        cells = {"id": stored["ref"], "name": stored["name"], **given}
        if "first_purchase" in given or "last_purchase" in given:
            for name in ("first_purchase", "last_purchase"):
                cells.setdefault(name, stored[name] or "")
        values = _values(_clean(conn, cells, today))
        values["branch"] = branches.canonical(conn, values["branch"])
        columns = {"id": "ref"}
        wanted = {columns.get(k, k): values[columns.get(k, k)] for k in given}
        changes = {k: v for k, v in wanted.items() if v != stored[k]}
        if not changes:
            return {**_summary(conn, customer.id), "changed": {}}
        _refuse_taken(
            conn,
            changes,
            customer.id,
            _(
                "{what} {value} already belongs to {ref} {name}: if they are one person, "
                "use 'followup merge'."
            ),
        )
        storage.update_customer(conn, customer.id, changes, storage.write_stamp())
        storage.record_customer_changes(
            conn,
            customer.id,
            today,
            [(_KEY_NAMES.get(k, k) if k == "ref" else k, stored[k], v) for k, v in changes.items()],
            "edit",
            storage.write_stamp(),
        )
        _replan_after_change(conn, customer.id, set(changes), today)
    summary = _summary(conn, customer.id)
    summary["changed"] = {
        ("id" if k == "ref" else k): {"from": stored[k], "to": v} for k, v in changes.items()
    }
    return summary


def _replan_after_change(
    conn: sqlite3.Connection, customer_id: int, changed: set[str], today: date
) -> None:
    if not changed & _SCHEDULE_FIELDS:
        return
    customer = storage.get_customer(conn, customer_id)
    if customer.status != "active" or customer.do_not_contact:
        return
    open_now = storage.open_followup(conn, customer_id)
    if open_now is None or storage.drop_unstarted_followup(conn, customer_id):
        replan(conn, [customer_id], today)
    else:  # under way (a retry, a check-back): it stays, in its new tier's place on the list
        storage.refresh_ranks(conn, [customer_id])


def _summary(conn: sqlite3.Connection, customer_id: int) -> dict[str, Any]:
    customer = storage.get_customer(conn, customer_id)
    upcoming = storage.open_followup(conn, customer_id)
    return {
        "customer_id": customer.ref,
        "name": customer.name,
        "next_due": upcoming["show_date"] if upcoming else None,
        "next_reason": upcoming["reason"] if upcoming else None,
    }


# --- merge --------------------------------------------------------------------------------------


def merge(conn: sqlite3.Connection, keep_key: str, other_key: str, today: date) -> dict[str, Any]:
    """Two records of one person become the first: both histories kept, gaps filled from the
    second, and at most one open follow-up afterwards."""
    with storage.transaction(conn):
        keep = resolve_customer(conn, keep_key)
        other = resolve_customer(conn, other_key)
        if keep.id == other.id:
            raise FollowupError(
                _("{a} and {b} are the same customer ({ref}).").format(
                    a=keep_key, b=other_key, ref=keep.ref
                )
            )
        a = dict(storage.customer_row(conn, keep.id))
        b = dict(storage.customer_row(conn, other.id))
        merged = _merged_fields(a, b)
        _keep_one_open_followup(conn, keep.id, other.id)
        storage.move_history(conn, other.id, keep.id)
        storage.delete_customer(conn, other.id)
        # the till still lists the other id: its rows update this customer from now on
        storage.add_aliases(conn, [(other.ref, keep.id)], "merge", storage.write_stamp())
        storage.refresh_purchase_stats(conn, [keep.id])  # rhythm and segments see both
        changes = {k: v for k, v in merged.items() if v != a[k]}
        storage.update_customer(conn, keep.id, changes, storage.write_stamp())
        described = " ".join(str(v) for v in (b["ref"], b["name"], b["phone"], b["email"]) if v)
        storage.record_customer_changes(
            conn,
            keep.id,
            today,
            [("merged", described, a["ref"])]
            + [(k, a[k], v) for k, v in changes.items() if k in _SHOWN_CHANGES],
            "merge",
            storage.write_stamp(),
        )
        customer = storage.get_customer(conn, keep.id)
        if customer.status != "active" or customer.do_not_contact:
            storage.cancel_open_followup(conn, keep.id)
        else:
            _replan_after_change(conn, keep.id, set(_SCHEDULE_FIELDS), today)
    return {
        **_summary(conn, keep.id),
        "merged": b["ref"],
        "changed": {k: {"from": a[k], "to": v} for k, v in changes.items()},
        "record": customer_record(storage.get_customer(conn, keep.id)),
    }


def _merged_fields(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """The first record's values, its gaps filled from the second; dates widened to cover both."""
    import json

    merged: dict[str, Any] = {}
    for name in ("phone", "email", "owner", "contract_end", "branch"):
        merged[name] = a[name] or b[name]
    notes = [n for n in (a["notes"], b["notes"]) if n]
    merged["notes"] = "\n".join(dict.fromkeys(notes)) or None
    for name in ("first_purchase", "added", "converted_on"):
        merged[name] = min((v for v in (a[name], b[name]) if v), default=None)
    for name in ("last_purchase", "last_success"):
        merged[name] = max((v for v in (a[name], b[name]) if v), default=None)
    latest = a if (a["last_contact"] or "") >= (b["last_contact"] or "") else b
    for name in ("last_contact", "last_outcome", "last_note"):
        merged[name] = latest[name]
    # Someone who bought is no longer a prospect, whichever record says so.
    merged["tier"] = b["tier"] if a["tier"] == "prospect" and b["tier"] != "prospect" else a["tier"]
    # An objection to contact is absolute; one active record means the person is still here.
    merged["do_not_contact"] = int(bool(a["do_not_contact"] or b["do_not_contact"]))
    active = "active" in (a["status"], b["status"])
    merged["status"] = "active" if active else a["status"]
    merged["churned_on"] = (
        None if active else max(a["churned_on"] or "", b["churned_on"] or "") or None
    )
    extra = {**json.loads(b["extra"] or "{}"), **json.loads(a["extra"] or "{}")}
    merged["extra"] = json.dumps(extra, ensure_ascii=False) if extra else None
    return merged


def _keep_one_open_followup(conn: sqlite3.Connection, keep_id: int, other_id: int) -> None:
    """Of two open follow-ups, the one under way (a check-back, a retry) or due first stays."""
    candidates = storage.open_followups_of(conn, keep_id) + storage.open_followups_of(
        conn, other_id
    )
    if len(candidates) < 2:
        return
    candidates.sort(
        key=lambda f: (f["kind"] != "check-back", f["attempts"] == 0, f["due_date"], f["id"])
    )
    for extra in candidates[1:]:
        storage.set_followup_status(conn, extra["id"], "cancelled")


# --- timeline -----------------------------------------------------------------------------------

_ORDER_IN_DAY = {"added": 0, "purchase": 1, "change": 2, "contact": 3, "snooze": 4, "planned": 5}


def timeline(conn: sqlite3.Connection, key: str) -> dict[str, Any]:
    """`show`: the customer's record, and their story in date order: joined, purchases,
    contacts, snoozes, tier/owner (and other) changes, and what is planned next."""
    customer = resolve_customer(conn, key)
    record = show_customer(conn, customer.ref)
    events: list[dict[str, Any]] = [{"date": record["added"], "kind": "added"}]
    for row in storage.purchases_of(conn, customer.id):
        events.append(
            {
                "date": row["date"],
                "kind": "purchase",
                "amount": row["amount"],
                "order": row["order_ref"],
            }
        )
    for row in storage.customer_changes_of(conn, customer.id):
        events.append(
            {
                "date": row["date"],
                "kind": "change",
                "field": row["field"],
                "from": row["old"],
                "to": row["new"],
                "source": row["source"],
            }
        )
    for row in storage.contacts_of(conn, customer.id):
        snooze = row["outcome"] == "snoozed"
        event = {
            "date": row["date"],
            "kind": "snooze" if snooze else "contact",
            "contact_id": row["id"],
            "note": row["note"],
        }
        if not snooze:
            event.update(
                outcome=row["outcome"],
                channel=row["channel"],
                score=row["score"],
                nps=row["nps"],
                owner=row["owner"],
            )
        events.append(event)
    if record["next_due"]:
        events.append(
            {"date": record["next_due"], "kind": "planned", "reason": record["next_reason"]}
        )
    events.sort(key=lambda e: (e["date"], _ORDER_IN_DAY[e["kind"]]))
    aliases = storage.aliases_of(conn, customer.id)
    if aliases:  # their other ids: a second account, a customer merged into them
        record["aliases"] = aliases
    record["timeline"] = events
    return record


# --- owner, do-not-contact, coming back ---------------------------------------------------


def assign(
    conn: sqlite3.Connection, key: str, owner: str, today: date | None = None
) -> dict[str, Any]:
    owner = owner.strip()
    if not owner:
        raise FollowupError(_("--owner must not be empty"))
    with storage.transaction(conn):
        customer = resolve_customer(conn, key)
        storage.update_customer(conn, customer.id, {"owner": owner}, storage.write_stamp())
        if owner != customer.owner:  # kept for the customer's timeline in `show`
            storage.record_customer_changes(
                conn,
                customer.id,
                today or date.today(),
                [("owner", customer.owner, owner)],
                "assign",
                storage.write_stamp(),
            )
    return {"customer_id": customer.ref, "name": customer.name, "owner": owner}


def set_opt_out(conn: sqlite3.Connection, key: str, opted_out: bool, today: date) -> dict[str, Any]:
    """Do-not-contact on or off; off plans the next follow-up again."""
    with storage.transaction(conn):
        customer = resolve_customer(conn, key)
        storage.update_customer(
            conn, customer.id, {"do_not_contact": int(opted_out)}, storage.write_stamp()
        )
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
            conn,
            customer.id,
            {"status": "active", "returned_on": on.isoformat()},
            storage.write_stamp(),
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
