"""Storage: where the file lives, its schema and migrations, and every SQL query.

The only module that talks SQL. Writes run inside `transaction()` (BEGIN IMMEDIATE), so each
command commits whole or not at all, and a second writer waits instead of failing.
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from followup_cli.dates import Duration, months_between, optional_date
from followup_cli.errors import FollowupError
from followup_cli.i18n import _
from followup_cli.models import CHANNELS, DEFAULT_RULES, Customer, Rule, Settings

BUSY_TIMEOUT_MS = 15_000

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


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("followup", appauthor=False)) / "followup.db"


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


def _newer(version: int) -> FollowupError:
    return FollowupError(
        _(
            "this database was written by a newer followup (schema {version}); "
            "this version reads up to schema {newest}: upgrade followup"
        ).format(version=version, newest=SCHEMA_VERSION)
    )


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
    """A connection that remembers whether the file was checked before its first write."""

    health_checked = False


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, factory=_Connection
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA cell_size_check = ON")  # a damaged page is an error, not fewer rows
    return conn


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
    checked_on = None
    if not getattr(conn, "health_checked", True):
        checked_on = check_before_writing(conn)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        from followup_cli.i18n import _

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


# --- migrations -------------------------------------------------------------------------------
# Append-only: each step moves the schema one version on, inside one transaction with its
# PRAGMA user_version, so a crash mid-migration leaves the old version intact.


def _m1_initial(db: Any) -> None:
    db["customers"].create(
        {
            "id": int,
            "ref": str,
            "name": str,
            "phone": str,
            "email": str,
            "tier": str,
            "first_purchase": str,
            "last_purchase": str,
            "added": str,
            "owner": str,
            "notes": str,
            "contract_end": str,
            "status": str,
            "churned_on": str,
            "converted_on": str,
            "do_not_contact": int,
            "last_contact": str,
            "last_success": str,
            "last_outcome": str,
            "last_note": str,
            "extra": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"ref", "name", "tier", "added", "status", "do_not_contact"},
        defaults={"status": "active", "do_not_contact": 0},
    )
    db.execute("CREATE UNIQUE INDEX idx_customers_ref ON customers(ref)")
    db.execute("CREATE INDEX idx_customers_phone ON customers(phone)")
    db.execute("CREATE INDEX idx_customers_email ON customers(email)")
    db.execute("CREATE INDEX idx_customers_name ON customers(name)")
    db["followups"].create(
        {
            "id": int,
            "customer_id": int,
            "kind": str,
            "reason": str,
            "anchor": str,
            "due_date": str,
            "show_date": str,
            "status": str,
            "attempts": int,
            "outcome": str,
            "closed_on": str,
        },
        pk="id",
        foreign_keys=[("customer_id", "customers", "id")],
        not_null={"customer_id", "kind", "due_date", "show_date", "status", "attempts"},
        defaults={"status": "open", "attempts": 0},
    )
    # One open follow-up per customer, enforced by the file itself.
    db.execute(
        "CREATE UNIQUE INDEX idx_followups_one_open ON followups(customer_id) WHERE status = 'open'"
    )
    db.execute("CREATE INDEX idx_followups_open_show ON followups(show_date) WHERE status = 'open'")
    db.execute("CREATE INDEX idx_followups_due ON followups(due_date)")
    db.execute("CREATE INDEX idx_followups_customer ON followups(customer_id, due_date)")
    db["contacts"].create(
        {
            "id": int,
            "customer_id": int,
            "followup_id": int,
            "date": str,
            "outcome": str,
            "channel": str,
            "score": int,
            "nps": int,
            "note": str,
            "owner": str,
            "logged_at": str,
        },
        pk="id",
        foreign_keys=[("customer_id", "customers", "id"), ("followup_id", "followups", "id")],
        not_null={"customer_id", "date", "outcome"},
    )
    db.execute("CREATE INDEX idx_contacts_customer ON contacts(customer_id, date)")
    db.execute("CREATE INDEX idx_contacts_date ON contacts(date)")
    db["rules"].create(
        {"tier": str, "steps": str, "interval": str, "anchor": str, "then": str, "rank": int},
        pk="tier",
    )
    v1_fields = ("tier", "steps", "interval", "anchor", "then", "rank")
    db["rules"].insert_all({k: _rule_to_row(rule)[k] for k in v1_fields} for rule in DEFAULT_RULES)
    db["settings"].create({"key": str, "value": str}, pk="key")
    v1_settings = (
        "min_gap",
        "retry_after",
        "max_attempts",
        "check_back",
        "renewal_before",
        "churn_window",
    )
    defaults = Settings()
    db["settings"].insert_all({"key": n, "value": str(getattr(defaults, n))} for n in v1_settings)


def _m2_imports_and_purchases(db: Any) -> None:
    """Import history (for `followup imports` and undo), saved profiles, and purchases."""
    db["imports"].create(
        {
            "id": int,
            "started_at": str,
            "as_of": str,
            "kind": str,
            "file": str,
            "encoding": str,
            "read": int,
            "added": int,
            "updated": int,
            "unchanged": int,
            "rejected": int,
            "status": str,
            "message": str,
        },
        pk="id",
        not_null={"started_at", "kind", "file", "status"},
    )
    db["import_changes"].create(
        {"id": int, "import_id": int, "customer_id": int, "action": str, "before": str},
        pk="id",
        foreign_keys=[("import_id", "imports", "id")],
        not_null={"import_id", "customer_id", "action"},
    )
    db.execute("CREATE INDEX idx_import_changes ON import_changes(import_id)")
    db["import_profiles"].create({"name": str, "options": str, "saved_at": str}, pk="name")
    db["purchases"].create(
        {
            "id": int,
            "customer_id": int,
            "date": str,
            "amount": float,
            "order_ref": str,
            "import_id": int,
        },
        pk="id",
        foreign_keys=[("customer_id", "customers", "id")],
        not_null={"customer_id", "date", "order_ref"},
    )
    db.execute(
        "CREATE UNIQUE INDEX idx_purchases_unique ON purchases(customer_id, date, amount, "
        "order_ref)"
    )


def _m3_grace_and_closed_days(db: Any) -> None:
    """Grace windows per tier; daily capacity and closed days as settings."""
    db["rules"].add_column("grace", str)
    for rule in DEFAULT_RULES:
        db.execute("UPDATE rules SET grace = ? WHERE tier = ?", [str(rule.grace), rule.tier])
    db.execute("UPDATE rules SET grace = '1w' WHERE grace IS NULL")
    defaults = Settings()
    for name in ("daily_capacity", "closed_weekdays", "holidays"):
        db.execute(
            "INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)",
            [name, Settings.format_value(getattr(defaults, name))],
        )


def _m4_report_indexes(db: Any) -> None:
    """Reports find the contact that closed each follow-up."""
    db.execute("CREATE INDEX idx_contacts_followup ON contacts(followup_id)")


def _m5_ranked_queue(db: Any) -> None:
    """Today's list reads open follow-ups in priority order straight from an index."""
    db["followups"].add_column("rank", int)
    db.execute(
        "UPDATE followups SET rank = COALESCE((SELECT r.rank FROM customers c JOIN rules r "
        "ON r.tier = c.tier WHERE c.id = followups.customer_id), 99) WHERE status = 'open'"
    )
    db.execute(
        "CREATE INDEX idx_followups_queue ON followups(rank, due_date) WHERE status = 'open'"
    )
    db.execute(
        "CREATE INDEX idx_followups_check_backs ON followups(show_date) "
        "WHERE status = 'open' AND kind = 'check-back'"
    )
    db.execute("CREATE INDEX idx_followups_open_due ON followups(due_date) WHERE status = 'open'")


def _m6_report_tallies(db: Any) -> None:
    """Reports sum follow-ups and scores straight from covering indexes."""
    db["followups"].add_column("channel", str)
    db.execute(
        "UPDATE followups SET channel = (SELECT k.channel FROM contacts k "
        "WHERE k.followup_id = followups.id ORDER BY k.id DESC LIMIT 1) WHERE status != 'open'"
    )
    db.execute("DROP INDEX idx_followups_due")
    db.execute("DROP INDEX idx_followups_customer")
    db.execute("DROP INDEX idx_contacts_date")
    db.execute(
        "CREATE INDEX idx_followups_due_tally ON followups(due_date, status, outcome, channel)"
    )
    db.execute(
        "CREATE INDEX idx_followups_customer_tally "
        "ON followups(customer_id, due_date, status, outcome, channel)"
    )
    db.execute(
        "CREATE INDEX idx_contacts_score_tally "
        "ON contacts(date, score, nps, customer_id, owner, channel)"
    )
    db.execute("DROP INDEX idx_contacts_customer")
    db.execute(
        "CREATE INDEX idx_contacts_customer_tally ON contacts(customer_id, date, score, nps)"
    )


