"""Writing a planned import: the batched writes, each change recorded so it can be undone.

The plan (match.py) waits in temporary tables; here it goes into the shop's tables in one
short write transaction, checked first to still fit what is stored (else `Stale`, and the
run plans again). On a chain's server the updates go SERVER_WRITE_BATCH at a time instead,
the import 'partial' until its last batch. Every row written carries the import's start
time and its `before`, which is what history.py's undo puts back.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from followup_cli import storage
from followup_cli.core.returning import came_back
from followup_cli.errors import FollowupError
from followup_cli.i18n import _
from followup_cli.imports.match import BATCH, FINGERPRINT, Merger
from followup_cli.imports.read import shown_path
from followup_cli.imports.result import ImportResult, Progress, Rollback, Stale, phase
from followup_cli.planner.first_plans import spread_first_import, spread_first_purchases
from followup_cli.planner.purchases import (
    plan_occasions_after_import,
    refresh_after_purchases,
)
from followup_cli.planner.replan import replan
from followup_cli.storage import write_stamp as _now

SCHEDULE_FIELDS = frozenset({"tier", "first_purchase", "last_purchase", "added", "contract_end"})


# On a chain's server, the changes to stored customers are written this many at a time, each
# batch in a short transaction of its own, so a `log` at any branch waits for one batch (well
# under a second), not for the whole import (see README, reliability).
SERVER_WRITE_BATCH = 200
PARTIAL = "partial"  # an import's status while its batches are written, and after a failure


def batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """`items` in lists of `size` (the last one shorter): rows matched, updates written."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_customers(
    conn: sqlite3.Connection,
    plan: Merger,
    path: Path,
    today: date,
    result: ImportResult,
    dry_run: bool,
    strict: bool,
    check: bool,
    tick: Progress | None = None,
) -> None:
    """Write the plan in the current (or a new, short) write transaction, unless it is a dry
    run, --strict found a rejected row, or nothing in the file was usable. On a server the
    updates go in short batches (see _write_in_batches)."""
    if dry_run or (result.rejected and (strict or not result.used)):
        return
    if not check:
        _write_plan(conn, plan, path, today, result, tick)
    elif storage.on_server(conn):
        _write_in_batches(conn, plan, path, today, result, tick)
    else:
        with storage.transaction(conn):
            phase(tick, _("Checking the plan still fits the shop"))
            plan.check_unchanged()
            _write_plan(conn, plan, path, today, result, tick)


def _write_plan(
    conn: sqlite3.Connection,
    plan: Merger,
    path: Path,
    today: date,
    result: ImportResult,
    tick: Progress | None = None,
) -> None:
    """The whole plan inside the caller's one write transaction."""
    import_id, stamp = _write_new(conn, plan, path, today, result, "running", tick)
    _announce_updates(tick, result)
    updates = storage.spooled_updates(conn)
    _write_updates(conn, updates, import_id, stamp, today, result, False, tick)
    _finish(conn, import_id, stamp, today, result, tick)


def _announce_updates(tick: Progress | None, result: ImportResult) -> None:
    if result.updated:
        phase(tick, _("Updating {count} customers").format(count=result.updated), result.updated)


def _write_new(
    conn: sqlite3.Connection,
    plan: Merger,
    path: Path,
    today: date,
    result: ImportResult,
    status: str,
    tick: Progress | None = None,
) -> tuple[int, str]:
    """The import's record, its new customers and their first follow-ups, the ids merged
    into others as their aliases."""
    record = {**_import_row("customers", path, today), "status": status}
    stamp = record["started_at"]  # every row this import writes carries it (see undo)
    result.import_id = import_id = storage.record_import(conn, record)
    if result.added:
        phase(tick, _("Writing {count} new customers").format(count=result.added))
    # A first import's backlog is spread before it is written: the new customers' first
    # plans already hold their birthdays and dated columns (planner/first_plans.py).
    result.spread = spread_first_import(conn, today, result.added, spooled=True)
    storage.spool_apply_new(conn, import_id, stamp)
    storage.record_also_added(conn, plan.also_added, stamp)
    storage.add_aliases(conn, plan.aliases, "import", stamp)
    return import_id, stamp


