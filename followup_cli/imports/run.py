"""The import pipeline's back half: match clean records to stored customers and write them.

Each import runs in one transaction, is recorded in `imports` with what it changed (so it can
be undone), and plans follow-ups for the customers it added or re-tiered.
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

from followup_cli import storage, vocabulary, wording
from followup_cli.core.phones import import_phone_reader
from followup_cli.core.returning import came_back
from followup_cli.errors import EXIT_NOTHING_IMPORTED, EXIT_PARTIAL_IMPORT, FollowupError
from followup_cli.i18n import _
from followup_cli.imports.clean import (
    HeaderMap,
    OrderLine,
    Record,
    Rejection,
    RowError,
    Skipped,
    Table,
    clean_rows,
    read_table,
)
from followup_cli.imports.known_layouts import LevelTable, recognise
from followup_cli.imports.read import shown_path
from followup_cli.imports.read_ahead import can_fork, in_background
from followup_cli.planner.first_plans import FirstPlans, spread_first_import, spread_first_purchases
from followup_cli.planner.purchases import (
    has_occasion_columns,
    plan_occasions_after_import,
    refresh_after_purchases,
)
from followup_cli.planner.replan import Scheduler, replan
from followup_cli.storage import write_stamp as _now

Progress = Callable[[int], None]


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


@dataclass
class ImportResult:
    file: str
    encoding: str
    import_id: int | None = None
    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    dry_run: bool = False
    refused: bool = False
    header: list[str] = field(default_factory=list)
    spread: dict[str, Any] | None = None  # a first import's calls spread over the coming days
    header_line: int = 1
    layout: str | None = None  # the known export the file was read as
    merged: int = 0  # rows for a customer (or order) already read from this file
    named: int = 0  # customers named from their nickname, e-mail or phone
    phones_left_out: int = 0
    shared_phones: int = 0  # second customers on a phone another customer has
    skipped_totals: int = 0
    skipped_placeholders: int = 0  # rows named `.` or `-` with nothing else: nobody
    skipped_unpaid: int = 0
    skipped_walk_ins: int = 0  # sales to nobody the file names (散客, no member key)
    buyers_added: int = 0  # customers a purchases file named and the shop did not know
    new_buyers: dict[int, dict[str, Any]] = field(default_factory=dict)  # placeholder -> buyer
    unknown_levels: dict[str, int] = field(default_factory=dict)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # the file's column -> our field
    kept_columns: list[str] = field(default_factory=list)  # columns kept as other fields

    @property
    def used(self) -> bool:
        return bool(
            self.added or self.updated or self.unchanged or self.merged or self.skipped_walk_ins
        )

    @property
    def exit_code(self) -> int:
        if not self.rejected:
            return 0
        return EXIT_PARTIAL_IMPORT if self.used and not self.refused else EXIT_NOTHING_IMPORTED

    def summary(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "file": self.file,
            "encoding": self.encoding,
            "read": self.read,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "dry_run": self.dry_run,
            "written": self.import_id is not None,
            "spread": self.spread,
            "layout": self.layout,
            "header_line": self.header_line,
            "merged": self.merged,
            "named_from_contact": self.named,
            "phones_left_out": self.phones_left_out,
            "shared_phones": self.shared_phones,
            "skipped_totals": self.skipped_totals,
            "skipped_placeholders": self.skipped_placeholders,
            "skipped_unpaid": self.skipped_unpaid,
            "skipped_walk_ins": self.skipped_walk_ins,
            "buyers_added": self.buyers_added,
            "unknown_levels": dict(sorted(self.unknown_levels.items())),
            "warnings": len(self.warnings),
            "columns": self.columns,
            "kept_columns": self.kept_columns,
        }


_SCHEDULE_FIELDS = frozenset({"tier", "first_purchase", "last_purchase", "added", "contract_end"})


class _Rollback(Exception):
    pass


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
        try:
            with _spool_dropped(conn, storage.spool_drop):
                if holding:
                    with storage.transaction(conn):
                        plan = _plan(
                            conn, table, headers, normalise_phone, today, options, result, tick
                        )
                        _apply(conn, plan, path, today, result, dry_run, strict, check=False)
                else:
                    with storage.read_snapshot(conn):
                        plan = _plan(
                            conn, table, headers, normalise_phone, today, options, result, tick
                        )
                    _apply(conn, plan, path, today, result, dry_run, strict, check=True)
        except _Stale:
            continue
        break
    if strict and result.rejected and not dry_run:
        result.refused = True
    return result


class _Stale(Exception):
    """Someone changed what the plan was made from: make it again."""


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
) -> _Merger:
    rules = storage.load_rules(conn)
    levels = storage.load_levels(conn)
    table_of_levels = LevelTable(levels, {t: r.rank for t, r in rules.items()})
    storage.spool_create(conn)
    merger = _Merger(conn, today, result, rules, levels)

    def rows() -> Iterator[Record | Rejection | Skipped]:
        return clean_rows(
            table, headers, today, set(rules), normalise_phone, options.dayfirst, table_of_levels
        )

    def planned_rows() -> Iterator[Record | Rejection | Skipped]:
        plans = merger.first_plans
        for item in rows():
            if type(item) is Record:
                item.first_plan = first_plan_of(item, plans, rules, today, half=True)
            yield item

    items = (
        in_background(planned_rows, _record_as_tuple, _tuple_as_record)
        if _reads_ahead(table)
        else rows()
    )
    for batch in _batches(_counted(items, result, tick), 500):
        merger.prefetch(batch)
        for record in batch:
            merger.merge(record)
    merger.finish()
    return merger


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


READ_AHEAD_BYTES = 2 << 20  # a file this big is read and checked in a second process


def _reads_ahead(table: Table) -> bool:
    """Worth a second process: a big file on disk, on a system that can fork."""
    return can_fork() and table.size >= READ_AHEAD_BYTES


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


def first_plan_of(
    record: Record, plans: FirstPlans, rules: dict[str, Any], today: date, half: bool = False
) -> tuple[Any, ...] | None:
    """The first follow-up of the new customer this row would be (see _Merger._add). With
    `half`, None for a plan left to the matching process (see FirstPlans.stored_for_dates)."""
    dates = record.dates
    first, last = dates["first_purchase"], dates["last_purchase"]
    tier = record.tier or "regular"
    planned = plans.stored_for_dates(
        tier, dates["added"] or first or last or today, first, last, dates["contract_end"], half
    )
    return None if planned is None else _ranked(planned, rules, tier)


def _ranked(planned: tuple[str | None, ...], rules: dict[str, Any], tier: str) -> tuple[Any, ...]:
    """(kind, reason, anchor, due, rank) of a new customer's first follow-up; all None when
    they are not to be called."""
    if planned[3] is None:
        return (*planned, None)
    rule = rules.get(tier)
    return (*planned, rule.rank if rule else 99)


# On a chain's server, the changes to stored customers are written this many at a time, each
# batch in a short transaction of its own, so a `log` at any branch waits for one batch (well
# under a second), not for the whole import (see README, reliability).
SERVER_WRITE_BATCH = 200
PARTIAL = "partial"  # an import's status while its batches are written, and after a failure


def _apply(
    conn: sqlite3.Connection,
    plan: _Merger,
    path: Path,
    today: date,
    result: ImportResult,
    dry_run: bool,
    strict: bool,
    check: bool,
) -> None:
    """Write the plan in the current (or a new, short) write transaction, unless it is a dry
    run, --strict found a rejected row, or nothing in the file was usable. On a server the
    updates go in short batches (see _write_in_batches)."""
    if dry_run or (result.rejected and (strict or not result.used)):
        return
    if not check:
        _write_plan(conn, plan, path, today, result)
    elif storage.on_server(conn):
        _write_in_batches(conn, plan, path, today, result)
    else:
        with storage.transaction(conn):
            plan.check_unchanged()
            _write_plan(conn, plan, path, today, result)


def _write_plan(
    conn: sqlite3.Connection, plan: _Merger, path: Path, today: date, result: ImportResult
) -> None:
    """The whole plan inside the caller's one write transaction."""
    import_id, stamp, early = _write_new(conn, plan, path, today, result, "running")
    _write_updates(conn, storage.spooled_updates(conn), import_id, stamp, today, result, False)
    _finish(conn, import_id, stamp, today, result, early)