def _m7_undo_and_changes(db: Any) -> None:
    """What each logged contact changed (so `undo` can take it back), and a customer's edits
    (tier, owner, ...) for the timeline."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS log_undo (contact_id INTEGER PRIMARY KEY, "
        "customer_id INTEGER NOT NULL, changes TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_log_undo_customer ON log_undo(customer_id)")
    db.execute(
        "CREATE TABLE IF NOT EXISTS customer_changes (id INTEGER PRIMARY KEY, "
        "customer_id INTEGER NOT NULL, date TEXT NOT NULL, field TEXT NOT NULL, "
        "old TEXT, new TEXT, source TEXT NOT NULL, logged_at TEXT NOT NULL)"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_customer_changes_customer "
        "ON customer_changes(customer_id, date)"
    )


def _m8_level_table(db: Any) -> None:
    """Member levels, tags and lifecycle stages of other systems -> our tiers, owner-editable."""
    from followup_cli.layouts import DEFAULT_LEVELS

    db.execute("CREATE TABLE IF NOT EXISTS level_map (word TEXT PRIMARY KEY, tier TEXT NOT NULL)")
    db.conn.executemany(
        "INSERT OR IGNORE INTO level_map (word, tier) VALUES (?, ?)", DEFAULT_LEVELS
    )


def _m9_message_templates(db: Any) -> None:
    """The owner's own wording of the messages sent to customers, per reason."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS message_templates (key TEXT PRIMARY KEY, "
        "text TEXT NOT NULL, updated_at TEXT NOT NULL)"
    )


def _m10_purchase_rhythm(db: Any) -> None:
    """Each customer's purchase facts kept up to date at import (rhythm, RFM segments); the
    date trigger a follow-up covers; contacts made while the customer was dormant."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS purchase_stats (customer_id INTEGER PRIMARY KEY, "
        "days INTEGER NOT NULL, spend REAL NOT NULL, first_day TEXT NOT NULL, "
        "last_day TEXT NOT NULL, gaps TEXT NOT NULL, median2 INTEGER)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_stats_last ON purchase_stats(last_day)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_stats_days ON purchase_stats(days)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_stats_spend ON purchase_stats(spend)")
    for table, column in (
        ("followups", "occasion"),
        ("followups", "covers_due"),
        ("contacts", "win_back"),
    ):
        if column not in db[table].columns_dict:
            db[table].add_column(column, int if column == "win_back" else str)
    refresh_purchase_stats(db.conn, None)


APPLICATION_ID = 0x466F5570  # "FoUp" in the file header: this file is a followup database


def _m11_ownership_and_erasure(db: Any) -> None:
    """The file says it is ours; undo and forget find a customer's import history by index;
    backups are remembered so that `forget` can name the copies that still hold someone."""
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_import_changes_customer ON import_changes(customer_id)"
    )
    db.execute("CREATE TABLE IF NOT EXISTS backups (path TEXT PRIMARY KEY, made_at TEXT)")


def _m12_returning_customers(db: Any) -> None:
    """A lost customer who buys again is active again; the day they came back is kept
    (churned_on keeps the day they were lost), so the churn figures count both."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(customers)").fetchall()}
    if "returned_on" not in columns:
        db.execute("ALTER TABLE customers ADD COLUMN returned_on TEXT")


MIGRATIONS: tuple[Callable[[Any], None], ...] = (
    _m1_initial,
    _m2_imports_and_purchases,
    _m3_grace_and_closed_days,
    _m4_report_indexes,
    _m5_ranked_queue,
    _m6_report_tallies,
    _m7_undo_and_changes,
    _m8_level_table,
    _m9_message_templates,
    _m10_purchase_rhythm,
    _m11_ownership_and_erasure,
    _m12_returning_customers,
)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> None:
    if schema_version(conn) == SCHEMA_VERSION:
        return
    with transaction(conn):
        _migrate_in_transaction(conn)


def _migrate_in_transaction(conn: sqlite3.Connection) -> None:
    """Bring the schema up to date inside the caller's write transaction."""
    import sqlite_utils

    db = sqlite_utils.Database(conn, execute_plugins=False)
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise _newer(version)
    for number in range(version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[number - 1](db)
        conn.execute(f"PRAGMA user_version = {number}")


# --- rules and settings ---------------------------------------------------------------------


def _rule_to_row(rule: Rule) -> dict[str, Any]:
    return {
        "tier": rule.tier,
        "steps": ",".join(str(s) for s in rule.steps),
        "interval": str(rule.interval) if rule.interval else None,
        "anchor": rule.anchor,
        "then": rule.then,
        "rank": rule.rank,
        "grace": str(rule.grace),
    }


def load_rules(conn: sqlite3.Connection) -> dict[str, Rule]:
    rules = {}
    for row in conn.execute("SELECT * FROM rules"):
        steps = tuple(Duration.parse(s) for s in (row["steps"] or "").split(",") if s)
        interval = Duration.parse(row["interval"]) if row["interval"] else None
        grace = Duration.parse(row["grace"]) if row["grace"] else Duration(1, "w")
        rules[row["tier"]] = Rule(
            row["tier"], steps, interval, row["anchor"], row["then"], row["rank"], grace
        )
    return rules


def load_settings(conn: sqlite3.Connection) -> Settings:
    values: dict[str, Any] = {}
    for row in conn.execute("SELECT key, value FROM settings"):
        if row["key"] in Settings.__dataclass_fields__:
            values[row["key"]] = Settings.parse_value(row["key"], row["value"])
    return Settings(**values)


def save_setting(conn: sqlite3.Connection, name: str, value: object) -> None:
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (name, Settings.format_value(value)),
    )


def save_rules(conn: sqlite3.Connection, rules: Iterable[Rule]) -> None:
    """Replace the whole rule set (already validated by the engine)."""
    conn.execute("DELETE FROM rules")
    conn.executemany(
        'INSERT INTO rules (tier, steps, interval, anchor, "then", rank, grace) '
        "VALUES (:tier, :steps, :interval, :anchor, :then, :rank, :grace)",
        [_rule_to_row(rule) for rule in rules],
    )
    refresh_ranks(conn)


# --- customers --------------------------------------------------------------------------------


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
    return Customer(**values)


_WITH_SPEND = (
    "SELECT c.*, (SELECT SUM(p.amount) FROM purchases p WHERE p.customer_id = c.id) AS spend "
    "FROM customers c"
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
    for row in conn.execute(f"{_WITH_SPEND} ORDER BY c.id"):
        yield row_to_customer(row)


def insert_customer(conn: sqlite3.Connection, values: dict[str, Any], now: str) -> int:
    columns = [*values, "created_at", "updated_at"]
    cursor = conn.execute(
        f"INSERT INTO customers ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [*values.values(), now, now],
    )
    return int(cursor.lastrowid or 0)


# What an import writes for a new customer (up to contract_end, and extra); the rest defaults.
_INSERTED_COLUMNS = (*CUSTOMER_COLUMNS[: CUSTOMER_COLUMNS.index("contract_end") + 1], "extra")


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


# --- follow-ups -------------------------------------------------------------------------------


def open_followup(conn: sqlite3.Connection, customer_id: int) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT * FROM followups WHERE customer_id = ? AND status = 'open'", (customer_id,)
    ).fetchone()


def previous_due(conn: sqlite3.Connection, customer_id: int) -> date | None:
    """Due date of the last closed cadence follow-up (check-backs and renewals don't count)."""
    row = conn.execute(
        "SELECT MAX(COALESCE(covers_due, due_date)) FROM followups WHERE customer_id = ? "
        "AND status IN ('done', 'missed', 'closed') AND kind IN ('step', 'cadence')",
        (customer_id,),
    ).fetchone()
    return optional_date(row[0])


def renewal_done_for(conn: sqlite3.Connection, customer_id: int) -> date | None:
    row = conn.execute(
        "SELECT MAX(anchor) FROM followups WHERE customer_id = ? AND kind = 'renewal' "
        "AND status IN ('done', 'missed', 'closed')",
        (customer_id,),
    ).fetchone()
    return optional_date(row[0])


def insert_followup(conn: sqlite3.Connection, customer_id: int, plan: Any) -> None:
    insert_followups(conn, [(customer_id, plan)])


_RANK_OF_CUSTOMER = (
    "COALESCE((SELECT r.rank FROM customers c JOIN rules r ON r.tier = c.tier WHERE c.id = {}), 99)"
)


def insert_followups(
    conn: sqlite3.Connection,
    planned: Iterable[tuple[int, Any]],
    ranks: dict[int, int] | None = None,
) -> None:
    """New open follow-ups; each carries its tier's rank so today's list sorts by index.

    `ranks` (customer id -> rank) saves looking the rank up when the caller knows it.
    """
    rank = ":rank" if ranks is not None else _RANK_OF_CUSTOMER.format(":id")
    conn.executemany(
        "INSERT INTO followups (customer_id, kind, reason, anchor, due_date, show_date, status,"
        " attempts, rank, occasion, covers_due) VALUES (:id, :kind, :reason, :anchor, :due, "
        f":due, 'open', 0, {rank}, :occasion, :covers)",
        (
            {
                "id": cid,
                "kind": p.kind,
                "reason": p.reason,
                "anchor": p.anchor and p.anchor.isoformat(),
                "due": p.due_date.isoformat(),
                "rank": ranks.get(cid, 99) if ranks is not None else None,
                "occasion": p.occasion,
                "covers": p.covers_due and p.covers_due.isoformat(),
            }
            for cid, p in planned
        ),
    )


def refresh_ranks(conn: sqlite3.Connection, customer_ids: list[int] | None = None) -> None:
    """After a rule or tier change: open follow-ups take their tier's current rank."""
    sql = (
        f"UPDATE followups SET rank = {_RANK_OF_CUSTOMER.format('followups.customer_id')} "
        "WHERE status = 'open'"
    )
    if customer_ids is None:
        conn.execute(sql)
        return
    for chunk in _chunks(customer_ids):
        conn.execute(f"{sql} AND customer_id IN ({', '.join('?' * len(chunk))})", chunk)


def close_followup(
    conn: sqlite3.Connection,
    followup_id: int,
    status: str,
    outcome: str,
    on: date,
    channel: str | None = None,
) -> None:
    conn.execute(
        "UPDATE followups SET status = ?, outcome = ?, closed_on = ?, channel = ? WHERE id = ?",
        (status, outcome, on.isoformat(), channel, followup_id),
    )