def _write_updates(
    conn: sqlite3.Connection,
    updates: Iterable[Any],
    import_id: int,
    stamp: str,
    today: date,
    result: ImportResult,
    recheck: bool,
    tick: Progress | None = None,
) -> None:
    """Update stored customers as planned. With `recheck` (a batch written while others may
    have written since the plan), a field someone changed since the file was read keeps
    their value, and a customer erased or merged away meanwhile is left out."""
    changed: list[tuple[int, int, str, str | None]] = []
    to_plan: list[int] = []
    re_ranked: list[int] = []
    timeline: list[tuple[int, str, Any, Any]] = []  # tier, owner, branch changes, for `show`
    for update in updates:
        customer_id = update["customer_id"]
        changes = json.loads(update["changes"])
        before = json.loads(update["before"])
        if recheck:
            changes, before = _still_to_change(conn, update, changes, before)
            if not changes:
                result.updated -= 1
                result.unchanged += 1
                continue
        storage.update_customer(conn, customer_id, changes, stamp)
        if tick is not None:
            tick(1)
        changed.append((import_id, customer_id, "updated", json.dumps(before, ensure_ascii=False)))
        timeline.extend(
            (customer_id, name, before.get(name), changes[name])
            for name in ("tier", "owner", "branch")
            if name in changes
        )
        if SCHEDULE_FIELDS & changes.keys() and (
            storage.drop_unstarted_followup(conn, customer_id) or "returned_on" in changes
        ):
            to_plan.append(customer_id)
        elif "tier" in changes:
            re_ranked.append(customer_id)
    storage.record_changes(conn, changed)
    storage.record_import_changes(conn, timeline, today, stamp)
    if to_plan:
        phase(tick, _("Planning the follow-ups of {count} customers").format(count=len(to_plan)))
    replan(conn, to_plan, today)
    storage.refresh_ranks(conn, re_ranked)


