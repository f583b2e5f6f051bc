"""Opening a followup database: where it lives, that it is ours, its schema up to date."""

import os
import re
import sqlite3
from pathlib import Path
from typing import Any

from followup_cli import redact
from followup_cli.errors import FollowupError
from followup_cli.i18n import _
from followup_cli.storage.connection import (
    BUSY_TIMEOUT_MS,
    _make_private,
    _make_private_folders,
    connect,
    create_private_file,
    read_only_reason,
)
from followup_cli.storage.dialect import ServerConnection, is_server, server_tables
from followup_cli.storage.files import scrub_if_pending
from followup_cli.storage.schema import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    _newer,
    migrate,
    schema_version,
)


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("followup", appauthor=False)) / "followup.db"


def chosen_server(cli_value: str | None) -> str | None:
    """The PostgreSQL URL a chain runs on (--db or $FOLLOWUP_DB), or None for a file.

    Anything else written like a URL (`postgresq://…`, `mysql://…`) is refused rather than
    taken for a file name."""
    chosen = (cli_value or os.environ.get("FOLLOWUP_DB") or "").strip()
    if is_server(chosen):
        scheme, rest = chosen.split("://", 1)
        url = f"{scheme.lower()}://{rest}"
        redact.remember(url)
        if redact.stray_at(url):
            raise FollowupError(
                _(
                    "{database} has more than one @ before the server's name: write an @ in "
                    "the user name or password as %40"
                ).format(database=shown_name(url))
            )
        return url
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", chosen):
        raise FollowupError(
            _(
                "{database} is not a database followup can use: give a file name or a "
                "postgresql:// URL"
            ).format(database=shown_name(chosen))
        )
    return None


def open_server(url: str) -> ServerConnection:
    """Connect to a chain's PostgreSQL database, check it is ours and bring its schema up to
    date (the same numbered steps a file takes). `conn.created` says it became a shop now."""
    shown = shown_name(url)
    try:
        conn = ServerConnection(url, BUSY_TIMEOUT_MS)
    except ImportError:
        raise FollowupError(
            _("a PostgreSQL database needs psycopg: pip install 'followup[server]'")
        ) from None
    except sqlite3.OperationalError as exc:
        raise FollowupError(
            _("cannot use database {path}: {exc}").format(path=shown, exc=exc)
        ) from None
    try:
        tables = server_tables(conn)
        version = schema_version(conn)
        if "followup_schema" not in tables and tables:
            raise FollowupError(
                _(
                    "{path} is another application's database, not a followup one: nothing "
                    "was changed (give followup an empty database of its own)"
                ).format(path=shown)
            )
        if version > SCHEMA_VERSION:
            raise _newer(version)
        conn.created = version == 0
        migrate(conn)
        scrub_if_pending(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def open_for_reading(cli_value: str | None) -> Any | None:
    """A connection that never creates, migrates or changes anything (shell completion), or
    None when there is no database yet."""
    url = chosen_server(cli_value)
    if url is not None:
        return ServerConnection(url, 500)
    path, _default = resolve_db_path(cli_value)
    if not path.is_file():
        return None
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def shown_name(url: str) -> str:
    """A database name fit to print: a server URL's password and *password= values as ***."""
    return redact.shown_url(url)


def resolve_db_path(cli_value: str | None) -> tuple[Path, bool]:
    """--db, else $FOLLOWUP_DB, else the user data dir. Returns (path, is_default)."""
    chosen = cli_value or os.environ.get("FOLLOWUP_DB")
    if chosen:
        return Path(chosen).expanduser(), False
    return default_db_path(), True


def open_db(path: Path, create_folder: bool = False) -> sqlite3.Connection:
    """Open (creating 0600 if new) and migrate the database file."""
    if path.is_dir():
        raise FollowupError(_("database path {path} is a folder").format(path=path))
    if not path.exists():
        folder = path.parent
        if not folder.exists():
            if not create_folder:
                raise FollowupError(_("folder {folder} does not exist").format(folder=folder))
            _make_private_folders(folder)
        create_private_file(path)
    elif path.stat().st_size == 0:
        _make_private(path)  # an empty file becomes a shop only as the owner's alone
    read_only = read_only_reason(path)
    if read_only is not None:
        return _open_read_only(path, read_only)
    sidecars = {s for s in ("-wal", "-shm") if os.path.lexists(f"{path}{s}")}
    try:
        conn = connect(path)
        try:
            _check_ours(conn, path)
        except BaseException:
            conn.close()
            for suffix in {"-wal", "-shm"} - sidecars:  # leave a foreign file as it was
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            raise
        migrate(conn)
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        scrub_if_pending(conn)
    except sqlite3.OperationalError as exc:
        raise FollowupError(
            _("cannot use database {path}: {exc}").format(path=path, exc=exc)
        ) from None
    except sqlite3.DatabaseError as exc:
        raise FollowupError(
            _("{path} is not a usable followup database ({exc})").format(path=path, exc=exc)
        ) from None
    return conn


def _open_read_only(path: Path, why: str) -> sqlite3.Connection:
    """A file followup may not write (read-only mount, no write permission): opened to read
    only, never migrated; a file that needs a newer schema first is refused."""
    try:
        conn = connect(path, read_only=why)
        try:
            _check_ours(conn, path)
            if schema_version(conn) < SCHEMA_VERSION:
                raise FollowupError(
                    _(
                        "{path} cannot be written ({reason}) and is from an older followup: "
                        "copy it somewhere writable and open it there once to bring it up "
                        "to date"
                    ).format(path=path, reason=why)
                )
        except BaseException:
            conn.close()
            raise
    except sqlite3.DatabaseError as exc:
        raise FollowupError(
            _("cannot use database {path}: {exc}").format(path=path, exc=exc)
        ) from None
    return conn


_OUR_TABLES = frozenset({"customers", "followups", "contacts", "rules", "settings"})


def _check_ours(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse, before anything is changed, a file that is not a followup database this
    version can use: another application's SQLite file, or one from a newer followup.

    Ours: our application id in the header; or a followup file from before the id (schema
    version set, our tables present); or an empty file, which becomes a new shop.
    """
    from followup_cli.i18n import _

    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = schema_version(conn)
    if app_id != APPLICATION_ID:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        empty = not tables and version == 0
        if app_id != 0 or not (empty or (version >= 1 and tables >= _OUR_TABLES)):
            raise FollowupError(
                _(
                    "{path} is another application's database, not a followup one: nothing "
                    "was changed (give followup a file of its own with --db)"
                ).format(path=path)
            )
    if version > SCHEMA_VERSION:
        raise _newer(version)