def retry_followup(
    conn: sqlite3.Connection, followup_id: int, attempts: int, show_on: date
) -> None:
    conn.execute(
        "UPDATE followups SET attempts = ?, show_date = ?, outcome = 'no-answer' WHERE id = ?",
        (attempts, show_on.isoformat(), followup_id),
    )


# A follow-up with a contact on it (a snooze) has history: re-planning keeps it where the owner
# put it rather than deleting the row its contacts point at.
_UNTOUCHED = "NOT EXISTS (SELECT 1 FROM contacts k WHERE k.followup_id = followups.id)"


def drop_unstarted_followup(conn: sqlite3.Connection, customer_id: int) -> bool:
    """Remove an open follow-up nobody has worked on yet, so it can be re-planned."""
    cursor = conn.execute(
        "DELETE FROM followups WHERE customer_id = ? AND status = 'open' AND attempts = 0 "
        f"AND kind != 'check-back' AND {_UNTOUCHED}",
        (customer_id,),
    )
    return cursor.rowcount > 0


def cancel_open_followup(conn: sqlite3.Connection, customer_id: int) -> None:
    """Withdraw a planned follow-up that will never happen (opt-out before it was due)."""
    conn.execute(
        "UPDATE followups SET status = 'cancelled' WHERE customer_id = ? AND status = 'open'",
        (customer_id,),
    )


def move_followup(conn: sqlite3.Connection, followup_id: int, day: date) -> None:
    """Show a follow-up on another day; its due date stays, for the numbers."""
    conn.execute("UPDATE followups SET show_date = ? WHERE id = ?", (day.isoformat(), followup_id))


def customers_with_unstarted_followups(
    conn: sqlite3.Connection, tiers: set[str] | None
) -> list[int]:
    """Customers whose open follow-up nobody has worked on yet (safe to re-plan)."""
    sql = (
        "SELECT followups.customer_id FROM followups JOIN customers c "
        "ON c.id = followups.customer_id WHERE followups.status = 'open' "
        f"AND followups.attempts = 0 AND followups.kind != 'check-back' AND {_UNTOUCHED}"
    )
    params: list[Any] = []
    if tiers is not None:
        sql += f" AND c.tier IN ({', '.join('?' * len(tiers))})"
        params = sorted(tiers)
    return [row[0] for row in conn.execute(sql, params)]


def drop_unstarted_followups(conn: sqlite3.Connection, customer_ids: list[int]) -> None:
    for chunk in _chunks(customer_ids):
        conn.execute(
            f"DELETE FROM followups WHERE status = 'open' AND attempts = 0 "
            f"AND kind != 'check-back' AND {_UNTOUCHED} "
            f"AND customer_id IN ({', '.join('?' * len(chunk))})",
            chunk,
        )


def customers_in_other_tiers(conn: sqlite3.Connection, tiers: set[str]) -> list[tuple[str, int]]:
    rows = conn.execute(
        f"SELECT tier, COUNT(*) FROM customers WHERE tier NOT IN "
        f"({', '.join('?' * len(tiers))}) GROUP BY tier ORDER BY tier",
        sorted(tiers),
    )
    return [(row[0], row[1]) for row in rows]


def open_followup_ids(conn: sqlite3.Connection, refs: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        rows = conn.execute(
            f"SELECT c.ref, f.id FROM followups f JOIN customers c ON c.id = f.customer_id "
            f"WHERE f.status = 'open' AND c.ref IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
        found.update({row[0]: row[1] for row in rows})
    return found


def load_per_day(conn: sqlite3.Connection, start: date, end: date) -> dict[date, int]:
    rows = conn.execute(
        "SELECT f.show_date, COUNT(*) FROM followups f JOIN customers c ON c.id = f.customer_id "
        "WHERE f.status = 'open' AND f.show_date BETWEEN ? AND ? AND c.status = 'active' "
        "AND c.do_not_contact = 0 GROUP BY f.show_date",
        (start.isoformat(), end.isoformat()),
    )
    return {date.fromisoformat(row[0]): row[1] for row in rows}


def planned_between(conn: sqlite3.Connection, start: date | None, end: date) -> list[sqlite3.Row]:
    """Open follow-ups showing from `start` (or any earlier day) to `end`, in order."""
    return conn.execute(
        "SELECT f.id AS followup_id, f.show_date, f.due_date, f.kind, f.reason, c.ref AS "
        "customer_id, c.name, c.phone, c.tier, c.owner, c.last_note FROM followups f "
        "JOIN customers c ON c.id = f.customer_id WHERE f.status = 'open' "
        "AND f.show_date BETWEEN ? AND ? AND c.status = 'active' AND c.do_not_contact = 0 "
        "ORDER BY f.show_date, c.name, c.ref",
        ((start or date.min).isoformat(), end.isoformat()),
    ).fetchall()


def activity_of_active_customers(conn: sqlite3.Connection) -> Iterator[sqlite3.Row]:
    """Each contactable customer's last purchase or successful contact (or when they joined)."""
    yield from conn.execute(
        "SELECT ref, name, phone, tier, owner, MAX(COALESCE(last_purchase, ''), "
        "COALESCE(last_success, ''), COALESCE(first_purchase, ''), added) AS last_activity "
        "FROM customers WHERE status = 'active' AND do_not_contact = 0"
    )


def contact_logged(conn: sqlite3.Connection, customer_id: int, on: date, outcome: str) -> bool:
    """Whether this outcome is already logged for the customer on that day."""
    row = conn.execute(
        "SELECT 1 FROM contacts WHERE customer_id = ? AND date = ? AND outcome = ? LIMIT 1",
        (customer_id, on.isoformat(), outcome),
    ).fetchone()
    return row is not None


def insert_contact(conn: sqlite3.Connection, values: dict[str, Any]) -> int:
    """A new contact row; returns its id."""
    columns = list(values)
    cursor = conn.execute(
        f"INSERT INTO contacts ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        list(values.values()),
    )
    return int(cursor.lastrowid or 0)


_DUE_SELECT = """
SELECT f.id AS followup_id, c.ref, c.name, c.phone, c.tier, c.owner, c.last_outcome,
       c.last_note, c.last_contact,
       c.added, c.first_purchase, c.last_purchase, c.last_success,
       f.due_date, f.show_date, f.kind, f.reason, f.attempts, f.anchor
FROM followups f
JOIN customers c ON c.id = f.customer_id
WHERE f.status = 'open' AND f.show_date <= :on
  AND c.do_not_contact = 0 AND c.status = 'active'
  AND (:owner IS NULL OR c.owner = :owner COLLATE NOCASE)
"""
# Today's list in three slices, each read in order from an index and cut by LIMIT:
# check-backs first, then overdue by tier rank and age, then what falls due today.
DUE_QUERIES = (
    _DUE_SELECT + "AND f.kind = 'check-back' ORDER BY f.due_date, c.name, c.ref LIMIT :limit",
    _DUE_SELECT + "AND f.kind != 'check-back' AND f.due_date < :on "
    "ORDER BY f.rank, f.due_date, c.name, c.ref LIMIT :limit",
    # A follow-up never shows before its due date, so "showing, and not overdue" is due today.
    _DUE_SELECT + "AND f.kind != 'check-back' AND f.due_date = :on "
    "ORDER BY f.rank, c.name, c.ref LIMIT :limit",
)


def due_rows(
    conn: sqlite3.Connection, on: date, owner: str | None, limit: int | None = None
) -> list[sqlite3.Row]:
    """Today's list in priority order, at most `limit` rows."""
    rows: list[sqlite3.Row] = []
    for query in DUE_QUERIES:
        left = -1 if limit is None else limit - len(rows)
        if left == 0:
            break
        params = {"on": on.isoformat(), "owner": owner, "limit": left}
        rows += conn.execute(query, params).fetchall()
    return rows


def due_count(conn: sqlite3.Connection, on: date, owner: str | None) -> int:
    """How many are on today's list in all (when --limit shows only the first few).

    Without an owner, counted from the open-show index alone: an open follow-up never
    belongs to a lost or opted-out customer (logging either closes it)."""
    if owner is None:
        return int(
            conn.execute(
                "SELECT COUNT(*) FROM followups WHERE status = 'open' AND show_date <= ?",
                (on.isoformat(),),
            ).fetchone()[0]
        )
    return int(
        conn.execute(
            "SELECT COUNT(*) FROM followups f JOIN customers c ON c.id = f.customer_id "
            "WHERE f.status = 'open' AND f.show_date <= :on AND c.do_not_contact = 0 "
            "AND c.status = 'active' AND (:owner IS NULL OR c.owner = :owner COLLATE NOCASE)",
            {"on": on.isoformat(), "owner": owner},
        ).fetchone()[0]
    )


def overdue_count(conn: sqlite3.Connection, on: date) -> int:
    """Open follow-ups due before `on` (read from the open-due index alone)."""
    return int(
        conn.execute(
            "SELECT COUNT(*) FROM followups WHERE status = 'open' AND due_date < ?",
            (on.isoformat(),),
        ).fetchone()[0]
    )


def customer_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0])


def move_followups(conn: sqlite3.Connection, days: dict[int, date]) -> None:
    """Show follow-ups on other days (their due dates stay, for the numbers)."""
    conn.executemany(
        "UPDATE followups SET show_date = ? WHERE id = ?",
        ((day.isoformat(), followup_id) for followup_id, day in days.items()),
    )