def _write_new(
    conn: sqlite3.Connection,
    plan: _Merger,
    path: Path,
    today: date,
    result: ImportResult,
    status: str,
) -> tuple[int, str, bool]:
    """The import's record, its new customers and their first follow-ups, the ids merged
    into others as their aliases."""
    record = {**_import_row("customers", path, today), "status": status}
    stamp = record["started_at"]  # every row this import writes carries it (see undo)
    result.import_id = import_id = storage.record_import(conn, record)
    # A first import's backlog is spread before it is written, unless birthdays or dated
    # columns will plan the new customers again (then it is spread once they are).
    early = not has_occasion_columns(conn, result.header)
    if early:
        result.spread = spread_first_import(conn, today, result.added, spooled=True)
    storage.spool_apply_new(conn, import_id, stamp)
    storage.record_also_added(conn, plan.also_added, stamp)
    storage.add_aliases(conn, plan.aliases, "import", stamp)
    return import_id, stamp, early


def _write_updates(
    conn: sqlite3.Connection,
    updates: Iterable[Any],
    import_id: int,
    stamp: str,
    today: date,
    result: ImportResult,
    recheck: bool,
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
        changed.append((import_id, customer_id, "updated", json.dumps(before, ensure_ascii=False)))
        timeline.extend(
            (customer_id, name, before.get(name), changes[name])
            for name in ("tier", "owner", "branch")
            if name in changes
        )
        if _SCHEDULE_FIELDS & changes.keys() and (
            storage.drop_unstarted_followup(conn, customer_id) or "returned_on" in changes
        ):
            to_plan.append(customer_id)
        elif "tier" in changes:
            re_ranked.append(customer_id)
    storage.record_changes(conn, changed)
    storage.record_import_changes(conn, timeline, today, stamp)
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
    now = json.dumps([row[c] for c in _FINGERPRINT], ensure_ascii=False)
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
    early: bool,
) -> None:
    plan_occasions_after_import(conn, result.header, stamp, today)
    if not early:
        result.spread = spread_first_import(conn, today, result.added)
    storage.finish_import(conn, import_id, _counts(result, result.encoding, "done"))


