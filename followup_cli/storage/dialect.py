"""The one place where SQLite and PostgreSQL differ.

Queries are written once, in SQLite's SQL. On a PostgreSQL server (a chain of shops) a
`ServerConnection` stands in for sqlite3's connection: it translates each statement (cached),
turns rows into `sqlite3.Row` look-alikes, and raises sqlite3's exception classes, so the
storage functions, and everything above them, never ask which engine they run on. The few
things a translation cannot express (file pragmas, the schema version, a column list) are
small functions here with one branch per engine.
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

SERVER_SCHEMES = ("postgresql://", "postgres://")
LOCKED = "database is locked"  # as SQLite says it: the storage layer turns it into "busy"

# Writers on a server take this advisory lock for the whole transaction: the same one-writer-
# at-a-time rule SQLite's BEGIN IMMEDIATE gives a file, so no two writers plan one customer.
WRITE_LOCK_KEY = 0x466F5570

# Tables whose rows are numbered by an `id` the database picks (SQLite: the rowid, the largest
# id + 1; the server does the same in a trigger, so both engines number rows alike).
_NUMBERED = frozenset(
    {
        "customers",
        "followups",
        "contacts",
        "imports",
        "import_changes",
        "purchases",
        "customer_changes",
        "import_new",
        "import_purchases",
    }
)
# The key `INSERT OR REPLACE` replaces on.
_PRIMARY_KEYS = {
    "settings": "key",
    "log_undo": "contact_id",
    "rules": "tier",
    "level_map": "word",
    "message_templates": "key",
    "import_profiles": "name",
    "backups": "path",
    "purchase_stats": "customer_id",
    "purchase_scores": "customer_id",
    "purchase_model": "id",
    "staff": "name",
    "customer_aliases": "ref",
}


class ServerGone(sqlite3.OperationalError):
    """The server closed the connection (stopped, restarted, network gone): what was committed
    stays; the transaction under way was rolled back by the server."""

    server_gone = True


def is_server(target: str | None) -> bool:
    """A PostgreSQL URL (`postgresql://…`) rather than a file name."""
    return bool(target) and target.strip().lower().startswith(SERVER_SCHEMES)  # type: ignore[union-attr]


def engine_of(conn: Any) -> str:
    return getattr(conn, "engine", "sqlite")


def on_server(conn: Any) -> bool:
    return engine_of(conn) == "postgresql"


# --- translation --------------------------------------------------------------------------------

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|[^'\"]+", re.S)
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_NOCASE_EQ = re.compile(r"([\w.:%()]+)\s*=\s*([\w.:%()]+)\s+COLLATE\s+NOCASE", re.I)
_NOCASE = re.compile(r"([\w.]+)\s+COLLATE\s+NOCASE", re.I)
_OR_REPLACE = re.compile(r"INSERT\s+OR\s+REPLACE\s+INTO\s+(\w+)\s*\(([^)]*)\)", re.I)
_OR_IGNORE = re.compile(r"INSERT\s+OR\s+IGNORE\s+INTO", re.I)
_INSERT_INTO = re.compile(r"^\s*INSERT\s+INTO\s+(?:temp\.)?(\w+)\s*\(", re.I)
_CREATE_TABLE = re.compile(
    r"^\s*CREATE\s+(TEMP\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:temp\.)?(\w+)", re.I
)
_WORDS = [
    (re.compile(r"\bCREATE\s+INDEX\s+(IF\s+NOT\s+EXISTS\s+)?temp\.", re.I), r"CREATE INDEX \1"),
    (re.compile(r"\btemp\.", re.I), "pg_temp."),
    (re.compile(r"\browid\b", re.I), "ctid"),
    (re.compile(r"\binstr\(", re.I), "strpos("),
    (re.compile(r"\bifnull\(", re.I), "COALESCE("),
    (re.compile(r"\bAS\s+REAL\b", re.I), "AS DOUBLE PRECISION"),
    (re.compile(r"(?<!I)\bLIKE\b", re.I), "ILIKE"),  # SQLite's LIKE ignores case
    (re.compile(r"\s+INDEXED\s+BY\s+\w+", re.I), ""),  # the server picks its own index
    (re.compile(r"\bIS\s+NOT\s+(%\(\w+\)s|%s)", re.I), r"IS DISTINCT FROM \1"),
    (re.compile(r"\bIS\s+(%\(\w+\)s|%s)", re.I), r"IS NOT DISTINCT FROM \1"),
    (re.compile(r"\bLIMIT\s+(%\(\w+\)s|%s)", re.I), r"LIMIT NULLIF(\1, -1)"),  # -1: no limit
]
_DDL_TYPES = [
    (re.compile(r"\bINTEGER\b", re.I), "BIGINT"),
    (re.compile(r"\b(REAL|FLOAT)\b", re.I), "DOUBLE PRECISION"),
]


@lru_cache(maxsize=1024)
def to_server_sql(sql: str) -> tuple[str, str | None, str | None]:
    """SQLite SQL -> PostgreSQL SQL; the numbered table an INSERT adds one row to (whose new
    id the caller reads back, as sqlite3's lastrowid); a statement to run after it."""
    created = _CREATE_TABLE.match(sql)
    replace = _OR_REPLACE.search(sql)
    ignore = _OR_IGNORE.search(sql)
    parts = []
    for token in _TOKENS.findall(sql):
        if token.startswith("'"):
            parts.append(token.replace("%", "%%"))
            continue
        if token.startswith('"'):
            parts.append(token)
            continue
        text = token.replace("%", "%%")
        text = _NAMED.sub(r"%(\1)s", text).replace("?", "%s")
        text = _NOCASE_EQ.sub(r"lower(\1) = lower(\2)", text)
        text = _NOCASE.sub(r"lower(\1)", text)
        for pattern, replacement in _WORDS:
            text = pattern.sub(replacement, text)
        if created:
            for pattern, replacement in _DDL_TYPES:
                text = pattern.sub(replacement, text)
        parts.append(text)
    out = "".join(parts)
    if replace:
        table, columns = replace.group(1), [c.strip() for c in replace.group(2).split(",")]
        key = _PRIMARY_KEYS[table]
        out = _OR_REPLACE.sub(lambda m: f"INSERT INTO {m.group(1)} ({m.group(2)})", out, 1)
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != key)
        out += f" ON CONFLICT ({key}) DO " + (f"UPDATE SET {sets}" if sets else "NOTHING")
    elif ignore:
        out = _OR_IGNORE.sub("INSERT INTO", out, 1) + " ON CONFLICT DO NOTHING"
    numbered = None
    inserted = _INSERT_INTO.match(sql)
    if (
        inserted
        and inserted.group(1).lower() in _NUMBERED
        and re.search(r"\bVALUES\b", sql, re.I)
        and "RETURNING" not in sql.upper()
    ):
        numbered = inserted.group(1)
        out += " RETURNING id"
    after = None
    if created and created.group(2).lower() in _NUMBERED:
        after = _numbering_trigger(created.group(2), bool(created.group(1)))
    return out, numbered, after


