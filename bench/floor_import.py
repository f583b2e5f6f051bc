"""The least any Python import of the bench's customer file can do: the yardstick below ours.

Reads the CSV with the csv module, checks nothing (phones only lose their spaces, dates are
taken as written, tiers as they are), and writes the same rows into the same tables, with
the same indexes, as `followup import customers` does: the customers, one open follow-up each
(its due date worked out by SQLite, three months after the last purchase) and the import's
undo records, in one transaction. What `followup` spends beyond this is checking, matching,
planning and spreading.

    python bench/floor_import.py SHOP.csv DB   (DB: a new, empty followup database)
"""

from __future__ import annotations

import csv
import sqlite3
import sys
from collections.abc import Iterator


def rows(path: str) -> Iterator[tuple]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for n, (ref, name, phone, email, tier, first, last, added, owner, notes) in enumerate(
            reader, 1
        ):
            yield (
                n,
                ref,
                name,
                "+86" + phone.replace(" ", ""),
                email or None,
                tier,
                first or None,
                last or None,
                added,
                owner or None,
                notes or None,
            )


def main(source: str, target: str) -> None:
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA cache_size = -16000")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT INTO imports (id, started_at, as_of, kind, file, status) "
        "VALUES (1, 'now', 'today', 'customers', ?, 'done')",
        (source,),
    )
    conn.executemany(
        "INSERT INTO customers (id, ref, name, phone, email, tier, first_purchase, "
        "last_purchase, added, owner, notes, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'now', 'now')",
        rows(source),
    )
    conn.execute(
        "INSERT INTO followups (customer_id, kind, reason, anchor, due_date, show_date, status, "
        "attempts, rank) SELECT id, 'cadence', 'every 3 months', NULL, "
        "date(COALESCE(last_purchase, added), '+3 months'), "
        "date(COALESCE(last_purchase, added), '+3 months'), 'open', 0, 2 FROM customers"
    )
    conn.execute(
        "INSERT INTO import_changes (import_id, customer_id, action, before) "
        "SELECT 1, id, 'added', NULL FROM customers"
    )
    conn.execute("COMMIT")
    conn.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