def _write_in_batches(
    conn: sqlite3.Connection, plan: _Merger, path: Path, today: date, result: ImportResult
) -> None:
    """A server's import in short transactions: first the new customers (with the checks
    that the plan still fits the shop), then the updates SERVER_WRITE_BATCH at a time, then
    the import is marked done. Until then it is 'partial': what a failure part way keeps is
    undone, like a whole import, by `imports undo N`."""
    with storage.transaction(conn):
        plan.check_unchanged(rows=False)
        import_id, stamp, early = _write_new(conn, plan, path, today, result, PARTIAL)
    written = 0
    try:
        for batch in _batches(storage.spooled_updates(conn), SERVER_WRITE_BATCH):
            with storage.transaction(conn):
                if storage.import_status(conn, import_id) != PARTIAL:  # undone meanwhile
                    raise FollowupError(
                        _(
                            "import {import_id} was undone while it was being written: it "
                            "stopped there"
                        ).format(import_id=import_id)
                    )
                _write_updates(conn, batch, import_id, stamp, today, result, True)
            written += len(batch)
        with storage.transaction(conn):
            _finish(conn, import_id, stamp, today, result, early)
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


def _name_key(name: str) -> str:
    return "".join(name.casefold().split())


BATCH = 5_000  # new customers kept in memory before they go to the import's temporary table
# What a planned update was based on: if any of these changed before the write, plan again.
_FINGERPRINT = (
    "ref",
    "name",
    "phone",
    "email",
    "tier",
    "first_purchase",
    "last_purchase",
    "added",
    "owner",
    "notes",
    "contract_end",
    "extra",
    "converted_on",
    "branch",
)


class _KeyFilter:
    """A Bloom filter of keys (`r:ref`, `p:phone`, `e:email`): "surely not there" in
    a fraction of a microsecond and 8 MB, so a million stored customers are looked up in the
    database only when they may match, instead of all being held in memory."""

    def __init__(self, bits: int = 1 << 26) -> None:
        self.size = bits
        self.bits = bytearray(bits >> 3)

    def add(self, key: str) -> None:
        h = hash(key) & 0xFFFFFFFFFFFFFFFF
        a, b, size, bits = h % self.size, ((h >> 32) | 1), self.size, self.bits
        c, d = (a + b) % size, (a + 2 * b) % size
        bits[a >> 3] |= 1 << (a & 7)
        bits[c >> 3] |= 1 << (c & 7)
        bits[d >> 3] |= 1 << (d & 7)

    def check_add(self, key: str) -> bool:
        """`key in self`, then `add(key)`: one hashing for a key about to be added anyway."""
        h = hash(key) & 0xFFFFFFFFFFFFFFFF
        a, b, size, bits = h % self.size, ((h >> 32) | 1), self.size, self.bits
        c, d = (a + b) % size, (a + 2 * b) % size
        at_a, bit_a = a >> 3, 1 << (a & 7)
        at_c, bit_c = c >> 3, 1 << (c & 7)
        at_d, bit_d = d >> 3, 1 << (d & 7)
        seen = bits[at_a] & bit_a and bits[at_c] & bit_c and bits[at_d] & bit_d
        bits[at_a] |= bit_a
        bits[at_c] |= bit_c
        bits[at_d] |= bit_d
        return bool(seen)

    def __contains__(self, key: str) -> bool:
        h = hash(key) & 0xFFFFFFFFFFFFFFFF
        a, b, size, bits = h % self.size, ((h >> 32) | 1), self.size, self.bits
        if not bits[a >> 3] & (1 << (a & 7)):
            return False
        c, d = (a + b) % size, (a + 2 * b) % size
        return bool(bits[c >> 3] & (1 << (c & 7)) and bits[d >> 3] & (1 << (d & 7)))


def _keep_purchase_span(current: dict[str, Any], values: dict[str, Any]) -> None:
    """A further row of a customer in the same file never takes their last purchase back nor
    their first purchase forward: a till lists a member's rows in any order."""
    last, first = current.get("last_purchase"), current.get("first_purchase")
    if last and values.get("last_purchase") and values["last_purchase"] < last:
        del values["last_purchase"]
    if first and values.get("first_purchase") and values["first_purchase"] > first:
        del values["first_purchase"]


