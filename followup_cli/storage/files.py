"""Whole-file work: backups, restore, erasure, scrubbing and health checks."""

import os
import sqlite3
from pathlib import Path
from typing import Any

from followup_cli.errors import FollowupError
from followup_cli.i18n import _
from followup_cli.storage.connection import BUSY_TIMEOUT_MS, connect, transaction
from followup_cli.storage.customers import CUSTOMER_TABLES, delete_customer
from followup_cli.storage.dialect import on_server
from followup_cli.storage.schema import SCHEMA_VERSION, _migrate_in_transaction, schema_version


def record_backup(conn: sqlite3.Connection, path: Path, now: str) -> None:
    """Remember the backup (for `forget`); a file that cannot be written cannot remember it."""
    if getattr(conn, "read_only", None) is not None:
        return
    with transaction(conn):
        conn.execute(
            "INSERT INTO backups (path, made_at) VALUES (?, ?) "
            "ON CONFLICT(path) DO UPDATE SET made_at = excluded.made_at",
            (str(path), now),
        )


def backup_paths(conn: sqlite3.Connection) -> list[Path]:
    return [Path(r[0]) for r in conn.execute("SELECT path FROM backups ORDER BY made_at, path")]


def erase_from_copy(copy: Path, ref: str) -> bool:
    """Erase customer `ref` from a copy of the database (same scrubbing as the live file).

    True when the copy held them; a FollowupError when it cannot be opened or written.
    """
    try:
        conn = sqlite3.connect(copy, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise FollowupError(str(exc)) from None
    try:
        conn.execute("PRAGMA secure_delete = ON")
        row = conn.execute("SELECT id FROM customers WHERE ref = ?", (ref,)).fetchone()
        if row is None:
            return False
        with transaction(conn):
            delete_customer(conn, row[0])
        if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return True
    except sqlite3.Error as exc:
        raise FollowupError(str(exc)) from None
    finally:
        conn.close()


SCRUB_WAIT_MS = 3_000  # how long `forget` waits for readers to let go of old pages


_SCRUB_PENDING = "scrub_pending"  # settings key: erased data may still be in the file's bytes


def erase_customer(conn: sqlite3.Connection, customer_id: int) -> bool:
    """Delete a customer so their details are gone from the file's bytes too.

    secure_delete zeroes the freed space; the WAL, which still holds old page images, is then
    checkpointed and truncated. A reader in another program can hold old pages in place:
    then False, and the file is marked so that the next open scrubs it.
    """
    if on_server(conn):
        with transaction(conn):
            delete_customer(conn, customer_id)
            conn.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES (?, '1')", (_SCRUB_PENDING,)
            )
        return rewrite_server_tables(conn, SERVER_REWRITE_WAIT_MS)
    conn.execute("PRAGMA secure_delete = ON")
    with transaction(conn):
        delete_customer(conn, customer_id)
        conn.execute(
            "INSERT OR REPLACE INTO settings (key, value) VALUES (?, '1')", (_SCRUB_PENDING,)
        )
    return scrub(conn, SCRUB_WAIT_MS)


# The server's tables that hold a customer's details, their own rows or a copy of them
# (notes, call notes, earlier values kept for undo); each is rewritten with its indexes.
ERASED_SERVER_TABLES = (*CUSTOMER_TABLES, "customers", "import_changes")
SERVER_REWRITE_WAIT_MS = 15_000  # how long `forget` waits for each table's readers


def rewrite_server_tables(conn: Any, wait_ms: int) -> bool:
    """Rewrite every table that held the erased rows (VACUUM FULL: a new file for the table,
    its TOAST data and every index, the old files deleted), so their bytes are gone from the
    server's data files. Each table is locked against every other command while it is
    rewritten. False (and the erasure left pending for the next command) when a table's
    readers did not let go within `wait_ms`."""
    conn.execute(f"SET lock_timeout = {int(wait_ms)}")
    try:
        for table in ERASED_SERVER_TABLES:
            conn.execute(f"VACUUM FULL {table}")
        # The planner's statistics sample column values (a name can sit in a histogram):
        # sample the rewritten tables afresh, then rewrite the statistics table itself, which
        # the database's owner may do (anyone else gets a warning and the old samples stay
        # until the server's own vacuum: README, "Your data").
        for table in ERASED_SERVER_TABLES:
            conn.execute(f"ANALYZE {table}")
        conn.execute("VACUUM FULL pg_catalog.pg_statistic")
    except sqlite3.OperationalError:
        return False
    finally:
        conn.execute("SET lock_timeout = 0")
    with transaction(conn):
        conn.execute("DELETE FROM settings WHERE key = ?", (_SCRUB_PENDING,))
    return True


