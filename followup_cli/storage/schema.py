"""The schema and its numbered, append-only migrations."""

import sqlite3
from collections.abc import Callable
from typing import Any

from followup_cli.errors import FollowupError
from followup_cli.i18n import _
from followup_cli.models import DEFAULT_RULES, Settings
from followup_cli.storage.connection import transaction
from followup_cli.storage.purchases import refresh_purchase_stats
from followup_cli.storage.settings import _rule_to_row


def _newer(version: int) -> FollowupError:
    return FollowupError(
        _(
            "this database was written by a newer followup (schema {version}); "
            "this version reads up to schema {newest}: upgrade followup"
        ).format(version=version, newest=SCHEMA_VERSION)
    )


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


def _m13_branches(db: Any) -> None:
    """A chain of shops: each customer may belong to a branch, and each staff member (an
    owner) may work at one; a customer without a branch of their own falls under their
    owner's."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(customers)").fetchall()}
    if "branch" not in columns:
        db.execute("ALTER TABLE customers ADD COLUMN branch TEXT")
    db.execute("CREATE INDEX IF NOT EXISTS idx_customers_branch ON customers(branch)")
    db.execute(
        "CREATE TABLE IF NOT EXISTS staff (name TEXT PRIMARY KEY, name_key TEXT NOT NULL UNIQUE, "
        "branch TEXT, updated_at TEXT NOT NULL)"
    )


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