def _numbering_trigger(table: str, temporary: bool) -> str:
    schema = "pg_temp." if temporary else ""
    return (
        f"CREATE TRIGGER {table}_number BEFORE INSERT ON {schema}{table} "
        "FOR EACH ROW EXECUTE FUNCTION followup_next_id()"
    )


# The server side of SQLite's row numbering: a row inserted without an id gets the largest + 1.
SERVER_SETUP = (
    "CREATE OR REPLACE FUNCTION followup_next_id() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN IF NEW.id IS NULL THEN EXECUTE format('SELECT COALESCE(MAX(id), 0) + 1 FROM %I.%I', "
    "TG_TABLE_SCHEMA, TG_TABLE_NAME) INTO NEW.id; END IF; RETURN NEW; END $$",
    "CREATE TABLE IF NOT EXISTS followup_schema (application TEXT NOT NULL, "
    "version INTEGER NOT NULL)",
)


def plus_days(conn: Any, day_sql: str, days_sql: str) -> str:
    """SQL for the ISO date text `day_sql` moved on by `days_sql` whole days."""
    if on_server(conn):
        return f"CAST(CAST({day_sql} AS date) + CAST({days_sql} AS integer) AS text)"
    return f"date({day_sql}, printf('+%d days', {days_sql}))"


def greatest(conn: Any, *expressions: str) -> str:
    """SQL for the largest of several values (SQLite's MAX takes many; the server's is GREATEST)."""
    name = "GREATEST" if on_server(conn) else "MAX"
    return f"{name}({', '.join(expressions)})"


# --- the server connection -------------------------------------------------------------------


