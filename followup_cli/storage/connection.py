"""A connection to the file, private files, and write transactions."""

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from followup_cli.errors import FollowupError
from followup_cli.i18n import _

BUSY_TIMEOUT_MS = 15_000


def _make_private(path: Path) -> None:
    try:
        os.chmod(path, 0o600)
    except OSError as exc:
        raise FollowupError(
            _("cannot make {path} private: {reason}").format(path=path, reason=exc.strerror)
        ) from None


def _make_private_folders(folder: Path) -> None:
    """Create `folder` and every missing parent (~/.local, ~/.local/share) 0700, whatever
    the umask: mkdir(parents=True) would give the parents the umask's mode, 0777 under 000."""
    missing = []
    for parent in (folder, *folder.parents):
        if parent.exists():
            break
        missing.append(parent)
    for new_folder in reversed(missing):
        new_folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(new_folder, 0o700)


def create_private_file(path: Path) -> None:
    """An empty file readable by its owner only, whatever the umask, before SQLite opens it.

    SQLite gives the -wal and -shm files the same permissions as the database file.
    """
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        from followup_cli.wording import os_error

        raise FollowupError(
            _("cannot create {path}: {strerror}").format(path=path, strerror=os_error(exc))
        ) from None
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


class _Connection(sqlite3.Connection):
    """A connection that remembers whether the file was checked before its first write, and
    why it may only read (None: it may write)."""

    health_checked = False
    read_only: str | None = None


def read_only_reason(path: Path) -> str | None:
    """Why followup cannot write this existing file, or None. A write needs the file and, for
    the WAL beside it, its folder writable: a read-only mount (a backup disk) refuses both,
    even to root; a file or folder without write permission refuses its non-owners."""
    import errno

    for target in (path, path.parent):
        if not os.access(target, os.W_OK):
            try:
                on_read_only_mount = bool(os.statvfs(target).f_flag & os.ST_RDONLY)
            except OSError:
                on_read_only_mount = False
            return os.strerror(errno.EROFS if on_read_only_mount else errno.EACCES)
    return None


def connect(path: Path, read_only: str | None = None) -> sqlite3.Connection:
    """A connection to the file; with `read_only` (why), one that only reads and makes no
    -wal or -shm file (SQLite's immutable mode, unless a WAL is there to be read)."""
    target: Any = path
    if read_only is not None:
        from urllib.parse import quote

        wal = Path(f"{path}-wal")
        pending_wal = wal.exists() and wal.stat().st_size > 0
        target = f"file:{quote(str(path.absolute()))}?mode=ro" + (
            "" if pending_wal else "&immutable=1"
        )
    conn = sqlite3.connect(
        target,
        isolation_level=None,
        timeout=BUSY_TIMEOUT_MS / 1000,
        factory=_Connection,
        uri=read_only is not None,
    )
    conn.read_only = read_only  # type: ignore[attr-defined]
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA cell_size_check = ON")  # a damaged page is an error, not fewer rows
    return conn


def tune_for_import(conn: sqlite3.Connection) -> None:
    """A bigger page cache for an import's own connection: the index inserts of a large file
    and its temporary tables stay in memory instead of going back and forth to disk (measured
    on 100 000 rows: about 1 s less waiting; bounded at 16 + 16 MB)."""
    conn.execute("PRAGMA cache_size = -16000")
    conn.execute("PRAGMA temp.cache_size = -16000")


# Before a command's first write, SQLite's quick_check runs over the whole file. Measured on
# 2 cores at load 6-8: 0.07 s for 10k customers (5 MB), 0.9 s for 100k customers with 1M
# contacts (358 MB), 6.1 s for 1M customers (524 MB): about 12 ms a MB where customers
# dominate. Up to this size every write command pays it (0.2 s at most); above it, the first
# write of each day does (usually the nightly import), later ones rely on SQLite's own page
# checks, and `followup doctor` runs the full integrity check on demand.
QUICK_CHECK_MAX_BYTES = 16 << 20


_LAST_CHECK = "last_quick_check"  # settings key: the day a big file was last checked


def check_before_writing(conn: sqlite3.Connection) -> str | None:
    """Refuse to write into a damaged file. Returns the day to record as checked (big files
    are checked once a day), or None."""
    conn.health_checked = True  # type: ignore[attr-defined]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    size = pages * conn.execute("PRAGMA page_size").fetchone()[0]
    stamp = None
    if size > QUICK_CHECK_MAX_BYTES:
        stamp = date.today().isoformat()
        try:
            last = conn.execute("SELECT value FROM settings WHERE key = ?", (_LAST_CHECK,))
            if (last.fetchone() or [None])[0] == stamp:
                return None
        except sqlite3.OperationalError:
            stamp = None  # no settings table yet: a file being created
    found = [r[0] for r in conn.execute("PRAGMA quick_check(3)")]
    if found != ["ok"]:
        from followup_cli.i18n import _

        detail = "; ".join(line for r in found for line in r.splitlines() if "***" not in line)
        raise FollowupError(
            _(
                "the database file is damaged ({detail}): nothing was written. See "
                "'followup doctor', then restore a backup with 'followup restore FILE'"
            ).format(detail=detail)
        )
    return stamp


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: taken up front so a concurrent writer waits, not fails.

    The first one on a connection checks the file's health first (check_before_writing).
    """
    why = getattr(conn, "read_only", None)
    if why is not None:
        raise FollowupError(
            _(
                "the database file cannot be written ({reason}): this command changes it. "
                "Commands that only read (today, show, find, report, export, backup) work; "
                "copy the file somewhere writable to change it"
            ).format(reason=why)
        )
    checked_on = None
    if not getattr(conn, "health_checked", True):
        checked_on = check_before_writing(conn)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        raise FollowupError(
            _(
                "the database is busy: another followup command (the nightly import?) is "
                "writing; try again in a minute"
            )
        ) from None
    try:
        if checked_on:
            conn.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                (_LAST_CHECK, checked_on),
            )
        yield conn
    except BaseException:
        if conn.in_transaction:  # SQLite may already have rolled back (disk full, I/O error)
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _chunks(items: list[int], size: int = 500) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@contextmanager
def read_snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A read transaction: one consistent view of the file, no write lock taken.

    Writes to this connection's TEMP tables inside it lock nothing other commands need.
    """
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")
