"""Each customer's purchase days with their spend: what the purchase model learns from."""

import sqlite3
from collections.abc import Iterator
from datetime import date


def purchase_days_until(
    conn: sqlite3.Connection, until: date
) -> Iterator[tuple[str, str, str, list[date], list[float]]]:
    """Per customer with a purchase on or before `until`: (customer id, name, tier, their
    distinct purchase days in order, the spend of each day), in customer order."""
    rows = conn.execute(
        "SELECT c.ref, c.name, c.tier, p.date, COALESCE(SUM(p.amount), 0) "
        "FROM purchases p JOIN customers c ON c.id = p.customer_id "
        "WHERE p.date <= ? GROUP BY c.ref, c.name, c.tier, p.date ORDER BY c.ref, p.date",
        (until.isoformat(),),
    )
    current: tuple[str, str, str] | None = None
    days: list[date] = []
    spend: list[float] = []
    for ref, name, tier, day, amount in rows:
        if current is None or ref != current[0]:
            if current is not None:
                yield (*current, days, spend)
            current, days, spend = (ref, name, tier), [], []
        days.append(date.fromisoformat(day))
        spend.append(float(amount))
    if current is not None:
        yield (*current, days, spend)


def purchase_days_between(
    conn: sqlite3.Connection, after: date, until: date
) -> dict[str, list[date]]:
    """Each customer's distinct purchase days in (after, until], by customer id."""
    found: dict[str, list[date]] = {}
    for ref, day in conn.execute(
        "SELECT DISTINCT c.ref, p.date FROM purchases p JOIN customers c ON c.id = p.customer_id "
        "WHERE p.date > ? AND p.date <= ? ORDER BY c.ref, p.date",
        (after.isoformat(), until.isoformat()),
    ):
        found.setdefault(ref, []).append(date.fromisoformat(day))
    return found


def has_purchases(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM purchases LIMIT 1").fetchone() is not None


def reached_refs(conn: sqlite3.Connection, start: date, end: date) -> set[str]:
    """The customers a contact reached in [start, end] (reached, complaint or converted)."""
    return {
        ref
        for (ref,) in conn.execute(
            "SELECT DISTINCT c.ref FROM contacts t JOIN customers c ON c.id = t.customer_id "
            "WHERE t.date >= ? AND t.date <= ? "
            "AND t.outcome IN ('reached', 'complaint', 'converted')",
            (start.isoformat(), end.isoformat()),
        )
    }