def _still_to_change(
    conn: sqlite3.Connection, update: Any, changes: dict[str, Any], before: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The planned changes that still apply to the customer as stored now (see
    _write_updates), and what they replace."""
    row = storage.customer_row(conn, update["customer_id"])
    if row is None:
        return {}, {}
    now = json.dumps([row[c] for c in FINGERPRINT], ensure_ascii=False)
    if now == update["seen"]:
        return changes, before
    stored = dict(zip(row.keys(), row, strict=True))
    kept = {
        name: value
        for name, value in changes.items()
        if name not in stored or stored[name] == before.get(name)
    }
    return kept, {name: stored.get(name, before.get(name)) for name in kept}


def _finish(
    conn: sqlite3.Connection,
    import_id: int,
    stamp: str,
    today: date,
    result: ImportResult,
    tick: Progress | None = None,
) -> None:
    if result.updated:
        phase(tick, _("Planning birthdays and dated calls"))
    plan_occasions_after_import(conn, result.header, stamp, today)
    storage.finish_import(conn, import_id, _counts(result, result.encoding, "done"))


def _write_in_batches(
    conn: sqlite3.Connection,
    plan: Merger,
    path: Path,
    today: date,
    result: ImportResult,
    tick: Progress | None = None,
) -> None:
    """A server's import in short transactions: first the new customers (with the checks
    that the plan still fits the shop), then the updates SERVER_WRITE_BATCH at a time, then
    the import is marked done. Until then it is 'partial': what a failure part way keeps is
    undone, like a whole import, by `imports undo N`."""
    with storage.transaction(conn):
        plan.check_unchanged(rows=False)
        import_id, stamp = _write_new(conn, plan, path, today, result, PARTIAL, tick)
    _announce_updates(tick, result)
    written = 0
    try:
        for batch in batches(storage.spooled_updates(conn), SERVER_WRITE_BATCH):
            with storage.transaction(conn):
                if storage.import_status(conn, import_id) != PARTIAL:  # undone meanwhile
                    raise FollowupError(
                        _(
                            "import {import_id} was undone while it was being written: it "
                            "stopped there"
                        ).format(import_id=import_id)
                    )
                _write_updates(conn, batch, import_id, stamp, today, result, True, tick)
            written += len(batch)
        with storage.transaction(conn):
            _finish(conn, import_id, stamp, today, result, tick)
    except (KeyboardInterrupt, sqlite3.Error) as exc:
        raise _stopped_part_way(exc, import_id, written) from None


def _stopped_part_way(exc: BaseException, import_id: int, written: int) -> BaseException:
    """What a batched import that failed part way kept, and how to take it back."""
    kept = _(
        "import {import_id} stopped part way: its new customers and {written} updated "
        "customers were kept; 'followup imports undo {import_id}' takes them back, or import "
        "the file again to finish"
    ).format(import_id=import_id, written=written)
    if isinstance(exc, KeyboardInterrupt):
        import sys

        print(kept, file=sys.stderr)
        return exc
    from followup_cli.storage.dialect import ServerGone

    if isinstance(exc, ServerGone):
        return FollowupError(
            _("the database server went away ({detail}); {kept}").format(detail=exc, kept=kept)
        )
    return FollowupError(_("database problem: {detail}; {kept}").format(detail=exc, kept=kept))


def _import_row(kind: str, path: Path, today: date) -> dict[str, Any]:
    return {
        "started_at": _now(),
        "as_of": today.isoformat(),
        "kind": kind,
        "file": shown_path(path),
        "status": "running",
    }


def _counts(result: ImportResult, encoding: str, status: str) -> dict[str, Any]:
    return {
        "encoding": encoding,
        "read": result.read,
        "added": result.added,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rejected": len(result.rejected),
        "status": status,
        "message": result.layout,  # the known export the file was read as, if any
    }


# --- purchases ------------------------------------------------------------------------------------


def _add_buyers(
    conn: sqlite3.Connection, buyers: dict[int, dict[str, Any]], import_id: int, now: str
) -> list[int]:
    """The new buyers as customers (tier new, added on their first purchase in the file),
    recorded as added by this import (so `imports undo` takes them back); their spooled
    purchases move from the placeholder to the customer."""
    make_ref = storage.next_generated_ref(conn)
    added = []
    for placeholder, buyer in sorted(buyers.items(), reverse=True):  # -1, -2, ...: file order
        values = {
            "ref": make_ref(),
            "name": buyer["name"],
            "phone": buyer["phone"],
            "email": buyer["email"],
            "tier": "new",
            "added": buyer["first"].isoformat(),
        }
        customer_id = storage.insert_customer(conn, values, now)
        storage.spool_purchases_rebind(conn, placeholder, customer_id)
        added.append(customer_id)
    storage.record_changes(conn, [(import_id, cid, "added", None) for cid in added])
    return added


def write_purchases(
    conn: sqlite3.Connection,
    path: Path,
    today: date,
    result: ImportResult,
    dry_run: bool,
    strict: bool,
    snapshot: int | None,
    tick: Progress | None = None,
) -> None:
    """Inside a write transaction (the caller's when holding, else a short one of its own):
    what the write finds is only known there; a dry run, --strict with a rejected row, or a
    file with nothing usable raise Rollback, which the caller catches outside it."""

    def write() -> None:
        if snapshot is not None and (
            storage.last_customer_id(conn) != snapshot or storage.spooled_purchase_buyers_gone(conn)
        ):
            raise Stale
        record = _import_row("purchases", path, today)
        result.import_id = import_id = storage.record_import(conn, record)
        first_purchases = not storage.has_purchases(conn)
        buyers = _add_buyers(conn, result.new_buyers, import_id, record["started_at"])
        result.buyers_added = len(buyers)
        phase(tick, _("Writing the purchases"))
        result.added, result.unchanged = storage.spool_apply_purchases(conn, import_id)
        spans = storage.spooled_purchase_spans(conn)
        # Facts first, and unworked follow-ups taken back, so the re-plan sees the new rhythm.
        phase(tick, _("Planning the follow-ups of {count} customers").format(count=len(spans)))
        taken_back = refresh_after_purchases(conn, [span[0] for span in spans])
        result.updated = _apply_purchases(conn, spans, today, import_id, record["started_at"])
        replan(conn, [*taken_back, *buyers], today)
        result.bought = [*(span[0] for span in spans), *buyers]
        if first_purchases:  # a new shop's first day: no backlog, nothing due in the past
            result.spread = spread_first_purchases(conn, today)
        if dry_run or (result.rejected and (strict or not result.used)):
            raise Rollback
        storage.finish_import(conn, import_id, _counts(result, result.encoding, "done"))

    if snapshot is None:
        write()
    else:
        with storage.transaction(conn):
            write()


def _apply_purchases(
    conn: sqlite3.Connection,
    spans: list[tuple[int, str, str]],
    today: date,
    import_id: int,
    now: str,
) -> int:
    """Each buyer's first and last purchase, a prospect who bought made new, a lost customer
    who bought after the loss active again: read and written 500 customers at a time, each
    change recorded for undo."""
    changed: list[tuple[int, int, str, str | None]] = []
    updates: list[tuple[int, dict[str, Any]]] = []
    returned: set[int] = set()
    for start in range(0, len(spans), BATCH):
        chunk = spans[start : start + BATCH]
        rows = storage.customer_rows_by_ids(conn, [span[0] for span in chunk])
        for customer_id, first, last in chunk:  # ISO days: they compare as the dates do
            row = rows[customer_id]
            values: dict[str, Any] = {}
            if row["tier"] == "prospect":
                values.update(tier="new", converted_on=first, first_purchase=first)
            elif row["first_purchase"] is None or first < row["first_purchase"]:
                values["first_purchase"] = first
            if row["last_purchase"] is None or last > row["last_purchase"]:
                values["last_purchase"] = last
            values.update(came_back(row["status"], row["churned_on"], [first, last]))
            if not values:
                continue
            before = {name: row[name] for name in values}
            changed.append((import_id, customer_id, "updated", json.dumps(before)))
            updates.append((customer_id, values))
            if "returned_on" in values:
                returned.add(customer_id)
    storage.update_customers(conn, updates, now)
    dropped = set(storage.take_back_unstarted(conn, [cid for cid, _values in updates]))
    storage.record_changes(conn, changed)
    replan(conn, [cid for cid, _values in updates if cid in dropped or cid in returned], today)
    return len(changed)
