"""Purchases and the facts that drive the plan: rhythm, value segments, win-back."""

import itertools
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from followup_cli.storage.connection import _chunks
from followup_cli.storage.dialect import plus_days


def insert_purchase(
    conn: sqlite3.Connection,
    customer_id: int,
    on: str,
    amount: float | None,
    order_ref: str,
    import_id: int | None,
) -> bool:
    """True when the purchase is new (the same line imported twice counts once)."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO purchases (customer_id, date, amount, order_ref, import_id) "
        "VALUES (?, ?, ?, ?, ?)",
        (customer_id, on, amount, order_ref, import_id),
    )
    return cursor.rowcount > 0


def delete_purchases_of_import(conn: sqlite3.Connection, import_id: int) -> None:
    conn.execute("DELETE FROM purchases WHERE import_id = ?", (import_id,))


def count_purchases_of_import(conn: sqlite3.Connection, import_id: int) -> int:
    """How many purchases this import added (its undo takes them back)."""
    query = "SELECT COUNT(*) FROM purchases WHERE import_id = ?"
    return int(conn.execute(query, (import_id,)).fetchone()[0])


def refresh_purchase_stats(conn: sqlite3.Connection, customer_ids: Iterable[int] | None) -> None:
    """Recompute the purchase facts of these customers (None: everyone) from their purchases:
    distinct purchase days, total spend, first and last day, and the gaps between days."""
    if customer_ids is None:
        conn.execute("DELETE FROM purchase_stats")
        _write_stats(conn, conn.execute(_STATS_SOURCE.format(where="")))
        return
    for chunk in _chunks(sorted(set(customer_ids))):
        marks = ", ".join("?" * len(chunk))
        conn.execute(f"DELETE FROM purchase_stats WHERE customer_id IN ({marks})", chunk)
        where = f"WHERE customer_id IN ({marks}) "
        _write_stats(conn, conn.execute(_STATS_SOURCE.format(where=where), chunk))


_STATS_SOURCE = (
    "SELECT customer_id, date, COALESCE(SUM(amount), 0) FROM purchases {where}"
    "GROUP BY customer_id, date ORDER BY customer_id, date"
)


def _write_stats(conn: sqlite3.Connection, rows: Iterable[Sequence[Any]]) -> None:
    def per_customer() -> Iterator[tuple[Any, ...]]:
        current, days, spend = None, [], 0.0
        for customer_id, day, amount in rows:
            if customer_id != current:
                if current is not None:
                    yield _stats_row(current, days, spend)
                current, days, spend = customer_id, [], 0.0
            days.append(date.fromisoformat(day))
            spend += amount
        if current is not None:
            yield _stats_row(current, days, spend)

    conn.executemany(
        "INSERT INTO purchase_stats (customer_id, days, spend, first_day, last_day, gaps, "
        "median2) VALUES (?, ?, ?, ?, ?, ?, ?)",
        per_customer(),
    )


def _stats_row(customer_id: int, days: list[date], spend: float) -> tuple[Any, ...]:
    """One customer's facts; median2 is twice the median gap (a whole number) for SQL."""
    gaps = sorted((b - a).days for a, b in itertools.pairwise(days))
    middle = len(gaps) // 2
    median2 = (gaps[middle] + gaps[~middle]) if gaps else None
    return (
        customer_id,
        len(days),
        round(spend, 2),
        days[0].isoformat(),
        days[-1].isoformat(),
        ",".join(str((b - a).days) for a, b in itertools.pairwise(days)),
        median2,
    )


def parse_gaps(text: str | None) -> tuple[int, ...]:
    return tuple(int(g) for g in text.split(",")) if text else ()


def purchase_stats_row(conn: sqlite3.Connection, customer_id: int) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT * FROM purchase_stats WHERE customer_id = ?", (customer_id,)
    ).fetchone()


