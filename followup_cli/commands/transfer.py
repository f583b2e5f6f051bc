"""Moving a shop between a file and a chain's PostgreSQL server, whole, and proving that
nothing was lost: every table counted on both sides and a year's report compared, before the
copy is committed."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from followup_cli import storage
from followup_cli.errors import FollowupError
from followup_cli.i18n import _


def transfer(
    source: Any,
    target: Any,
    target_name: str,
    today: date,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, Any]:
    """Copy every table of `source` into the empty database `target` in one transaction.

    Returns the rows per table on both sides and whether the report for the last 12 months
    up to `today` reads the same on both. A difference rolls the whole copy back.
    """
    from followup_cli.commands.report import build_report

    if storage.holds_a_shop(target):
        raise FollowupError(
            _(
                "{target} already holds a shop: transfer only into an empty database (nothing "
                "was copied)"
            ).format(target=target_name)
        )
    tables = storage.table_names(source)
    wanted = set(storage.table_names(target))
    counts: list[dict[str, Any]] = []
    start = today - timedelta(days=365)
    before = _comparable(build_report(source, start, today, today))
    with storage.transaction(target):
        for table in (t for t in reversed(tables) if t in wanted):
            storage.clear_table(target, table)  # the new database's default rules and options
        for table in tables:
            if table not in wanted:
                continue
            there = set(storage.column_names(target, table))
            columns = [c for c in storage.column_names(source, table) if c in there]
            for rows in storage.read_table(source, table, columns):
                storage.write_rows(target, table, columns, rows)
                if progress:
                    progress(table, len(rows))
            counts.append(
                {
                    "table": table,
                    "source": storage.row_count(source, table),
                    "target": storage.row_count(target, table),
                }
            )
        after = _comparable(build_report(target, start, today, today))
        different = [c["table"] for c in counts if c["source"] != c["target"]]
        if different or before != after:
            raise FollowupError(
                _(
                    "the copy in {target} did not match the original ({what}): nothing was copied"
                ).format(target=target_name, what=", ".join(different) or _("the report"))
            )
    storage.analyze(target)  # a server plans its queries well only once it knows the tables
    return {
        "tables": counts,
        "report_from": start.isoformat(),
        "report_to": today.isoformat(),
        "report_identical": True,
    }


def _comparable(report: dict[str, Any]) -> str:
    return json.dumps(report, sort_keys=True, default=str)
