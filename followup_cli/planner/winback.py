"""Today's win-back queue: who on the list is dormant (at churn risk by the definition in
force), and at most `winback_daily` of them a day. Kept small: `today` imports it."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from typing import Any

from followup_cli import storage


class WinBackQueue:
    """Which listed customers are dormant (at churn risk by the definition in force), and at
    most `winback_daily` of them on one day's list; the rest wait for the next days."""

    def __init__(self, rules: dict[str, Any], settings: Any, on: date, own_risk: dict[str, int]):
        self.rules, self.settings, self.on, self.own_risk = rules, settings, on, own_risk

    @classmethod
    def load(cls, conn: sqlite3.Connection, rules: dict[str, Any], on: date) -> WinBackQueue:
        return cls(rules, storage.load_settings(conn), on, {})

    def prepare(self, conn: sqlite3.Connection, rows: list[Any]) -> None:
        """Under the per-customer definition, the listed customers' own risk thresholds."""
        if self.settings.churn_definition != "rhythm" or not rows:
            return
        from followup_cli.core.rhythm import risk_days
        from followup_cli.core.schedule import effective_interval

        tiers = {row["ref"]: row["tier"] for row in rows}
        for ref, stats in storage.stats_by_ref(conn, list(tiers)).items():
            interval = effective_interval(tiers[ref], self.rules)
            days = risk_days(storage.parse_gaps(stats["gaps"]), interval, self.settings)
            if days is not None:
                self.own_risk[ref] = days

    def at_risk(self, ref: str, tier: str, last_activity: date) -> bool:
        from followup_cli.core.schedule import is_at_risk

        if ref in self.own_risk:
            return last_activity + timedelta(days=self.own_risk[ref]) < self.on
        return is_at_risk(tier, last_activity, self.on, self.rules)

    def cap(self, items: list[Any]) -> list[Any]:
        kept, win_backs = [], 0
        for item in items:
            if item.win_back:
                win_backs += 1
                if win_backs > self.settings.winback_daily:
                    continue
            kept.append(item)
        return kept
