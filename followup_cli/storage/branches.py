"""Branches of a chain: the branch a customer falls under, staff and the branch they work at.

A customer's branch is their own (`customers.branch`, from an import or `edit --branch`), else
the branch of the staff member who follows them up (`staff.branch`, matched on the owner's name
in any case), else none. That rule is written once, in `branch_of`, and every query that lists,
filters or counts by branch uses it.
"""

import sqlite3
from collections.abc import Sequence
from datetime import date


def branch_of(alias: str) -> str:
    """SQL for the branch the customer row `alias` falls under (NULL for none)."""
    return (
        f"COALESCE({alias}.branch, (SELECT s.branch FROM staff s "
        f"WHERE s.name_key = LOWER({alias}.owner)))"
    )


def branch_filter(alias: str, names: Sequence[str] | None) -> tuple[str, list[str]]:
    """` AND <branch in names>` with its parameters; nothing when `names` is None."""
    if names is None:
        return "", []
    marks = ", ".join("?" * len(names))
    return f" AND {branch_of(alias)} IN ({marks})", list(names)


def has_branches(conn: sqlite3.Connection) -> bool:
    """Whether this shop is a chain: some customer or staff member has a branch."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM customers WHERE branch IS NOT NULL) "
        "OR EXISTS (SELECT 1 FROM staff WHERE branch IS NOT NULL)"
    ).fetchone()
    return bool(row[0])


def branch_names(conn: sqlite3.Connection) -> list[str]:
    """Every branch name stored, as written (customers' own and staff members'), in code
    point order whatever the engine's collation."""
    rows = conn.execute(
        "SELECT branch FROM customers WHERE branch IS NOT NULL "
        "UNION SELECT branch FROM staff WHERE branch IS NOT NULL"
    )
    return sorted(row[0] for row in rows)


def staff_members(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """The staff table: name and branch, by name."""
    return conn.execute("SELECT name, branch FROM staff ORDER BY name").fetchall()


def staff_member(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    """A staff member by name, in any case."""
    return conn.execute(
        "SELECT name, branch FROM staff WHERE name_key = LOWER(CAST(? AS TEXT))", (name,)
    ).fetchone()


def set_staff_branch(conn: sqlite3.Connection, name: str, branch: str | None, now: str) -> None:
    """Put a staff member in a branch (None: in none), keeping one row per name in any case."""
    conn.execute("DELETE FROM staff WHERE name_key = LOWER(CAST(? AS TEXT))", (name,))
    conn.execute(
        "INSERT INTO staff (name, name_key, branch, updated_at) "
        "VALUES (?, LOWER(CAST(? AS TEXT)), ?, ?)",
        (name, name, branch, now),
    )


def owner_workload(conn: sqlite3.Connection, on: date) -> list[sqlite3.Row]:
    """Per owner as stored: active customers, open follow-ups, and those on the list by `on`."""
    return conn.execute(
        "SELECT c.owner AS owner, COUNT(DISTINCT c.id) AS customers, COUNT(f.id) AS open, "
        "COALESCE(SUM(CASE WHEN f.show_date <= ? THEN 1 ELSE 0 END), 0) AS due "
        "FROM customers c LEFT JOIN followups f ON f.customer_id = c.id AND f.status = 'open' "
        "WHERE c.owner IS NOT NULL AND c.status = 'active' GROUP BY c.owner ORDER BY c.owner",
        (on.isoformat(),),
    ).fetchall()
