"""The schema and its numbered, append-only migrations."""

import sqlite3
from collections.abc import Callable
from typing import Any

from followup_cli.core.models import DEFAULT_LEVELS, DEFAULT_RULES, Settings
from followup_cli.core.options import format_value
from followup_cli.errors import FollowupError
from followup_cli.i18n import _
from followup_cli.storage.connection import transaction
from followup_cli.storage.dialect import (
    columns_of,
    on_server,
    prepare_server,
    read_version,
    write_version,
)
from followup_cli.storage.purchases import refresh_purchase_stats
from followup_cli.storage.settings import _rule_to_row


def _newer(version: int) -> FollowupError:
    return FollowupError(
        _(
            "this database was written by a newer followup (schema {version}); "
            "this version reads up to schema {newest}: upgrade followup"
        ).format(version=version, newest=SCHEMA_VERSION)
    )


def _add_column(conn: Any, table: str, column: str, kind: str) -> None:
    """ALTER TABLE ADD COLUMN, once (a step may meet a file that already has the column)."""
    if column not in columns_of(conn, table):
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


def _m1_initial(conn: Any) -> None:
    conn.execute(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, ref TEXT NOT NULL, name TEXT NOT NULL, "
        "phone TEXT, email TEXT, tier TEXT NOT NULL, first_purchase TEXT, last_purchase TEXT, "
        "added TEXT NOT NULL, owner TEXT, notes TEXT, contract_end TEXT, "
        "status TEXT NOT NULL DEFAULT 'active', churned_on TEXT, converted_on TEXT, "
        "do_not_contact INTEGER NOT NULL DEFAULT 0, last_contact TEXT, last_success TEXT, "
        "last_outcome TEXT, last_note TEXT, extra TEXT, created_at TEXT, updated_at TEXT)"
    )
    conn.execute("CREATE UNIQUE INDEX idx_customers_ref ON customers(ref)")
    conn.execute("CREATE INDEX idx_customers_phone ON customers(phone)")
    conn.execute("CREATE INDEX idx_customers_email ON customers(email)")
    conn.execute("CREATE INDEX idx_customers_name ON customers(name)")
    conn.execute(
        "CREATE TABLE followups (id INTEGER PRIMARY KEY, "
        "customer_id INTEGER NOT NULL REFERENCES customers(id), kind TEXT NOT NULL, "
        "reason TEXT, anchor TEXT, due_date TEXT NOT NULL, show_date TEXT NOT NULL, "
        "status TEXT NOT NULL DEFAULT 'open', attempts INTEGER NOT NULL DEFAULT 0, "
        "outcome TEXT, closed_on TEXT)"
    )
    # One open follow-up per customer, enforced by the database itself.
    conn.execute(
        "CREATE UNIQUE INDEX idx_followups_one_open ON followups(customer_id) WHERE status = 'open'"
    )
    conn.execute(
        "CREATE INDEX idx_followups_open_show ON followups(show_date) WHERE status = 'open'"
    )
    conn.execute("CREATE INDEX idx_followups_due ON followups(due_date)")
    conn.execute("CREATE INDEX idx_followups_customer ON followups(customer_id, due_date)")
    conn.execute(
        "CREATE TABLE contacts (id INTEGER PRIMARY KEY, "
        "customer_id INTEGER NOT NULL REFERENCES customers(id), "
        "followup_id INTEGER REFERENCES followups(id), date TEXT NOT NULL, "
        "outcome TEXT NOT NULL, channel TEXT, score INTEGER, nps INTEGER, note TEXT, "
        "owner TEXT, logged_at TEXT)"
    )
    conn.execute("CREATE INDEX idx_contacts_customer ON contacts(customer_id, date)")
    conn.execute("CREATE INDEX idx_contacts_date ON contacts(date)")
    conn.execute(
        "CREATE TABLE rules (tier TEXT PRIMARY KEY, steps TEXT, interval TEXT, anchor TEXT, "
        '"then" TEXT, rank INTEGER)'
    )
    conn.executemany(
        'INSERT INTO rules (tier, steps, interval, anchor, "then", rank) '
        "VALUES (:tier, :steps, :interval, :anchor, :then, :rank)",
        [_rule_to_row(rule) for rule in DEFAULT_RULES],
    )
    conn.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT)")
    v1_settings = (
        "min_gap",
        "retry_after",
        "max_attempts",
        "check_back",
        "renewal_before",
        "churn_window",
    )
    defaults = Settings()
    conn.executemany(
        "INSERT INTO settings (key, value) VALUES (?, ?)",
        [(n, str(getattr(defaults, n))) for n in v1_settings],
    )


