"""Running an import: read, clean, match and write one file, with progress, as one import.

The stages are modules of their own: read.py (bytes -> table), headers.py (columns ->
fields), clean.py and clean_purchases.py (rows -> records | rejections), match.py (records
-> customers, planned into temporary tables), write.py (the plan -> the shop's tables) and
history.py (the record of imports, and their undo). This module runs them in order: the
file is read, checked and matched without the write lock (in a second, forked process
when it is big: read_ahead.py), the plan is written in one short transaction, and when
someone changed the customers it was made from meanwhile it is made again; the last
attempt holds the lock throughout.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from operator import attrgetter
from pathlib import Path
from typing import Any

from followup_cli import storage
from followup_cli.core.phones import import_phone_reader
from followup_cli.errors import EXIT_NOTHING_IMPORTED, FollowupError
from followup_cli.i18n import _
from followup_cli.imports import match
from followup_cli.imports.clean import Record, Rejection, RowError, Skipped, clean_rows
from followup_cli.imports.clean_purchases import OrderLine, PurchaseRecord, clean_purchase_rows
from followup_cli.imports.headers import HeaderMap
from followup_cli.imports.known_layouts import LevelTable, recognise
from followup_cli.imports.opened import Table
from followup_cli.imports.read import read_table, shown_path
from followup_cli.imports.read_ahead import can_fork, in_background
from followup_cli.imports.result import ImportResult, Progress, Rollback, Stale, phase
from followup_cli.imports.write import batches, write_customers, write_purchases
from followup_cli.planner.first_plans import order_spread_by_value
from followup_cli.planner.purchase_outlook import refresh_outlook, replan_by_model
from followup_cli.planner.replan import Scheduler
from followup_cli.storage import write_stamp as _now


@dataclass
class ImportOptions:
    """How to read a file; what `--save-profile` stores and `--profile` brings back."""

    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    dayfirst: bool | None = None
    region: str | None = None  # None: the shop's phone_region option
    header_row: int | None = None  # None: found in the file

    def merged_over(self, saved: ImportOptions) -> ImportOptions:
        """Options given on the command line win over the saved profile's."""
        return ImportOptions(
            encoding=self.encoding or saved.encoding,
            delimiter=self.delimiter or saved.delimiter,
            sheet=self.sheet or saved.sheet,
            mapping={**saved.mapping, **self.mapping},
            dayfirst=saved.dayfirst if self.dayfirst is None else self.dayfirst,
            region=self.region or saved.region,
            header_row=self.header_row or saved.header_row,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ImportOptions:
        return cls(**json.loads(text))


def resolve_options(
    conn: sqlite3.Connection, given: ImportOptions, profile: str | None, save_as: str | None
) -> ImportOptions:
    options = given
    if profile is not None:
        saved = storage.load_profile(conn, profile)
        if saved is None:
            names = ", ".join(storage.profile_names(conn)) or "none saved yet"
            raise FollowupError(
                _("no import profile {profile!r} (profiles: {names})").format(
                    profile=profile, names=names
                )
            )
        options = given.merged_over(ImportOptions.from_json(saved))
    if save_as is not None:
        with storage.transaction(conn):
            storage.save_profile(conn, save_as, options.to_json(), _now())
    return options


PLAN_ATTEMPTS = 3  # plans made outside the lock; the last attempt holds it throughout


def import_customers(
    conn: sqlite3.Connection,
    path: Path,
    today: date,
    options: ImportOptions,
    *,
    dry_run: bool = False,
    strict: bool = False,
    progress: Callable[[int], Progress] | None = None,
) -> ImportResult:
    """Upsert customers from a file in one transaction; re-importing the same file is a no-op.

    The file is read, checked and matched without the write lock, so `log` and `today` carry
    on during a long nightly import; what it will change goes into temporary tables, and one
    short write transaction applies it. If someone changed the customers it planned for in
    the meantime, the plan is made again; the last attempt holds the lock throughout.
    """
    table, headers, normalise_phone, template, tick = _open(conn, path, options, dry_run, progress)
    storage.tune_for_import(conn)
    for attempt in range(PLAN_ATTEMPTS):
        result = replace(template, rejected=[], unknown_levels={}, warnings=[])
        holding = attempt == PLAN_ATTEMPTS - 1 and not dry_run
        if attempt:
            phase(tick, _("Matching the file again: the shop changed meanwhile"))
        try:
            with _spool_dropped(conn, storage.spool_drop):
                if holding:
                    with storage.transaction(conn):
                        plan = _plan(
                            conn, table, headers, normalise_phone, today, options, result, tick
                        )
                        write_customers(
                            conn, plan, path, today, result, dry_run, strict, False, tick
                        )
                else:
                    with storage.read_snapshot(conn):
                        plan = _plan(
                            conn, table, headers, normalise_phone, today, options, result, tick
                        )
                    write_customers(conn, plan, path, today, result, dry_run, strict, True, tick)
        except Stale:
            continue
        break
    if strict and result.rejected and not dry_run:
        result.refused = True
    return result


@contextlib.contextmanager
def _spool_dropped(
    conn: sqlite3.Connection, drop: Callable[[sqlite3.Connection], None]
) -> Iterator[None]:
    """The import's temporary tables dropped after each attempt. When the attempt failed
    (ctrl-c part way, say), that failure is reported, not a table a cursor still holds."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            drop(conn)
        raise
    drop(conn)


def _plan(
    conn: sqlite3.Connection,
    table: Table,
    headers: HeaderMap,
    normalise_phone: Callable[..., str],
    today: date,
    options: ImportOptions,
    result: ImportResult,
    tick: Progress | None,
) -> match.Merger:
    rules = storage.load_rules(conn)
    levels = storage.load_levels(conn)
    table_of_levels = LevelTable(levels, {t: r.rank for t, r in rules.items()})
    storage.spool_create(conn)
    merger = match.Merger(conn, today, result, rules, levels)

    def rows() -> Iterator[Record | Rejection | Skipped]:
        return clean_rows(
            table, headers, today, set(rules), normalise_phone, options.dayfirst, table_of_levels
        )

    def planned_rows() -> Iterator[Record | Rejection | Skipped]:
        # A row naming a customer the shop may already have (its id in the stored keys)
        # is most likely an update: its plan is left for the matching to make if it is new.
        plans, stored = merger.first_plans, merger.stored_keys
        for item in rows():
            if type(item) is Record and not (item.ref and "r:" + item.ref in stored):
                item.first_plan = match.first_plan_of(item, plans, rules, today, half=True)
            yield item

    items = (
        in_background(planned_rows, _record_as_tuple, _tuple_as_record)
        if _reads_ahead(table)
        else rows()
    )
    for batch in batches(_counted(items, result, tick), 500):
        merger.prefetch(batch)
        for record in batch:
            merger.merge(record)
    merger.finish()
    return merger


READ_AHEAD_BYTES = 2 << 20  # a file this big is read and checked in a second process


# A packed workbook holds more rows a byte than text: the 20 000-member .xlsx is 1.8 MB on disk
# for the 2.7 MB of the same rows as CSV. Counted as this many bytes of text a byte.
WORKBOOK_PACKING = 2
WORKBOOKS = ("xlsx", "xls", "ods")  # a table's `encoding` when it was read from a workbook


def _reads_ahead(table: Table) -> bool:
    """Worth a second process: a big file on disk, on a system that can fork."""
    size = table.size * (WORKBOOK_PACKING if table.encoding in WORKBOOKS else 1)
    return can_fork() and size >= READ_AHEAD_BYTES


# What a row read ahead travels as: a plain tuple (a fraction of the pickling of a dataclass),
# without the raw cells (only a rejected row shows them, and a rejection travels whole).
_FIELDS = [f.name for f in fields(Record)]
_CELLS_AT = _FIELDS.index("cells")
_travelling = attrgetter(*(name for name in _FIELDS if name != "cells"))


def _record_as_tuple(item: Any) -> Any:
    return _travelling(item) if type(item) is Record else item


def _tuple_as_record(item: Any) -> Any:
    if type(item) is not tuple:
        return item
    return Record(*item[:_CELLS_AT], [], *item[_CELLS_AT:])


# A purchase read ahead travels as a plain tuple, its cells too (a purchase whose buyer is not
# found is rejected here, showing them).
_purchase_fields = attrgetter(*(f.name for f in fields(PurchaseRecord)))


def _purchase_as_tuple(item: Any) -> Any:
    return _purchase_fields(item) if type(item) is PurchaseRecord else item


def _tuple_as_purchase(item: Any) -> Any:
    return PurchaseRecord(*item) if type(item) is tuple else item


def _counted(items: Iterable[Any], result: ImportResult, tick: Progress | None) -> Iterator[Any]:
    """The usable rows; every row is counted as read, rejections are kept on the result."""
    for item in items:
        result.read += 1
        if tick and result.read % 1000 == 0:
            tick(1000)
        if isinstance(item, Rejection):
            result.rejected.append(item)
        elif isinstance(item, Skipped):
            if item.why == "total":
                result.skipped_totals += 1
            elif item.why == "walk-in":
                result.skipped_walk_ins += 1
            elif item.why == "placeholder":
                result.skipped_placeholders += 1
            elif item.why == "masked":
                result.skipped_masked += 1
            elif item.why == "keyless":
                result.skipped_keyless += 1
            else:
                result.skipped_unpaid += 1
        elif isinstance(item, OrderLine):
            result.merged += 1
        else:
            if isinstance(item, Record):
                for text in item.warnings:
                    result.warnings.append((item.line, text))
                result.phones_left_out += item.phone_left_out
            yield item
    if tick and result.read % 1000:
        tick(result.read % 1000)  # the last rows too: the bar reaches the end of the file


def _open(
    conn: sqlite3.Connection,
    path: Path,
    options: ImportOptions,
    dry_run: bool,
    progress: Callable[[int], Progress] | None,
    purchases: bool = False,
) -> tuple[Table, HeaderMap, Callable[[str], str], ImportResult, Progress | None]:
    """What every import starts with: the file, its columns, phones, the result to fill."""
    region = options.region or storage.load_settings(conn).phone_region
    normalise_phone = import_phone_reader(region)
    kind = "purchases" if purchases else "customers"

    def is_header(cells: list[str]) -> bool:
        layout = recognise(cells, kind)
        return layout is not None or HeaderMap.match(
            cells, options.mapping, purchases, layout
        ).usable(purchases)

    table = read_table(
        path, options.encoding, options.delimiter, options.sheet, options.header_row, is_header
    )
    layout = recognise(table.header, kind)
    if layout is not None and layout.kind != kind:
        raise FollowupError(
            _("{path} is a {layout} export: import it with 'followup import {kind}'").format(
                path=path, layout=layout.name, kind=layout.kind
            ),
            EXIT_NOTHING_IMPORTED,
        )
    headers = HeaderMap.build(table.header, options.mapping, purchases=purchases, layout=layout)
    result = ImportResult(shown_path(path), table.encoding, dry_run=dry_run, header=table.header)
    result.header_line = table.header_line
    result.layout = layout.name if layout else None
    result.columns = {
        headers.names[name]: name
        for name, _index in sorted(headers.columns.items(), key=lambda item: item[1])
    }
    result.kept_columns = list(headers.extras)
    tick = progress(table.count()) if progress else None
    return table, headers, normalise_phone, result, tick


# --- purchases ------------------------------------------------------------------------------------


def import_purchases(
    conn: sqlite3.Connection,
    path: Path,
    today: date,
    options: ImportOptions,
    *,
    dry_run: bool = False,
    strict: bool = False,
    progress: Callable[[int], Progress] | None = None,
) -> ImportResult:
    """Purchases update first/last purchase dates and spend; a prospect who buys becomes new.

    The same purchase imported twice (same customer, day, amount and order number) counts once.
    Like customers, the file is read and its buyers found without the write lock, then
    written in one short transaction.
    """
    table, headers, normalise_phone, template, tick = _open(
        conn, path, options, dry_run, progress, purchases=True
    )
    for attempt in range(PLAN_ATTEMPTS):
        result = replace(template, rejected=[], unknown_levels={}, warnings=[], new_buyers={})
        holding = attempt == PLAN_ATTEMPTS - 1 and not dry_run
        if attempt:
            phase(tick, _("Matching the file again: the shop changed meanwhile"))
        try:
            with _spool_dropped(conn, storage.spool_purchases_drop):
                if holding:
                    with storage.transaction(conn):
                        _plan_purchases(
                            conn, table, headers, normalise_phone, today, options, result, tick
                        )
                        write_purchases(conn, path, today, result, dry_run, strict, None, tick)
                else:
                    with storage.read_snapshot(conn):
                        snapshot = _plan_purchases(
                            conn, table, headers, normalise_phone, today, options, result, tick
                        )
                    write_purchases(conn, path, today, result, dry_run, strict, snapshot, tick)
        except Stale:
            continue
        except Rollback:
            result.import_id = None
        break
    if strict and result.rejected and not dry_run:
        result.refused = True
    if result.import_id is not None and (result.added or result.updated or result.buyers_added):
        # after the commit, outside the lock: the outlook follows the purchases it learns from
        phase(tick, _("Learning how the customers buy"))
        scored = refresh_outlook(conn, today)
        spread = result.spread
        scheduler = Scheduler.load(conn)  # after the fit: whether its days date calls
        if not scored or not scheduler.settings.by_model:
            return result
        if spread and spread.get("after") == "purchases":
            with storage.transaction(conn):  # the first days' calls: most at stake first
                order_spread_by_value(conn, today, spread)
        elif not spread:  # the buyers' next calls, on the days the model now expects
            replan_by_model(conn, result.bought, today, scheduler)
    return result


def _plan_purchases(
    conn: sqlite3.Connection,
    table: Table,
    headers: HeaderMap,
    normalise_phone: Callable[..., str],
    today: date,
    options: ImportOptions,
    result: ImportResult,
    tick: Progress | None,
) -> int:
    """Find each purchase's buyer; the matched purchases go to a temporary table."""
    snapshot = storage.last_customer_id(conn)
    storage.spool_purchases_create(conn)
    keys = match.CustomerKeys(conn)
    batch: list[tuple[int, str, float, str]] = []

    def read() -> Iterator[Any]:
        return clean_purchase_rows(table, headers, today, normalise_phone, options.dayfirst)

    rows = (
        in_background(read, _purchase_as_tuple, _tuple_as_purchase)
        if _reads_ahead(table)
        else read()
    )
    for item in keys.prefetched(_counted(rows, result, tick)):
        try:
            customer_id = keys.find(item.ref, item.phone, item.email, item.name)
        except RowError as exc:
            result.rejected.append(Rejection(item.line, str(exc), item.cells))
            continue
        if customer_id is None:
            customer_id = match.new_buyer(item, result.new_buyers)
        if customer_id is None:
            who = item.ref or item.phone or item.email
            result.rejected.append(
                Rejection(item.line, _("no customer matches {who}").format(who=who), item.cells)
            )
            continue
        batch.append((customer_id, item.date.isoformat(), item.amount, item.order))
        if len(batch) >= match.BATCH:
            storage.spool_purchases(conn, batch)
            batch.clear()
    storage.spool_purchases(conn, batch)
    return snapshot
