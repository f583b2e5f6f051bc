"""The `followup` program: choose the language, then load the command line in it.

Typer reads every help text when `followup_cli.cli.app` is imported, so the language is settled
first, from what costs almost nothing: `--lang` (and `--db`) in the arguments before the
command, the shop option `language` read from the database with one query on a read-only
connection (only if the file exists; nothing is ever created here), and the locale variables.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from followup_cli.i18n import _, choose_language, set_language

_GLOBAL_OPTIONS_WITH_VALUE = ("--db", "--lang")


def global_options(argv: Sequence[str]) -> dict[str, str]:
    """`--db` and `--lang` as given before the command name (`followup --lang zh today`)."""
    found: dict[str, str] = {}
    words = iter(argv)
    for word in words:
        name, equals, value = word.partition("=")
        if name in _GLOBAL_OPTIONS_WITH_VALUE:
            if not equals:
                value = next(words, "")
            found[name] = value
        elif not word.startswith("-"):
            break
    return found


def shop_language(db: str | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """The `language` option stored in the shop's file, or None (no file, not set, unreadable)."""
    chosen = db or environ.get("FOLLOWUP_DB")
    # dialect.is_server, spelled out: importing the storage package here would slow start-up
    if chosen and chosen.strip().lower().startswith(("postgresql://", "postgres://")):
        return _server_language(chosen.strip())
    if chosen:
        path = Path(chosen).expanduser()
    else:
        from followup_cli.storage import default_db_path

        path = default_db_path()
    if not path.is_file():
        return None
    import sqlite3

    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0.5)
        try:
            row = conn.execute("SELECT value FROM settings WHERE key = 'language'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row and row[0] else None


def _server_language(url: str) -> str | None:
    """The `language` option of a chain's server database, or None (unreachable, not set)."""
    import sqlite3

    from followup_cli.storage.dialect import ServerConnection

    try:
        conn = ServerConnection(url, 500)
        try:
            row = conn.execute("SELECT value FROM settings WHERE key = 'language'").fetchone()
        finally:
            conn.close()
    except (sqlite3.Error, ImportError):
        return None
    return row[0] if row and row[0] else None


def main() -> None:
    try:
        options = global_options(sys.argv[1:])
        set_language(choose_language(options.get("--lang"), shop_language(options.get("--db"))))
        from followup_cli.views.morning import run_plain_today

        if run_plain_today(sys.argv[1:]):  # the morning list, without the whole command tree
            return
        from followup_cli.cli.app import main as run

        run()
    except KeyboardInterrupt:  # ctrl-c outside a command's own handling (start-up, `today`)
        from followup_cli.errors import EXIT_INTERRUPTED, INTERRUPTED

        print(_(INTERRUPTED), file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