def _m2_imports_and_purchases(conn: Any) -> None:
    """Import history (for `followup imports` and undo), saved profiles, and purchases."""
    conn.execute(
        "CREATE TABLE imports (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, as_of TEXT, "
        "kind TEXT NOT NULL, file TEXT NOT NULL, encoding TEXT, read INTEGER, added INTEGER, "
        "updated INTEGER, unchanged INTEGER, rejected INTEGER, status TEXT NOT NULL, "
        "message TEXT)"
    )
    conn.execute(
        "CREATE TABLE import_changes (id INTEGER PRIMARY KEY, "
        "import_id INTEGER NOT NULL REFERENCES imports(id), customer_id INTEGER NOT NULL, "
        "action TEXT NOT NULL, before TEXT)"
    )
    conn.execute("CREATE INDEX idx_import_changes ON import_changes(import_id)")
    conn.execute(
        "CREATE TABLE import_profiles (name TEXT PRIMARY KEY, options TEXT, saved_at TEXT)"
    )
    conn.execute(
        "CREATE TABLE purchases (id INTEGER PRIMARY KEY, "
        "customer_id INTEGER NOT NULL REFERENCES customers(id), date TEXT NOT NULL, "
        "amount REAL, order_ref TEXT NOT NULL, import_id INTEGER)"
    )
    conn.execute(
        "CREATE UNIQUE INDEX idx_purchases_unique ON purchases(customer_id, date, amount, "
        "order_ref)"
    )


def _m3_grace_and_closed_days(conn: Any) -> None:
    """Grace windows per tier; daily capacity and closed days as settings."""
    _add_column(conn, "rules", "grace", "TEXT")
    for rule in DEFAULT_RULES:
        conn.execute("UPDATE rules SET grace = ? WHERE tier = ?", [str(rule.grace), rule.tier])
    conn.execute("UPDATE rules SET grace = '1w' WHERE grace IS NULL")
    defaults = Settings()
    for name in ("daily_capacity", "closed_weekdays", "holidays"):
        conn.execute(
            "INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)",
            [name, format_value(getattr(defaults, name))],
        )


def _m4_report_indexes(conn: Any) -> None:
    """Reports find the contact that closed each follow-up."""
    conn.execute("CREATE INDEX idx_contacts_followup ON contacts(followup_id)")


def _m5_ranked_queue(conn: Any) -> None:
    """Today's list reads open follow-ups in priority order straight from an index."""
    _add_column(conn, "followups", "rank", "INTEGER")
    conn.execute(
        "UPDATE followups SET rank = COALESCE((SELECT r.rank FROM customers c JOIN rules r "
        "ON r.tier = c.tier WHERE c.id = followups.customer_id), 99) WHERE status = 'open'"
    )
    conn.execute(
        "CREATE INDEX idx_followups_queue ON followups(rank, due_date) WHERE status = 'open'"
    )
    conn.execute(
        "CREATE INDEX idx_followups_check_backs ON followups(show_date) "
        "WHERE status = 'open' AND kind = 'check-back'"
    )
    conn.execute("CREATE INDEX idx_followups_open_due ON followups(due_date) WHERE status = 'open'")


def _m6_report_tallies(conn: Any) -> None:
    """Reports sum follow-ups and scores straight from covering indexes."""
    _add_column(conn, "followups", "channel", "TEXT")
    conn.execute(
        "UPDATE followups SET channel = (SELECT k.channel FROM contacts k "
        "WHERE k.followup_id = followups.id ORDER BY k.id DESC LIMIT 1) WHERE status != 'open'"
    )
    conn.execute("DROP INDEX idx_followups_due")
    conn.execute("DROP INDEX idx_followups_customer")
    conn.execute("DROP INDEX idx_contacts_date")
    conn.execute(
        "CREATE INDEX idx_followups_due_tally ON followups(due_date, status, outcome, channel)"
    )
    conn.execute(
        "CREATE INDEX idx_followups_customer_tally "
        "ON followups(customer_id, due_date, status, outcome, channel)"
    )
    conn.execute(
        "CREATE INDEX idx_contacts_score_tally "
        "ON contacts(date, score, nps, customer_id, owner, channel)"
    )
    conn.execute("DROP INDEX idx_contacts_customer")
    conn.execute(
        "CREATE INDEX idx_contacts_customer_tally ON contacts(customer_id, date, score, nps)"
    )


