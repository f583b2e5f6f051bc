"""Whole tables read from one database and written into another (`followup transfer`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from followup_cli.storage.dialect import on_server, server_tables

# Parents before children, so every reference finds its row; tables not named here (added by
# a later schema step) follow in name order.
TABLE_ORDER = (
    "rules",
    "settings",
    "level_map",
    "message_templates",
    "import_profiles",
    "imports",
    "customers",
    "followups",
    "contacts",
    "import_changes",
    "purchases",
    "purchase_stats",
    "purchase_model",
    "purchase_scores",
    "log_undo",
    "customer_changes",
    "customer_aliases",
)
# About one copy of the data, not the shop: where a file's backups are; the schema's own table.
NOT_COPIED = frozenset({"backups", "followup_schema"})
# A database that holds any of these is a shop already: never copied into.
SHOP_TABLES = ("customers", "contacts", "imports", "purchases")


def table_names(conn: Any) -> list[str]:
    """The shop's tables, parents first."""
    if on_server(conn):
        found = server_tables(conn)
    else:
        found = {
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
    found -= NOT_COPIED
    return [t for t in TABLE_ORDER if t in found] + sorted(found - set(TABLE_ORDER))


def row_count(conn: Any, table: str) -> int:
    return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def holds_a_shop(conn: Any) -> bool:
    return any(
        conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None
        for table in SHOP_TABLES
    )


def read_table(
    conn: Any, table: str, columns: Sequence[str], size: int = 5_000
) -> Iterator[list[tuple[Any, ...]]]:
    """A table's rows in its key order, `size` at a time."""
    quoted = ", ".join(f'"{c}"' for c in columns)
    cursor = conn.execute(f"SELECT {quoted} FROM {table} ORDER BY 1")
    while batch := cursor.fetchmany(size):
        yield [tuple(row) for row in batch]


def analyze(conn: Any) -> None:
    """Fresh statistics for the query planner after a whole shop arrived at once."""
    conn.execute("ANALYZE")


def clear_table(conn: Any, table: str) -> None:
    conn.execute(f"DELETE FROM {table}")


def write_rows(conn: Any, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Rows as they are, ids included (the server takes them by COPY, the fastest way in)."""
    if on_server(conn):
        conn.copy_rows(table, columns, rows)
        return
    quoted = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" * len(columns))
    conn.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", rows)
