"""What purchases drive: facts kept up to date when purchases arrive, value segments, tier
suggestions and win-back figures (the morning list cut by segment is in commands/due.py).
Definitions in segments.py and rhythm.py."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Any

from followup_cli import storage
from followup_cli.core.models import BUYING_TIERS as BUYING
from followup_cli.core.segments import SEGMENTS, Segment, find_segment, score, segment_for
from followup_cli.errors import FollowupError
from followup_cli.i18n import _
from followup_cli.planner.replan import replan

MODEL_DATED = "repurchase: expected back"  # the stored reason of a call the model dated

# --- upkeep at import time ----------------------------------------------------------------------


def refresh_after_purchases(conn: sqlite3.Connection, customer_ids: list[int]) -> list[int]:
    """New purchases: recompute these customers' facts, and take back their follow-ups nobody
    has worked on yet so that they are planned again with the new rhythm (returns those).
    What the purchase model said of them is dropped until it is fitted again."""
    storage.refresh_purchase_stats(conn, customer_ids)
    storage.forget_scores_of(conn, customer_ids)
    return storage.take_back_unstarted(conn, customer_ids)


def has_occasion_columns(conn: sqlite3.Connection, header: list[str]) -> bool:
    """Does an imported file carry a birthday or a date column the shop plans calls for?"""
    from followup_cli.core.rhythm import field_key, occasion_keys

    wanted = occasion_keys(storage.load_settings(conn))
    return any(field_key(column) in wanted for column in header)


def plan_occasions_after_import(
    conn: sqlite3.Connection, header: list[str], stamp: str, today: date
) -> None:
    """Stored customers an import updated, with a birthday or a named date column, are
    planned again with it (the customers it added had theirs in their first plan)."""
    if not has_occasion_columns(conn, header):
        return
    written = [row["id"] for row in storage.customers_updated_at(conn, stamp)]
    dropped = set(storage.take_back_unstarted(conn, written))
    replan(conn, [customer_id for customer_id in written if customer_id in dropped], today)


# --- today's list: the rhythm explained (the win-back queue is in winback.py) ---------------


def explain_rhythm(conn: sqlite3.Connection, items: list[Any]) -> None:
    """Repurchase lines: the rule shows the gaps, median, expected day and margin, or what
    the purchase model expects (for `--explain`, in every format; the plain list skips the
    extra read)."""
    late = [item for item in items if item.kind == "repurchase" and item.anchor]
    by_model = [item for item in late if MODEL_DATED in item.reason]  # win-back wraps it
    for item in by_model:
        scores = storage.purchase_scores_of_ref(conn, item.customer_id)
        if scores is not None:
            item.rule = _(
                "purchase model: a {chance}% chance they still buy here; expected back about "
                "{expected}, {purchases} purchase days in the next 90"
            ).format(
                chance=round(100 * scores["p_alive"]),
                expected=scores["next_purchase"],
                purchases=f"{scores['expected_purchases']:.2f}",
            )
    late = [item for item in late if item not in by_model]
    if not late:
        return
    from followup_cli.core.rhythm import rhythm_of
    from followup_cli.core.schedule import effective_interval

    rules, settings = storage.load_rules(conn), storage.load_settings(conn)
    stats = storage.stats_by_ref(conn, [item.customer_id for item in late])
    for item in late:
        if item.customer_id not in stats:
            continue
        gaps = storage.parse_gaps(stats[item.customer_id]["gaps"])
        rhythm = rhythm_of(gaps, effective_interval(item.tier, rules))
        if rhythm is not None:
            item.rule = rhythm.describe(date.fromisoformat(item.anchor), settings.repurchase_margin)


# --- value segments (RFM) -------------------------------------------------------------------


@dataclass(frozen=True)
class ValueModel:
    """The shop's RFM cut points, read once per command."""

    count: int
    cuts: dict[str, list[Any]]

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> ValueModel:
        count, cuts = storage.rfm_cut_points(conn)
        return cls(count, cuts)

    def high_above(self) -> dict[str, Any]:
        """High (score 4-5) means above the third cut point."""
        return {name: cuts[2] for name, cuts in self.cuts.items()}

    def scores(self, stats: Any) -> tuple[int, int, int]:
        return (
            score(stats["last_day"], self.cuts["recency"]),
            score(stats["days"], self.cuts["frequency"]),
            score(stats["spend"], self.cuts["monetary"]),
        )