def due_followup_ids(conn: sqlite3.Connection, on: date) -> list[int]:
    """The open follow-ups showing by `on`, check-backs aside, in today's order (overdue by
    tier rank and age, then due today by rank): just their ids, for spreading a backlog."""
    return [
        row[0]
        for row in conn.execute(
            "SELECT f.id FROM followups f JOIN customers c ON c.id = f.customer_id "
            "WHERE f.status = 'open' AND f.show_date <= :on AND f.kind != 'check-back' "
            "AND c.do_not_contact = 0 AND c.status = 'active' "
            "ORDER BY f.due_date >= :on, f.rank, CASE WHEN f.due_date < :on THEN f.due_date END, "
            "c.name, c.ref",
            {"on": on.isoformat()},
        )
    ]


def history(conn: sqlite3.Connection, customer_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT date, outcome, channel, score, nps, note, owner FROM contacts "
        "WHERE customer_id = ? ORDER BY date, id",
        (customer_id,),
    ).fetchall()


_COMPLETED = "f.outcome IN ('reached', 'complaint', 'converted', 'lost')"
_CUSTOMER_KEYS = {"tier": "c.tier", "owner": "COALESCE(c.owner, '(none)')"}
_SEGMENT_CASE: list[str] = []  # set by use_segments before a report broken down by segment


def use_segments(high: dict[str, Any], names: dict[tuple[bool, bool, bool], str]) -> None:
    """Reports group customers by value segment: high R, F, M mean above these values."""
    # Values go into the SQL text: a day (checked by parsing it), a count and an amount.
    recency = date.fromisoformat(str(high["recency"])).isoformat()
    frequency, monetary = high["frequency"], high["monetary"]
    tests = (
        f"s.last_day > '{recency}'",
        f"s.days > {int(frequency)}",
        f"s.spend > {float(monetary)!r}",
    )

    def condition(flags: tuple[bool, bool, bool]) -> str:
        parts = (t if flag else f"NOT ({t})" for t, flag in zip(tests, flags, strict=True))
        return " AND ".join(parts)

    whens = " ".join(f"WHEN {condition(flags)} THEN '{name}'" for flags, name in names.items())
    _SEGMENT_CASE[:] = [f"CASE {whens} END"]


def _segment_key(customer_id: str) -> str:
    """The segment of the customer with this id column, or '(none)' without purchases."""
    case = _SEGMENT_CASE[0] if _SEGMENT_CASE else "NULL"
    return (
        f"COALESCE((SELECT {case} FROM purchase_stats s WHERE s.customer_id = {customer_id}), "
        "'(none)')"
    )


def report_followups(
    conn: sqlite3.Connection, start: date, end: date, dims: Sequence[str]
) -> list[dict[str, Any]]:
    """Planned and completed follow-ups due in the period, summed per group of `dims`.

    Each row has the dims asked for (month as YYYY-MM), `planned` and `completed`. The query
    is shaped so that SQLite reads a covering index and never sorts a row per follow-up: the
    whole period is one range scan; tier and owner are summed per customer first; channels
    are summed side by side; a month breakdown is one such query per month.
    """
    if "month" in dims:
        rest = [d for d in dims if d != "month"]
        return [
            {**row, "month": first.strftime("%Y-%m")}
            for first, last in months_between(start, end)
            for row in report_followups(conn, first, last, rest)
        ]
    channels = ("(none)", *CHANNELS) if "channel" in dims else ("",)
    group = [d for d in dims if d != "channel"]
    sums = []
    for index, channel in enumerate(channels):
        when = f"COALESCE(f.channel, '(none)') = '{channel}'" if channel else "1"
        sums.append(
            f"COALESCE(SUM({when}), 0) AS p{index}, "
            f"COALESCE(SUM({when} AND {_COMPLETED}), 0) AS c{index}"
        )
    period = (start.isoformat(), end.isoformat())
    where = "f.due_date BETWEEN ? AND ? AND f.status != 'cancelled'"
    if not group:
        rows = conn.execute(f"SELECT {', '.join(sums)} FROM followups f WHERE {where}", period)
    else:
        keys = ", ".join(
            f"{_segment_key('c.id') if d == 'segment' else _CUSTOMER_KEYS[d]} AS {d}" for d in group
        )
        outer = ", ".join(f"SUM(p{i}) AS p{i}, SUM(c{i}) AS c{i}" for i in range(len(channels)))
        rows = conn.execute(
            f"SELECT {', '.join(group)}, {outer} FROM ("
            f"SELECT {keys}, {', '.join(sums)} FROM customers c JOIN followups f "
            f"INDEXED BY idx_followups_customer_tally ON f.customer_id = c.id "
            f"WHERE {where} GROUP BY c.id) GROUP BY {', '.join(group)}",
            period,
        )
    result = []
    for row in rows:
        for index, channel in enumerate(channels):
            if row[f"p{index}"] or not channel:
                tally = {d: row[d] for d in group}
                if channel:
                    tally["channel"] = channel
                tally.update(planned=row[f"p{index}"], completed=row[f"c{index}"])
                result.append(tally)
    return result


def report_open_items(
    conn: sqlite3.Connection, as_of: date, dims: Sequence[str]
) -> list[sqlite3.Row]:
    """Open follow-ups of contactable customers already past due, counted per group of `dims`
    (tier, owner; with month, per due day). Without dims: one count."""
    columns = {
        "tier": "c.tier",
        "owner": "COALESCE(c.owner, '(none)')",
        "month": "f.due_date",
        "segment": _segment_key("c.id"),
    }
    wanted = [d for d in dims if d in columns]
    keys = "".join(f"{columns[d]} AS {'due_date' if d == 'month' else d}, " for d in wanted)
    group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(wanted)))}" if wanted else ""
    return conn.execute(
        f"SELECT {keys}COUNT(*) AS count FROM followups f JOIN customers c ON c.id = f.customer_id "
        "WHERE f.status = 'open' AND f.due_date < ? AND c.status = 'active' "
        f"AND c.do_not_contact = 0{group}",
        (as_of.isoformat(),),
    ).fetchall()


def report_scores(
    conn: sqlite3.Connection, start: date, end: date, dims: Sequence[str]
) -> list[sqlite3.Row]:
    """Satisfaction and recommend scores given in the period, summed per group of `dims`."""
    columns = {
        "tier": "c.tier",
        "owner": "COALESCE(k.owner, '(none)')",
        "channel": "COALESCE(k.channel, '(none)')",
        "month": "substr(k.date, 1, 7)",
        "segment": _segment_key("c.id"),
    }
    sums = (
        "COUNT(k.score) AS scores, COALESCE(SUM(k.score), 0) AS score_total, "
        "COALESCE(SUM(k.score >= 4), 0) AS satisfied, COUNT(k.nps) AS answers, "
        "COALESCE(SUM(k.nps >= 9), 0) AS promoters, COALESCE(SUM(k.nps <= 6), 0) AS detractors"
    )
    where = "k.date BETWEEN ? AND ? AND (k.score IS NOT NULL OR k.nps IS NOT NULL)"
    period = (start.isoformat(), end.isoformat())
    if list(dims) == ["tier"]:  # summed per customer first: no sort of a row per contact
        totals = ", ".join(
            f"SUM({name}) AS {name}"
            for name in ("scores", "score_total", "satisfied", "answers", "promoters", "detractors")
        )
        return conn.execute(
            f"SELECT tier, {totals} FROM (SELECT c.tier AS tier, {sums} FROM customers c "
            f"JOIN contacts k INDEXED BY idx_contacts_customer_tally ON k.customer_id = c.id "
            f"WHERE {where} GROUP BY c.id) GROUP BY tier",
            period,
        ).fetchall()
    keys = "".join(f"{columns[d]} AS {d}, " for d in dims)
    join = "JOIN customers c ON c.id = k.customer_id " if {"tier", "segment"} & set(dims) else ""
    # By position: with customers joined, a name such as "owner" would be ambiguous.
    group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(dims)))}" if dims else ""
    return conn.execute(
        f"SELECT {keys}{sums} FROM contacts k INDEXED BY idx_contacts_score_tally {join}"
        f"WHERE {where}{group}",
        period,
    ).fetchall()


