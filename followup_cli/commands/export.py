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
    wanted = None if branches is None else set(branches)
    return (
        {**customer_record(c), **values.get(c.id, none)}
        for c in storage.all_customers(conn)
        if wanted is None or c.in_branch in wanted
    )


def export_history(
    conn: sqlite3.Connection, branches: Sequence[str] | None = None
) -> Iterator[dict[str, Any]]:
    """A contact at a time: a million contacts export in the memory of one (of one branch's
    customers, with `branches`)."""
    return (dict(row) for row in storage.history_export(conn, branches))
