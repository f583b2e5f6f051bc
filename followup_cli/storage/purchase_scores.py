"""What the purchase model fitted at the last purchases import expects of each customer.

Stored so that `show` and `export customers` read a customer's outlook without fitting; the
fit (planner/purchase_outlook.py) replaces the whole table in the import's own commit.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import date
from typing import Any

from followup_cli.storage.connection import _chunks

SCORE_COLUMNS = ("p_alive", "expected_purchases", "next_purchase", "expected_spend")


def replace_purchase_scores(
    conn: sqlite3.Connection,
    scored_on: date,
    horizon_days: int,
    model: dict[str, Any],
    scores: Iterable[tuple[str, float, float, str, float | None, str | None, str | None]],
    fitted_at: str,
) -> int:
    """The model and every customer's (customer id, p_alive, expected purchases, next
    purchase, expected spend, slipping on, gone on), in place of the last ones; the number
    of customers scored."""
    clear_purchase_scores(conn)
    rows = [(*values, ref) for ref, *values in scores]
    conn.executemany(
        "INSERT INTO purchase_scores (customer_id, p_alive, expected_purchases, next_purchase, "
        "expected_spend, slipping_on, gone_on) SELECT id, ?, ?, ?, ?, ?, ? FROM customers "
        "WHERE ref = ?",
        rows,
    )
    conn.execute(
        "INSERT INTO purchase_model (id, scored_on, horizon_days, customers, params, fitted_at) "
        "VALUES (1, ?, ?, ?, ?, ?)",
        (scored_on.isoformat(), horizon_days, len(rows), json.dumps(model), fitted_at),
    )
    return len(rows)


def clear_purchase_scores(conn: sqlite3.Connection) -> None:
    """No outlook at all (the history became too short to learn from)."""
    conn.execute("DELETE FROM purchase_scores")
    conn.execute("DELETE FROM purchase_model")


def forget_scores_of(conn: sqlite3.Connection, customer_ids: list[int]) -> None:
    """These customers' purchases changed: what the model said of them is out of date until
    the next fit scores them again."""
    for chunk in _chunks(customer_ids):
        marks = ", ".join("?" * len(chunk))
        conn.execute(f"DELETE FROM purchase_scores WHERE customer_id IN ({marks})", chunk)


def has_purchase_model(conn: sqlite3.Connection) -> bool:
    """Whether a purchase model is stored (the history was long enough at the last import)."""
    return conn.execute("SELECT COUNT(*) FROM purchase_model").fetchone()[0] > 0


def spread_calls_by_value(
    conn: sqlite3.Connection, first: date, last: date
) -> list[tuple[int, str, float | None, float | None]]:
    """The unstarted cadence and repurchase calls showing from `first` to `last`, as (id,
    show date, expected spend, expected purchases), the stored model's figures or None."""
    return [
        (row[0], row[1], row[2], row[3])
        for row in conn.execute(
            "SELECT f.id, f.show_date, ps.expected_spend, ps.expected_purchases "
            "FROM followups f LEFT JOIN purchase_scores ps ON ps.customer_id = f.customer_id "
            "WHERE f.status = 'open' AND f.attempts = 0 AND f.kind IN ('cadence', 'repurchase') "
            "AND f.show_date >= :first AND f.show_date <= :last ORDER BY f.show_date, f.id",
            {"first": first.isoformat(), "last": last.isoformat()},
        )
    ]


def purchase_model_row(conn: sqlite3.Connection) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT scored_on, horizon_days, customers, params, fitted_at FROM purchase_model"
    ).fetchone()


def all_purchase_scores(conn: sqlite3.Connection) -> dict[int, dict[str, Any]]:
    """Every scored customer's outlook, by internal customer id, with the days the model
    sees them slipping and gone."""
    columns = (*SCORE_COLUMNS, "slipping_on", "gone_on")
    return {
        row[0]: dict(zip(columns, row[1:], strict=True))
        for row in conn.execute(
            "SELECT customer_id, p_alive, expected_purchases, next_purchase, expected_spend, "
            "slipping_on, gone_on FROM purchase_scores"
        )
    }


_ONE_OUTLOOK = (
    "SELECT s.p_alive, s.expected_purchases, s.next_purchase, s.expected_spend "
    "FROM purchase_scores s JOIN customers c ON c.id = s.customer_id WHERE "
)


def purchase_scores_of(conn: sqlite3.Connection, customer_id: int) -> dict[str, Any] | None:
    return _one_outlook(conn, "c.id = ?", customer_id)


def purchase_scores_of_ref(conn: sqlite3.Connection, ref: str) -> dict[str, Any] | None:
    """The outlook of the customer the shop knows by `ref` (its own customer id)."""
    return _one_outlook(conn, "c.ref = ?", ref)


def _one_outlook(conn: sqlite3.Connection, which: str, key: Any) -> dict[str, Any] | None:
    row = conn.execute(_ONE_OUTLOOK + which, (key,)).fetchone()
    return None if row is None else dict(zip(SCORE_COLUMNS, tuple(row), strict=True))
