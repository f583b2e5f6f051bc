"""Today's win-back queue: who on the list is dormant (at churn risk by the definition in
force), and at most `winback_daily` of them a day. Kept small: `today` imports it.

Under the purchase model (churn_definition model, once a model is stored) a scored customer
is at risk from the day the model's chance that they still buy here fell below 3 in 4 until
it fell below an even chance (purchase_scores.slipping_on, gone_on), whatever the call."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from typing import Any

from followup_cli import storage


class WinBackQueue:
    """Which listed customers are dormant (at churn risk by the definition in force), and at
    most `winback_daily` of them on one day's list; the rest wait for the next days."""

    def __init__(
        self,
        rules: dict[str, Any],
        settings: Any,
        on: date,
        own_risk: dict[str, int],
        by_model: bool = False,
    ):
        self.rules, self.settings, self.on, self.own_risk = rules, settings, on, own_risk
        self.by_model = by_model
        # which calls may be marked win-back: any regular call under the model
        self.win_back_kinds = ("cadence", "repurchase") if by_model else ("cadence",)

    @classmethod
    def load(cls, conn: sqlite3.Connection, rules: dict[str, Any], on: date) -> WinBackQueue:
        settings = storage.load_settings(conn)
        by_model = settings.by_model and storage.has_purchase_model(conn)
        return cls(rules, settings, on, {}, by_model)

    def scored(self, row: Any) -> bool:
        """Whether the model's days decide this customer's risk (a row with slipping_on and
        gone_on)."""
        return self.by_model and (row["gone_on"] is not None or row["slipping_on"] is not None)

    def listed_at_risk(self, row: Any, last_activity: date) -> bool:
        """A listed customer (a row of today's list) at risk: by the model when it scored
        them, else by the definition in force."""
        if self.scored(row):
            day = self.on.isoformat()
            slipping = row["slipping_on"] is not None and row["slipping_on"] <= day
            return slipping and not (row["gone_on"] is not None and row["gone_on"] <= day)
        return self.at_risk(row["ref"], row["tier"], last_activity)

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