def _fill_gaps_only(stored: dict[str, Any], changes: dict[str, Any]) -> None:
    """What a customer's other account (an alias) may change: fields they have no value
    for, and their purchase span widened."""
    for name in list(changes):
        value, now = changes[name], stored.get(name)
        if name == "last_purchase" and now and value > now:
            continue
        if name == "first_purchase" and now and value < now:
            continue
        if now not in (None, ""):
            del changes[name]


class _Keys:
    """Keys (of the stored customers, or of the rows read so far): an exact set (a tenth of a
    microsecond a look) until it holds EXACT_KEYS of them, then a Bloom filter, so a shop or
    a file of a million still fits in a small, flat amount of memory."""

    EXACT_KEYS = 250_000  # about 25 MB of keys

    def __init__(self) -> None:
        self.exact: set[str] | None = set()
        self.filter: _KeyFilter | None = None

    def add(self, key: str) -> None:
        self.check_add(key)

    def __contains__(self, key: str) -> bool:
        exact = self.exact
        return key in exact if exact is not None else key in self.filter  # type: ignore[operator]

    def check_add(self, key: str) -> bool:
        """`key in self`, then `add(key)`."""
        exact = self.exact
        if exact is None:
            return self.filter.check_add(key)  # type: ignore[union-attr]
        if key in exact:
            return True
        exact.add(key)
        if len(exact) >= self.EXACT_KEYS:
            self.exact = None
            self.filter = _KeyFilter()
            for known in exact:
                self.filter.add(known)
        return False


_KEY_KINDS = (("ref", "r:"), ("phone", "p:"), ("email", "e:"))


