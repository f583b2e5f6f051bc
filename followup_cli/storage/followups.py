"""Follow-ups and contacts: the plan, the queue for today, and taking back a log."""

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from followup_cli.storage.branches import branch_of
from followup_cli.storage.connection import _chunks
from followup_cli.storage.dialect import greatest


def open_followup(conn: sqlite3.Connection, customer_id: int) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT * FROM followups WHERE customer_id = ? AND status = 'open'", (customer_id,)
    ).fetchone()


def insert_followup(conn: sqlite3.Connection, customer_id: int, plan: Any) -> None:
    insert_followups(conn, [(customer_id, plan)])


_RANK_OF_CUSTOMER = (
    "COALESCE((SELECT r.rank FROM customers c JOIN rules r ON r.tier = c.tier WHERE c.id = {}), 99)"
)


def insert_followups(
    conn: sqlite3.Connection,
    planned: Iterable[tuple[int, Any]],
    ranks: dict[int, int] | None = None,
) -> None:
    """New open follow-ups; each carries its tier's rank so today's list sorts by index.

    `ranks` (customer id -> rank) saves looking the rank up when the caller knows it.
    """
    rank = ":rank" if ranks is not None else _RANK_OF_CUSTOMER.format(":id")
    conn.executemany(
        "INSERT INTO followups (customer_id, kind, reason, anchor, due_date, show_date, status,"
        " attempts, rank, occasion, covers_due) VALUES (:id, :kind, :reason, :anchor, :due, "
        f":due, 'open', 0, {rank}, :occasion, :covers)",
        (
            {
                "id": cid,
                "kind": p.kind,
                "reason": p.reason,
                "anchor": p.anchor and p.anchor.isoformat(),
                "due": p.due_date.isoformat(),
                "rank": ranks.get(cid, 99) if ranks is not None else None,
                "occasion": p.occasion,
                "covers": p.covers_due and p.covers_due.isoformat(),
            }
            for cid, p in planned
        ),
    )


def refresh_ranks(conn: sqlite3.Connection, customer_ids: list[int] | None = None) -> None:
    """After a rule or tier change: open follow-ups take their tier's current rank."""
    sql = (
        f"UPDATE followups SET rank = {_RANK_OF_CUSTOMER.format('followups.customer_id')} "
        "WHERE status = 'open'"
    )
    if customer_ids is None:
        conn.execute(sql)
        return
    for chunk in _chunks(customer_ids):
        conn.execute(f"{sql} AND customer_id IN ({', '.join('?' * len(chunk))})", chunk)


def close_followup(
    conn: sqlite3.Connection,
    followup_id: int,
    status: str,
    outcome: str,
    on: date,
    channel: str | None = None,
) -> None:
    conn.execute(
        "UPDATE followups SET status = ?, outcome = ?, closed_on = ?, channel = ? WHERE id = ?",
        (status, outcome, on.isoformat(), channel, followup_id),
    )


def retry_followup(
    conn: sqlite3.Connection, followup_id: int, attempts: int, show_on: date
) -> None:
    conn.execute(
        "UPDATE followups SET attempts = ?, show_date = ?, outcome = 'no-answer' WHERE id = ?",
        (attempts, show_on.isoformat(), followup_id),
    )


# A follow-up with a contact on it (a snooze) has history: re-planning keeps it where the owner
# put it rather than deleting the row its contacts point at.
_UNTOUCHED = "NOT EXISTS (SELECT 1 FROM contacts k WHERE k.followup_id = followups.id)"


def drop_unstarted_followup(conn: sqlite3.Connection, customer_id: int) -> bool:
    """Remove an open follow-up nobody has worked on yet, so it can be re-planned."""
    cursor = conn.execute(
        "DELETE FROM followups WHERE customer_id = ? AND status = 'open' AND attempts = 0 "
        f"AND kind != 'check-back' AND {_UNTOUCHED}",
        (customer_id,),
    )
    return cursor.rowcount > 0