def _m7_undo_and_changes(conn: Any) -> None:
    """What each logged contact changed (so `undo` can take it back), and a customer's edits
    (tier, owner, ...) for the timeline."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS log_undo (contact_id INTEGER PRIMARY KEY, "
        "customer_id INTEGER NOT NULL, changes TEXT NOT NULL)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS idx_log_undo_customer ON log_undo(customer_id)")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS customer_changes (id INTEGER PRIMARY KEY, "
        "customer_id INTEGER NOT NULL, date TEXT NOT NULL, field TEXT NOT NULL, "
        "old TEXT, new TEXT, source TEXT NOT NULL, logged_at TEXT NOT NULL)"
    )
    conn.execute(
        "CREATE INDEX IF NOT EXISTS idx_customer_changes_customer "
        "ON customer_changes(customer_id, date)"
    )


def _m8_level_table(conn: Any) -> None:
    """Member levels, tags and lifecycle stages of other systems -> our tiers, owner-editable."""
    conn.execute("CREATE TABLE IF NOT EXISTS level_map (word TEXT PRIMARY KEY, tier TEXT NOT NULL)")
    conn.executemany("INSERT OR IGNORE INTO level_map (word, tier) VALUES (?, ?)", DEFAULT_LEVELS)


def _m9_message_templates(conn: Any) -> None:
    """The owner's own wording of the messages sent to customers, per reason."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS message_templates (key TEXT PRIMARY KEY, "
        "text TEXT NOT NULL, updated_at TEXT NOT NULL)"
    )


def _m10_purchase_rhythm(conn: Any) -> None:
    """Each customer's purchase facts kept up to date at import (rhythm, RFM segments); the
    date trigger a follow-up covers; contacts made while the customer was dormant."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS purchase_stats (customer_id INTEGER PRIMARY KEY, "
        "days INTEGER NOT NULL, spend REAL NOT NULL, first_day TEXT NOT NULL, "
        "last_day TEXT NOT NULL, gaps TEXT NOT NULL, median2 INTEGER)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS idx_stats_last ON purchase_stats(last_day)")
    conn.execute("CREATE INDEX IF NOT EXISTS idx_stats_days ON purchase_stats(days)")
    conn.execute("CREATE INDEX IF NOT EXISTS idx_stats_spend ON purchase_stats(spend)")
    for table, column in (
        ("followups", "occasion"),
        ("followups", "covers_due"),
        ("contacts", "win_back"),
    ):
        _add_column(conn, table, column, "INTEGER" if column == "win_back" else "TEXT")
    refresh_purchase_stats(conn, None)


APPLICATION_ID = 0x466F5570  # "FoUp" in the file header: this file is a followup database


def _m11_ownership_and_erasure(conn: Any) -> None:
    """The file says it is ours; undo and forget find a customer's import history by index;
    backups are remembered so that `forget` can name the copies that still hold someone."""
    if not on_server(conn):  # a server database says so in its followup_schema table
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(
        "CREATE INDEX IF NOT EXISTS idx_import_changes_customer ON import_changes(customer_id)"
    )
    conn.execute("CREATE TABLE IF NOT EXISTS backups (path TEXT PRIMARY KEY, made_at TEXT)")


def _m12_returning_customers(conn: Any) -> None:
    """A lost customer who buys again is active again; the day they came back is kept
    (churned_on keeps the day they were lost), so the churn figures count both."""
    _add_column(conn, "customers", "returned_on", "TEXT")


def _m13_branches(conn: Any) -> None:
    """A chain of shops: each customer may belong to a branch, and each staff member (an
    owner) may work at one; a customer without a branch of their own falls under their
    owner's."""
    _add_column(conn, "customers", "branch", "TEXT")
    conn.execute("CREATE INDEX IF NOT EXISTS idx_customers_branch ON customers(branch)")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS staff (name TEXT PRIMARY KEY, name_key TEXT NOT NULL UNIQUE, "
        "branch TEXT, updated_at TEXT NOT NULL)"
    )