class _Merger:
    """Matches records to customers and plans what to write, into temporary tables.

    Stored customers are found by indexed lookups, the file's own new customers in the
    temporary table, both gated by Bloom filters: memory stays flat whatever the size of the
    file or the shop.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        today: date,
        result: ImportResult,
        rules: dict[str, Any],
        levels: dict[str, str],
    ) -> None:
        self.conn = conn
        self.today = today
        self.result = result
        self.rules = rules
        self.levels = levels
        self.settings = storage.load_settings(conn)
        self.snapshot = storage.last_customer_id(conn)
        self.next_id = self.snapshot + 1
        self.new_ref = storage.next_generated_ref(conn)
        self.stored_keys = _Keys()
        self.prefetched: dict[str, list[Any]] = {}  # stored customers by ref, for a batch
        self.shop_is_empty = self.snapshot == 0
        add = self.stored_keys.add
        for ref, phone, email in storage.import_match_keys(conn):
            add("r:" + ref)
            if phone:
                add("p:" + phone)
            if email:
                add("e:" + email)
        for ref in storage.alias_refs(conn):  # a merged-away id names the customer it joined
            add("r:" + ref)
        self.new_keys = _Keys()
        self.spool_indexed = False
        self.seen = bytearray((self.snapshot >> 3) + 1)  # stored customers met in this file
        self.updated_bits = bytearray(len(self.seen))  # ... and counted as updated
        self.pending: list[dict[str, Any]] = []  # new customers, BATCH at a time
        # (customer id, date, staff member) of a second staff member who added someone
        # another one had added first: kept on their timeline, not as their owner
        self.also_added: list[tuple[int, str, str]] = []
        # (other id, customer id): a second account of one person, found in this file
        self.aliases: list[tuple[str, int]] = []
        self.first_plans = FirstPlans(Scheduler.load(conn), today)

    # --- finding the customer a row is ---

    def prefetch(self, batch: list[Record]) -> None:
        """The stored customers a batch of rows names by id, in one query instead of one a
        row (the nightly import of an unchanged file is mostly these lookups)."""
        if self.shop_is_empty:
            return
        refs = [r.ref for r in batch if r.ref and "r:" + r.ref in self.stored_keys]
        self.prefetched = storage.customers_by_refs(self.conn, refs) if refs else {}

    def _candidates(self, kind: str, tag: str, key: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        marked = tag + key
        if not self.shop_is_empty and marked in self.stored_keys:
            rows = self.prefetched.get(key) if kind == "ref" else None
            if rows is None:
                rows = storage.customers_by(self.conn, kind, key)
            if not rows and kind == "ref":
                rows = storage.customers_by_alias(self.conn, key)
                found += [{**dict(row), "_alias": key} for row in rows]
            else:
                found += [dict(row) for row in rows]
        # Marked as seen now: a key not seen before is added with the row (or, when the row
        # is a customer already stored, it only costs a look in the spool if it comes again).
        if self.new_keys.check_add(marked):
            if self.pending:
                self._flush_new()  # a repeated row: look in the temporary table, all of it
            if not self.spool_indexed:
                storage.spool_index(self.conn)
                self.spool_indexed = True
            found += [
                {**dict(row), "_new": True} for row in storage.spool_new_by(self.conn, kind, key)
            ]
        return found

    def _match(self, record: Record) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(the customer this row is, another customer on the same phone).

        Same id: the same customer. Else the same phone, or the same e-mail, with the same
        (or a blank) name: the same customer. The same phone with a clearly different name,
        or with a different id of the shop's own, is someone else sharing it.
        """
        if record.ref:
            found = self._candidates("ref", "r:", record.ref)
            if found:
                return found[0], None
        shared = None
        for kind, tag, key in (("phone", "p:", record.phone), ("email", "e:", record.email)):
            if not key:
                continue
            for candidate in self._candidates(kind, tag, key):
                if record.ref and not candidate["ref"].startswith("fu-"):
                    if kind == "phone" and self._second_account(candidate, record):
                        return {**candidate, "_alias": record.ref, "_new_alias": True}, None
                    if kind == "phone":
                        shared = shared or candidate
                    continue
                if self._same_person(candidate, record):
                    return candidate, None
                if kind == "phone":
                    shared = shared or candidate
        return None, shared

    @staticmethod
    def _second_account(stored: dict[str, Any], record: Record) -> bool:
        """Another id with the same phone and exactly the same name: one person's second
        account (a web shop), not a family member sharing the phone."""
        if record.named_from or not stored.get("name") or stored.get("ref") == record.ref:
            return False
        return _name_key(stored["name"]) == _name_key(record.name)

    @staticmethod
    def _same_person(stored: dict[str, Any], record: Record) -> bool:
        if record.named_from:
            return True
        name = stored.get("name") or ""
        if not name or name in (stored.get("phone"), stored.get("email")):
            return True  # named from a phone or an e-mail: nothing to compare
        one, other = _name_key(name), _name_key(record.name)
        return one in other or other in one

    # --- what to do with it ---

    def merge(self, record: Record) -> None:
        stored, shared = self._match(record)
        if stored is not None and stored.get("_new_alias") and record.ref:
            self.aliases.append((record.ref, stored["id"]))
        if record.named_from:
            self.result.named += 1
        if record.unknown_level:
            counts = self.result.unknown_levels
            counts[record.unknown_level] = counts.get(record.unknown_level, 0) + 1
        if stored is None:
            if shared is not None:
                self._report_shared(record, shared)
            self._add(record)
        elif stored.get("_new"):
            self.result.merged += 1
            self._merge_new(stored, record)
        elif self.seen[stored["id"] >> 3] & (1 << (stored["id"] & 7)):
            self.result.merged += 1
            self._update(stored, record, merging=True)
        else:
            self._update(stored, record)

    def _report_shared(self, record: Record, shared: dict[str, Any]) -> None:
        self.result.shared_phones += 1
        self.result.warnings.append(
            (
                record.line,
                _(
                    "phone {phone} is also customer {ref}'s ({name}): {new} added as "
                    "a second customer on it"
                ).format(
                    phone=record.phone, ref=shared["ref"], name=shared["name"], new=record.name
                ),
            )
        )

    def _values(self, record: Record) -> dict[str, Any]:
        values: dict[str, Any] = {
            "name": None if record.named_from else record.name,
            "phone": record.phone,
            "email": record.email,
            "tier": record.tier,
            "owner": record.owner,
            "notes": record.notes,
            "branch": record.branch,
        }
        for name, value in record.dates.items():
            values[name] = value.isoformat() if value else None
        return values

    def _add(self, record: Record) -> None:
        values = self._values(record)
        values["name"] = record.name
        values["ref"] = record.ref or self.new_ref()
        values["tier"] = record.tier or "regular"
        # Not given: they were a customer at least since their first known purchase.
        values["added"] = (
            values["added"]
            or values["first_purchase"]
            or values["last_purchase"]
            or self.today.isoformat()
        )
        values["extra"] = json.dumps(record.extra, ensure_ascii=False) if record.extra else None
        values["id"] = self.next_id
        self._plan_first(values, record.first_plan)
        self.next_id += 1
        self.pending.append(values)
        if not record.ref:  # the row's own ref, phone and e-mail were marked by _match
            self.new_keys.add("r:" + values["ref"])
        self.result.added += 1
        if len(self.pending) >= BATCH:
            self._flush_new()

    def _index_new(self, values: dict[str, Any]) -> None:
        add = self.new_keys.add
        for kind, tag in _KEY_KINDS:
            if values.get(kind):
                add(tag + values[kind])

    def _merge_new(self, stored: dict[str, Any], record: Record) -> None:
        """A further row for a customer this file adds: its filled cells complete them."""
        values = {k: v for k, v in self._values(record).items() if v is not None}
        _keep_purchase_span(stored, values)
        if stored.get("_alias"):
            _fill_gaps_only(stored, values)
        self._first_adder_owns(stored, values)
        if values.get("added") and stored.get("added") and values["added"] > stored["added"]:
            del values["added"]  # they were a customer since the earlier row says
        if record.extra:
            merged = {**json.loads(stored.get("extra") or "{}"), **record.extra}
            values["extra"] = json.dumps(merged, ensure_ascii=False)
        whole = {**stored, **values}
        self._plan_first(whole)  # planned again from what they are now
        values.update((name, whole[name]) for name in storage.SPOOL_PLAN_COLUMNS)
        storage.spool_new_update(self.conn, stored["id"], values)
        self._index_new(whole)

    def _update(self, stored: dict[str, Any], record: Record, merging: bool = False) -> None:
        customer_id = stored["id"]
        original = stored
        spooled = storage.spooled_update(self.conn, customer_id) if merging else None
        if spooled is not None:
            original = dict(stored)
            stored.update(json.loads(spooled["changes"]))
        self.seen[customer_id >> 3] |= 1 << (customer_id & 7)
        changes = {
            name: value
            for name, value in self._values(record).items()
            if value is not None and value != stored.get(name)
        }
        if merging:
            _keep_purchase_span(stored, changes)
        self._first_adder_owns(stored, changes)
        if stored.get("_alias"):
            _fill_gaps_only(stored, changes)  # the other account completes, never overrules
        elif record.ref and stored["ref"] != record.ref:
            changes["ref"] = record.ref
        notes = changes.get("notes")
        if notes and stored.get("notes") and notes in stored["notes"].split("\n"):
            del changes["notes"]  # notes joined by a merge hold the file's: kept whole
        if changes.get("tier") == "prospect" and stored.get("converted_on"):
            del changes["tier"]  # a stale till export must not undo a logged conversion
        changes.update(
            came_back(
                stored.get("status"), stored.get("churned_on"), [changes.get("last_purchase")]
            )
        )
        if record.extra:
            merged = {**json.loads(stored.get("extra") or "{}"), **record.extra}
            encoded = json.dumps(merged, ensure_ascii=False)
            if encoded != stored.get("extra"):
                changes["extra"] = encoded
        if not merging:
            self.result.unchanged += 1  # until a change of theirs is spooled
        if not changes:
            return
        before = {name: original.get(name) for name in changes}
        if spooled is None:  # what the update is based on, checked again before it is written
            seen = json.dumps([original.get(c) for c in _FINGERPRINT], ensure_ascii=False)
        else:
            changes = {**json.loads(spooled["changes"]), **changes}
            before = {**before, **json.loads(spooled["before"])}
            seen = spooled["seen"]
            if all(before.get(name) == value for name, value in changes.items()):
                # a later row took back what an earlier one changed: the customer is as stored
                storage.spool_update_drop(self.conn, customer_id)
                self._count_update(customer_id, False)
                return
        storage.spool_update(
            self.conn,
            customer_id,
            json.dumps(changes, ensure_ascii=False),
            json.dumps(before),
            seen,
        )
        self._count_update(customer_id, True)

    def _first_adder_owns(self, stored: dict[str, Any], values: dict[str, Any]) -> None:
        """Two staff members added one person (企业微信 lists them once each): whoever
        added them first owns them; the other is kept on the customer's timeline."""
        mine, theirs = values.get("added"), stored.get("added")
        owner, stored_owner = values.get("owner"), stored.get("owner")
        if not (mine and theirs and owner and stored_owner) or owner == stored_owner:
            return
        if mine > theirs:  # this row's staff member came second
            del values["owner"], values["added"]
            self.also_added.append((stored["id"], mine, owner))
        elif mine < theirs:  # this row's staff member came first: they own them
            self.also_added.append((stored["id"], theirs, stored_owner))

    def _count_update(self, customer_id: int, updated: bool) -> None:
        """A stored customer counts once, as updated or unchanged, by what their rows in the
        file come to together (a merging row may turn one into the other)."""
        at, bit = customer_id >> 3, 1 << (customer_id & 7)
        if bool(self.updated_bits[at] & bit) == updated:
            return
        self.updated_bits[at] ^= bit
        step = 1 if updated else -1
        self.result.updated += step
        self.result.unchanged -= step

    # --- planning the new customers' first follow-ups ---

    def _plan_first(self, values: dict[str, Any], planned: tuple[Any, ...] | None = None) -> None:
        """A new customer has no history: their first follow-up is planned from the row
        (unless that was done beside the reading), and kept with it (a later row for them
        plans it again)."""
        if planned is None:
            tier = values["tier"]
            stored = self.first_plans.stored(
                tier,
                values["added"],
                values["first_purchase"],
                values["last_purchase"],
                values["contract_end"],
            )
            planned = _ranked(stored, self.rules, tier)
        (
            values["plan_kind"],
            values["plan_reason"],
            values["plan_anchor"],
            values["plan_due"],
            values["plan_rank"],
        ) = planned

    def finish(self) -> None:
        self._flush_new()

    def _flush_new(self) -> None:
        storage.spool_new(self.conn, self.pending)
        self.pending.clear()

    def check_unchanged(self, rows: bool = True) -> None:
        """Inside the write transaction: is the plan still right? Else raise _Stale. Without
        `rows`, the customers to update are checked one by one as they are written."""
        conn = self.conn
        if (
            storage.last_customer_id(conn) != self.snapshot
            or storage.load_rules(conn) != self.rules
            or storage.load_settings(conn) != self.settings
            or storage.load_levels(conn) != self.levels
        ):
            raise _Stale
        if not rows:
            return
        for update in storage.spooled_updates(conn):
            row = storage.customer_row(conn, update["customer_id"])
            now = json.dumps([row[c] for c in _FINGERPRINT], ensure_ascii=False) if row else None
            if now != update["seen"]:
                raise _Stale