def segments_view(conn: sqlite3.Connection) -> dict[str, Any]:
    """Customers and spend per segment, with the cut points that decided them."""
    model = ValueModel.load(conn)
    tallies = {seg.key: [0, 0.0] for seg in SEGMENTS}
    if model.count:
        for row in storage.segment_tallies(conn, model.high_above()):
            seg = segment_for(*(5 if row[k] else 1 for k in ("r", "f", "m")))
            tallies[seg.key][0] += row["customers"]
            tallies[seg.key][1] += row["spend"]
    total_spend = sum(spend for _n, spend in tallies.values())
    rows = []
    for seg in SEGMENTS:
        customers, spend = tallies[seg.key]
        rows.append(
            {
                "segment": seg.key,
                "name": seg.chinese,
                "label": seg.label(),
                "r": "high" if seg.high[0] else "low",
                "f": "high" if seg.high[1] else "low",
                "m": "high" if seg.high[2] else "low",
                "customers": customers,
                "customer_share": round(customers / model.count, 4) if model.count else None,
                "spend": round(spend, 2),
                "spend_share": round(spend / total_spend, 4) if total_spend else None,
            }
        )
    return {
        "customers": model.count,
        "spend": round(total_spend, 2),
        "cut_points": model.cuts,
        "segments": rows,
    }


def customer_segments(conn: sqlite3.Connection) -> dict[int, dict[str, Any]]:
    """Each customer with purchases: segment and R, F, M scores (for export)."""
    model = ValueModel.load(conn)
    found = {}
    for customer_id, stats in storage.all_purchase_stats(conn).items():
        r, f, m = model.scores(stats)
        found[customer_id] = {
            "segment": segment_for(r, f, m).key,
            "rfm": f"{r}{f}{m}",
            "purchase_days": stats["days"],
        }
    return found


def use_segments(conn: sqlite3.Connection) -> None:
    """Reports broken down by segment use the shop's current cut points."""
    model = ValueModel.load(conn)
    if model.count:
        storage.use_segments(model.high_above(), {seg.high: seg.key for seg in SEGMENTS})


def value_of(conn: sqlite3.Connection, customer_id: int) -> dict[str, Any]:
    """One customer's segment, R/F/M scores and purchase days (None without purchases)."""
    stats = storage.purchase_stats_row(conn, customer_id)
    if stats is None:
        return {"segment": None, "rfm": None, "purchase_days": None}
    r, f, m = ValueModel.load(conn).scores(stats)
    return {
        "segment": segment_for(r, f, m).key,
        "rfm": f"{r}{f}{m}",
        "purchase_days": stats["days"],
    }


def parse_segment(text: str) -> Segment:
    found = find_segment(text)
    if found is None:
        names = ", ".join(s.key for s in SEGMENTS)
        raise FollowupError(
            _("unknown segment {text!r} (use one of {names}, or its Chinese name)").format(
                text=text, names=names
            )
        )
    return found


# --- tier suggestions -------------------------------------------------------------------------

PROMOTE_FROM, PROMOTE_TO = "regular", "vip"


def tier_suggestions(conn: sqlite3.Connection, today: date, apply: bool) -> list[dict[str, Any]]:
    """Under the shop's purchase model: regulars with the most spend at stake (the top fifth
    of the next 90 days' expected spend) and not slipping suggested as VIP, VIPs the model
    counts gone suggested back to regular. Without one, by value segment: regulars among
    the most valuable (important-value: recent, frequent, big spenders) as VIP, VIPs who
    fell away (low on all three, R 1-2) as regular. --apply changes them in one transaction."""
    from contextlib import nullcontext

    # Only --apply writes (and takes the write lock); a listing leaves a cron import alone.
    with storage.transaction(conn) if apply else nullcontext(conn):
        model = ValueModel.load(conn)
        if not model.count:
            return []
        stats = storage.all_purchase_stats(conn)
        standing = _model_standing(conn)
        targets = (
            _targets_by_model(standing, today)
            if standing
            else _targets_by_segment(conn, model, stats)
        )
        suggestions = []
        for customer in storage.customers_by_ids(conn, list(targets)):
            if customer.status != "active" or customer.tier != targets[customer.id][0]:
                continue
            target = targets[customer.id][1]
            r, f, m = model.scores(stats[customer.id])
            outlook = standing.get(customer.id, {})
            suggestions.append(
                {
                    "customer_id": customer.ref,
                    "name": customer.name,
                    "tier": customer.tier,
                    "suggested": target,
                    "segment": segment_for(r, f, m).key,
                    "rfm": f"{r}{f}{m}",
                    "last_purchase": stats[customer.id]["last_day"],
                    "purchase_days": stats[customer.id]["days"],
                    "spend": stats[customer.id]["spend"],
                    "applied": apply,
                    "by": "model" if standing else "segment",
                    "p_alive": outlook.get("p_alive"),
                    "expected_spend": outlook.get("expected_spend"),
                    "_id": customer.id,
                }
            )
        if apply and suggestions:
            ids = [s["_id"] for s in suggestions]
            for item in suggestions:
                storage.update_customer(
                    conn, item["_id"], {"tier": item["suggested"]}, storage.write_stamp()
                )
                storage.record_customer_changes(  # for the customer's timeline in `show`
                    conn,
                    item["_id"],
                    today,
                    [("tier", item["tier"], item["suggested"])],
                    "suggest",
                    storage.write_stamp(),
                )
            storage.refresh_ranks(conn, ids)
            dropped = [cid for cid in ids if storage.drop_unstarted_followup(conn, cid)]
            replan(conn, dropped, today)
    for item in suggestions:
        del item["_id"]
    return sorted(suggestions, key=lambda s: (s["suggested"] != PROMOTE_TO, s["customer_id"]))


