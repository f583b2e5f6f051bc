"""The owner's rules and options: each tier's cadence and the shop-wide knobs, shown and changed.

A change that moves dates (a rule, the minimum gap, closed days, the purchase options) re-plans
the follow-ups nobody has started on, in the same transaction, so the list never shows a call
planned by the old rule.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import replace
from datetime import date
from typing import Any

from followup_cli import storage
from followup_cli.core.dates import Duration
from followup_cli.core.models import ANCHORS, DEFAULT_RULES, Rule, Settings
from followup_cli.core.options import format_value, parse_value
from followup_cli.core.schedule import RuleError, closed_day_checker, validate_rules
from followup_cli.errors import FollowupError
from followup_cli.i18n import _
from followup_cli.planner.replan import replan
from followup_cli.wording import describe_rule


def rules_view(conn: sqlite3.Connection) -> dict[str, Any]:
    rules = storage.load_rules(conn)
    settings = storage.load_settings(conn)
    return {
        "rules": [_rule_dict(rule) for rule in sorted(rules.values(), key=lambda r: r.rank)],
        "options": {
            name: format_value(getattr(settings, name)) for name in Settings.__dataclass_fields__
        },
    }


def _rule_dict(rule: Rule) -> dict[str, Any]:
    return {
        "tier": rule.tier,
        "steps": ",".join(str(s) for s in rule.steps),
        "every": str(rule.interval) if rule.interval else "",
        "anchor": rule.anchor,
        "then": rule.then or "",
        "grace": str(rule.grace),
        "rank": rule.rank,
        "describe": describe_rule(rule),
    }


def set_rule(
    conn: sqlite3.Connection,
    tier: str,
    today: date,
    *,
    steps: str | None = None,
    every: str | None = None,
    anchor: str | None = None,
    then: str | None = None,
    grace: str | None = None,
    rank: int | None = None,
) -> dict[str, Any]:
    """Change (or add) a tier's rule, then re-plan its customers' unstarted follow-ups."""
    tier = tier.strip().lower()
    if not tier or not tier.replace("-", "").replace("_", "").isalnum():
        raise FollowupError(
            _("tier name {tier!r} must be letters, digits, - or _").format(tier=tier)
        )
    with storage.transaction(conn):
        rules = storage.load_rules(conn)
        current = rules.get(tier, Rule(tier, rank=50 + 10 * len(rules)))
        if tier not in rules and not (every or then):
            raise FollowupError(_("new tier {tier!r} needs --every or --then").format(tier=tier))
        changed = current
        if steps is not None:
            parsed = tuple(Duration.parse(s) for s in re.split("[,，、]", steps) if s.strip())
            changed = replace(changed, steps=parsed)
        if every is not None:
            no_repeat = every.strip().lower() in ("", "none", "-", "无", "不重复")
            interval = None if no_repeat else Duration.parse(every)
            changed = replace(changed, interval=interval)
        if anchor is not None:
            if anchor not in ANCHORS:
                raise FollowupError(
                    _("anchor {anchor!r} is not one of {choices}").format(
                        anchor=anchor, choices=", ".join(ANCHORS)
                    )
                )
            changed = replace(changed, anchor=anchor)
        if then is not None:
            follower = then.strip().lower() or None
            if follower in ("none", "-"):
                follower = None
            if follower is not None and follower not in rules and follower != tier:
                raise FollowupError(_("unknown tier {then!r} to follow").format(then=then))
            changed = replace(changed, then=follower)
        if grace is not None:
            changed = replace(changed, grace=Duration.parse(grace))
        if rank is not None:
            changed = replace(changed, rank=rank)
        updated = {**rules, tier: changed}
        try:
            validate_rules(updated)
        except RuleError as exc:
            raise FollowupError(str(exc)) from None
        storage.save_rules(conn, updated.values())
        replanned = _replan_tiers(conn, _tiers_following(tier, updated), today)
    return {"rule": _rule_dict(changed), "replanned": replanned}


def _tiers_following(tier: str, rules: dict[str, Rule]) -> set[str]:
    """The tier and every tier whose chain of `then` passes through it."""
    touched = {tier}
    for rule in rules.values():
        current, seen = rule, set()
        while current is not None and current.tier not in seen:
            if current.tier == tier:
                touched.add(rule.tier)
                break
            seen.add(current.tier)
            current = rules.get(current.then or "")
    return touched


def _replan_tiers(conn: sqlite3.Connection, tiers: set[str] | None, today: date) -> int:
    ids = storage.customers_with_unstarted_followups(conn, tiers)
    storage.drop_unstarted_followups(conn, ids)
    return replan(conn, ids, today)


def reset_rules(conn: sqlite3.Connection, today: date) -> dict[str, Any]:
    with storage.transaction(conn):
        defaults = {rule.tier for rule in DEFAULT_RULES}
        stranded = storage.customers_in_other_tiers(conn, defaults)
        if stranded:
            listing = ", ".join(f"{tier} ({n})" for tier, n in stranded)
            raise FollowupError(
                _(
                    "customers are in tiers the defaults do not have: {listing}; "
                    "move them to another tier first"
                ).format(listing=listing)
            )
        storage.save_rules(conn, DEFAULT_RULES)
        options = _reset_options(conn)
        replanned = _replan_tiers(conn, None, today)
    return {"replanned": replanned, "options": options}


def _reset_options(conn: sqlite3.Connection) -> dict[str, dict[str, str]]:
    """The shop options back to a new shop's too (phone region, gaps, capacity, closed days):
    what each changed option was and now is."""
    current, defaults = storage.load_settings(conn), Settings()
    changed = {}
    for name in Settings.__dataclass_fields__:
        was, default = getattr(current, name), getattr(defaults, name)
        if was != default:
            changed[name] = {
                "was": format_value(was),
                "now": format_value(default),
            }
        storage.save_setting(conn, name, default)
    return changed


# Options of purchases-driven planning that move dates (rhythm.py).
PLAN_OPTIONS = (
    "repurchase",
    "repurchase_margin",
    "birthday_before",
    "anniversary_before",
    "date_fields",
)


def set_option(conn: sqlite3.Connection, name: str, text: str, today: date) -> dict[str, Any]:
    """Change a shop-wide option; options that move dates re-plan unstarted follow-ups."""
    name = name.strip().lower().replace("-", "_")
    try:
        value = parse_value(name, text)
    except ValueError as exc:
        raise FollowupError(str(exc)) from None
    if name == "holidays" and value:
        try:
            closed_day_checker(Settings(holidays=str(value)))
        except RuleError as exc:
            raise FollowupError(str(exc)) from None
    with storage.transaction(conn):
        storage.save_setting(conn, name, value)
        moves_dates = name in (
            "min_gap",
            "renewal_before",
            "closed_weekdays",
            "holidays",
            *PLAN_OPTIONS,
        )
        replanned = _replan_tiers(conn, None, today) if moves_dates else 0
    return {"option": name, "value": format_value(value), "replanned": replanned}