def scrub(conn: sqlite3.Connection, wait_ms: int) -> bool:
    """Checkpoint the whole WAL into the file and truncate it, waiting up to `wait_ms` for
    readers; True (and the pending mark cleared) when nothing old is left behind."""
    conn.execute(f"PRAGMA busy_timeout = {wait_ms}")
    try:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if busy:
        return False
    with transaction(conn):
        conn.execute("DELETE FROM settings WHERE key = ?", (_SCRUB_PENDING,))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # that write held no personal data
    return True


def scrub_if_pending(conn: sqlite3.Connection) -> None:
    """Finish an erasure that a reader held up, without making this command wait for it."""
    try:
        if on_server(conn):
            if conn.execute("SELECT 1 FROM settings WHERE key = ?", (_SCRUB_PENDING,)).fetchone():
                rewrite_server_tables(conn, 500)
            return
        if conn.execute("SELECT 1 FROM settings WHERE key = ?", (_SCRUB_PENDING,)).fetchone():
            scrub(conn, 0)
    except sqlite3.OperationalError:
        pass  # read-only or busy: the next command tries again


def private_temp(folder: Path, name: str) -> Path:
    """A new empty file readable by its owner only, under an unpredictable name in `folder`.

    Created exclusively (tempfile uses O_EXCL), so a file or link planted in advance is never
    written through.
    """
    import tempfile

    try:
        fd, name_made = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise FollowupError(
            _("cannot write in {folder}: {reason}").format(folder=folder, reason=exc.strerror)
        ) from None
    os.close(fd)
    return Path(name_made)


def remove_with_sidecars(path: Path) -> None:
    """A temporary database file and whatever SQLite left beside it."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _copy_into(source: sqlite3.Connection, target: Path) -> None:
    """SQLite's online backup of `source` into the (new, empty) file `target`, as one file."""
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
        destination.execute("PRAGMA journal_mode = DELETE")
    finally:
        destination.close()


def backup_to(conn: sqlite3.Connection, target: Path) -> None:
    """A consistent copy even while another process writes, put in place only once complete.

    The copy is written to a private temporary file beside `target` and renamed over it, so
    an existing file at `target` stays whole until the new one is; a failure leaves nothing.
    """
    partial = private_temp(target.parent, target.name)
    try:
        _copy_into(conn, partial)
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        if os.path.lexists(target):
            text = _(
                "could not write the backup {target} ({reason}); "
                "the file already there is unchanged"
            )
        else:
            text = _("could not write the backup {target} ({reason})")
        raise FollowupError(text.format(target=target, reason=exc)) from None
    finally:
        remove_with_sidecars(partial)


def _read_only_uri(path: Path) -> str:
    from urllib.parse import quote

    return f"file:{quote(str(path.absolute()))}?mode=ro"


def stage_copy(source: Path, folder: Path) -> Path:
    """A private copy of a backup to check and restore from; the original is left as it was.

    Reading a file in WAL mode makes SQLite create -wal/-shm files beside it: those it made
    are removed again.
    """
    existed = {s for s in ("-wal", "-shm") if os.path.lexists(f"{source}{s}")}
    staged = private_temp(folder, "restore")
    try:
        origin = sqlite3.connect(_read_only_uri(source), uri=True)
        try:
            _copy_into(origin, staged)
        finally:
            origin.close()
    except sqlite3.DatabaseError as exc:
        remove_with_sidecars(staged)
        raise FollowupError(
            _("{file} is not a followup database ({reason})").format(file=source, reason=exc)
        ) from None
    except BaseException:
        remove_with_sidecars(staged)
        raise
    finally:
        for suffix in ("-wal", "-shm"):
            if suffix not in existed:
                Path(f"{source}{suffix}").unlink(missing_ok=True)
    return staged