class ServerRow(Sequence[Any]):
    """A row that reads like sqlite3.Row: by position or by (case-insensitive) column name."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: dict[str, int], values: Sequence[Any]) -> None:
        self._names = names
        self._values = tuple(values)

    def __getitem__(self, key: Any) -> Any:
        if key.__class__ is str:
            index = self._names.get(key)
            if index is None:
                index = self._names.get(key.lower())
                if index is None:
                    raise IndexError(key)
            return self._values[index]
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __eq__(self, other: object) -> bool:
        return tuple(self) == tuple(other) if isinstance(other, Iterable) else False

    def __hash__(self) -> int:
        return hash(self._values)

    def keys(self) -> list[str]:
        return list(self._names)

    def __repr__(self) -> str:
        return f"ServerRow({dict(zip(self._names, self._values, strict=True))!r})"


class ServerCursor:
    """The result of one statement, as sqlite3's cursor offers it."""

    def __init__(self, cursor: Any, lastrowid: int | None = None) -> None:
        self._cursor = cursor
        self.lastrowid = lastrowid
        self.rowcount = cursor.rowcount
        self.description = cursor.description
        # Column name -> position, shared by every row of the result (None: no rows to read).
        self._names = (
            None
            if cursor.description is None
            else {d.name.lower(): i for i, d in enumerate(cursor.description)}
        )

    def fetchone(self) -> ServerRow | None:
        values = None if self._names is None else self._cursor.fetchone()
        return None if values is None else ServerRow(self._names, values)  # type: ignore[arg-type]

    def fetchmany(self, size: int = 1) -> list[ServerRow]:
        if self._names is None:
            return []
        return [ServerRow(self._names, v) for v in self._cursor.fetchmany(size)]

    def fetchall(self) -> list[ServerRow]:
        if self._names is None:
            return []
        return [ServerRow(self._names, v) for v in self._cursor.fetchall()]

    def __iter__(self) -> Iterator[ServerRow]:
        while batch := self.fetchmany(2000):
            yield from batch

    def close(self) -> None:
        self._cursor.close()


def _plain(value: Any) -> Any:
    """Values as SQLite stores them: dates as ISO text, booleans as 0/1."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _params(params: Any) -> Any:
    if params is None:
        return ()
    if isinstance(params, Mapping):
        return {k: _plain(v) for k, v in params.items()}
    return tuple(_plain(v) for v in params)


class ServerConnection:
    """A PostgreSQL connection that the storage functions use as they use sqlite3's."""

    engine = "postgresql"
    health_checked = True  # the server checks its own pages
    created = False  # set by open_server: this database became a shop just now
    row_factory = None

    def __init__(self, url: str, wait_ms: int) -> None:
        import psycopg

        self.url = url
        self._wait_ms = wait_ms
        try:
            self._conn = psycopg.connect(
                url, autocommit=True, cursor_factory=psycopg.ClientCursor, connect_timeout=10
            )
        except psycopg.Error as exc:
            raise sqlite3.OperationalError(_first_line(exc)) from None
        _load_numbers_as_sqlite_does(self._conn)

    # sqlite3.Connection's surface, as far as storage uses it
    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        if self._conn.closed:  # gone: the server rolled back whatever was under way
            return False
        return self._conn.info.transaction_status != TransactionStatus.IDLE

    def create_function(self, *args: Any, **kwargs: Any) -> None:
        """SQLite needs Python for some functions; the server has its own (see _WORDS)."""

    def execute(self, sql: str, params: Any = None) -> ServerCursor:
        word = sql.strip().upper()
        if word.startswith("PRAGMA"):
            if "=" in word:
                return ServerCursor(_NoRows())  # a SQLite tuning knob: nothing to do here
            raise sqlite3.OperationalError(sql)  # a file's pragma, asked of a server: a defect
        if word == "BEGIN IMMEDIATE":
            return self._begin_writing()
        if word == "BEGIN":
            return self._run("BEGIN ISOLATION LEVEL REPEATABLE READ", None)
        translated, numbered, after = to_server_sql(sql)
        cursor = self._run(translated, _params(params))
        if after is not None:
            self._run(after, None)
        if numbered is not None and cursor.description is not None:
            row = cursor.fetchone()
            cursor.lastrowid = row[0] if row else None
        return cursor

    def executemany(self, sql: str, rows: Iterable[Any]) -> ServerCursor:
        translated, numbered, _after = to_server_sql(sql)
        if numbered is not None:
            translated = translated[: -len(" RETURNING id")]
        import psycopg

        try:
            cursor = self._conn.cursor()
            cursor.executemany(translated, [_params(r) for r in rows])
        except psycopg.Error as exc:
            raise self._as_sqlite_error(exc) from None
        return ServerCursor(cursor)

    def copy_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Many rows at once through COPY (a transfer of a whole shop)."""
        import psycopg

        quoted = ", ".join(f'"{c}"' for c in columns)
        try:
            with self._conn.cursor().copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([_plain(v) for v in row])
        except psycopg.Error as exc:
            raise self._as_sqlite_error(exc) from None

    def _run(self, sql: str, params: Any) -> ServerCursor:
        import psycopg

        try:
            cursor = self._conn.cursor()
            cursor.execute(sql, params)
        except psycopg.Error as exc:
            if os.environ.get("FOLLOWUP_DEBUG_SQL"):  # for developers: the statement itself
                sys.stderr.write(f"{exc}\n{sql}\n{params!r}\n")
            raise self._as_sqlite_error(exc) from None
        return ServerCursor(cursor)

    def _as_sqlite_error(self, exc: Exception) -> sqlite3.Error:
        """As _as_sqlite_error, and ServerGone once the connection is lost."""
        import psycopg

        if isinstance(exc, psycopg.OperationalError) and self._conn.closed:
            return ServerGone(_first_line(exc))
        return _as_sqlite_error(exc)

    def _begin_writing(self) -> ServerCursor:
        self._run("BEGIN", None)
        self._run(f"SET LOCAL lock_timeout = {int(self._wait_ms)}", None)
        try:
            self._run(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})", None)
        except sqlite3.OperationalError:
            self._run("ROLLBACK", None)
            raise sqlite3.OperationalError(LOCKED) from None
        return self._run("SET LOCAL lock_timeout = 0", None)

    def commit(self) -> None:
        if self.in_transaction:
            self._run("COMMIT", None)

    def close(self) -> None:
        self._conn.close()  # no error on a connection the server already closed

    def __enter__(self) -> ServerConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _NoRows:
    rowcount = -1
    description = None

    def close(self) -> None:
        pass


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _as_sqlite_error(exc: Exception) -> sqlite3.Error:
    """The server's errors as the sqlite3 classes the storage layer already handles."""
    import psycopg
    from psycopg import errors

    message = _first_line(exc)
    if isinstance(exc, (errors.LockNotAvailable, errors.QueryCanceled)):
        return sqlite3.OperationalError(LOCKED)
    if isinstance(exc, psycopg.IntegrityError):
        return sqlite3.IntegrityError(message)
    if isinstance(exc, (errors.UndefinedTable, errors.UndefinedColumn)):
        return sqlite3.OperationalError(message)
    if isinstance(exc, psycopg.DataError):
        return sqlite3.DataError(message)
    return sqlite3.OperationalError(message)


