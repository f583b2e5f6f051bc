"""Import history and the import plan spooled outside the write lock."""

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from operator import itemgetter
from typing import Any

from followup_cli.storage.connection import _chunks, _text
from followup_cli.storage.customers import _INSERTED_COLUMNS, CUSTOMER_TABLES
from followup_cli.storage.dialect import on_server


def record_import(conn: sqlite3.Connection, values: dict[str, Any]) -> int:
    columns = list(values)
    cursor = conn.execute(
        f"INSERT INTO imports ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        list(values.values()),
    )
    return int(cursor.lastrowid or 0)


def finish_import(conn: sqlite3.Connection, import_id: int, values: dict[str, Any]) -> None:
    assignments = ", ".join(f"{name} = ?" for name in values)
    conn.execute(f"UPDATE imports SET {assignments} WHERE id = ?", [*values.values(), import_id])


def import_status(conn: sqlite3.Connection, import_id: int) -> str | None:
    row = conn.execute("SELECT status FROM imports WHERE id = ?", (import_id,)).fetchone()
    return None if row is None else str(row[0])


def record_changes(conn: sqlite3.Connection, rows: Iterable[tuple[int, int, str, str | None]]):
    conn.executemany(
        "INSERT INTO import_changes (import_id, customer_id, action, before) VALUES (?, ?, ?, ?)",
        rows,
    )


def list_imports(conn: sqlite3.Connection, limit: int, every: bool = True) -> list[sqlite3.Row]:
    """Newest first; without `every`, only imports that added, changed or rejected something."""
    changed = (
        ""
        if every
        else "WHERE NOT (status = 'done' AND added = 0 AND updated = 0 AND rejected = 0) "
    )
    return conn.execute(
        f"SELECT * FROM imports {changed}ORDER BY id DESC LIMIT ?", (limit,)
    ).fetchall()


def get_import(conn: sqlite3.Connection, import_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM imports WHERE id = ?", (import_id,)).fetchone()


def import_changes(conn: sqlite3.Connection, import_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT customer_id, action, before FROM import_changes WHERE import_id = ? ORDER BY id",
        (import_id,),
    ).fetchall()


def contacts_logged_since(conn: sqlite3.Connection, customer_ids: list[int], since: str) -> int:
    if not customer_ids:
        return 0
    found = 0
    for chunk in _chunks(customer_ids):
        found += conn.execute(
            f"SELECT COUNT(*) FROM contacts WHERE logged_at >= ? AND customer_id IN "
            f"({', '.join('?' * len(chunk))})",
            [since, *chunk],
        ).fetchone()[0]
    return int(found)


def first_changed_since(conn: sqlite3.Connection, import_id: int, started_at: str) -> str | None:
    """The first customer of an import that something else changed after it (its row no
    longer carries the import's time), or None."""
    row = conn.execute(
        "SELECT c.ref FROM import_changes i JOIN customers c ON c.id = i.customer_id "
        "WHERE i.import_id = ? AND c.updated_at IS NOT ? ORDER BY i.id LIMIT 1",
        (import_id, started_at),
    ).fetchone()
    return row[0] if row else None


def delete_customers_added_by(conn: sqlite3.Connection, import_id: int) -> int:
    """Remove, with everything about them, the customers an import added: a few statements
    over an index, not five per customer (undoing 150 000 rows takes seconds)."""
    conn.execute("DROP TABLE IF EXISTS temp.undo_added")
    conn.execute(
        "CREATE TEMP TABLE undo_added AS SELECT customer_id AS id FROM import_changes "
        "WHERE import_id = ? AND action = 'added' AND customer_id IN (SELECT id FROM customers)",
        (import_id,),
    )
    ids = "(SELECT id FROM temp.undo_added)"
    try:
        for table in (*CUSTOMER_TABLES, "import_changes"):
            conn.execute(f"DELETE FROM {table} WHERE customer_id IN {ids}")
        return conn.execute(f"DELETE FROM customers WHERE id IN {ids}").rowcount
    finally:
        conn.execute("DROP TABLE temp.undo_added")


def customers_updated_at(conn: sqlite3.Connection, stamp: str) -> list[sqlite3.Row]:
    """Stored customers an import changed (not those it added), with extras."""
    return conn.execute(
        "SELECT id, extra FROM customers WHERE updated_at = ? AND extra IS NOT NULL "
        "AND (created_at IS NULL OR created_at <> ?)",
        (stamp, stamp),
    ).fetchall()


def customers_of_import_purchases(conn: sqlite3.Connection, import_id: int) -> list[int]:
    return [
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT customer_id FROM purchases WHERE import_id = ?", (import_id,)
        )
    ]


