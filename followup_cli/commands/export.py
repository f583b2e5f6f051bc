"""`export customers` and `export history`: every row, one at a time.

Memory stays flat however many customers, columns and contacts a shop has: both return
iterators the writer drains; a customer is the record `show` gives (commands/lookup.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from followup_cli import storage
from followup_cli.commands.lookup import customer_record


def export_customers(
    conn: sqlite3.Connection, branches: Sequence[str] | None = None
) -> Iterator[dict[str, Any]]:
    """Every customer (of one branch, with `branches`: its stored spellings), a customer at a
    time (memory stays flat however many customers and columns); those with purchases carry
    their value segment and R, F, M scores."""
    from followup_cli.planner.purchases import customer_segments

    values = customer_segments(conn)
    none = {"segment": None, "rfm": None, "purchase_days": None}
    outlooks = storage.all_purchase_scores(conn)
    model = storage.purchase_model_row(conn)
    scored_on = model["scored_on"] if model else None
    no_outlook = dict.fromkeys(OUTLOOK_COLUMNS)
    wanted = None if branches is None else set(branches)
    return (
        {
            **customer_record(c),
            **values.get(c.id, none),
            **_outlook(outlooks.get(c.id), scored_on, no_outlook),
        }
        for c in storage.all_customers(conn)
        if wanted is None or c.in_branch in wanted
    )


# What the shop's purchase model expected of the customer at the last purchases import, over
# the next 90 days (README: "What the shop's own history predicts").
OUTLOOK_COLUMNS = ("p_alive", "expected_purchases", "next_purchase", "expected_spend", "outlook_on")


def _outlook(
    scores: dict[str, Any] | None, scored_on: str | None, none: dict[str, Any]
) -> dict[str, Any]:
    if scores is None:
        return none
    return {**{key: scores[key] for key in OUTLOOK_COLUMNS[:-1]}, "outlook_on": scored_on}


def export_history(
    conn: sqlite3.Connection, branches: Sequence[str] | None = None
) -> Iterator[dict[str, Any]]:
    """A contact at a time: a million contacts export in the memory of one (of one branch's
    customers, with `branches`)."""
    return (dict(row) for row in storage.history_export(conn, branches))