def customer_counts(
    conn: sqlite3.Connection,
    dims: Sequence[str],
    start: date,
    end: date,
    churn_before: tuple[date, date],
    risk_before: dict[str, date],
    own: dict[str, Any] | None = None,
) -> list[sqlite3.Row]:
    """Active, churned, prospect, converted and at-risk customers per group of `dims`
    (tier, owner) for a period, counted by SQLite in one pass over the customers.

    The same definitions as metrics.lifeline/count_customers; the churn window and risk
    intervals arrive as day thresholds (metrics.churn_thresholds, risk_thresholds). With
    `own` (the per-customer churn definition: factor p/q, tier interval days, the days the
    churn counts from and until, as_of), customers with 3+ purchase days churn after
    ceil(factor x typical gap) silent days and are at risk after ceil(2 x typical gap),
    in whole-number arithmetic (rhythm.py gives the same days).
    """
    keys = {
        "tier": "CASE WHEN converted_on IS NOT NULL THEN 'prospect' ELSE tier END",
        "owner": "COALESCE(owner, '(none)')",
        "segment": _segment_key("cid"),
    }
    # Group keys get names of their own: "tier" would otherwise mean the column in GROUP BY.
    select = "".join(f"{keys[d]} AS group_{d}, " for d in dims)
    params = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "gone_before_start": churn_before[0].isoformat(),
        "gone_by_end": churn_before[1].isoformat(),
    }
    risk_case = ""
    for index, (tier, day) in enumerate(sorted(risk_before.items())):
        risk_case += f" WHEN :tier{index} THEN last < :quiet{index}"
        params.update({f"tier{index}": tier, f"quiet{index}": day.isoformat()})
    risk = f"COALESCE(CASE tier{risk_case} END, 0)" if risk_case else "0"
    window_active, window_gone = "last >= :gone_before_start", "last < :gone_by_end"
    own_columns, own_join = "", ""
    if own is not None:
        interval = (
            "CASE tier"
            + "".join(
                f" WHEN :itier{i} THEN {int(days)}"
                for i, days in enumerate(own["intervals"].values())
            )
            + " END"
            if own["intervals"]
            else "NULL"
        )
        for i, tier in enumerate(own["intervals"]):
            params[f"itier{i}"] = tier
        params.update(
            p=own["factor"][0],
            q=own["factor"][1],
            s1=own["counts_from"].isoformat(),
            e1=own["counts_until"].isoformat(),
            as_of=own["as_of"].isoformat(),
        )
        gaps, twice = "(s.days - 1)", f"((s.days - 1) * s.median2 + 2 * {interval})"
        own_columns = (
            f", CASE WHEN s.days >= 3 THEN (:p * {twice} + 2 * :q * s.days - 1) "
            f"/ (2 * :q * s.days) END AS rd, CASE WHEN s.days >= 3 THEN ({twice} + {gaps}) "
            "/ s.days END AS rk"
        )
        own_join = " LEFT JOIN purchase_stats s ON s.customer_id = customers.id"
        silent = "date(last, printf('+%d days', {}))"
        window_active = (
            f"CASE WHEN rd IS NOT NULL THEN {silent.format('rd')} >= :s1 ELSE {window_active} END"
        )
        window_gone = (
            f"CASE WHEN rd IS NOT NULL THEN {silent.format('rd')} < :e1 ELSE {window_gone} END"
        )
        risk = f"CASE WHEN rk IS NOT NULL THEN {silent.format('rk')} < :as_of ELSE {risk} END"
    # A loss counts until the customer came back (returned_on); from then on the churn window
    # runs from their last activity, the purchase that brought them back included.
    lost_at_start = "churned_on IS NOT NULL AND COALESCE(returned_on >= :start, 1)"
    lost_at_end = "churned_on IS NOT NULL AND COALESCE(returned_on > :end, 1)"
    active = (
        f"since IS NOT NULL AND since < :start AND CASE WHEN {lost_at_start} "
        f"THEN churned_on >= :start ELSE {window_active} END"
    )
    gone_by_end = f"CASE WHEN {lost_at_end} THEN churned_on <= :end ELSE {window_gone} END"
    prospect = (
        "(tier = 'prospect' OR converted_on IS NOT NULL) AND added <= :end "
        "AND NOT COALESCE(converted_on < :start, 0) "
        f"AND NOT COALESCE(churned_on < :start AND ({lost_at_start}), 0)"
    )
    sql = (
        f"SELECT {select}SUM({active}) AS active_at_start, "
        f"SUM(({active}) AND {gone_by_end}) AS churned, SUM({prospect}) AS prospects, "
        f"SUM(({prospect}) AND COALESCE(converted_on <= :end, 0)) AS converted, "
        f"SUM(contactable AND (churned_on IS NULL OR returned_on IS NOT NULL) AND "
        f"{risk}) AS churn_risk FROM ("
        "SELECT customers.id AS cid, tier, owner, added, converted_on, churned_on, returned_on, "
        "CASE WHEN converted_on IS NOT NULL THEN converted_on "
        "WHEN tier != 'prospect' THEN COALESCE(first_purchase, added) END AS since, "
        "MAX(added, COALESCE(first_purchase, ''), COALESCE(last_purchase, ''), "
        "COALESCE(last_success, '')) AS last, "
        f"(status = 'active' AND do_not_contact = 0) AS contactable{own_columns} "
        f"FROM customers{own_join})"
        + (f" GROUP BY {', '.join(f'group_{d}' for d in dims)}" if dims else "")
    )
    return conn.execute(sql, params).fetchall()


def history_export(conn: sqlite3.Connection) -> Iterator[sqlite3.Row]:
    """Every logged contact with whom it was about, oldest first, a row at a time."""
    yield from conn.execute(
        "SELECT c.ref AS customer_id, c.name, k.date, k.outcome, k.channel, k.score, k.nps, "
        "k.note, k.owner, f.due_date AS followup_due, f.kind AS followup_kind, k.logged_at "
        "FROM contacts k JOIN customers c ON c.id = k.customer_id "
        "LEFT JOIN followups f ON f.id = k.followup_id ORDER BY k.date, k.id"
    )


# --- import history, profiles, purchases --------------------------------------------------------


def record_import(conn: sqlite3.Connection, values: dict[str, Any]) -> int:
    columns = list(values)
    cursor = conn.execute(
        f"INSERT INTO imports ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        list(values.values()),
    )
    return int(cursor.lastrowid or 0)


def finish_import(conn: sqlite3.Connection, import_id: int, values: dict[str, Any]) -> None:
    assignments = ", ".join(f"{name} = ?" for name in values)
    conn.execute(f"UPDATE imports SET {assignments} WHERE id = ?", [*values.values(), import_id])


def record_changes(conn: sqlite3.Connection, rows: Iterable[tuple[int, int, str, str | None]]):
    conn.executemany(
        "INSERT INTO import_changes (import_id, customer_id, action, before) VALUES (?, ?, ?, ?)",
        rows,
    )


def list_imports(conn: sqlite3.Connection, limit: int, every: bool = True) -> list[sqlite3.Row]:
    """Newest first; without `every`, only imports that added, changed or rejected something."""
    changed = (
        ""
        if every
        else "WHERE NOT (status = 'done' AND added = 0 AND updated = 0 AND rejected = 0) "
    )
    return conn.execute(
        f"SELECT * FROM imports {changed}ORDER BY id DESC LIMIT ?", (limit,)
    ).fetchall()