def record_import_changes(
    conn: sqlite3.Connection, changes: list[tuple[int, str, Any, Any]], on: date, stamp: str
) -> None:
    """An import's tier and owner changes (customer id, field, old, new), for timelines; the
    import's time stamp lets `imports undo` take them back."""
    conn.executemany(
        "INSERT INTO customer_changes (customer_id, date, field, old, new, source, logged_at) "
        "VALUES (?, ?, ?, ?, ?, 'import', ?)",
        [
            (cid, on.isoformat(), name, _text(old), _text(new), stamp)
            for cid, name, old, new in changes
        ],
    )


def forget_import_changes(conn: sqlite3.Connection, stamp: str) -> None:
    conn.execute("DELETE FROM customer_changes WHERE source = 'import' AND logged_at = ?", (stamp,))


# A new customer's first follow-up travels with them (plan_due NULL: none planned).
SPOOL_PLAN_COLUMNS = (
    "plan_kind",
    "plan_reason",
    "plan_anchor",
    "plan_due",
    "plan_occasion",  # the birthday or date a first call covers (birthday:2026-05-20)
    "plan_covers",  # the cadence day a nearer merged call stands in for
    "plan_rank",
)
SPOOL_NEW_COLUMNS = (*_INSERTED_COLUMNS, *SPOOL_PLAN_COLUMNS)
_spooled_values = itemgetter(*SPOOL_NEW_COLUMNS)


def spool_create(conn: sqlite3.Connection) -> None:
    columns = ", ".join(
        f"{c} INTEGER" if c == "plan_rank" else f"{c} TEXT" for c in SPOOL_NEW_COLUMNS if c != "id"
    )
    for statement in (
        "DROP TABLE IF EXISTS temp.import_new",
        "DROP TABLE IF EXISTS temp.import_updates",
        "DROP TABLE IF EXISTS temp.import_shown",
        f"CREATE TEMP TABLE import_new (id INTEGER PRIMARY KEY, {columns})",
        "CREATE TEMP TABLE import_updates (customer_id INTEGER PRIMARY KEY, changes TEXT, "
        "before TEXT, seen TEXT)",
        # first follow-ups a first import's spread shows on another day than they are due
        "CREATE TEMP TABLE import_shown (id INTEGER PRIMARY KEY, show_date TEXT)",
    ):
        conn.execute(statement)


