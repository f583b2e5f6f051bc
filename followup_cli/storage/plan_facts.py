"""What the engine needs to know of a customer's past to plan their next call, read for many
customers at once (a few statements per 500 customers, not six per customer)."""

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from followup_cli.core.dates import optional_date
from followup_cli.storage.connection import _chunks
from followup_cli.storage.purchases import parse_gaps

_CLOSED = "status IN ('done', 'missed', 'closed')"


@dataclass(frozen=True)
class PlanFacts:
    """One customer's planning facts (see models.CustomerState for what each means)."""

    has_open: bool = False
    previous_due: date | None = None  # the last closed step or cadence call's due day
    renewal_done_for: date | None = None  # the contract end last called about
    repurchase_done_for: date | None = None  # the last purchase last called about
    occasions_done: frozenset[str] = frozenset()
    purchase_gaps: tuple[int, ...] = ()
    model_next: date | None = None  # the purchase model's expected next purchase day
    model_gone: date | None = None  # ... and the day it counts them gone


def plan_facts(conn: sqlite3.Connection, customer_ids: Sequence[int]) -> dict[int, PlanFacts]:
    """Every listed customer's facts, by internal id (a customer with no history gets the
    empty facts)."""
    found: dict[int, dict[str, object]] = {}
    for chunk in _chunks(list(customer_ids)):
        marks = ", ".join("?" * len(chunk))
        for row in conn.execute(
            "SELECT customer_id, "
            "MAX(CASE WHEN status = 'open' THEN 1 ELSE 0 END), "
            f"MAX(CASE WHEN {_CLOSED} AND kind IN ('step', 'cadence') "
            "THEN COALESCE(covers_due, due_date) END), "
            f"MAX(CASE WHEN {_CLOSED} AND kind = 'renewal' THEN anchor END), "
            f"MAX(CASE WHEN {_CLOSED} AND kind = 'repurchase' THEN anchor END) "
            f"FROM followups WHERE customer_id IN ({marks}) GROUP BY customer_id",
            chunk,
        ):
            found[row[0]] = {
                "has_open": bool(row[1]),
                "previous_due": optional_date(row[2]),
                "renewal_done_for": optional_date(row[3]),
                "repurchase_done_for": optional_date(row[4]),
            }
        occasions: dict[int, set[str]] = {}
        for customer_id, occasion in conn.execute(
            f"SELECT customer_id, occasion FROM followups WHERE customer_id IN ({marks}) "
            f"AND occasion IS NOT NULL AND {_CLOSED}",
            chunk,
        ):
            occasions.setdefault(customer_id, set()).add(occasion)
        for customer_id, names in occasions.items():
            found.setdefault(customer_id, {})["occasions_done"] = frozenset(names)
        for customer_id, gaps in conn.execute(
            f"SELECT customer_id, gaps FROM purchase_stats WHERE customer_id IN ({marks})", chunk
        ):
            found.setdefault(customer_id, {})["purchase_gaps"] = parse_gaps(gaps)
        for customer_id, expected, gone in conn.execute(
            "SELECT customer_id, next_purchase, gone_on FROM purchase_scores "
            f"WHERE customer_id IN ({marks})",
            chunk,
        ):
            facts = found.setdefault(customer_id, {})
            facts["model_next"], facts["model_gone"] = optional_date(expected), optional_date(gone)
    return {cid: PlanFacts(**found.get(cid, {})) for cid in customer_ids}  # type: ignore[arg-type]