def get_import(conn: sqlite3.Connection, import_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM imports WHERE id = ?", (import_id,)).fetchone()


def import_changes(conn: sqlite3.Connection, import_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT customer_id, action, before FROM import_changes WHERE import_id = ? ORDER BY id",
        (import_id,),
    ).fetchall()


def contacts_logged_since(conn: sqlite3.Connection, customer_ids: list[int], since: str) -> int:
    if not customer_ids:
        return 0
    found = 0
    for chunk in _chunks(customer_ids):
        found += conn.execute(
            f"SELECT COUNT(*) FROM contacts WHERE logged_at >= ? AND customer_id IN "
            f"({', '.join('?' * len(chunk))})",
            [since, *chunk],
        ).fetchone()[0]
    return int(found)


def first_changed_since(conn: sqlite3.Connection, import_id: int, started_at: str) -> str | None:
    """The first customer of an import that something else changed after it (its row no
    longer carries the import's time), or None."""
    row = conn.execute(
        "SELECT c.ref FROM import_changes i JOIN customers c ON c.id = i.customer_id "
        "WHERE i.import_id = ? AND c.updated_at IS NOT ? ORDER BY i.id LIMIT 1",
        (import_id, started_at),
    ).fetchone()
    return row[0] if row else None


def delete_customers_added_by(conn: sqlite3.Connection, import_id: int) -> int:
    """Remove, with everything about them, the customers an import added: a few statements
    over an index, not five per customer (undoing 150 000 rows takes seconds)."""
    conn.execute("DROP TABLE IF EXISTS temp.undo_added")
    conn.execute(
        "CREATE TEMP TABLE undo_added AS SELECT customer_id AS id FROM import_changes "
        "WHERE import_id = ? AND action = 'added' AND customer_id IN (SELECT id FROM customers)",
        (import_id,),
    )
    ids = "(SELECT id FROM temp.undo_added)"
    try:
        for table in (*CUSTOMER_TABLES, "import_changes"):
            conn.execute(f"DELETE FROM {table} WHERE customer_id IN {ids}")
        return conn.execute(f"DELETE FROM customers WHERE id IN {ids}").rowcount
    finally:
        conn.execute("DROP TABLE temp.undo_added")


def _chunks(items: list[int], size: int = 500) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Every table with a row per customer (customer_id), cleared when a customer goes.
CUSTOMER_TABLES = (
    "log_undo",
    "customer_changes",
    "contacts",
    "purchases",
    "followups",
    "purchase_stats",
)


def delete_customer(conn: sqlite3.Connection, customer_id: int) -> None:
    """Remove a customer and everything about them."""
    for table in CUSTOMER_TABLES:
        conn.execute(f"DELETE FROM {table} WHERE customer_id = ?", (customer_id,))
    conn.execute("DELETE FROM import_changes WHERE customer_id = ?", (customer_id,))
    conn.execute("DELETE FROM customers WHERE id = ?", (customer_id,))


def customer_row(conn: sqlite3.Connection, customer_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()


def save_profile(conn: sqlite3.Connection, name: str, options: str, now: str) -> None:
    conn.execute(
        "INSERT INTO import_profiles (name, options, saved_at) VALUES (?, ?, ?) "
        "ON CONFLICT(name) DO UPDATE SET options = excluded.options, saved_at = excluded.saved_at",
        (name, options, now),
    )


def load_profile(conn: sqlite3.Connection, name: str) -> str | None:
    row = conn.execute("SELECT options FROM import_profiles WHERE name = ?", (name,)).fetchone()
    return row[0] if row else None


def profile_names(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM import_profiles ORDER BY name")]


def insert_purchase(
    conn: sqlite3.Connection,
    customer_id: int,
    on: str,
    amount: float | None,
    order_ref: str,
    import_id: int | None,
) -> bool:
    """True when the purchase is new (the same line imported twice counts once)."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO purchases (customer_id, date, amount, order_ref, import_id) "
        "VALUES (?, ?, ?, ?, ?)",
        (customer_id, on, amount, order_ref, import_id),
    )
    return cursor.rowcount > 0


def delete_purchases_of_import(conn: sqlite3.Connection, import_id: int) -> None:
    conn.execute("DELETE FROM purchases WHERE import_id = ?", (import_id,))


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
    }
    data = {
        name: [dict(row) for row in conn.execute(sql, (customer_id,))]
        for name, sql in tables.items()
    }
    for change in data["import_history"]:
        change["before"] = json.loads(change["before"]) if change["before"] else None
    return data


def record_backup(conn: sqlite3.Connection, path: Path, now: str) -> None:
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
    conn.execute("PRAGMA secure_delete = ON")
    with transaction(conn):
        delete_customer(conn, customer_id)
        conn.execute(
            "INSERT OR REPLACE INTO settings (key, value) VALUES (?, '1')", (_SCRUB_PENDING,)
        )
    return scrub(conn, SCRUB_WAIT_MS)


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
    integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    foreign = conn.execute("PRAGMA foreign_key_check").fetchall()
    counts = {
        table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        for table in ("customers", "followups", "contacts", "purchases", "imports")
    }
    counts["open_followups"] = conn.execute(
        "SELECT COUNT(*) FROM followups WHERE status = 'open'"
    ).fetchone()[0]
    double_open = conn.execute(
        "SELECT c.ref FROM followups f JOIN customers c ON c.id = f.customer_id "
        "WHERE f.status = 'open' GROUP BY f.customer_id HAVING COUNT(*) > 1"
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
        "journal_mode": conn.execute("PRAGMA journal_mode").fetchone()[0],
        "counts": counts,
        "problems": problems,
    }


# --- purchases drive the plan: rhythm, value segments, occasions, win-back -----------------


def refresh_purchase_stats(conn: sqlite3.Connection, customer_ids: Iterable[int] | None) -> None:
    """Recompute the purchase facts of these customers (None: everyone) from their purchases:
    distinct purchase days, total spend, first and last day, and the gaps between days."""
    if customer_ids is None:
        conn.execute("DELETE FROM purchase_stats")
        _write_stats(conn, conn.execute(_STATS_SOURCE.format(where="")))
        return
    for chunk in _chunks(sorted(set(customer_ids))):
        marks = ", ".join("?" * len(chunk))
        conn.execute(f"DELETE FROM purchase_stats WHERE customer_id IN ({marks})", chunk)
        where = f"WHERE customer_id IN ({marks}) "
        _write_stats(conn, conn.execute(_STATS_SOURCE.format(where=where), chunk))


_STATS_SOURCE = (
    "SELECT customer_id, date, COALESCE(SUM(amount), 0) FROM purchases {where}"
    "GROUP BY customer_id, date ORDER BY customer_id, date"
)


def _write_stats(conn: sqlite3.Connection, rows: Iterable[Sequence[Any]]) -> None:
    def per_customer() -> Iterator[tuple[Any, ...]]:
        current, days, spend = None, [], 0.0
        for customer_id, day, amount in rows:
            if customer_id != current:
                if current is not None:
                    yield _stats_row(current, days, spend)
                current, days, spend = customer_id, [], 0.0
            days.append(date.fromisoformat(day))
            spend += amount
        if current is not None:
            yield _stats_row(current, days, spend)

    conn.executemany(
        "INSERT INTO purchase_stats (customer_id, days, spend, first_day, last_day, gaps, "
        "median2) VALUES (?, ?, ?, ?, ?, ?, ?)",
        per_customer(),
    )


def _stats_row(customer_id: int, days: list[date], spend: float) -> tuple[Any, ...]:
    """One customer's facts; median2 is twice the median gap (a whole number) for SQL."""
    gaps = sorted((b - a).days for a, b in itertools.pairwise(days))
    middle = len(gaps) // 2
    median2 = (gaps[middle] + gaps[~middle]) if gaps else None
    return (
        customer_id,
        len(days),
        round(spend, 2),
        days[0].isoformat(),
        days[-1].isoformat(),
        ",".join(str((b - a).days) for a, b in itertools.pairwise(days)),
        median2,
    )


def take_back_unstarted(conn: sqlite3.Connection, customer_ids: list[int]) -> list[int]:
    """Remove the open follow-ups nobody has worked on of these customers (a chunk at a time,
    not one statement each), and say whose they were, so they can be planned again."""
    taken: list[int] = []
    condition = f"status = 'open' AND attempts = 0 AND kind != 'check-back' AND {_UNTOUCHED}"
    for chunk in _chunks(customer_ids):
        marks = ", ".join("?" * len(chunk))
        taken += [
            row[0]
            for row in conn.execute(
                f"SELECT customer_id FROM followups WHERE {condition} AND customer_id IN ({marks})",
                chunk,
            )
        ]
        conn.execute(f"DELETE FROM followups WHERE {condition} AND customer_id IN ({marks})", chunk)
    return taken


def parse_gaps(text: str | None) -> tuple[int, ...]:
    return tuple(int(g) for g in text.split(",")) if text else ()


def purchase_gaps(conn: sqlite3.Connection, customer_id: int) -> tuple[int, ...]:
    row = conn.execute(
        "SELECT gaps FROM purchase_stats WHERE customer_id = ?", (customer_id,)
    ).fetchone()
    return parse_gaps(row[0]) if row else ()


def purchase_stats_row(conn: sqlite3.Connection, customer_id: int) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT * FROM purchase_stats WHERE customer_id = ?", (customer_id,)
    ).fetchone()


def stats_by_ref(conn: sqlite3.Connection, refs: Sequence[str]) -> dict[str, sqlite3.Row]:
    """Purchase facts of a few customers named by their ids (today's listed lines)."""
    found: dict[str, sqlite3.Row] = {}
    for start in range(0, len(refs), 500):
        chunk = list(refs[start : start + 500])
        rows = conn.execute(
            f"SELECT c.ref, s.* FROM customers c JOIN purchase_stats s ON s.customer_id = c.id "
            f"WHERE c.ref IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
        found.update({row["ref"]: row for row in rows})
    return found


def all_purchase_stats(conn: sqlite3.Connection) -> dict[int, sqlite3.Row]:
    return {row["customer_id"]: row for row in conn.execute("SELECT * FROM purchase_stats")}


def occasions_done(conn: sqlite3.Connection, customer_id: int) -> frozenset[str]:
    """Date triggers already called for (a closed or missed call counts: once per year)."""
    rows = conn.execute(
        "SELECT occasion FROM followups WHERE customer_id = ? AND occasion IS NOT NULL "
        "AND status IN ('done', 'missed', 'closed')",
        (customer_id,),
    )
    return frozenset(row[0] for row in rows)


def repurchase_done_for(conn: sqlite3.Connection, customer_id: int) -> date | None:
    row = conn.execute(
        "SELECT MAX(anchor) FROM followups WHERE customer_id = ? AND kind = 'repurchase' "
        "AND status IN ('done', 'missed', 'closed')",
        (customer_id,),
    ).fetchone()
    return optional_date(row[0])


_STATS_COLUMNS = {"recency": "last_day", "frequency": "days", "monetary": "spend"}


def rfm_cut_points(conn: sqlite3.Connection) -> tuple[int, dict[str, list[Any]]]:
    """How many customers have purchases, and for R, F and M the cut points: the values at
    positions ceil(k x N / 5), k = 1..4, of the sorted values (read from indexes)."""
    count = conn.execute("SELECT COUNT(*) FROM purchase_stats").fetchone()[0]
    cuts: dict[str, list[Any]] = {}
    for name, column in _STATS_COLUMNS.items():
        cuts[name] = (
            [
                conn.execute(
                    f"SELECT {column} FROM purchase_stats ORDER BY {column} LIMIT 1 OFFSET ?",
                    ((k * count + 4) // 5 - 1,),
                ).fetchone()[0]
                for k in range(1, 5)
            ]
            if count
            else []
        )
    return count, cuts


def segment_tallies(conn: sqlite3.Connection, high: dict[str, Any]) -> list[sqlite3.Row]:
    """Customers and spend per combination of high/low R, F and M (high: above the value)."""
    return conn.execute(
        "SELECT last_day > :recency AS r, days > :frequency AS f, spend > :monetary AS m, "
        "COUNT(*) AS customers, COALESCE(SUM(spend), 0) AS spend FROM purchase_stats "
        "GROUP BY 1, 2, 3",
        high,
    ).fetchall()


def segment_members(
    conn: sqlite3.Connection, high: dict[str, Any], flags: tuple[bool, bool, bool]
) -> list[int]:
    """Ids of the customers in one segment (one combination of high/low R, F, M)."""
    signs = [">" if flag else "<=" for flag in flags]
    return [
        row[0]
        for row in conn.execute(
            f"SELECT customer_id FROM purchase_stats WHERE last_day {signs[0]} :recency "
            f"AND days {signs[1]} :frequency AND spend {signs[2]} :monetary",
            high,
        )
    ]


def segment_member_refs(
    conn: sqlite3.Connection, high: dict[str, Any], flags: tuple[bool, bool, bool]
) -> list[str]:
    ids = segment_members(conn, high, flags)
    refs: list[str] = []
    for chunk in _chunks(ids):
        refs += [
            row[0]
            for row in conn.execute(
                f"SELECT ref FROM customers WHERE id IN ({', '.join('?' * len(chunk))})", chunk
            )
        ]
    return refs


def customers_by_ids(conn: sqlite3.Connection, ids: Sequence[int]) -> list[Customer]:
    found: list[Customer] = []
    for chunk in _chunks(list(ids)):
        rows = conn.execute(
            f"{_WITH_SPEND} WHERE c.id IN ({', '.join('?' * len(chunk))}) ORDER BY c.ref", chunk
        )
        found += [row_to_customer(r) for r in rows]
    return found


def customers_written_at(conn: sqlite3.Connection, stamp: str) -> list[sqlite3.Row]:
    """Customers an import wrote (every row it writes carries its start time) with extras."""
    return conn.execute(
        "SELECT id, extra FROM customers WHERE updated_at = ? AND extra IS NOT NULL", (stamp,)
    ).fetchall()


def customers_of_import_purchases(conn: sqlite3.Connection, import_id: int) -> list[int]:
    return [
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT customer_id FROM purchases WHERE import_id = ?", (import_id,)
        )
    ]


def win_back_tallies(
    conn: sqlite3.Connection, start: date, end: date, within_days: int
) -> sqlite3.Row:
    """Dormant customers contacted (contact made) in the period, and how many of them bought
    within `within_days` days of that contact (a purchase imported, or a later last purchase)."""
    return conn.execute(
        "SELECT COUNT(*) AS contacted, COALESCE(SUM(bought), 0) AS bought FROM ("
        "SELECT k.customer_id, MAX(EXISTS (SELECT 1 FROM purchases p "
        "WHERE p.customer_id = k.customer_id AND p.date BETWEEN k.date AND "
        "date(k.date, printf('+%d days', :within))) OR (c.last_purchase BETWEEN k.date AND "
        "date(k.date, printf('+%d days', :within)))) AS bought "
        "FROM contacts k JOIN customers c ON c.id = k.customer_id "
        "WHERE k.win_back = 1 AND k.date BETWEEN :start AND :end "
        "AND k.outcome IN ('reached', 'complaint', 'converted', 'lost') GROUP BY k.customer_id)",
        {"start": start.isoformat(), "end": end.isoformat(), "within": within_days},
    ).fetchone()


# --- taking back a logged contact; recorded changes ---------------------------------------------
# A log remembers the rows it changed (customer, follow-ups, purchases) as before/after pairs, so
# `undo` can put back exactly what was there, and can tell when something has changed since.

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


def save_log_undo(
    conn: sqlite3.Connection, contact_id: int, customer_id: int, changes: str
) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO log_undo (contact_id, customer_id, changes) VALUES (?, ?, ?)",
        (contact_id, customer_id, changes),
    )


def log_undo_changes(conn: sqlite3.Connection, contact_id: int) -> str | None:
    row = conn.execute(
        "SELECT changes FROM log_undo WHERE contact_id = ?", (contact_id,)
    ).fetchone()
    return row[0] if row else None


def get_contact(conn: sqlite3.Connection, contact_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM contacts WHERE id = ?", (contact_id,)).fetchone()


def latest_logged_contact(conn: sqlite3.Connection) -> sqlite3.Row | None:
    """The contact logged last (snoozes are not logged contacts)."""
    return conn.execute(
        "SELECT * FROM contacts WHERE outcome != 'snoozed' ORDER BY id DESC LIMIT 1"
    ).fetchone()


def contact_after(
    conn: sqlite3.Connection, customer_id: int, contact_id: int
) -> sqlite3.Row | None:
    """The first contact (or snooze) recorded for the customer after this one."""
    return conn.execute(
        "SELECT * FROM contacts WHERE customer_id = ? AND id > ? ORDER BY id LIMIT 1",
        (customer_id, contact_id),
    ).fetchone()


def row_by_id(conn: sqlite3.Connection, table: str, row_id: int) -> dict[str, Any] | None:
    row = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()
    return dict(row) if row else None


def delete_row(conn: sqlite3.Connection, table: str, row_id: int) -> None:
    conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))


def put_row(conn: sqlite3.Connection, table: str, values: dict[str, Any]) -> None:
    """Write a row back as it was: update it in place if its id exists, else insert it."""
    if conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (values["id"],)).fetchone():
        columns = [c for c in values if c != "id"]
        conn.execute(
            f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?",
            [*(values[c] for c in columns), values["id"]],
        )
        return
    conn.execute(
        f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
        list(values.values()),
    )