def spool_purchases_drop(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TABLE IF EXISTS temp.import_purchases")


def spool_drop(conn: sqlite3.Connection) -> None:
    for table in ("import_new", "import_updates", "import_shown", "import_days"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{table}")


def spool_new(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> None:
    """Planned new customers; each row has every column of SPOOL_NEW_COLUMNS."""
    conn.executemany(
        f"INSERT INTO temp.import_new ({', '.join(SPOOL_NEW_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(SPOOL_NEW_COLUMNS))})",
        map(_spooled_values, rows),
    )


def spool_index(conn: sqlite3.Connection) -> None:
    """Indexes on the planned new customers, made the first time a row may repeat one: a file
    without repeated rows never pays for them."""
    for column in ("ref", "phone", "email"):
        conn.execute(
            f"CREATE INDEX IF NOT EXISTS temp.idx_import_new_{column} ON import_new({column})"
        )


def spool_new_by(conn: sqlite3.Connection, column: str, value: str) -> list[sqlite3.Row]:
    """New customers this import already planned, by ref, phone or e-mail."""
    assert column in ("ref", "phone", "email")
    return conn.execute(
        f"SELECT * FROM temp.import_new WHERE {column} = ? ORDER BY id", (value,)
    ).fetchall()


def spool_new_update(conn: sqlite3.Connection, new_id: int, values: dict[str, Any]) -> None:
    assignments = ", ".join(f"{name} = ?" for name in values)
    conn.execute(
        f"UPDATE temp.import_new SET {assignments} WHERE id = ?", [*values.values(), new_id]
    )


def spool_update(
    conn: sqlite3.Connection, customer_id: int, changes: str, before: str, seen: str
) -> None:
    conn.execute(
        "INSERT INTO temp.import_updates (customer_id, changes, before, seen) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(customer_id) DO UPDATE SET changes = excluded.changes, "
        "before = excluded.before",
        (customer_id, changes, before, seen),
    )


def spool_update_drop(conn: sqlite3.Connection, customer_id: int) -> None:
    """A customer's rows in the file came back to what is stored: nothing to update."""
    conn.execute("DELETE FROM temp.import_updates WHERE customer_id = ?", (customer_id,))


def spooled_update(conn: sqlite3.Connection, customer_id: int) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT * FROM temp.import_updates WHERE customer_id = ?", (customer_id,)
    ).fetchone()


def spooled_updates(conn: sqlite3.Connection) -> Iterator[sqlite3.Row]:
    cursor = conn.execute("SELECT * FROM temp.import_updates ORDER BY customer_id")
    while rows := cursor.fetchmany(1000):
        yield from rows


def spool_apply_new(conn: sqlite3.Connection, import_id: int, now: str) -> None:
    """Write the new customers, their first follow-ups and their undo records in three
    statements (inside the caller's write transaction)."""
    columns = ", ".join(_INSERTED_COLUMNS)
    with _indexes_built_after(conn, _first_fill(conn)):
        conn.execute(
            f"INSERT INTO customers ({columns}, created_at, updated_at) "
            f"SELECT {columns}, :now, :now FROM temp.import_new ORDER BY id",
            {"now": now},
        )
        conn.execute(
            "INSERT INTO followups (customer_id, kind, reason, anchor, due_date, show_date, "
            "status, attempts, rank, occasion, covers_due) SELECT n.id, n.plan_kind, "
            "n.plan_reason, n.plan_anchor, n.plan_due, COALESCE(s.show_date, n.plan_due), "
            "'open', 0, n.plan_rank, n.plan_occasion, n.plan_covers "
            "FROM temp.import_new n LEFT JOIN temp.import_shown s ON s.id = n.id "
            "WHERE n.plan_due IS NOT NULL ORDER BY n.id"
        )
    conn.execute(
        "INSERT INTO import_changes (import_id, customer_id, action, before) "
        "SELECT ?, id, 'added', NULL FROM temp.import_new ORDER BY id",
        (import_id,),
    )


# A shop's first big import fills empty tables: SQLite builds an index from all its rows (one
# sort) faster than it adds the rows to it one by one (100 000 customers: about 0.2 s less).
INDEX_AFTER_ROWS = 20_000
_FILLED_FIRST = ("customers", "followups")


def _first_fill(conn: sqlite3.Connection) -> bool:
    """A SQLite file whose customers and follow-ups are empty, about to get many rows."""
    if on_server(conn):
        return False
    if conn.execute(
        "SELECT EXISTS (SELECT 1 FROM customers) OR EXISTS (SELECT 1 FROM followups)"
    ).fetchone()[0]:
        return False
    count = conn.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM temp.import_new LIMIT ?)", (INDEX_AFTER_ROWS,)
    ).fetchone()[0]
    return bool(count >= INDEX_AFTER_ROWS)


@contextmanager
def _indexes_built_after(conn: sqlite3.Connection, wanted: bool) -> Iterator[None]:
    """Inside the write transaction: the tables' indexes dropped, then made again from the
    rows written meanwhile (a failure rolls the whole transaction back, indexes included)."""
    if not wanted:
        yield
        return
    marks = ", ".join("?" * len(_FILLED_FIRST))
    indexes = conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks}) ORDER BY name",
        _FILLED_FIRST,
    ).fetchall()
    for name, _sql in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    yield
    for _name, sql in indexes:
        conn.execute(sql)


# A first import's backlog spread before it is written (see planning.spread_first_import):
# the same selection and order as followups.overdue_count, load_per_day and due_followup_ids,
# over the new customers' first follow-ups as they wait in the import's temporary table.


def spooled_overdue_count(conn: sqlite3.Connection, on: date) -> int:
    return int(
        conn.execute(
            "SELECT COUNT(*) FROM temp.import_new WHERE plan_due < ?", (on.isoformat(),)
        ).fetchone()[0]
    )


def spooled_load_per_day(conn: sqlite3.Connection, start: date, end: date) -> dict[date, int]:
    rows = conn.execute(
        "SELECT plan_due, COUNT(*) FROM temp.import_new WHERE plan_due BETWEEN ? AND ? "
        "GROUP BY plan_due",
        (start.isoformat(), end.isoformat()),
    )
    return {date.fromisoformat(row[0]): row[1] for row in rows}


def spooled_due_count(conn: sqlite3.Connection, on: date) -> int:
    """New customers whose first follow-up shows by `on` (check-backs aside)."""
    return int(
        conn.execute(
            "SELECT COUNT(*) FROM temp.import_new WHERE plan_due <= ? AND plan_kind != ?",
            (on.isoformat(), "check-back"),
        ).fetchone()[0]
    )


