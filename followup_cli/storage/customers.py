"""Customers: reading, adding, editing, finding, merging and their histories."""

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from followup_cli.core.dates import optional_date
from followup_cli.core.models import Customer
from followup_cli.errors import FollowupError
from followup_cli.i18n import _
from followup_cli.storage.branches import branch_of
from followup_cli.storage.connection import _chunks, _text

CUSTOMER_COLUMNS = (
    "id",
    "ref",
    "name",
    "phone",
    "email",
    "tier",
    "first_purchase",
    "last_purchase",
    "added",
    "owner",
    "notes",
    "contract_end",
    "branch",
    "status",
    "churned_on",
    "converted_on",
    "do_not_contact",
    "last_contact",
    "last_success",
    "last_outcome",
    "last_note",
    "extra",
    "returned_on",
)


_DATE_FIELDS = frozenset(
    {
        "first_purchase",
        "last_purchase",
        "added",
        "contract_end",
        "churned_on",
        "converted_on",
        "last_contact",
        "last_success",
        "returned_on",
    }
)


def row_to_customer(row: sqlite3.Row) -> Customer:
    values = {}
    for name in CUSTOMER_COLUMNS:
        value = row[name]
        if name in _DATE_FIELDS:
            value = optional_date(value)
        elif name == "do_not_contact":
            value = bool(value)
        elif name == "extra":
            value = json.loads(value) if value else {}
        values[name] = value
    if "spend" in row.keys():  # noqa: SIM118 - sqlite3.Row: `in` looks at values
        values["spend"] = row["spend"]
    if "in_branch" in row.keys():  # noqa: SIM118
        values["in_branch"] = row["in_branch"]
    return Customer(**values)


_WITH_SPEND = (
    "SELECT c.*, (SELECT SUM(p.amount) FROM purchases p WHERE p.customer_id = c.id) AS spend, "
    f"{branch_of('c')} AS in_branch FROM customers c"
)


def get_customer(conn: sqlite3.Connection, customer_id: int) -> Customer:
    row = conn.execute(f"{_WITH_SPEND} WHERE c.id = ?", (customer_id,)).fetchone()
    if row is None:
        raise FollowupError(
            _("no customer with internal id {customer_id}").format(customer_id=customer_id)
        )
    return row_to_customer(row)


def customer_by_ref(conn: sqlite3.Connection, ref: str) -> Customer | None:
    row = conn.execute(f"{_WITH_SPEND} WHERE c.ref = ?", (ref,)).fetchone()
    return row_to_customer(row) if row is not None else None


def customers_by_ref_any_case(conn: sqlite3.Connection, ref: str) -> list[Customer]:
    """`c001` for C001: ids typed in another case (two ids differing only in case: both)."""
    rows = conn.execute(
        f"{_WITH_SPEND} WHERE c.ref = ? COLLATE NOCASE ORDER BY c.ref LIMIT 2", (ref.strip(),)
    ).fetchall()
    return [row_to_customer(r) for r in rows]


def owner_names(conn: sqlite3.Connection) -> list[str]:
    return [
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT owner FROM customers WHERE owner IS NOT NULL AND owner != '' "
            "ORDER BY owner"
        )
    ]


def find_customers(conn: sqlite3.Connection, key: str, phone_key: str | None) -> list[Customer]:
    """Customers whose phone, e-mail or name is exactly this."""
    rows = conn.execute(
        f"{_WITH_SPEND} WHERE c.phone = ? OR c.email = ? OR c.name = ? ORDER BY c.ref",
        (phone_key or key, key.strip().casefold(), key.strip()),
    ).fetchall()
    return [row_to_customer(r) for r in rows]


def all_customers(conn: sqlite3.Connection) -> Iterator[Customer]:
    query = _WITH_SPEND
    staffed = conn.execute("SELECT EXISTS (SELECT 1 FROM staff WHERE branch IS NOT NULL)")
    if not staffed.fetchone()[0]:  # no staff in a branch: a customer's branch is their own
        query = query.replace(branch_of("c"), "c.branch")
    for row in conn.execute(f"{query} ORDER BY c.id"):
        yield row_to_customer(row)