# --- purchases ----------------------------------------------------------------------------------


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
        try:
            with _spool_dropped(conn, storage.spool_purchases_drop):
                if holding:
                    with storage.transaction(conn):
                        _plan_purchases(
                            conn, table, headers, normalise_phone, today, options, result, tick
                        )
                        _apply_purchases_plan(conn, path, today, result, dry_run, strict, None)
                else:
                    with storage.read_snapshot(conn):
                        snapshot = _plan_purchases(
                            conn, table, headers, normalise_phone, today, options, result, tick
                        )
                    _apply_purchases_plan(conn, path, today, result, dry_run, strict, snapshot)
        except _Stale:
            continue
        except _Rollback:
            result.import_id = None
        break
    if strict and result.rejected and not dry_run:
        result.refused = True
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
    from followup_cli.imports.clean import clean_purchase_rows

    snapshot = storage.last_customer_id(conn)
    storage.spool_purchases_create(conn)
    keys = _CustomerKeys(conn)
    batch: list[tuple[int, str, float, str]] = []
    rows = clean_purchase_rows(table, headers, today, normalise_phone, options.dayfirst)
    for item in keys.prefetched(_counted(rows, result, tick)):
        try:
            customer_id = keys.find(item.ref, item.phone, item.email, item.name)
        except RowError as exc:
            result.rejected.append(Rejection(item.line, str(exc), item.cells))
            continue
        if customer_id is None:
            customer_id = _new_buyer(item, result.new_buyers)
        if customer_id is None:
            who = item.ref or item.phone or item.email
            result.rejected.append(
                Rejection(item.line, _("no customer matches {who}").format(who=who), item.cells)
            )
            continue
        batch.append((customer_id, item.date.isoformat(), item.amount, item.order))
        if len(batch) >= BATCH:
            storage.spool_purchases(conn, batch)
            batch.clear()
    storage.spool_purchases(conn, batch)
    return snapshot