def spool_show_by_position(
    conn: sqlite3.Connection, on: date, ranges: list[tuple[int, int, date]]
) -> None:
    """Show the new customers' first follow-ups due by `on` on other days: in today's order
    (as followups.due_followup_ids has it), positions `first` to `last` of each range on its
    day. One statement: SQLite numbers and places them, whatever the size of the backlog."""
    conn.execute("DROP TABLE IF EXISTS temp.import_days")
    conn.execute(
        "CREATE TEMP TABLE import_days (first_place INTEGER PRIMARY KEY, last_place INTEGER, "
        "show_date TEXT)"
    )
    conn.executemany(
        "INSERT INTO temp.import_days (first_place, last_place, show_date) VALUES (?, ?, ?)",
        ((first, last, day.isoformat()) for first, last, day in ranges),
    )
    conn.execute(
        "INSERT INTO temp.import_shown (id, show_date) SELECT p.id, d.show_date FROM ("
        "SELECT id, ROW_NUMBER() OVER (ORDER BY plan_due >= :on, plan_rank, "
        "CASE WHEN plan_due < :on THEN plan_due END, name, ref) - 1 AS place "
        "FROM temp.import_new WHERE plan_due <= :on AND plan_kind != 'check-back') p "
        "JOIN temp.import_days d ON d.first_place = (SELECT MAX(e.first_place) "
        "FROM temp.import_days e WHERE e.first_place <= p.place) WHERE p.place <= d.last_place",
        {"on": on.isoformat()},
    )


def import_match_keys(conn: sqlite3.Connection) -> Iterator[tuple[str, str | None, str | None]]:
    """Every stored ref, phone and e-mail, streamed: an import builds its filter from them."""
    yield from conn.execute("SELECT ref, phone, email FROM customers")


def last_customer_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM customers").fetchone()[0])


def spool_purchases_create(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TABLE IF EXISTS temp.import_purchases")
    conn.execute(
        "CREATE TEMP TABLE import_purchases (id INTEGER PRIMARY KEY, customer_id INTEGER, "
        "date TEXT, amount REAL, "
        "order_ref TEXT, new INTEGER DEFAULT 0)"
    )
    conn.execute(
        "CREATE INDEX temp.idx_import_purchases ON import_purchases(customer_id, date, amount, "
        "order_ref)"
    )


def spool_purchases(conn: sqlite3.Connection, rows: list[tuple[int, str, float, str]]) -> None:
    conn.executemany(
        "INSERT INTO temp.import_purchases (customer_id, date, amount, order_ref) "
        "VALUES (?, ?, ?, ?)",
        rows,
    )


def spool_purchases_rebind(conn: sqlite3.Connection, placeholder: int, customer_id: int) -> None:
    """A new buyer's spooled purchases, from their placeholder id to their customer id."""
    conn.execute(
        "UPDATE temp.import_purchases SET customer_id = ? WHERE customer_id = ?",
        (customer_id, placeholder),
    )


def spooled_purchase_buyers_gone(conn: sqlite3.Connection) -> bool:
    """Has a buyer this import matched been erased since?"""
    return (
        conn.execute(
            "SELECT 1 FROM temp.import_purchases t WHERE t.customer_id > 0 AND NOT EXISTS "
            "(SELECT 1 FROM customers c WHERE c.id = t.customer_id) LIMIT 1"
        ).fetchone()
        is not None
    )


def spool_apply_purchases(conn: sqlite3.Connection, import_id: int) -> tuple[int, int]:
    """Insert the purchases not stored yet (the same line twice counts once); returns
    (new, already known)."""
    conn.execute(
        "UPDATE temp.import_purchases AS t SET new = 1 WHERE NOT EXISTS (SELECT 1 FROM "
        "purchases p WHERE p.customer_id = t.customer_id AND p.date = t.date AND "
        "p.amount = t.amount AND p.order_ref = t.order_ref) AND t.id = (SELECT MIN(u.id) "
        "FROM temp.import_purchases u WHERE u.customer_id = t.customer_id AND u.date = t.date "
        "AND u.amount = t.amount AND u.order_ref = t.order_ref)"
    )
    conn.execute(
        "INSERT OR IGNORE INTO purchases (customer_id, date, amount, order_ref, import_id) "
        "SELECT customer_id, date, amount, order_ref, ? FROM temp.import_purchases WHERE new = 1 "
        "ORDER BY id",
        (import_id,),
    )
    new, total = conn.execute(
        "SELECT COALESCE(SUM(new), 0), COUNT(*) FROM temp.import_purchases"
    ).fetchone()
    return int(new), int(total) - int(new)


def spooled_purchase_spans(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """Each buyer's first and last new purchase in this import."""
    return conn.execute(
        "SELECT customer_id, MIN(date), MAX(date) FROM temp.import_purchases WHERE new = 1 "
        "GROUP BY customer_id ORDER BY customer_id"
    ).fetchall()