def cancel_open_followup(conn: sqlite3.Connection, customer_id: int) -> None:
    """Withdraw a planned follow-up that will never happen (opt-out before it was due)."""
    conn.execute(
        "UPDATE followups SET status = 'cancelled' WHERE customer_id = ? AND status = 'open'",
        (customer_id,),
    )


def move_followup(conn: sqlite3.Connection, followup_id: int, day: date) -> None:
    """Show a follow-up on another day; its due date stays, for the numbers."""
    conn.execute("UPDATE followups SET show_date = ? WHERE id = ?", (day.isoformat(), followup_id))


def customers_with_unstarted_followups(
    conn: sqlite3.Connection, tiers: set[str] | None
) -> list[int]:
    """Customers whose open follow-up nobody has worked on yet (safe to re-plan)."""
    sql = (
        "SELECT followups.customer_id FROM followups JOIN customers c "
        "ON c.id = followups.customer_id WHERE followups.status = 'open' "
        f"AND followups.attempts = 0 AND followups.kind != 'check-back' AND {_UNTOUCHED}"
    )
    params: list[Any] = []
    if tiers is not None:
        sql += f" AND c.tier IN ({', '.join('?' * len(tiers))})"
        params = sorted(tiers)
    return [row[0] for row in conn.execute(sql, params)]


def drop_unstarted_followups(conn: sqlite3.Connection, customer_ids: list[int]) -> None:
    for chunk in _chunks(customer_ids):
        conn.execute(
            f"DELETE FROM followups WHERE status = 'open' AND attempts = 0 "
            f"AND kind != 'check-back' AND {_UNTOUCHED} "
            f"AND customer_id IN ({', '.join('?' * len(chunk))})",
            chunk,
        )


def customers_in_other_tiers(conn: sqlite3.Connection, tiers: set[str]) -> list[tuple[str, int]]:
    rows = conn.execute(
        f"SELECT tier, COUNT(*) FROM customers WHERE tier NOT IN "
        f"({', '.join('?' * len(tiers))}) GROUP BY tier ORDER BY tier",
        sorted(tiers),
    )
    return [(row[0], row[1]) for row in rows]


