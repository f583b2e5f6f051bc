"""Look inside a test's database, whichever engine it is on (a SQLite file or a PostgreSQL
schema URL), to check exact rows after real commands."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from followup_cli.storage import dialect


def connect(db: Path | str) -> Any:
    """A plain connection (no migration, no checks), as sqlite3.connect gives for a file."""
    if dialect.is_server(str(db)):
        return dialect.ServerConnection(str(db), 15_000)
    return sqlite3.connect(db, isolation_level=None)  # autocommit, as the server connection


def open_db(db: Path | str) -> Any:
    """The connection the application itself would use."""
    from followup_cli import storage

    if dialect.is_server(str(db)):
        return storage.open_server(str(db))
    return storage.open_db(Path(db))


def tables(conn: Any) -> list[str]:
    if dialect.on_server(conn):
        return sorted(t for t in dialect.server_tables(conn) if t != "followup_schema")
    return sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'"))


def columns(conn: Any, table: str) -> list[str]:
    """A table's columns in their order."""
    return dialect.column_names(conn, table)


def broken_links(conn: Any) -> list[Any]:
    """Rows that point at rows that do not exist (the server refuses them outright)."""
    if dialect.on_server(conn):
        return []
    return conn.execute("PRAGMA foreign_key_check").fetchall()


def integrity(conn: Any) -> str:
    """SQLite's page check; a server checks its own pages."""
    if dialect.on_server(conn):
        return "ok"
    return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
