"""The imports table: what was imported when, and the undo of one import.

Every row an import writes carries the import's start time, and every change its `before`
(see write.py), so an import is taken back whole, or refused when someone's work since
would be lost with it.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Any

from followup_cli import storage, wording
from followup_cli.errors import FollowupError
from followup_cli.i18n import _
from followup_cli.imports.write import PARTIAL, SCHEDULE_FIELDS
from followup_cli.planner.purchase_outlook import refresh_outlook, replan_by_model
from followup_cli.planner.purchases import refresh_after_purchases
from followup_cli.planner.replan import replan
from followup_cli.storage import write_stamp as _now


def list_imports(
    conn: sqlite3.Connection, limit: int = 50, every: bool = False
) -> list[dict[str, Any]]:
    """Newest first; an import that added, changed and rejected nothing is left out unless
    `every` (a nightly cron re-import of the same file would bury the ones that mattered)."""
    return [dict(row) for row in storage.list_imports(conn, limit, every)]


def undo_import(conn: sqlite3.Connection, import_id: int, today: date) -> dict[str, Any]:
    """Revert one import: customers it added removed, fields it changed restored.

    Refused when anything was logged on those customers since, or when anything changed
    them after it (a later import, `assign`, `log`...): every row an import writes carries the
    import's start time, so a different `updated_at` means someone else's work since.
    """
    with storage.transaction(conn):
        record = storage.get_import(conn, import_id)
        if record is None:
            raise FollowupError(
                _("no import with id {import_id} (see 'followup imports')").format(
                    import_id=import_id
                )
            )
        if record["status"] not in ("done", PARTIAL):
            raise FollowupError(
                _("import {import_id} is {status}: nothing to undo").format(
                    import_id=import_id, status=wording.status(record["status"])
                )
            )
        changes = storage.import_changes(conn, import_id)
        ids = [row["customer_id"] for row in changes]
        logged = storage.contacts_logged_since(conn, ids, record["started_at"])
        if logged:
            raise FollowupError(
                _(
                    "cannot undo import {import_id}: {logged} contact(s) "
                    "were logged on its customers since"
                ).format(import_id=import_id, logged=logged)
            )
        changed = storage.first_changed_since(conn, import_id, record["started_at"])
        if changed is not None:
            raise FollowupError(
                _("cannot undo import {import_id}: customer {ref} was changed again later").format(
                    import_id=import_id, ref=changed
                )
            )
        purchases_removed = storage.count_purchases_of_import(conn, import_id)
        removed = storage.delete_customers_added_by(conn, import_id)  # in bulk: linear
        restored = 0
        to_plan = []
        for change in changes:
            customer_id = change["customer_id"]
            if change["action"] == "added" or storage.customer_row(conn, customer_id) is None:
                continue
            before = json.loads(change["before"])
            storage.update_customer(conn, customer_id, before, _now())
            restored += 1
            if SCHEDULE_FIELDS & before.keys() and storage.drop_unstarted_followup(
                conn, customer_id
            ):
                to_plan.append(customer_id)
        bought = storage.customers_of_import_purchases(conn, import_id)
        storage.delete_purchases_of_import(conn, import_id)
        storage.forget_import_changes(conn, record["started_at"])
        storage.forget_import_aliases(conn, record["started_at"])
        kept_buyers = [c for c in bought if storage.customer_row(conn, c)]
        to_plan += refresh_after_purchases(conn, kept_buyers)
        replan(conn, to_plan, today)
        storage.refresh_ranks(conn, [c["customer_id"] for c in changes])
        storage.finish_import(conn, import_id, {"status": "undone"})
    if bought:  # the purchases the outlook learnt from are gone: learn again without them
        refresh_outlook(conn, today)
        replan_by_model(conn, kept_buyers, today)
    return {
        "import_id": import_id,
        "removed": removed,
        "restored": restored,
        "purchases_removed": purchases_removed,
    }