def delete_contact(conn: sqlite3.Connection, contact_id: int) -> None:
    conn.execute("DELETE FROM log_undo WHERE contact_id = ?", (contact_id,))
    conn.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))


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


def record_import_changes(
    conn: sqlite3.Connection, changes: list[tuple[int, str, Any, Any]], on: date, stamp: str
) -> None:
    """An import's tier and owner changes (customer id, field, old, new), for timelines; the
    import's time stamp lets `imports undo` take them back."""
    conn.executemany(
        "INSERT INTO customer_changes (customer_id, date, field, old, new, source, logged_at) "
        "VALUES (?, ?, ?, ?, ?, 'import', ?)",
        [
            (cid, on.isoformat(), name, _text(old), _text(new), stamp)
            for cid, name, old, new in changes
        ],
    )


def forget_import_changes(conn: sqlite3.Connection, stamp: str) -> None:
    conn.execute("DELETE FROM customer_changes WHERE source = 'import' AND logged_at = ?", (stamp,))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


# --- finding, adding, editing and merging customers by hand --------------------------------------


def search_customers(
    conn: sqlite3.Connection, text: str, digits: str | None, limit: int
) -> tuple[int, list[sqlite3.Row]]:
    """Customers whose id, name or e-mail contains `text` (case-folded), or whose phone ends
    with `digits`; the best matches first (exact id, then id, name, phone, e-mail), at most
    `limit`, with the total number that matched.

    One pass over the customers. SQLite's LIKE ignores case for ASCII letters only, so a query
    with other cased letters (é, Ä, Cyrillic) is compared through Python's casefold instead.
    """
    if any(not ch.isascii() and ch.lower() != ch.upper() for ch in text):
        conn.create_function("casefold", 1, _casefold, deterministic=True)
        same = "casefold(c.ref) = :text"

        def has(column: str) -> str:
            return f"instr(casefold({column}), :text)"

    else:
        same = "c.ref = :text COLLATE NOCASE"

        def has(column: str) -> str:
            return f"{column} LIKE :pattern ESCAPE '\\'"

    rank = (
        f"CASE WHEN {same} THEN 0 WHEN {has('c.ref')} THEN 1 WHEN {has('c.name')} THEN 2 "
        "WHEN :digits IS NOT NULL AND c.phone LIKE '%' || :digits THEN 3 "
        f"WHEN {has('c.email')} THEN 4 END"
    )
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = conn.execute(
        "SELECT m.*, (SELECT f.show_date FROM followups f WHERE f.customer_id = m.id "
        "AND f.status = 'open') AS next_due FROM ("
        f"SELECT *, COUNT(*) OVER () AS total FROM (SELECT c.*, {rank} AS match_rank "
        "FROM customers c) WHERE match_rank IS NOT NULL "
        "ORDER BY match_rank, name, ref LIMIT :limit) m ORDER BY match_rank, name, ref",
        {"text": text, "pattern": pattern, "digits": digits, "limit": limit},
    ).fetchall()
    return (int(rows[0]["total"]) if rows else 0), rows


def _casefold(value: str | None) -> str | None:
    return value.casefold() if value is not None else None


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


def move_history(conn: sqlite3.Connection, from_id: int, to_id: int) -> None:
    """Give one customer's contacts, follow-ups, purchases and recorded changes to another.

    A purchase both already have (the same line imported into each) is kept once.
    """
    for table in ("contacts", "followups", "customer_changes"):
        conn.execute(f"UPDATE {table} SET customer_id = ? WHERE customer_id = ?", (to_id, from_id))
    conn.execute(
        "UPDATE OR IGNORE purchases SET customer_id = ? WHERE customer_id = ?", (to_id, from_id)
    )
    conn.execute("DELETE FROM purchases WHERE customer_id = ?", (from_id,))
    conn.execute("DELETE FROM log_undo WHERE customer_id = ?", (from_id,))


def open_followups_of(conn: sqlite3.Connection, customer_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM followups WHERE customer_id = ? AND status = 'open' ORDER BY due_date, id",
        (customer_id,),
    ).fetchall()


def set_followup_status(conn: sqlite3.Connection, followup_id: int, status: str) -> None:
    conn.execute("UPDATE followups SET status = ? WHERE id = ?", (status, followup_id))


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


# --- level table (import) ---------------------------------------------------------------------


def load_levels(conn: sqlite3.Connection) -> dict[str, str]:
    """The owner's level table: a word of another system -> one of our tiers."""
    return {
        row[0]: row[1] for row in conn.execute("SELECT word, tier FROM level_map ORDER BY rowid")
    }


def save_level(conn: sqlite3.Connection, word: str, tier: str) -> None:
    conn.execute(
        "INSERT INTO level_map (word, tier) VALUES (?, ?) "
        "ON CONFLICT(word) DO UPDATE SET tier = excluded.tier",
        (word, tier),
    )


def remove_level(conn: sqlite3.Connection, word: str) -> bool:
    return conn.execute("DELETE FROM level_map WHERE word = ?", (word,)).rowcount > 0


