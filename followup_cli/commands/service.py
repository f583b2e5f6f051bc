"""What each command does, in domain terms: storage + engine + metrics, returning plain data.

Commands in cli.py call exactly one function here and hand its result to render.py.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from followup_cli import storage
from followup_cli.core.dates import Duration
from followup_cli.core.models import (
    SUCCESSFUL_OUTCOMES,
    Customer,
    CustomerState,
    Plan,
    Rule,
    Settings,
)
from followup_cli.core.schedule import (
    ClosedDay,
    RuleError,
    after_no_answer,
    closed_day_checker,
    plan_check_back,
    plan_next,
)
from followup_cli.errors import FollowupError
from followup_cli.i18n import _


def _now() -> str:
    """A write's time stamp; to the microsecond, so that `imports undo` can tell an import's
    own writes from anything done after it."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def customer_state(customer: Customer, facts: storage.PlanFacts) -> CustomerState:
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
        previous_due=facts.previous_due,
        renewal_done_for=facts.renewal_done_for,
        purchase_gaps=facts.purchase_gaps,
        repurchase_done_for=facts.repurchase_done_for,
        dated_fields=tuple((k, str(v)) for k, v in customer.extra.items()),
        occasions_done=facts.occasions_done,
    )


@dataclass
class Scheduler:
    """The engine with this shop's rules, settings and closed days, loaded once per command."""

    rules: dict[str, Rule]
    settings: Settings
    is_closed: ClosedDay

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> Scheduler:
        settings = storage.load_settings(conn)
        try:
            return cls(storage.load_rules(conn), settings, closed_day_checker(settings))
        except RuleError as exc:
            raise FollowupError(str(exc)) from None

    def next_for(self, state: CustomerState, today: date) -> Plan | None:
        try:
            return plan_next(state, self.rules, self.settings, today, self.is_closed)
        except RuleError as exc:
            raise FollowupError(str(exc)) from None

    def check_back(self, on: date) -> Plan:
        return plan_check_back(on, self.settings, self.is_closed)

    def retry_date(self, attempts: int, on: date) -> date | None:
        return after_no_answer(attempts, on, self.settings, self.is_closed)


REPLAN_BATCH = 500


def replan(
    conn: sqlite3.Connection,
    customer_ids: list[int],
    today: date,
    scheduler: Scheduler | None = None,
) -> int:
    """Plan a follow-up for each customer that has none open; returns how many were planned.
    Their records and planning facts are read 500 customers at a time."""
    scheduler = scheduler or Scheduler.load(conn)
    planned = []
    ids = list(dict.fromkeys(customer_ids))
    for start in range(0, len(ids), REPLAN_BATCH):
        chunk = ids[start : start + REPLAN_BATCH]
        facts = storage.plan_facts(conn, chunk)
        waiting = [cid for cid in chunk if not facts[cid].has_open]
        rows = storage.customer_rows_by_ids(conn, waiting)  # no spend or branch: not needed
        customers = {cid: storage.row_to_customer(row) for cid, row in rows.items()}
        for customer_id in waiting:
            customer = customers.get(customer_id) or storage.get_customer(conn, customer_id)
            plan = scheduler.next_for(customer_state(customer, facts[customer_id]), today)
            if plan is not None:
                planned.append((customer_id, plan))
    storage.insert_followups(conn, planned)
    return len(planned)