def stats_by_ref(conn: sqlite3.Connection, refs: Sequence[str]) -> dict[str, sqlite3.Row]:
    """Purchase facts of a few customers named by their ids (today's listed lines)."""
    found: dict[str, sqlite3.Row] = {}
    for start in range(0, len(refs), 500):
        chunk = list(refs[start : start + 500])
        rows = conn.execute(
            f"SELECT c.ref, s.* FROM customers c JOIN purchase_stats s ON s.customer_id = c.id "
            f"WHERE c.ref IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
        found.update({row["ref"]: row for row in rows})
    return found


def all_purchase_stats(conn: sqlite3.Connection) -> dict[int, sqlite3.Row]:
    return {row["customer_id"]: row for row in conn.execute("SELECT * FROM purchase_stats")}


_STATS_COLUMNS = {"recency": "last_day", "frequency": "days", "monetary": "spend"}


def rfm_cut_points(conn: sqlite3.Connection) -> tuple[int, dict[str, list[Any]]]:
    """How many customers have purchases, and for R, F and M the cut points: the values at
    positions ceil(k x N / 5), k = 1..4, of the sorted values (read from indexes)."""
    count = conn.execute("SELECT COUNT(*) FROM purchase_stats").fetchone()[0]
    cuts: dict[str, list[Any]] = {}
    for name, column in _STATS_COLUMNS.items():
        cuts[name] = (
            [
                conn.execute(
                    f"SELECT {column} FROM purchase_stats ORDER BY {column} LIMIT 1 OFFSET ?",
                    ((k * count + 4) // 5 - 1,),
                ).fetchone()[0]
                for k in range(1, 5)
            ]
            if count
            else []
        )
    return count, cuts


def segment_tallies(conn: sqlite3.Connection, high: dict[str, Any]) -> list[sqlite3.Row]:
    """Customers and spend per combination of high/low R, F and M (high: above the value)."""
    return conn.execute(
        "SELECT last_day > :recency AS r, days > :frequency AS f, spend > :monetary AS m, "
        "COUNT(*) AS customers, COALESCE(SUM(spend), 0) AS spend FROM purchase_stats "
        "GROUP BY 1, 2, 3",
        high,
    ).fetchall()


def segment_members(
    conn: sqlite3.Connection, high: dict[str, Any], flags: tuple[bool, bool, bool]
) -> list[int]:
    """Ids of the customers in one segment (one combination of high/low R, F, M)."""
    signs = [">" if flag else "<=" for flag in flags]
    return [
        row[0]
        for row in conn.execute(
            f"SELECT customer_id FROM purchase_stats WHERE last_day {signs[0]} :recency "
            f"AND days {signs[1]} :frequency AND spend {signs[2]} :monetary",
            high,
        )
    ]


def segment_member_refs(
    conn: sqlite3.Connection, high: dict[str, Any], flags: tuple[bool, bool, bool]
) -> list[str]:
    ids = segment_members(conn, high, flags)
    refs: list[str] = []
    for chunk in _chunks(ids):
        refs += [
            row[0]
            for row in conn.execute(
                f"SELECT ref FROM customers WHERE id IN ({', '.join('?' * len(chunk))})", chunk
            )
        ]
    return refs


def win_back_tallies(
    conn: sqlite3.Connection, start: date, end: date, within_days: int
) -> sqlite3.Row:
    """Dormant customers contacted (contact made) in the period, and how many of them bought
    within `within_days` days of that contact (a purchase imported, or a later last purchase)."""
    until = plus_days(conn, "k.date", ":within")
    return conn.execute(
        "SELECT COUNT(*) AS contacted, COALESCE(SUM(bought), 0) AS bought FROM ("
        "SELECT k.customer_id, MAX(CASE WHEN EXISTS (SELECT 1 FROM purchases p "
        f"WHERE p.customer_id = k.customer_id AND p.date BETWEEN k.date AND {until}) "
        f"OR (c.last_purchase BETWEEN k.date AND {until}) THEN 1 ELSE 0 END) AS bought "
        "FROM contacts k JOIN customers c ON c.id = k.customer_id "
        "WHERE k.win_back = 1 AND k.date BETWEEN :start AND :end "
        "AND k.outcome IN ('reached', 'complaint', 'converted', 'lost') GROUP BY k.customer_id"
        ") AS per_customer",
        {"start": start.isoformat(), "end": end.isoformat(), "within": within_days},
    ).fetchone()