def _load_numbers_as_sqlite_does(conn: Any) -> None:
    """SUM of integers is an int and AVG a float in SQLite; the server says numeric for both."""
    from psycopg.adapt import Loader

    class NumericLoader(Loader):
        def load(self, data: Any) -> Any:
            text = bytes(data).decode()
            return float(text) if "." in text or "e" in text.lower() else int(text)

    class BoolLoader(Loader):
        def load(self, data: Any) -> Any:
            return 1 if bytes(data) == b"t" else 0

    conn.adapters.register_loader("numeric", NumericLoader)
    conn.adapters.register_loader("bool", BoolLoader)


# --- what a translation cannot say ------------------------------------------------------------


def server_tables(conn: Any) -> set[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE'"
    )
    return {r[0] for r in rows}


def column_names(conn: Any, table: str) -> list[str]:
    """A table's columns in their order."""
    if on_server(conn):
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = current_schema() ORDER BY ordinal_position",
            (table,),
        )
        return [r[0] for r in rows]
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def columns_of(conn: Any, table: str) -> set[str]:
    return set(column_names(conn, table))


def read_version(conn: Any) -> int:
    if on_server(conn):
        if "followup_schema" not in server_tables(conn):
            return 0
        row = conn.execute("SELECT version FROM followup_schema").fetchone()
        return int(row[0]) if row else 0
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def write_version(conn: Any, number: int) -> None:
    if on_server(conn):
        prepare_server(conn)
        conn.execute("DELETE FROM followup_schema")
        conn.execute(
            "INSERT INTO followup_schema (application, version) VALUES ('followup', ?)",
            (number,),
        )
        return
    conn.execute(f"PRAGMA user_version = {int(number)}")


def prepare_server(conn: Any) -> None:
    """The server-side helpers the schema's triggers call (idempotent)."""
    for statement in SERVER_SETUP:
        conn._run(statement, None)