def _new_buyer(item: Any, buyers: dict[int, dict[str, Any]]) -> int | None:
    """A buyer the shop does not know yet, named by the order (a name with a phone or an
    e-mail, and no customer id of the shop's): they become a customer when the import is
    written. Until then their purchases wait under a placeholder id below zero, one per
    phone (else e-mail). A row that names nobody, or only an id, is not a new customer."""
    if item.ref or not item.name or not (item.phone or item.email):
        return None
    key = item.phone or item.email
    for placeholder, buyer in buyers.items():
        if buyer["key"] == key:
            buyer["first"] = min(buyer["first"], item.date)
            return placeholder
    placeholder = -(len(buyers) + 1)
    buyers[placeholder] = {
        "key": key,
        "name": item.name,
        "phone": item.phone,
        "email": item.email,
        "first": item.date,
    }
    return placeholder


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


def _apply_purchases_plan(
    conn: sqlite3.Connection,
    path: Path,
    today: date,
    result: ImportResult,
    dry_run: bool,
    strict: bool,
    snapshot: int | None,
) -> None:
    """Inside a write transaction (the caller's when holding, else a short one of its own):
    what the write finds is only known there; a dry run, --strict with a rejected row, or a
    file with nothing usable raise _Rollback, which the caller catches outside it."""

    def write() -> None:
        if snapshot is not None and (
            storage.last_customer_id(conn) != snapshot or storage.spooled_purchase_buyers_gone(conn)
        ):
            raise _Stale
        record = _import_row("purchases", path, today)
        result.import_id = import_id = storage.record_import(conn, record)
        first_purchases = not storage.has_purchases(conn)
        buyers = _add_buyers(conn, result.new_buyers, import_id, record["started_at"])
        result.buyers_added = len(buyers)
        result.added, result.unchanged = storage.spool_apply_purchases(conn, import_id)
        spans = storage.spooled_purchase_spans(conn)
        # Facts first, and unworked follow-ups taken back, so the re-plan sees the new rhythm.
        taken_back = refresh_after_purchases(conn, [span[0] for span in spans])
        result.updated = _apply_purchases(conn, spans, today, import_id, record["started_at"])
        replan(conn, [*taken_back, *buyers], today)
        if first_purchases:  # a new shop's first day: no backlog, nothing due in the past
            result.spread = spread_first_purchases(conn, today)
        if dry_run or (result.rejected and (strict or not result.used)):
            raise _Rollback
        storage.finish_import(conn, import_id, _counts(result, result.encoding, "done"))

    if snapshot is None:
        write()
    else:
        with storage.transaction(conn):
            write()


