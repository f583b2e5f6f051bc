"""Rules, settings, the level table, import profiles and message templates."""

import sqlite3
from collections.abc import Iterable
from typing import Any

from followup_cli.core.dates import Duration
from followup_cli.core.models import Rule, Settings
from followup_cli.core.options import format_value, parse_value
from followup_cli.storage.followups import refresh_ranks


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


def tier_names(conn: sqlite3.Connection) -> list[str]:
    """The shop's tiers, most important first (shell completion)."""
    return [row[0] for row in conn.execute("SELECT tier FROM rules ORDER BY rank")]


def load_rules(conn: sqlite3.Connection) -> dict[str, Rule]:
    rules = {}
    for row in conn.execute("SELECT * FROM rules"):
        # stored: a value past today's bound (set before it existed) is read as the bound
        steps = tuple(Duration.stored(s) for s in (row["steps"] or "").split(",") if s)
        interval = Duration.stored(row["interval"]) if row["interval"] else None
        grace = Duration.stored(row["grace"]) if row["grace"] else Duration(1, "w")
        rules[row["tier"]] = Rule(
            row["tier"], steps, interval, row["anchor"], row["then"], row["rank"], grace
        )
    return rules


def load_settings(conn: sqlite3.Connection) -> Settings:
    values: dict[str, Any] = {}
    for row in conn.execute("SELECT key, value FROM settings"):
        if row["key"] in Settings.__dataclass_fields__:
            values[row["key"]] = parse_value(row["key"], row["value"], stored=True)
    return Settings(**values)


def save_setting(conn: sqlite3.Connection, name: str, value: object) -> None:
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (name, format_value(value)),
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