def _model_standing(conn: sqlite3.Connection) -> dict[int, dict[str, Any]]:
    """Every scored customer's outlook where the purchase model decides, else nothing."""
    if not storage.load_settings(conn).by_model:
        return {}
    return storage.all_purchase_scores(conn)


def _targets_by_model(
    standing: dict[int, dict[str, Any]], today: date
) -> dict[int, tuple[str, str]]:
    """customer id -> (tier they must have, tier suggested), by the model's outlook."""
    at_stake = {
        cid: s["expected_spend"] if s["expected_spend"] is not None else s["expected_purchases"]
        for cid, s in standing.items()
    }
    ordered = sorted(at_stake.values())
    top_fifth = ordered[(4 * len(ordered)) // 5]
    day = today.isoformat()
    targets: dict[int, tuple[str, str]] = {}
    for cid, s in standing.items():
        slipping = s["slipping_on"] is not None and s["slipping_on"] <= day
        if s["gone_on"] is not None and s["gone_on"] <= day:
            targets[cid] = (PROMOTE_TO, PROMOTE_FROM)
        elif not slipping and at_stake[cid] >= top_fifth and at_stake[cid] > 0:
            targets[cid] = (PROMOTE_FROM, PROMOTE_TO)
    return targets


def _targets_by_segment(
    conn: sqlite3.Connection, model: ValueModel, stats: dict[int, Any]
) -> dict[int, tuple[str, str]]:
    """customer id -> (tier they must have, tier suggested), by value segment."""
    high = model.high_above()
    targets: dict[int, tuple[str, str]] = {}
    for cid in storage.segment_members(conn, high, (True, True, True)):
        if min(model.scores(stats[cid])) >= 4:
            targets[cid] = (PROMOTE_FROM, PROMOTE_TO)
    for cid in storage.segment_members(conn, high, (False, False, False)):
        r, f, m = model.scores(stats[cid])
        if max(r, f, m) <= 3 and r <= 2:
            targets[cid] = (PROMOTE_TO, PROMOTE_FROM)
    return targets


# --- win-back: who is dormant, and whether calling them brought them back ------------------


def is_dormant(conn: sqlite3.Connection, customer: Any, on: date, rules: dict[str, Any]) -> bool:
    """At churn risk on this day by the definition in force (沉睡): silent for longer than
    twice the tier's interval, or twice their own typical gap under the rhythm definition."""
    if customer.tier not in BUYING or customer.status != "active":
        return False
    last = max(
        d
        for d in (
            customer.added,
            customer.first_purchase,
            customer.last_purchase,
            customer.last_success,
        )
        if d is not None
    )
    from followup_cli.planner.winback import WinBackQueue

    queue = WinBackQueue.load(conn, rules, on)
    queue.prepare(conn, [{"ref": customer.ref, "tier": customer.tier}])
    return queue.at_risk(customer.ref, customer.tier, last)


def win_back_figures(
    conn: sqlite3.Connection, start: date, end: date, settings: Any
) -> dict[str, Any]:
    """Win-back rate: of the dormant customers contacted (contact made) in the period, the
    share who bought within `winback_within` of that contact."""
    from followup_cli.core.rhythm import interval_days

    within = interval_days(settings.winback_within)
    row = storage.win_back_tallies(conn, start, end, within)
    contacted, bought = row["contacted"], row["bought"]
    return {
        "contacted": contacted,
        "bought": bought,
        "rate": bought / contacted if contacted else None,
        "days": within,
    }