def inspect_file(path: Path) -> int:
    """The schema version of a followup database file, or a FollowupError saying why not."""
    try:
        probe = sqlite3.connect(_read_only_uri(path), uri=True)
    except sqlite3.Error as exc:
        raise FollowupError(_("cannot open {path}: {exc}").format(path=path, exc=exc)) from None
    try:
        version = int(probe.execute("PRAGMA user_version").fetchone()[0])
        tables = {r[0] for r in probe.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        check = probe.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise FollowupError(
            _("{path} is not a followup database ({exc})").format(path=path, exc=exc)
        ) from None
    finally:
        probe.close()
    if version == 0 or not {"customers", "followups", "contacts"} <= tables:
        raise FollowupError(_("{path} is not a followup database").format(path=path))
    if version > SCHEMA_VERSION:
        raise FollowupError(
            _(
                "{path} was written by a newer followup (schema {version}; "
                "this one reads up to {newest})"
            ).format(path=path, version=version, newest=SCHEMA_VERSION)
        )
    if check != "ok":
        raise FollowupError(_("{path} is damaged: {check}").format(path=path, check=check))
    return version


def restore_from(conn: sqlite3.Connection, db_path: Path, staged: Path, aside: Path) -> None:
    """Copy the live database to `aside`, then replace its content with `staged`'s, all under
    one write lock: a `log` running meanwhile lands in the copy or waits for the restored
    file, never in between. The schema is brought up to date in the same transaction.
    """
    conn.execute("PRAGMA foreign_keys = OFF")  # tables are dropped and refilled whole
    conn.execute("PRAGMA secure_delete = ON")  # replaced rows do not linger in free pages
    conn.execute("ATTACH DATABASE ? AS restored", (str(staged),))
    try:
        with transaction(conn):
            reader = connect(db_path)  # sees the last commit: nobody else can commit now
            try:
                _copy_into(reader, aside)
            finally:
                reader.close()
            made = _backups_made(conn)
            _replace_content(conn)
            _migrate_in_transaction(conn)
            conn.executemany("INSERT OR IGNORE INTO backups (path, made_at) VALUES (?, ?)", made)
    finally:
        conn.execute("DETACH DATABASE restored")
        conn.execute("PRAGMA foreign_keys = ON")


def _backups_made(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """The backups this file knows of: a restore keeps remembering them (see `forget`)."""
    try:
        return [tuple(r) for r in conn.execute("SELECT path, made_at FROM main.backups")]
    except sqlite3.OperationalError:  # a file from before backups were remembered
        return []


def _replace_content(conn: sqlite3.Connection) -> None:
    """Drop every table of main and recreate it, rows and all, from the attached backup."""
    mine = conn.execute(
        "SELECT type, name FROM main.sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite_%' ORDER BY type = 'table'"
    ).fetchall()
    for kind, name in mine:
        conn.execute(f'DROP {kind.upper()} IF EXISTS main."{name}"')
    theirs = conn.execute(
        "SELECT type, name, sql FROM restored.sqlite_master WHERE sql IS NOT NULL "
        "AND name NOT LIKE 'sqlite_%' "
        "ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END"
    ).fetchall()
    for kind, name, sql in theirs:
        conn.execute(sql)
        if kind == "table":
            conn.execute(f'INSERT INTO main."{name}" SELECT * FROM restored."{name}"')
    header = conn.execute("PRAGMA restored.user_version").fetchone()[0]
    conn.execute(f"PRAGMA main.user_version = {int(header)}")
    app_id = conn.execute("PRAGMA restored.application_id").fetchone()[0]
    conn.execute(f"PRAGMA main.application_id = {int(app_id)}")


def health(conn: sqlite3.Connection) -> dict[str, Any]:
    """Facts `followup doctor` reports; the problems list is empty when all is well."""
    server = on_server(conn)  # the server checks its own pages and every reference
    integrity = ["ok"] if server else [r[0] for r in conn.execute("PRAGMA integrity_check")]
    foreign = [] if server else conn.execute("PRAGMA foreign_key_check").fetchall()
    counts = {
        table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        for table in ("customers", "followups", "contacts", "purchases", "imports")
    }
    counts["open_followups"] = conn.execute(
        "SELECT COUNT(*) FROM followups WHERE status = 'open'"
    ).fetchone()[0]
    double_open = conn.execute(
        "SELECT c.ref FROM followups f JOIN customers c ON c.id = f.customer_id "
        "WHERE f.status = 'open' GROUP BY f.customer_id, c.ref HAVING COUNT(*) > 1"
    ).fetchall()
    orphans = conn.execute(
        "SELECT COUNT(*) FROM followups WHERE customer_id NOT IN (SELECT id FROM customers)"
    ).fetchone()[0]
    unplanned = conn.execute(
        "SELECT ref FROM customers c WHERE status = 'active' AND do_not_contact = 0 "
        "AND NOT EXISTS (SELECT 1 FROM followups f WHERE f.customer_id = c.id "
        "AND f.status = 'open') ORDER BY ref LIMIT 20"
    ).fetchall()
    problems = []
    if integrity != ["ok"]:
        problems.append(_("integrity check: {details}").format(details="; ".join(integrity[:5])))
    if foreign:
        problems.append(
            _("{count} rows point at rows that do not exist").format(count=len(foreign))
        )
    for row in double_open:
        problems.append(
            _("customer {customer_id} has more than one open follow-up").format(customer_id=row[0])
        )
    if orphans:
        problems.append(_("{orphans} follow-ups belong to no customer").format(orphans=orphans))
    if unplanned:
        refs = ", ".join(r[0] for r in unplanned)
        problems.append(_("active customers with nothing planned: {refs}").format(refs=refs))
    return {
        "schema_version": schema_version(conn),
        "integrity": "ok" if integrity == ["ok"] else "damaged",
        "journal_mode": "server" if server else conn.execute("PRAGMA journal_mode").fetchone()[0],
        "counts": counts,
        "problems": problems,
    }
