"""Each customer's outlook under the shop's own purchase model, kept up to date at import.

After a purchases import changed something, the model (core/purchase_model.py) is fitted to
every customer's purchase days and each customer's outlook over the next OUTLOOK_DAYS is
stored, so `show` and `export customers` read it without fitting. The fit runs after the
import's commit and outside any write lock (about a second for 25 000 customers); only the
short replacement of the stored table takes the lock.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from typing import Any

from followup_cli import storage
from followup_cli.planner.replan import Scheduler, replan

OUTLOOK_DAYS = 90  # what "expected purchases" and "expected spend" are counted over


def histories_until(conn: sqlite3.Connection, cut: date) -> list[tuple[tuple[str, str, str], Any]]:
    """((customer id, name, tier), (their History at `cut`, their purchase days)) for every
    customer with a purchase on or before `cut`."""
    from followup_cli.core.purchase_model import history_of

    return [
        ((ref, name, tier), (history_of(days, spend, cut), days))
        for ref, name, tier, days, spend in storage.purchase_days_until(conn, cut)
    ]


def fitted_model(histories: list[Any]) -> Any:
    """The buying model and the spend model fitted to these histories; raises
    purchase_model.TooLittleHistory when they cannot tell a rate from chance."""
    from followup_cli.core.purchase_model import fit, fit_spend

    return fit_spend(fit(histories), histories)


def refresh_outlook(conn: sqlite3.Connection, on: date) -> int | None:
    """Fit the model to the purchases up to `on` and store every customer's outlook; the
    number of customers scored, or None when the history is too short (nothing stored)."""
    from followup_cli.core.purchase_model import (
        GONE_BELOW,
        SLIPPING_BELOW,
        TooLittleHistory,
        days_until_below,
        next_purchase,
        score_all,
    )

    rows = histories_until(conn, on)
    histories = [history for _who, (history, _days) in rows]
    try:
        model = fitted_model(histories) if histories else None
    except TooLittleHistory:
        model = None
    if model is None:
        with storage.transaction(conn):
            storage.clear_purchase_scores(conn)
        return None
    outlooks = score_all(model, histories, OUTLOOK_DAYS)
    slipping = _days_from_first(on, histories, days_until_below(model, histories, SLIPPING_BELOW))
    gone = _days_from_first(on, histories, days_until_below(model, histories, GONE_BELOW))
    scores = [
        (
            ref,
            round(o.p_alive, 4),
            round(o.expected_purchases, 3),
            next_purchase(on, o).isoformat(),
            None if o.expected_spend is None else round(o.expected_spend, 2),
            slipping_on,
            gone_on,
        )
        for ((ref, _name, _tier), _history), o, slipping_on, gone_on in zip(
            rows, outlooks, slipping, gone, strict=True
        )
    ]
    params = model.as_dict()
    with storage.transaction(conn):
        return storage.replace_purchase_scores(
            conn, on, OUTLOOK_DAYS, params, scores, storage.write_stamp()
        )


def replan_by_model(
    conn: sqlite3.Connection,
    customer_ids: list[int],
    today: date,
    scheduler: Scheduler | None = None,
) -> int:
    """After a fit: the calls nobody has worked on of these customers (whose purchases
    changed) planned again, so their repurchase call falls on the day the model now expects
    them back; nothing when the model does not date calls. How many were planned."""
    scheduler = scheduler or Scheduler.load(conn)
    if not customer_ids or not scheduler.model_dates:
        return 0
    with storage.transaction(conn):
        taken = storage.take_back_unstarted(conn, customer_ids)
        return replan(conn, taken, today, scheduler)


def _days_from_first(on: date, histories: list[Any], days: list[int | None]) -> list[str | None]:
    """Days counted from each customer's first purchase day, as ISO dates."""
    return [
        None if n is None else (on - timedelta(days=h.age) + timedelta(days=n)).isoformat()
        for h, n in zip(histories, days, strict=True)
    ]


def follow_up_effect(conn: sqlite3.Connection, start: date, end: date) -> dict[str, Any] | None:
    """Did following up help? For the customers a contact reached in [start, end] and for
    those it did not: the purchase days they really had in the period, beside the purchase
    days the stored model expected of them from their history before it (a call or not).
    None when no model is stored or nobody had bought before the period."""
    row = storage.purchase_model_row(conn)
    if row is None:
        return None
    import json

    from followup_cli.core.purchase_model import ShopModel, history_of, score_all

    model = ShopModel(**json.loads(row["params"]))
    before = start - timedelta(days=1)
    refs, histories, actual = [], [], []
    for ref, _name, _tier, days, spend in storage.purchase_days_until(conn, end):
        known = [i for i, day in enumerate(days) if day <= before]
        if not known:
            continue
        refs.append(ref)
        histories.append(history_of([days[i] for i in known], [spend[i] for i in known], before))
        actual.append(len(days) - len(known))
    if not histories:
        return None
    outlooks = score_all(model, histories, (end - start).days + 1)
    reached = storage.reached_refs(conn, start, end)
    groups: dict[str, dict[str, Any]] = {
        "reached": {"customers": 0, "purchase_days": 0, "expected": 0.0},
        "not_reached": {"customers": 0, "purchase_days": 0, "expected": 0.0},
    }
    for ref, bought, outlook in zip(refs, actual, outlooks, strict=True):
        group = groups["reached" if ref in reached else "not_reached"]
        group["customers"] += 1
        group["purchase_days"] += bought
        group["expected"] += outlook.expected_purchases
    for group in groups.values():
        group["expected"] = round(group["expected"], 1)
    return groups