# --- an import's plan, made outside the write lock (import) --------------------------------------
# An import reads and matches its file while `log` and `today` carry on; what it will write
# goes into temporary tables of its own connection (never into the shop's file), and one short
# write transaction applies them.

_SPOOL_NEW_COLUMNS = (*_INSERTED_COLUMNS, "line")


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


def spool_create(conn: sqlite3.Connection) -> None:
    columns = ", ".join(c for c in _SPOOL_NEW_COLUMNS if c != "id")
    for statement in (
        "DROP TABLE IF EXISTS temp.import_new",
        "DROP TABLE IF EXISTS temp.import_updates",
        "DROP TABLE IF EXISTS temp.import_followups",
        f"CREATE TEMP TABLE import_new (id INTEGER PRIMARY KEY, {columns})",
        "CREATE TEMP TABLE import_updates (customer_id INTEGER PRIMARY KEY, changes TEXT, "
        "before TEXT, seen TEXT)",
        "CREATE TEMP TABLE import_followups (customer_id INTEGER, kind TEXT, reason TEXT, "
        "anchor TEXT, due_date TEXT, rank INTEGER)",
    ):
        conn.execute(statement)


def spooled_new_states(conn: sqlite3.Connection, size: int) -> Iterator[list[sqlite3.Row]]:
    """The planned new customers' scheduling fields, `size` at a time, in id order."""
    cursor = conn.execute(
        "SELECT id, tier, added, first_purchase, last_purchase, contract_end "
        "FROM temp.import_new ORDER BY id"
    )
    while batch := cursor.fetchmany(size):
        yield batch


def spool_purchases_drop(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TABLE IF EXISTS temp.import_purchases")


def spool_drop(conn: sqlite3.Connection) -> None:
    for table in ("import_new", "import_updates", "import_followups"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{table}")


def spool_new(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> None:
    conn.executemany(
        f"INSERT INTO temp.import_new ({', '.join(_SPOOL_NEW_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(_SPOOL_NEW_COLUMNS))})",
        ([row.get(c) for c in _SPOOL_NEW_COLUMNS] for row in rows),
    )


def spool_index(conn: sqlite3.Connection) -> None:
    """Indexes on the planned new customers, made the first time a row may repeat one: a file
    without repeated rows never pays for them."""
    for column in ("ref", "phone", "email"):
        conn.execute(
            f"CREATE INDEX IF NOT EXISTS temp.idx_import_new_{column} ON import_new({column})"
        )


def spool_new_by(conn: sqlite3.Connection, column: str, value: str) -> list[sqlite3.Row]:
    """New customers this import already planned, by ref, phone or e-mail."""
    assert column in ("ref", "phone", "email")
    return conn.execute(
        f"SELECT * FROM temp.import_new WHERE {column} = ? ORDER BY id", (value,)
    ).fetchall()


def spool_new_update(conn: sqlite3.Connection, new_id: int, values: dict[str, Any]) -> None:
    assignments = ", ".join(f"{name} = ?" for name in values)
    conn.execute(
        f"UPDATE temp.import_new SET {assignments} WHERE id = ?", [*values.values(), new_id]
    )


def spool_update(
    conn: sqlite3.Connection, customer_id: int, changes: str, before: str, seen: str
) -> None:
    conn.execute(
        "INSERT INTO temp.import_updates (customer_id, changes, before, seen) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(customer_id) DO UPDATE SET changes = excluded.changes",
        (customer_id, changes, before, seen),
    )


def spooled_update(conn: sqlite3.Connection, customer_id: int) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT * FROM temp.import_updates WHERE customer_id = ?", (customer_id,)
    ).fetchone()


def spooled_updates(conn: sqlite3.Connection) -> Iterator[sqlite3.Row]:
    cursor = conn.execute("SELECT * FROM temp.import_updates ORDER BY customer_id")
    while rows := cursor.fetchmany(1000):
        yield from rows


def spool_followups(conn: sqlite3.Connection, planned: Iterable[tuple[int, Any, int]]) -> None:
    conn.executemany(
        "INSERT INTO temp.import_followups (customer_id, kind, reason, anchor, due_date, rank) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            (cid, p.kind, p.reason, p.anchor and p.anchor.isoformat(), p.due_date.isoformat(), r)
            for cid, p, r in planned
        ),
    )


def spool_apply_new(conn: sqlite3.Connection, import_id: int, now: str) -> None:
    """Write the new customers, their first follow-ups and their undo records in three
    statements (inside the caller's write transaction)."""
    columns = ", ".join(_INSERTED_COLUMNS)
    conn.execute(
        f"INSERT INTO customers ({columns}, created_at, updated_at) "
        f"SELECT {columns}, :now, :now FROM temp.import_new ORDER BY id",
        {"now": now},
    )
    conn.execute(
        "INSERT INTO followups (customer_id, kind, reason, anchor, due_date, show_date, status, "
        "attempts, rank) SELECT customer_id, kind, reason, anchor, due_date, due_date, 'open', 0, "
        "rank FROM temp.import_followups ORDER BY customer_id"
    )
    conn.execute(
        "INSERT INTO import_changes (import_id, customer_id, action, before) "
        "SELECT ?, id, 'added', NULL FROM temp.import_new ORDER BY id",
        (import_id,),
    )


def customers_by(conn: sqlite3.Connection, column: str, value: str) -> list[sqlite3.Row]:
    """Stored customers with this ref, phone or e-mail (an indexed lookup)."""
    assert column in ("ref", "phone", "email")
    return conn.execute(
        f"SELECT * FROM customers WHERE {column} = ? ORDER BY id", (value,)
    ).fetchall()


def import_match_keys(conn: sqlite3.Connection) -> Iterator[tuple[str, str | None, str | None]]:
    """Every stored ref, phone and e-mail, streamed: an import builds its filter from them."""
    yield from conn.execute("SELECT ref, phone, email FROM customers")


def last_customer_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM customers").fetchone()[0])


def tune_for_import(conn: sqlite3.Connection) -> None:
    """A bigger page cache for the import's own connection: the index inserts of a large file
    stay in memory instead of going back and forth to disk (bounded: 32 + 16 MB)."""
    conn.execute("PRAGMA cache_size = -32000")
    conn.execute("PRAGMA temp.cache_size = -16000")


def spool_purchases_create(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TABLE IF EXISTS temp.import_purchases")
    conn.execute(
        "CREATE TEMP TABLE import_purchases (customer_id INTEGER, date TEXT, amount REAL, "
        "order_ref TEXT, new INTEGER DEFAULT 0)"
    )
    conn.execute(
        "CREATE INDEX temp.idx_import_purchases ON import_purchases(customer_id, date, amount, "
        "order_ref)"
    )


def spool_purchases(conn: sqlite3.Connection, rows: list[tuple[int, str, float, str]]) -> None:
    conn.executemany(
        "INSERT INTO temp.import_purchases (customer_id, date, amount, order_ref) "
        "VALUES (?, ?, ?, ?)",
        rows,
    )


def spooled_purchase_buyers_gone(conn: sqlite3.Connection) -> bool:
    """Has a buyer this import matched been erased since?"""
    return (
        conn.execute(
            "SELECT 1 FROM temp.import_purchases t WHERE NOT EXISTS "
            "(SELECT 1 FROM customers c WHERE c.id = t.customer_id) LIMIT 1"
        ).fetchone()
        is not None
    )


def spool_apply_purchases(conn: sqlite3.Connection, import_id: int) -> tuple[int, int]:
    """Insert the purchases not stored yet (the same line twice counts once); returns
    (new, already known)."""
    conn.execute(
        "UPDATE temp.import_purchases AS t SET new = 1 WHERE NOT EXISTS (SELECT 1 FROM "
        "purchases p WHERE p.customer_id = t.customer_id AND p.date = t.date AND "
        "p.amount = t.amount AND p.order_ref = t.order_ref) AND t.rowid = (SELECT MIN(u.rowid) "
        "FROM temp.import_purchases u WHERE u.customer_id = t.customer_id AND u.date = t.date "
        "AND u.amount = t.amount AND u.order_ref = t.order_ref)"
    )
    conn.execute(
        "INSERT OR IGNORE INTO purchases (customer_id, date, amount, order_ref, import_id) "
        "SELECT customer_id, date, amount, order_ref, ? FROM temp.import_purchases WHERE new = 1 "
        "ORDER BY rowid",
        (import_id,),
    )
    new, total = conn.execute(
        "SELECT COALESCE(SUM(new), 0), COUNT(*) FROM temp.import_purchases"
    ).fetchone()
    return int(new), int(total) - int(new)


def spooled_purchase_spans(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """Each buyer's first and last new purchase in this import."""
    return conn.execute(
        "SELECT customer_id, MIN(date), MAX(date) FROM temp.import_purchases WHERE new = 1 "
        "GROUP BY customer_id ORDER BY customer_id"
    ).fetchall()


# --- message templates ---------------------------------------------------------------------------


def load_templates(conn: sqlite3.Connection) -> dict[str, str]:
    """The templates the owner has written (key -> text); defaults are not stored."""
    return {row[0]: row[1] for row in conn.execute("SELECT key, text FROM message_templates")}


def save_template(conn: sqlite3.Connection, key: str, text: str, now: str) -> None:
    conn.execute(
        "INSERT INTO message_templates (key, text, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at",
        (key, text, now),
    )


def delete_templates(conn: sqlite3.Connection, key: str | None) -> int:
    """Forget the owner's wording of one template (or all): the default applies again."""
    if key is None:
        return conn.execute("DELETE FROM message_templates").rowcount
    return conn.execute("DELETE FROM message_templates WHERE key = ?", (key,)).rowcount