def insert_customer(conn: sqlite3.Connection, values: dict[str, Any], now: str) -> int:
    columns = [*values, "created_at", "updated_at"]
    cursor = conn.execute(
        f"INSERT INTO customers ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [*values.values(), now, now],
    )
    return int(cursor.lastrowid or 0)


# What an import writes for a new customer (up to contract_end, extra and branch); the rest
# defaults.
_INSERTED_COLUMNS = (
    *CUSTOMER_COLUMNS[: CUSTOMER_COLUMNS.index("contract_end") + 1],
    "extra",
    "branch",
)


def insert_customers(conn: sqlite3.Connection, rows: list[dict[str, Any]], now: str) -> None:
    """Many new customers in one statement; ids were given by `next_customer_id`."""
    conn.executemany(
        f"INSERT INTO customers ({', '.join(_INSERTED_COLUMNS)}, created_at, updated_at) "
        f"VALUES ({', '.join('?' * len(_INSERTED_COLUMNS))}, ?, ?)",
        ([*(row.get(c) for c in _INSERTED_COLUMNS), now, now] for row in rows),
    )


def next_customer_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM customers").fetchone()[0])


def update_customer(
    conn: sqlite3.Connection, customer_id: int, values: dict[str, Any], now: str
) -> None:
    if not values:
        return
    assignments = ", ".join(f"{name} = ?" for name in values)
    conn.execute(
        f"UPDATE customers SET {assignments}, updated_at = ? WHERE id = ?",
        [*values.values(), now, customer_id],
    )


def update_customers(
    conn: sqlite3.Connection, updates: list[tuple[int, dict[str, Any]]], now: str
) -> None:
    """Many customers' changes, one statement per set of columns changed."""
    by_columns: dict[tuple[str, ...], list[list[Any]]] = {}
    for customer_id, values in updates:
        if values:
            by_columns.setdefault(tuple(values), []).append([*values.values(), now, customer_id])
    for columns, rows in by_columns.items():
        assignments = ", ".join(f"{name} = ?" for name in columns)
        conn.executemany(f"UPDATE customers SET {assignments}, updated_at = ? WHERE id = ?", rows)


def customer_rows_by_ids(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, sqlite3.Row]:
    """Customers' stored rows as they are (text dates), by internal id."""
    found: dict[int, sqlite3.Row] = {}
    for chunk in _chunks(list(ids)):
        marks = ", ".join("?" * len(chunk))
        for row in conn.execute(f"SELECT * FROM customers WHERE id IN ({marks})", chunk):
            found[row["id"]] = row
    return found


def next_generated_ref(conn: sqlite3.Connection) -> Callable[[], str]:
    """References for customers that came without the shop's own id: fu-1, fu-2, ..."""
    row = conn.execute(
        "SELECT MAX(CAST(substr(ref, 4) AS INTEGER)) FROM customers WHERE ref LIKE 'fu-%'"
    ).fetchone()
    counter = [int(row[0] or 0)]

    def take() -> str:
        counter[0] += 1
        return f"fu-{counter[0]}"

    return take


def customer_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0])


# Every table with a row per customer (customer_id), cleared when a customer goes.
CUSTOMER_TABLES = (
    "log_undo",
    "customer_changes",
    "contacts",
    "purchases",
    "followups",
    "purchase_stats",
    "purchase_scores",
    "customer_aliases",
)


def delete_customer(conn: sqlite3.Connection, customer_id: int) -> None:
    """Remove a customer and everything about them."""
    for table in CUSTOMER_TABLES:
        conn.execute(f"DELETE FROM {table} WHERE customer_id = ?", (customer_id,))
    conn.execute("DELETE FROM import_changes WHERE customer_id = ?", (customer_id,))
    conn.execute("DELETE FROM customers WHERE id = ?", (customer_id,))