def open_followup_ids(conn: sqlite3.Connection, refs: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        rows = conn.execute(
            f"SELECT c.ref, f.id FROM followups f JOIN customers c ON c.id = f.customer_id "
            f"WHERE f.status = 'open' AND c.ref IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
        found.update({row[0]: row[1] for row in rows})
    return found


def load_per_day(conn: sqlite3.Connection, start: date, end: date) -> dict[date, int]:
    rows = conn.execute(
        "SELECT f.show_date, COUNT(*) FROM followups f JOIN customers c ON c.id = f.customer_id "
        "WHERE f.status = 'open' AND f.show_date BETWEEN ? AND ? AND c.status = 'active' "
        "AND c.do_not_contact = 0 GROUP BY f.show_date",
        (start.isoformat(), end.isoformat()),
    )
    return {date.fromisoformat(row[0]): row[1] for row in rows}


def planned_between(conn: sqlite3.Connection, start: date | None, end: date) -> list[sqlite3.Row]:
    """Open follow-ups showing from `start` (or any earlier day) to `end`, in order."""
    return conn.execute(
        "SELECT f.id AS followup_id, f.show_date, f.due_date, f.kind, f.reason, c.ref AS "
        f"customer_id, c.name, c.phone, c.tier, c.owner, c.last_note, {branch_of('c')} AS branch "
        "FROM followups f "
        "JOIN customers c ON c.id = f.customer_id WHERE f.status = 'open' "
        "AND f.show_date BETWEEN ? AND ? AND c.status = 'active' AND c.do_not_contact = 0 "
        "ORDER BY f.show_date, c.name, c.ref",
        ((start or date.min).isoformat(), end.isoformat()),
    ).fetchall()


def activity_of_active_customers(conn: sqlite3.Connection) -> Iterator[sqlite3.Row]:
    """Each contactable customer's last purchase or successful contact (or when they joined),
    with the purchase model's slipping and gone days where it scored them."""
    last = greatest(
        conn,
        "COALESCE(last_purchase, '')",
        "COALESCE(last_success, '')",
        "COALESCE(first_purchase, '')",
        "added",
    )
    yield from conn.execute(
        f"SELECT ref, name, phone, tier, owner, {last} AS last_activity, "
        f"{branch_of('c')} AS branch, ps.slipping_on, ps.gone_on "
        "FROM customers c LEFT JOIN purchase_scores ps ON ps.customer_id = c.id "
        "WHERE status = 'active' AND do_not_contact = 0"
    )


def contact_logged(conn: sqlite3.Connection, customer_id: int, on: date, outcome: str) -> bool:
    """Whether this outcome is already logged for the customer on that day."""
    row = conn.execute(
        "SELECT 1 FROM contacts WHERE customer_id = ? AND date = ? AND outcome = ? LIMIT 1",
        (customer_id, on.isoformat(), outcome),
    ).fetchone()
    return row is not None


def _next_contact_id(conn: sqlite3.Connection) -> int:
    """A contact number never handed out before, even if the contact was undone or erased
    since: an undo that remembers a number never takes back a colleague's later call. Runs
    inside the write transaction, so two writers never take the same number."""
    row = conn.execute("SELECT last_id FROM id_counters WHERE name = 'contacts'").fetchone()
    largest = conn.execute("SELECT COALESCE(MAX(id), 0) FROM contacts").fetchone()[0]
    number = max(int(row[0]) if row else 0, int(largest)) + 1
    if row is None:
        conn.execute("INSERT INTO id_counters (name, last_id) VALUES ('contacts', ?)", (number,))
    else:
        conn.execute("UPDATE id_counters SET last_id = ? WHERE name = 'contacts'", (number,))
    return number


def insert_contact(conn: sqlite3.Connection, values: dict[str, Any]) -> int:
    """A new contact row, under a number never used before; returns its id."""
    values = {"id": _next_contact_id(conn), **values}
    columns = list(values)
    conn.execute(
        f"INSERT INTO contacts ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        list(values.values()),
    )
    return int(values["id"])


# A row of today's list: its columns, the tables they come from, and which rows are on it.
_DUE_COLUMNS = f"""
SELECT f.id AS followup_id, c.ref, c.name, c.phone, c.tier, c.owner, c.last_outcome,
       c.last_note, c.last_contact,
       c.added, c.first_purchase, c.last_purchase, c.last_success,
       f.due_date, f.show_date, f.kind, f.reason, f.attempts, f.anchor,
       {branch_of("c")} AS branch,
       ps.expected_spend, ps.expected_purchases, ps.slipping_on, ps.gone_on"""
_DUE_TABLES = """
FROM followups f
JOIN customers c ON c.id = f.customer_id
LEFT JOIN purchase_scores ps ON ps.customer_id = c.id
"""
_DUE_ON_LIST = """WHERE f.status = 'open' AND f.show_date <= :on
  AND c.do_not_contact = 0 AND c.status = 'active'
  AND (:owner IS NULL OR c.owner = :owner COLLATE NOCASE)
"""
_DUE_SELECT = _DUE_COLUMNS + _DUE_TABLES + _DUE_ON_LIST


# Today's list in three slices, each read in order from an index and cut by LIMIT:
# check-backs first, then overdue by tier rank and age, then what falls due today.
DUE_QUERIES = (
    _DUE_SELECT + "AND f.kind = 'check-back' ORDER BY f.due_date, c.name, c.ref LIMIT :limit",
    _DUE_SELECT + "AND f.kind != 'check-back' AND f.due_date < :on "
    "ORDER BY f.rank, f.due_date, c.name, c.ref LIMIT :limit",
    # A follow-up never shows before its due date, so "showing, and not overdue" is due today.
    _DUE_SELECT + "AND f.kind != 'check-back' AND f.due_date = :on "
    "ORDER BY f.rank, c.name, c.ref LIMIT :limit",
)


def _branch_params(branches: Sequence[str] | None) -> tuple[str, dict[str, str]]:
    """` AND <the customer c is in one of branches>` with named parameters (none: no test)."""
    if branches is None:
        return "", {}
    names = {f"branch{i}": name for i, name in enumerate(branches)}
    marks = ", ".join(f":{key}" for key in names) or "NULL"
    return f"AND {branch_of('c')} IN ({marks})\n", names


def due_rows(
    conn: sqlite3.Connection,
    on: date,
    owner: str | None,
    limit: int | None = None,
    branches: Sequence[str] | None = None,
) -> list[sqlite3.Row]:
    """Today's list in priority order, at most `limit` rows (of one branch's customers, given
    the branch's stored spellings)."""
    rows: list[sqlite3.Row] = []
    clause, names = _branch_params(branches)
    for query in DUE_QUERIES:
        left = -1 if limit is None else limit - len(rows)
        if left == 0:
            break
        if clause:
            query = query.replace(_DUE_SELECT, _DUE_SELECT + clause, 1)
        params = {"on": on.isoformat(), "owner": owner, "limit": left, **names}
        rows += conn.execute(query, params).fetchall()
    return rows


# The few columns the purchase model orders today's list by, for the whole list at once.
_DUE_KEYS = (
    "SELECT f.id AS followup_id, f.kind, f.due_date, ps.expected_spend, ps.expected_purchases"
)


def due_keys(
    conn: sqlite3.Connection,
    on: date,
    owner: str | None,
    branches: Sequence[str] | None = None,
) -> list[sqlite3.Row]:
    """Today's whole list in `due_rows`' order, only what ordering it by value needs (a
    hundred thousand rows read this way cost a fraction of reading them whole)."""
    narrow_select = _DUE_KEYS + _DUE_TABLES + _DUE_ON_LIST
    narrow = [query.replace(_DUE_SELECT, narrow_select, 1) for query in DUE_QUERIES]
    clause, names = _branch_params(branches)
    rows: list[sqlite3.Row] = []
    for query in narrow:
        if clause:
            query = query.replace(narrow_select, narrow_select + clause, 1)
        params = {"on": on.isoformat(), "owner": owner, "limit": -1, **names}
        rows += conn.execute(query, params).fetchall()
    return rows


def due_rows_by_ids(conn: sqlite3.Connection, followup_ids: Sequence[int]) -> dict[int, Any]:
    """The rows of today's list (as `due_rows` reads them) of these follow-ups, by id."""
    found: dict[int, Any] = {}
    for chunk in _chunks(list(followup_ids)):
        marks = ", ".join("?" * len(chunk))
        query = _DUE_COLUMNS + _DUE_TABLES + f"WHERE f.id IN ({marks})"
        found.update((row["followup_id"], row) for row in conn.execute(query, chunk))
    return found


def slipping_rows(
    conn: sqlite3.Connection,
    on: date,
    owner: str | None,
    limit: int,
    branches: Sequence[str] | None = None,
) -> list[sqlite3.Row]:
    """Customers the purchase model sees slipping on `on` (below 3 in 4, not yet below an
    even chance) whose next cadence or repurchase call is still to come: the win-back queue,
    most spend at stake first, at most `limit`."""
    clause, names = _branch_params(branches)
    query = (
        _DUE_SELECT.replace("f.show_date <= :on", "f.show_date > :on", 1)
        + clause
        + "AND f.kind IN ('cadence', 'repurchase') AND ps.slipping_on <= :on "
        "AND (ps.gone_on IS NULL OR ps.gone_on > :on) "
        "ORDER BY COALESCE(ps.expected_spend, -1) DESC, ps.expected_purchases DESC, c.ref "
        "LIMIT :limit"
    )
    params = {"on": on.isoformat(), "owner": owner, "limit": limit, **names}
    return conn.execute(query, params).fetchall()


def due_count(
    conn: sqlite3.Connection,
    on: date,
    owner: str | None,
    branches: Sequence[str] | None = None,
) -> int:
    """How many are on today's list in all (when --limit shows only the first few).

    Without an owner or branch, counted from the open-show index alone: an open follow-up
    never belongs to a lost or opted-out customer (logging either closes it)."""
    clause, names = _branch_params(branches)
    if owner is None and not clause:
        return int(
            conn.execute(
                "SELECT COUNT(*) FROM followups WHERE status = 'open' AND show_date <= ?",
                (on.isoformat(),),
            ).fetchone()[0]
        )
    return int(
        conn.execute(
            "SELECT COUNT(*) FROM followups f JOIN customers c ON c.id = f.customer_id "
            "WHERE f.status = 'open' AND f.show_date <= :on AND c.do_not_contact = 0 "
            "AND c.status = 'active' AND (:owner IS NULL OR c.owner = :owner COLLATE NOCASE) "
            + clause,
            {"on": on.isoformat(), "owner": owner, **names},
        ).fetchone()[0]
    )


def overdue_count(conn: sqlite3.Connection, on: date) -> int:
    """Open follow-ups due before `on` (read from the open-due index alone)."""
    return int(
        conn.execute(
            "SELECT COUNT(*) FROM followups WHERE status = 'open' AND due_date < ?",
            (on.isoformat(),),
        ).fetchone()[0]
    )


def move_followups(conn: sqlite3.Connection, days: dict[int, date]) -> None:
    """Show follow-ups on other days (their due dates stay, for the numbers)."""
    conn.executemany(
        "UPDATE followups SET show_date = ? WHERE id = ?",
        ((day.isoformat(), followup_id) for followup_id, day in days.items()),
    )


def redate_followups(conn: sqlite3.Connection, days: dict[int, date]) -> None:
    """Plan follow-ups for other days, due then too (a new shop's first day: see
    planning.spread_first_purchases)."""
    conn.executemany(
        "UPDATE followups SET show_date = ?, due_date = ? WHERE id = ?",
        ((day.isoformat(), day.isoformat(), followup_id) for followup_id, day in days.items()),
    )


def due_followup_ids(conn: sqlite3.Connection, on: date) -> list[int]:
    """The open follow-ups showing by `on`, check-backs aside, in today's order (overdue by
    tier rank and age, then due today by rank): just their ids, for spreading a backlog."""
    return list(iter_due_followup_ids(conn, on))


def iter_due_followup_ids(conn: sqlite3.Connection, on: date) -> Iterator[int]:
    """`due_followup_ids` one at a time, for a backlog of a million."""
    return (
        row[0]
        for row in conn.execute(
            "SELECT f.id FROM followups f JOIN customers c ON c.id = f.customer_id "
            "WHERE f.status = 'open' AND f.show_date <= :on AND f.kind != 'check-back' "
            "AND c.do_not_contact = 0 AND c.status = 'active' "
            "ORDER BY f.due_date >= :on, f.rank, CASE WHEN f.due_date < :on THEN f.due_date END, "
            "c.name, c.ref",
            {"on": on.isoformat()},
        )
    )


def history(conn: sqlite3.Connection, customer_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT date, outcome, channel, score, nps, note, owner FROM contacts "
        "WHERE customer_id = ? ORDER BY date, id",
        (customer_id,),
    ).fetchall()


def take_back_unstarted(conn: sqlite3.Connection, customer_ids: list[int]) -> list[int]:
    """Remove the open follow-ups nobody has worked on of these customers (a chunk at a time,
    not one statement each), and say whose they were, so they can be planned again."""
    taken: list[int] = []
    condition = f"status = 'open' AND attempts = 0 AND kind != 'check-back' AND {_UNTOUCHED}"
    for chunk in _chunks(customer_ids):
        marks = ", ".join("?" * len(chunk))
        taken += [
            row[0]
            for row in conn.execute(
                f"SELECT customer_id FROM followups WHERE {condition} AND customer_id IN ({marks})",
                chunk,
            )
        ]
        conn.execute(f"DELETE FROM followups WHERE {condition} AND customer_id IN ({marks})", chunk)
    return taken


def save_log_undo(
    conn: sqlite3.Connection, contact_id: int, customer_id: int, changes: str
) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO log_undo (contact_id, customer_id, changes) VALUES (?, ?, ?)",
        (contact_id, customer_id, changes),
    )


def log_undo_changes(conn: sqlite3.Connection, contact_id: int) -> str | None:
    row = conn.execute(
        "SELECT changes FROM log_undo WHERE contact_id = ?", (contact_id,)
    ).fetchone()
    return row[0] if row else None


def get_contact(conn: sqlite3.Connection, contact_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM contacts WHERE id = ?", (contact_id,)).fetchone()


def latest_logged_contact(
    conn: sqlite3.Connection, owner: str | None = None, branches: Sequence[str] | None = None
) -> sqlite3.Row | None:
    """The contact logged last (snoozes are not logged contacts), of one staff member's
    customers (as logged) or one branch's, when given; with the customer's branch."""
    clause, names = _branch_params(branches)
    return conn.execute(
        f"SELECT k.*, {branch_of('c')} AS branch FROM contacts k "
        "JOIN customers c ON c.id = k.customer_id WHERE k.outcome != 'snoozed' "
        "AND (:owner IS NULL OR k.owner = :owner COLLATE NOCASE) "
        f"{clause}ORDER BY k.id DESC LIMIT 1",
        {"owner": owner, **names},
    ).fetchone()


def branch_of_contact(conn: sqlite3.Connection, contact_id: int) -> str | None:
    """The branch of the customer a contact is for (None: no branch)."""
    row = conn.execute(
        f"SELECT {branch_of('c')} FROM contacts k JOIN customers c ON c.id = k.customer_id "
        "WHERE k.id = ?",
        (contact_id,),
    ).fetchone()
    return row[0] if row else None


def contact_after(
    conn: sqlite3.Connection, customer_id: int, contact_id: int
) -> sqlite3.Row | None:
    """The first contact (or snooze) recorded for the customer after this one."""
    return conn.execute(
        "SELECT * FROM contacts WHERE customer_id = ? AND id > ? ORDER BY id LIMIT 1",
        (customer_id, contact_id),
    ).fetchone()


def row_by_id(conn: sqlite3.Connection, table: str, row_id: int) -> dict[str, Any] | None:
    row = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()
    return dict(row) if row else None


def delete_row(conn: sqlite3.Connection, table: str, row_id: int) -> None:
    conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))


def put_row(conn: sqlite3.Connection, table: str, values: dict[str, Any]) -> None:
    """Write a row back as it was: update it in place if its id exists, else insert it."""
    if conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (values["id"],)).fetchone():
        columns = [c for c in values if c != "id"]
        conn.execute(
            f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?",
            [*(values[c] for c in columns), values["id"]],
        )
        return
    conn.execute(
        f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
        list(values.values()),
    )


def delete_contact(conn: sqlite3.Connection, contact_id: int) -> None:
    conn.execute("DELETE FROM log_undo WHERE contact_id = ?", (contact_id,))
    conn.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))


def open_followups_of(conn: sqlite3.Connection, customer_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM followups WHERE customer_id = ? AND status = 'open' ORDER BY due_date, id",
        (customer_id,),
    ).fetchall()


def set_followup_status(conn: sqlite3.Connection, followup_id: int, status: str) -> None:
    conn.execute("UPDATE followups SET status = ? WHERE id = ?", (status, followup_id))