# --- finding a customer ---------------------------------------------------------------------


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
    (VIP first), longest overdue first, and name. Read-only: listing changes nothing.
    """
    from followup_cli.planner.winback import WinBackQueue

    rules = storage.load_rules(conn)
    queue = WinBackQueue.load(conn, rules, on)
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


def _due_items(rows: list[Any], on: date, rules: dict[str, Rule], queue: Any) -> list[DueItem]:
    described = {tier: rule.describe() for tier, rule in rules.items()}
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
        win_back = row["kind"] == "cadence" and queue.at_risk(row["ref"], row["tier"], activity)
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


def check_owner(conn: sqlite3.Connection, owner: str) -> None:
    """An empty list for a mistyped owner would look like a quiet day: say so instead."""
    from followup_cli.i18n import _

    known = storage.owner_names(conn)
    if owner.strip().casefold() not in {name.casefold() for name in known}:
        raise FollowupError(
            _("no customer is followed up by {owner!r} (owners: {known})").format(
                owner=owner, known=", ".join(known) or "none yet"
            )
        )


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
            conn, customer.id, _contact_changes(customer, outcome, on, note), _now()
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
    from followup_cli.i18n import _

    if outcome == "converted" and customer.tier != "prospect":
        from followup_cli import wording

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
        from followup_cli import wording

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
        from followup_cli.planner.returning import came_back

        changes.update(_conversion_changes(customer, on))
        changes.update(came_back(customer.status, customer.churned_on, [on]))
    elif outcome == "lost":
        changes.update({"status": "churned", "churned_on": on.isoformat(), "returned_on": None})
    elif outcome == "opt-out":
        changes["do_not_contact"] = 1
    return changes


def _settle_followup(
    conn, followup, outcome: str, on: date, scheduler: Scheduler, channel: str | None
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
    return record


def export_customers(
    conn: sqlite3.Connection, branches: Sequence[str] | None = None
) -> Iterator[dict[str, Any]]:
    """Every customer (of one branch, with `branches`: its stored spellings), a customer at a
    time (memory stays flat however many customers and columns); those with purchases carry
    their value segment and R, F, M scores."""
    from followup_cli.planner.purchases import customer_segments

    values = customer_segments(conn)
    none = {"segment": None, "rfm": None, "purchase_days": None}
    wanted = None if branches is None else set(branches)
    return (
        {**customer_record(c), **values.get(c.id, none)}
        for c in storage.all_customers(conn)
        if wanted is None or c.in_branch in wanted
    )


# --- report -------------------------------------------------------------------------------------


def build_report(
    conn: sqlite3.Connection, start: date, end: date, as_of: date, by: Sequence[str] = ()
) -> dict[str, Any]:
    """Every metric for the period, overall and broken down `by` dimensions."""
    from followup_cli.core import metrics
    from followup_cli.core.schedule import effective_interval

    if start > end:
        raise FollowupError(_("--from {start} is after --to {end}").format(start=start, end=end))
    unknown = [d for d in by if d not in metrics.DIMENSIONS]
    if unknown:
        raise FollowupError(
            _("cannot break down by {dimension!r} (use {choices})").format(
                dimension=unknown[0], choices=", ".join(metrics.DIMENSIONS)
            )
        )
    by = list(dict.fromkeys(by))
    if "segment" in by:
        from followup_cli.planner.purchases import use_segments

        use_segments(conn)
    period = {"from": start.isoformat(), "to": end.isoformat(), "as_of": as_of.isoformat()}
    if start > as_of:  # nothing in it has happened yet: no rate can be worked out
        period.update(counted_to=None, cut_short=True)
        return {"period": period, "overall": metrics.no_data().as_dict(), "by": by, "breakdown": []}
    # Days after the report date have not happened: a call due then is not a failure yet.
    period.update(counted_to=min(end, as_of).isoformat(), cut_short=end > as_of)
    end = min(end, as_of)
    settings = storage.load_settings(conn)
    rules = storage.load_rules(conn)
    intervals = {t: i for t in rules if (i := effective_interval(t, rules)) is not None}
    iso = date.fromisoformat
    dims = sorted({d for d in by if d != "month"}) + (["month"] if "month" in by else [])

    def day_of(row: Any) -> date:
        """A tally's date: the period's first day, or its month's (within the period)."""
        if "month" not in dims:
            return start
        return max(start, iso(row["month"] + "-01"))

    def keys(row: Any) -> dict[str, str]:
        return {d: row[d] for d in dims if d != "month"}

    facts = metrics.Facts(
        followups=[
            metrics.FollowupFact(day_of(r), r["planned"], r["completed"], **keys(r))
            for r in storage.report_followups(conn, start, end, dims)
        ],
        customers=[],
        scores=[
            metrics.ScoreFact(
                day_of(r),
                r["scores"],
                r["score_total"],
                r["satisfied"],
                r["answers"],
                r["promoters"],
                r["detractors"],
                **keys(r),
            )
            for r in storage.report_scores(conn, start, end, dims)
        ],
        open_items=[
            metrics.OpenFact(
                iso(r["due_date"]) if "month" in dims else as_of - timedelta(days=1),
                r["count"],
                **{d: r[d] for d in dims if d in ("tier", "owner", "segment", "branch")},
            )
            for r in storage.report_open_items(conn, as_of, dims)
            if r["count"]
        ],
    )
    window = settings.churn_window
    risk_before = metrics.risk_thresholds(intervals, as_of)

    def count_source(group: Sequence[str], first: date, last: date):
        thresholds = metrics.churn_thresholds(first, last, as_of, window)
        own = _own_churn(settings, intervals, first, last, as_of)
        rows = storage.customer_counts(conn, group, first, last, thresholds, risk_before, own)
        return {
            tuple(row[f"group_{d}"] for d in group): metrics.CustomerCounts(
                *(
                    row[k] or 0
                    for k in ("active_at_start", "churned", "prospects", "converted", "churn_risk")
                )
            )
            for row in rows
        }

    facts.count_source = count_source
    counts = metrics.customer_counts(facts, (), start, end).get((), metrics.CustomerCounts())
    overall = metrics.compute(facts, start, end, as_of, counts)
    rows = metrics.breakdown(facts, by, start, end, as_of) if by else []
    from followup_cli.planner.purchases import win_back_figures

    return {
        "period": period,
        "overall": overall.as_dict(),
        "by": by,
        "breakdown": rows,
        # the churn definition in force, as stored: the views put it into words
        "churn_definition": settings.churn_definition,
        "churn_factor": Settings.format_value(settings.churn_factor),
        "churn_window": Settings.format_value(settings.churn_window),
        "win_back": win_back_figures(conn, start, end, settings),
    }


def _own_churn(
    settings: Settings, intervals: dict[str, Duration], first: date, last: date, as_of: date
) -> dict[str, Any] | None:
    """The per-customer churn definition's parameters for the SQL count, when in force."""
    if settings.churn_definition != "rhythm":
        return None
    from followup_cli.core.rhythm import interval_days

    one = timedelta(days=1)
    factor = settings.churn_factor
    return {
        "factor": (factor.numerator, factor.denominator),
        "intervals": {tier: interval_days(i) for tier, i in intervals.items()},
        "counts_from": min(first, as_of + one),
        "counts_until": min(last, as_of) + one,
        "as_of": as_of,
    }


def export_history(
    conn: sqlite3.Connection, branches: Sequence[str] | None = None
) -> Iterator[dict[str, Any]]:
    """A contact at a time: a million contacts export in the memory of one (of one branch's
    customers, with `branches`)."""
    return (dict(row) for row in storage.history_export(conn, branches))


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
    import json

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
    import json

    from followup_cli import wording
    from followup_cli.i18n import _

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
                storage.update_customer(conn, customer.id, fields, _now())
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
    from followup_cli import wording

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
    from followup_cli.i18n import _

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