class _CustomerKeys:
    """The buyer of a purchase: by id, else phone, else e-mail; never by the order's own id.
    When several customers share the phone, the order's name decides, or nobody is guessed.
    Looked up in the database (indexed), so a shop of a million customers needs no memory."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.cache: dict[tuple[str, str], list[tuple[int, str]]] = {}

    def _lookup(self, kind: str, key: str) -> list[tuple[int, str]]:
        found = self.cache.get((kind, key))
        if found is None:
            found = [(row["id"], row["name"]) for row in storage.customers_by(self.conn, kind, key)]
            if kind == "ref" and not found:  # an id merged into another customer
                rows = storage.customers_by_alias(self.conn, key)
                found = [(row["id"], row["name"]) for row in rows]
            self.cache[(kind, key)] = found
        return found

    def prefetched(self, items: Iterable[Any], size: int = 1000) -> Iterator[Any]:
        """The purchases as they come, their buyers' keys looked up a thousand rows at a time
        (one statement per kind of key, not one per row)."""
        pending: list[Any] = []
        for item in items:
            pending.append(item)
            if len(pending) >= size:
                self._fetch(pending)
                yield from pending
                pending = []
        self._fetch(pending)
        yield from pending

    def _fetch(self, items: list[Any]) -> None:
        if len(self.cache) > 50_000:
            self.cache.clear()
        for kind in ("ref", "phone", "email"):
            wanted = {getattr(i, kind) for i in items if getattr(i, kind, None)}
            wanted = [k for k in wanted if (kind, k) not in self.cache]
            if not wanted:
                continue
            found = storage.customers_by_values(self.conn, kind, wanted)
            for key in wanted:
                if key in found or kind != "ref":  # an unknown ref may be an alias: asked later
                    self.cache[(kind, key)] = found.get(key, [])

    def find(
        self, ref: str | None, phone: str | None, email: str | None, name: str | None = None
    ) -> int | None:
        if ref:
            found = self._lookup("ref", ref)
            if found:
                return found[0][0]
        for kind, key in (("phone", phone), ("email", email)):
            found = self._lookup(kind, key) if key else []
            if not found:
                continue
            if len(found) == 1:
                return found[0][0]
            if name:
                wanted = _name_key(name)
                named = [i for i, n in found if _name_key(n) in wanted or wanted in _name_key(n)]
                if len(named) == 1:
                    return named[0]
            raise RowError(
                _("{count} customers share {key}: name the buyer by customer id").format(
                    count=len(found), key=key
                )
            )
        return None


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


# --- history and undo ------------------------------------------------------------------------


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
            if _SCHEDULE_FIELDS & before.keys() and storage.drop_unstarted_followup(
                conn, customer_id
            ):
                to_plan.append(customer_id)
        bought = storage.customers_of_import_purchases(conn, import_id)
        storage.delete_purchases_of_import(conn, import_id)
        storage.forget_import_changes(conn, record["started_at"])
        storage.forget_import_aliases(conn, record["started_at"])
        to_plan += refresh_after_purchases(
            conn, [c for c in bought if storage.customer_row(conn, c)]
        )
        replan(conn, to_plan, today)
        storage.refresh_ranks(conn, [c["customer_id"] for c in changes])
        storage.finish_import(conn, import_id, {"status": "undone"})
    return {"import_id": import_id, "removed": removed, "restored": restored}


# --- the level table ---------------------------------------------------------------------------


def levels_view(conn: sqlite3.Connection) -> list[dict[str, str]]:
    """The owner's level table, in the order the words were added."""
    return [{"level": word, "tier": tier} for word, tier in storage.load_levels(conn).items()]


def set_level(conn: sqlite3.Connection, word: str, tier: str) -> dict[str, str]:
    """Map a level, tag or stage (or any text containing it) to one of the shop's tiers."""
    word = " ".join(word.split())
    tier = vocabulary.tier(tier)  # 老客户 is regular, as everywhere a tier is typed
    if not word:
        raise FollowupError(_("a level needs some text"))
    with storage.transaction(conn):
        tiers = storage.load_rules(conn)
        if tier not in tiers:
            raise FollowupError(
                _("unknown tier {tier!r} (tiers: {tiers})").format(
                    tier=tier, tiers=", ".join(sorted(tiers))
                )
            )
        storage.save_level(conn, word.casefold(), tier)
    return {"level": word.casefold(), "tier": tier}


def remove_level(conn: sqlite3.Connection, word: str) -> None:
    with storage.transaction(conn):
        if not storage.remove_level(conn, " ".join(word.split()).casefold()):
            raise FollowupError(_("the level table has no {level!r}").format(level=word))