POWER_USER_VIEWS = {
    # the shop's own customer id is `customers.ref`; `customer_id` elsewhere in the tables is
    # an internal number: these views name things as the JSON output and the README do
    "customer_list": (
        "SELECT c.ref AS customer_id, c.name, c.phone, c.email, c.tier, c.status, c.owner, "
        "c.branch, c.added, c.first_purchase, c.last_purchase, c.last_contact, c.last_outcome, "
        "c.do_not_contact, c.churned_on, c.returned_on, c.notes FROM customers c"
    ),
    "call_plan": (
        "SELECT f.id AS followup_id, c.ref AS customer_id, c.name, c.phone, f.kind, f.reason, "
        "f.due_date, f.show_date, f.status, f.attempts, f.outcome, f.closed_on "
        "FROM followups f JOIN customers c ON c.id = f.customer_id"
    ),
    "contact_log": (
        "SELECT k.id AS contact_id, c.ref AS customer_id, c.name, k.date, k.outcome, k.channel, "
        "k.score, k.nps, k.note, k.owner FROM contacts k JOIN customers c ON c.id = k.customer_id"
    ),
    "purchase_log": (
        "SELECT c.ref AS customer_id, c.name, p.date, p.amount, p.order_ref AS order_no "
        "FROM purchases p JOIN customers c ON c.id = p.customer_id"
    ),
}


def _m14_views_for_power_users(conn: Any) -> None:
    """Views for the sqlite3 shell, sqlite-utils and Datasette, with the names the README and
    the JSON output use (customer_id is the shop's own id there)."""
    for name, select in POWER_USER_VIEWS.items():
        conn.execute(f"DROP VIEW IF EXISTS {name}")  # a migration may run again: same result
        conn.execute(f"CREATE VIEW {name} AS {select}")


def _m15_customer_aliases(conn: Any) -> None:
    """Other ids of one customer: a second web-shop account, or a customer merged into
    another. An import row under such an id updates the customer it now belongs to."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS customer_aliases (ref TEXT PRIMARY KEY, "
        "customer_id INTEGER NOT NULL REFERENCES customers(id), source TEXT NOT NULL, "
        "logged_at TEXT NOT NULL)"
    )
    conn.execute(
        "CREATE INDEX IF NOT EXISTS idx_customer_aliases_customer ON customer_aliases(customer_id)"
    )


def _m16_contact_numbers_never_reused(conn: Any) -> None:
    """The last number each kind of row was given, so a contact undone or erased never hands
    its number to the next one (an undo by number would take back a colleague's call)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS id_counters (name TEXT PRIMARY KEY, last_id INTEGER NOT NULL)"
    )
    conn.execute(
        # an aggregate always yields one row, so a second run must not insert it again
        "INSERT INTO id_counters (name, last_id) SELECT 'contacts', COALESCE(MAX(id), 0) "
        "FROM contacts WHERE 1 = 1 ON CONFLICT (name) DO NOTHING"
    )


def _m17_purchase_outlook(conn: Any) -> None:
    """The purchase model fitted at the last purchases import, and each customer's outlook
    under it, so that show and export read them without fitting."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS purchase_model (id INTEGER PRIMARY KEY, "
        "scored_on TEXT NOT NULL, horizon_days INTEGER NOT NULL, customers INTEGER NOT NULL, "
        "params TEXT NOT NULL, fitted_at TEXT NOT NULL)"
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS purchase_scores (customer_id INTEGER PRIMARY KEY, "
        "p_alive REAL NOT NULL, expected_purchases REAL NOT NULL, next_purchase TEXT NOT NULL, "
        "expected_spend REAL)"
    )


def _m18_slipping_and_gone_days(conn: Any) -> None:
    """The day each scored customer's chance of still buying here falls below 3/4 (at churn
    risk) and below 1/2 (churned) if they buy nothing more: the report and the morning list
    read churn from these under the purchase-model definition."""
    _add_column(conn, "purchase_scores", "slipping_on", "TEXT")
    _add_column(conn, "purchase_scores", "gone_on", "TEXT")


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
    _m13_branches,
    _m14_views_for_power_users,
    _m15_customer_aliases,
    _m16_contact_numbers_never_reused,
    _m17_purchase_outlook,
    _m18_slipping_and_gone_days,
)


SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return read_version(conn)


def migrate(conn: sqlite3.Connection) -> None:
    if schema_version(conn) == SCHEMA_VERSION:
        return
    with transaction(conn):
        _migrate_in_transaction(conn)


def _migrate_in_transaction(conn: sqlite3.Connection) -> None:
    """Bring the schema up to date inside the caller's write transaction."""
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise _newer(version)
    if on_server(conn):
        prepare_server(conn)
    for number in range(version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[number - 1](conn)
        write_version(conn, number)