def customer_row(conn: sqlite3.Connection, customer_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()


def customer_data(conn: sqlite3.Connection, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    """Everything stored about one customer, table by table (for access requests), including
    the earlier values imports replaced (kept for undo: names, phones, e-mails...)."""
    tables = {
        "followups": "SELECT * FROM followups WHERE customer_id = ? ORDER BY id",
        "contacts": "SELECT * FROM contacts WHERE customer_id = ? ORDER BY id",
        "purchases": "SELECT * FROM purchases WHERE customer_id = ? ORDER BY id",
        "import_history": "SELECT c.import_id, i.started_at, i.file, c.action, c.before "
        "FROM import_changes c JOIN imports i ON i.id = c.import_id "
        "WHERE c.customer_id = ? ORDER BY c.id",
        "changes": "SELECT * FROM customer_changes WHERE customer_id = ? ORDER BY id",
        # their other ids (a second account, a customer merged into them)
        "aliases": "SELECT ref, source, logged_at FROM customer_aliases WHERE customer_id = ? "
        "ORDER BY ref",
    }
    data = {
        name: [dict(row) for row in conn.execute(sql, (customer_id,))]
        for name, sql in tables.items()
    }
    for change in data["import_history"]:
        change["before"] = json.loads(change["before"]) if change["before"] else None
    return data


def customers_by_ids(conn: sqlite3.Connection, ids: Sequence[int]) -> list[Customer]:
    found: list[Customer] = []
    for chunk in _chunks(list(ids)):
        rows = conn.execute(
            f"{_WITH_SPEND} WHERE c.id IN ({', '.join('?' * len(chunk))}) ORDER BY c.ref", chunk
        )
        found += [row_to_customer(r) for r in rows]
    return found


FOOTPRINT_TABLES = ("followups", "purchases")


def customer_footprint(conn: sqlite3.Connection, customer_id: int) -> dict[str, Any]:
    """The rows a log may change for one customer: their row, follow-ups and purchases."""
    row = conn.execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()
    footprint: dict[str, Any] = {"customers": {customer_id: dict(row)} if row else {}}
    for table in FOOTPRINT_TABLES:
        footprint[table] = {
            r["id"]: dict(r)
            for r in conn.execute(f"SELECT * FROM {table} WHERE customer_id = ?", (customer_id,))
        }
    return footprint


def record_customer_changes(
    conn: sqlite3.Connection,
    customer_id: int,
    on: date,
    changes: Iterable[tuple[str, Any, Any]],
    source: str,
    now: str,
) -> None:
    """Remember field changes (field, old, new) so the timeline can show them."""
    conn.executemany(
        "INSERT INTO customer_changes (customer_id, date, field, old, new, source, logged_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (customer_id, on.isoformat(), name, _text(old), _text(new), source, now)
            for name, old, new in changes
        ],
    )


def fold(text: str) -> str:
    """Case folded the same way on every engine: Unicode full case folding (ß -> ss), without
    the dot above that folding leaves after an i (İ -> i̇), so `istanbul` finds İstanbul."""
    return text.casefold().replace("i\u0307", "i")


def search_customers(
    conn: sqlite3.Connection, text: str, digits: str | None, limit: int
) -> tuple[int, list[sqlite3.Row]]:
    """Customers whose id, name or e-mail contains `text` (folded), or whose phone ends
    with `digits`; the best matches first (exact id, then id, name, phone, e-mail), at most
    `limit`, with the total number that matched.

    One pass over the customers' ids, names, phones and e-mails, compared in Python: neither
    SQLite's LIKE (ASCII letters only) nor the server's lower() (its locale's) folds case as
    Unicode does, and the two engines must find the same people.
    """
    wanted = fold(text)
    ranked: list[tuple[int, str, str, int]] = []
    for row_id, ref, name, phone, email in conn.execute(
        "SELECT id, ref, name, phone, email FROM customers"
    ):
        rank = _match_rank(wanted, digits, ref, name, phone, email)
        if rank is not None:
            ranked.append((rank, name or "", ref or "", row_id))
    ranked.sort()
    chosen = ranked[:limit] if limit >= 0 else ranked
    if not chosen:
        return len(ranked), []
    order = {row_id: position for position, (*_ignored, row_id) in enumerate(chosen)}
    rank_of = {row_id: rank for rank, *_ignored, row_id in chosen}
    rows: list[Any] = []
    for ids in _chunks(list(order)):
        marks = ", ".join("?" * len(ids))
        rows += conn.execute(
            "SELECT c.*, (SELECT f.show_date FROM followups f WHERE f.customer_id = c.id "
            f"AND f.status = 'open') AS next_due, {branch_of('c')} AS in_branch "
            f"FROM customers c WHERE c.id IN ({marks})",
            ids,
        ).fetchall()
    rows.sort(key=lambda row: order[row["id"]])
    return len(ranked), [_with_rank(row, rank_of[row["id"]]) for row in rows]


def _match_rank(
    wanted: str,
    digits: str | None,
    ref: str | None,
    name: str | None,
    phone: str | None,
    email: str | None,
) -> int | None:
    """0 the id itself, 1 part of the id, 2 of the name, 3 the phone's end, 4 the e-mail."""
    folded_ref = fold(ref or "")
    if folded_ref == wanted:
        return 0
    if wanted in folded_ref:
        return 1
    if name and wanted in fold(name):
        return 2
    if digits is not None and phone and phone.endswith(digits):
        return 3
    if email and wanted in fold(email):
        return 4
    return None


def _with_rank(row: Any, rank: int) -> dict[str, Any]:
    found = dict(zip(row.keys(), row, strict=True))  # a sqlite3.Row iterates its values
    found["match_rank"] = rank
    return found


def customers_with_keys(
    conn: sqlite3.Connection, ref: str | None, phone: str | None, email: str | None
) -> list[sqlite3.Row]:
    """Stored customers that have this id, phone or e-mail (to refuse a duplicate)."""
    return conn.execute(
        "SELECT id, ref, name, phone, email FROM customers "
        "WHERE ref = :ref OR phone = :phone OR email = :email ORDER BY id",
        {"ref": ref, "phone": phone, "email": email},
    ).fetchall()


def customer_changes_of(conn: sqlite3.Connection, customer_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT date, field, old, new, source, logged_at FROM customer_changes "
        "WHERE customer_id = ? ORDER BY date, id",
        (customer_id,),
    ).fetchall()


def purchases_of(conn: sqlite3.Connection, customer_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT date, amount, order_ref FROM purchases WHERE customer_id = ? ORDER BY date, id",
        (customer_id,),
    ).fetchall()


def contacts_of(conn: sqlite3.Connection, customer_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT k.id, k.date, k.outcome, k.channel, k.score, k.nps, k.note, k.owner, "
        "f.due_date AS followup_due, f.show_date AS followup_show FROM contacts k "
        "LEFT JOIN followups f ON f.id = k.followup_id WHERE k.customer_id = ? "
        "ORDER BY k.date, k.id",
        (customer_id,),
    ).fetchall()


def record_also_added(
    conn: sqlite3.Connection, rows: Sequence[tuple[int, str, str]], stamp: str
) -> None:
    """(customer id, date, staff member) of another staff member who added a customer, for
    the timeline; once each (a nightly re-import lists them again)."""
    for customer_id, on, owner in dict.fromkeys(rows):
        conn.execute(
            "INSERT INTO customer_changes (customer_id, date, field, old, new, source, logged_at) "
            "SELECT ?, ?, 'added_by', NULL, ?, 'import', ? WHERE NOT EXISTS (SELECT 1 FROM "
            "customer_changes WHERE customer_id = ? AND field = 'added_by' AND new = ?)",
            (customer_id, on, owner, stamp, customer_id, owner),
        )


def add_aliases(
    conn: sqlite3.Connection, aliases: Iterable[tuple[str, int]], source: str, stamp: str
) -> None:
    """(other id, customer id): rows under the other id belong to the customer from now on."""
    conn.executemany(
        "INSERT OR REPLACE INTO customer_aliases (ref, customer_id, source, logged_at) "
        "VALUES (?, ?, ?, ?)",
        [(ref, customer_id, source, stamp) for ref, customer_id in dict.fromkeys(aliases)],
    )


def customers_by_alias(conn: sqlite3.Connection, ref: str) -> list[sqlite3.Row]:
    """The customer an other id of theirs names (empty: no such alias)."""
    return conn.execute(
        "SELECT c.* FROM customers c JOIN customer_aliases a ON a.customer_id = c.id "
        "WHERE a.ref = ?",
        (ref,),
    ).fetchall()


def customers_by_aliases(
    conn: sqlite3.Connection, refs: Sequence[str]
) -> dict[str, list[tuple[int, str]]]:
    """`customers_by_alias` for many ids in a few statements: (id, name) of the customer each
    other id names, for the ids that name one."""
    found: dict[str, list[tuple[int, str]]] = {}
    for chunk in _chunks(list(refs)):
        marks = ", ".join("?" * len(chunk))
        for ref, customer_id, name in conn.execute(
            "SELECT a.ref, c.id, c.name FROM customers c JOIN customer_aliases a "
            f"ON a.customer_id = c.id WHERE a.ref IN ({marks})",
            chunk,
        ):
            found.setdefault(ref, []).append((customer_id, name))
    return found


def alias_refs(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT ref FROM customer_aliases")]


def aliases_of(conn: sqlite3.Connection, customer_id: int) -> list[str]:
    return [
        row[0]
        for row in conn.execute(
            "SELECT ref FROM customer_aliases WHERE customer_id = ? ORDER BY ref", (customer_id,)
        )
    ]


def forget_import_aliases(conn: sqlite3.Connection, stamp: str) -> None:
    conn.execute("DELETE FROM customer_aliases WHERE source = 'import' AND logged_at = ?", (stamp,))


def move_history(conn: sqlite3.Connection, from_id: int, to_id: int) -> None:
    """Give one customer's contacts, follow-ups, purchases and recorded changes to another.

    A purchase both already have (the same line imported into each) is kept once.
    """
    for table in ("contacts", "followups", "customer_changes", "customer_aliases"):
        conn.execute(f"UPDATE {table} SET customer_id = ? WHERE customer_id = ?", (to_id, from_id))
    conn.execute(
        "UPDATE purchases SET customer_id = :to WHERE customer_id = :from AND NOT EXISTS "
        "(SELECT 1 FROM purchases q WHERE q.customer_id = :to AND q.date = purchases.date "
        "AND q.amount = purchases.amount AND q.order_ref = purchases.order_ref)",
        {"to": to_id, "from": from_id},
    )
    conn.execute("DELETE FROM purchases WHERE customer_id = ?", (from_id,))
    conn.execute("DELETE FROM log_undo WHERE customer_id = ?", (from_id,))


def customer_refs_starting(
    conn: sqlite3.Connection, prefix: str, limit: int
) -> list[tuple[str, str]]:
    """(id, name) of customers whose id starts with `prefix`, for shell completion."""
    pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = conn.execute(
        "SELECT ref, name FROM customers WHERE ref LIKE ? ESCAPE '\\' ORDER BY ref LIMIT ?",
        (pattern, limit),
    )
    return [(row[0], row[1]) for row in rows]


def customers_by(conn: sqlite3.Connection, column: str, value: str) -> list[sqlite3.Row]:
    """Stored customers with this ref, phone or e-mail (an indexed lookup)."""
    assert column in ("ref", "phone", "email")
    return conn.execute(
        f"SELECT * FROM customers WHERE {column} = ? ORDER BY id", (value,)
    ).fetchall()


def customers_by_values(
    conn: sqlite3.Connection, column: str, values: Sequence[str]
) -> dict[str, list[tuple[int, str]]]:
    """`customers_by` for many values of one column in a few statements: (id, name) of the
    customers holding each value found, in id order."""
    assert column in ("ref", "phone", "email")
    found: dict[str, list[tuple[int, str]]] = {}
    for start in range(0, len(values), 500):
        chunk = list(values[start : start + 500])
        marks = ", ".join("?" * len(chunk))
        for value, customer_id, name in conn.execute(
            f"SELECT {column}, id, name FROM customers WHERE {column} IN ({marks}) ORDER BY id",
            chunk,
        ):
            found.setdefault(value, []).append((customer_id, name))
    return found


def customers_by_refs(
    conn: sqlite3.Connection, refs: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """`customers_by(conn, "ref", ref)` for many refs in a few queries, as dicts: every ref
    asked is a key (an empty list: no such customer)."""
    found: dict[str, list[Any]] = {ref: [] for ref in refs}
    for chunk in _chunks(list(found)):
        cursor = conn.execute(
            f"SELECT * FROM customers WHERE ref IN ({', '.join('?' * len(chunk))}) ORDER BY id",
            chunk,
        )
        names = [column[0] for column in cursor.description]
        for values in cursor:
            row = dict(zip(names, values, strict=True))  # a third of dict(row)'s time
            found[row["ref"]].append(row)
    return found
