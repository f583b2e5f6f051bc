"""The import pipeline's back half: match clean records to stored customers and write them.

Each import runs in one transaction, is recorded in `imports` with what it changed (so it can
be undone), and plans follow-ups for the customers it added or re-tiered.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from followup_cli import storage
from followup_cli.dates import optional_date
from followup_cli.errors import EXIT_NOTHING_IMPORTED, EXIT_PARTIAL_IMPORT, FollowupError
from followup_cli.i18n import _
from followup_cli.importer import (
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
from followup_cli.layouts import LevelTable, recognise
from followup_cli.models import CustomerState, Plan
from followup_cli.phones import import_phone_reader
from followup_cli.planning import spread_first_import
from followup_cli.returning import came_back
from followup_cli.service import Scheduler, _now, replan

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
    skipped_unpaid: int = 0
    unknown_levels: dict[str, int] = field(default_factory=dict)
    warnings: list[tuple[int, str]] = field(default_factory=list)

    @property
    def used(self) -> bool:
        return bool(self.added or self.updated or self.unchanged or self.merged)

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
            "skipped_unpaid": self.skipped_unpaid,
            "unknown_levels": dict(sorted(self.unknown_levels.items())),
            "warnings": len(self.warnings),
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
    """Upsert customers from a file in one transaction; re-importing the same file is a no-op."""
    table, headers, normalise_phone, result, tick = _open(conn, path, options, dry_run, progress)

    def write(stamp: str) -> None:
        rules = storage.load_rules(conn)  # inside the transaction: no rule change slips in
        levels = LevelTable(storage.load_levels(conn), {t: r.rank for t, r in rules.items()})
        merger = _Merger(conn, today, result, rules, stamp)
        rows = clean_rows(
            table, headers, today, set(rules), normalise_phone, options.dayfirst, levels
        )
        for record in _counted(rows, result, tick):
            merger.merge(record)
        merger.finish()
        result.spread = spread_first_import(conn, today, result.added)

    return _write_whole(conn, "customers", path, today, table, result, dry_run, strict, write)


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


def _write_whole(
    conn: sqlite3.Connection,
    kind: str,
    path: Path,
    today: date,
    table: Table,
    result: ImportResult,
    dry_run: bool,
    strict: bool,
    write: Callable[[str], None],
) -> ImportResult:
    """Every import is recorded and written in one transaction, or not at all: a dry run,
    --strict with a rejected row, or a file with nothing usable in it roll back."""
    try:
        with storage.transaction(conn):
            record = _import_row(kind, path, today)
            result.import_id = storage.record_import(conn, record)
            write(record["started_at"])
            if dry_run or (result.rejected and (strict or not result.used)):
                raise _Rollback
            storage.finish_import(conn, result.import_id, _counts(result, table.encoding, "done"))
    except _Rollback:
        result.import_id = None
    if strict and result.rejected and not dry_run:
        result.refused = True
    return result


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
    result = ImportResult(str(path), table.encoding, dry_run=dry_run, header=table.header)
    result.header_line = table.header_line
    result.layout = layout.name if layout else None
    tick = progress(table.count()) if progress else None
    return table, headers, normalise_phone, result, tick


def _import_row(kind: str, path: Path, today: date) -> dict[str, Any]:
    return {
        "started_at": _now(),
        "as_of": today.isoformat(),
        "kind": kind,
        "file": str(path),
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
    }


def _name_key(name: str) -> str:
    return "".join(name.casefold().split())


BATCH = 5_000  # new customers written at a time: memory stays flat however long the file


class _Merger:
    """Matches records to stored customers (id, else phone, else e-mail) and writes them."""

    def __init__(
        self, conn: sqlite3.Connection, today: date, result: ImportResult, rules, stamp: str
    ) -> None:
        self.conn = conn
        self.today = today
        self.result = result
        self.rules = rules
        self.now = stamp  # every row this import writes carries its start time (see undo)
        self.by_ref: dict[str, dict[str, Any]] = {}
        self.by_phone: dict[str, list[dict[str, Any]]] = {}  # people may share a phone
        self.by_email: dict[str, list[dict[str, Any]]] = {}
        for row in storage.customer_keys(conn):
            self._index(dict(row))
        self.seen: dict[int, int] = {}  # customer id -> line that set it in this file
        self.to_plan: list[int] = []
        self.changes: list[tuple[int, int, str, str | None]] = []
        self.new_ref = storage.next_generated_ref(conn)
        self.next_id = storage.next_customer_id(conn)
        self.pending: list[dict[str, Any]] = []  # new customers, written BATCH at a time
        self.pending_by_id: dict[int, dict[str, Any]] = {}
        self.scheduler: Scheduler | None = None
        self.plans: dict[tuple, Plan | None] = {}
        self.re_ranked: list[int] = []  # new tier, follow-up already under way

    def _index(self, stored: dict[str, Any]) -> None:
        self.by_ref[stored["ref"]] = stored
        for key, index in (
            (stored.get("phone"), self.by_phone),
            (stored.get("email"), self.by_email),
        ):
            if key:
                known = index.setdefault(key, [])
                if all(other["id"] != stored["id"] for other in known):
                    known.append(stored)

    def merge(self, record: Record) -> None:
        try:
            stored, shared = self._match(record)
        except RowError as exc:
            self.result.rejected.append(Rejection(record.line, str(exc), record.cells))
            return
        if record.named_from:
            self.result.named += 1
        if record.unknown_level:
            counts = self.result.unknown_levels
            counts[record.unknown_level] = counts.get(record.unknown_level, 0) + 1
        if stored is None:
            if shared is not None:
                self.result.shared_phones += 1
                self.result.warnings.append(
                    (
                        record.line,
                        _(
                            "phone {phone} is also customer {ref}'s ({name}): {new} added as "
                            "a second customer on it"
                        ).format(
                            phone=record.phone,
                            ref=shared["ref"],
                            name=shared["name"],
                            new=record.name,
                        ),
                    )
                )
            self._add(record)
        elif stored["id"] in self.seen:
            self.result.merged += 1
            pending = self.pending_by_id.get(stored["id"])
            if pending is not None:
                self._merge_pending(pending, record)
            else:
                self._update(stored, record, merging=True)
        else:
            self._update(stored, record)

    def _match(self, record: Record) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(the stored customer this row is, another customer on the same phone).

        Same id: the same customer. Else the same phone, or the same e-mail, with the same
        (or a blank) name: the same customer. The same phone with a clearly different name,
        or with a different id of the shop's own, is someone else sharing it.
        """
        if record.ref:
            stored = self.by_ref.get(record.ref)
            if stored is not None:
                return stored, None
        shared = None
        for key, index in ((record.phone, self.by_phone), (record.email, self.by_email)):
            if not key:
                continue
            for candidate in index.get(key, ()):
                if record.ref and not candidate["ref"].startswith("fu-"):
                    shared = shared or (candidate if key == record.phone else None)
                    continue
                if self._same_person(candidate, record):
                    return candidate, None
                if key == record.phone:
                    shared = shared or candidate
        return None, shared

    @staticmethod
    def _same_person(stored: dict[str, Any], record: Record) -> bool:
        if record.named_from:
            return True
        name = stored.get("name") or ""
        if not name or name in (stored.get("phone"), stored.get("email")):
            return True  # named from a phone or an e-mail: nothing to compare
        one, other = _name_key(name), _name_key(record.name)
        return one in other or other in one

    def _values(self, record: Record) -> dict[str, Any]:
        values: dict[str, Any] = {
            "name": None if record.named_from else record.name,
            "phone": record.phone,
            "email": record.email,
            "tier": record.tier,
            "owner": record.owner,
            "notes": record.notes,
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
        customer_id = self.next_id
        self.next_id += 1
        values["id"] = customer_id
        self.pending.append(values)
        self.pending_by_id[customer_id] = values
        # The index keeps what matching needs; the full row goes out with the next batch.
        self._index({k: values[k] for k in ("id", "ref", "name", "phone", "email")})
        self.seen[customer_id] = record.line
        self.changes.append((self.result.import_id or 0, customer_id, "added", None))
        self.result.added += 1
        if len(self.pending) >= BATCH:
            self._flush_new()

    def _merge_pending(self, values: dict[str, Any], record: Record) -> None:
        """A further row for a customer this file added: its filled cells complete them."""
        for name, value in self._values(record).items():
            if value is not None:
                values[name] = value
        if record.extra:
            merged = {**json.loads(values.get("extra") or "{}"), **record.extra}
            values["extra"] = json.dumps(merged, ensure_ascii=False)
        self._index({k: values[k] for k in ("id", "ref", "name", "phone", "email")})

    def _update(self, stored: dict[str, Any], record: Record, merging: bool = False) -> None:
        first_time = stored["id"] not in self.seen
        self.seen.setdefault(stored["id"], record.line)
        changes = {
            name: value
            for name, value in self._values(record).items()
            if value is not None and value != stored.get(name)
        }
        if record.ref and stored["ref"] != record.ref:
            changes["ref"] = record.ref
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
        if not changes:
            if not merging:
                self.result.unchanged += 1
            return
        if first_time:  # undo restores what the customer was before this import
            before = {name: stored.get(name) for name in changes}
            self.changes.append(
                (self.result.import_id or 0, stored["id"], "updated", json.dumps(before))
            )
        storage.update_customer(self.conn, stored["id"], changes, self.now)
        if "ref" in changes:
            self.by_ref.pop(stored["ref"], None)
        stored.update(changes)
        self._index(stored)
        if not merging:
            self.result.updated += 1
        if _SCHEDULE_FIELDS & changes.keys() and (
            storage.drop_unstarted_followup(self.conn, stored["id"]) or "returned_on" in changes
        ):
            self.to_plan.append(stored["id"])
        elif "tier" in changes:
            self.re_ranked.append(stored["id"])

    def finish(self) -> None:
        self._flush_new()
        replan(self.conn, self.to_plan, self.today)
        storage.refresh_ranks(self.conn, self.re_ranked)

    def _flush_new(self) -> None:
        """Write the customers added so far, with their first follow-ups, and let them go."""
        storage.insert_customers(self.conn, self.pending, self.now)
        storage.record_changes(self.conn, self.changes)
        self._plan_new()
        self.pending.clear()
        self.pending_by_id.clear()
        self.changes.clear()

    def _plan_new(self) -> None:
        """New customers have no history: their state is all in the row just written."""
        if self.scheduler is None:
            self.scheduler = Scheduler.load(self.conn)
        scheduler = self.scheduler
        planned = []
        plans = self.plans  # tills repeat dates: plan each state once
        if len(plans) > 50_000:
            plans.clear()
        for values in self.pending:
            key = (
                values["tier"],
                values["added"],
                values["first_purchase"],
                values["last_purchase"],
                values["contract_end"],
            )
            if key not in plans:
                state = CustomerState(
                    tier=key[0],
                    added=date.fromisoformat(key[1]),
                    first_purchase=optional_date(key[2]),
                    last_purchase=optional_date(key[3]),
                    contract_end=optional_date(key[4]),
                )
                plans[key] = scheduler.next_for(state, self.today)
            plan = plans[key]
            if plan is not None:
                planned.append((values["id"], plan))
        ranks = {
            v["id"]: self.rules[v["tier"]].rank if v["tier"] in self.rules else 99
            for v in self.pending
        }
        storage.insert_followups(self.conn, planned, ranks)


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
    """
    from followup_cli.importer import clean_purchase_rows

    table, headers, normalise_phone, result, tick = _open(
        conn, path, options, dry_run, progress, purchases=True
    )

    def write(stamp: str) -> None:
        keys = _CustomerKeys(conn)
        bought: dict[int, list[date]] = {}
        rows = clean_purchase_rows(table, headers, today, normalise_phone, options.dayfirst)
        for item in _counted(rows, result, tick):
            try:
                customer_id = keys.find(item.ref, item.phone, item.email, item.name)
            except RowError as exc:
                result.rejected.append(Rejection(item.line, str(exc), item.cells))
                continue
            if customer_id is None:
                who = item.ref or item.phone or item.email
                result.rejected.append(
                    Rejection(item.line, _("no customer matches {who}").format(who=who), item.cells)
                )
                continue
            new = storage.insert_purchase(
                conn,
                customer_id,
                item.date.isoformat(),
                item.amount,
                item.order,
                result.import_id,
            )
            if new:
                result.added += 1
                bought.setdefault(customer_id, []).append(item.date)
            else:
                result.unchanged += 1
        result.updated = _apply_purchases(conn, bought, today, result.import_id or 0, stamp)

    return _write_whole(conn, "purchases", path, today, table, result, dry_run, strict, write)


class _CustomerKeys:
    """The buyer of a purchase: by id, else phone, else e-mail; never by the order's own id.
    When several customers share the phone, the order's name decides, or nobody is guessed."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.by_ref: dict[str, int] = {}
        self.by_phone: dict[str, list[tuple[int, str]]] = {}
        self.by_email: dict[str, list[tuple[int, str]]] = {}
        for row in storage.customer_keys(conn):
            self.by_ref[row["ref"]] = row["id"]
            if row["phone"]:
                self.by_phone.setdefault(row["phone"], []).append((row["id"], row["name"]))
            if row["email"]:
                self.by_email.setdefault(row["email"], []).append((row["id"], row["name"]))

    def find(
        self, ref: str | None, phone: str | None, email: str | None, name: str | None = None
    ) -> int | None:
        if ref and ref in self.by_ref:
            return self.by_ref[ref]
        for key, index in ((phone, self.by_phone), (email, self.by_email)):
            found = index.get(key) if key else None
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
    conn: sqlite3.Connection, bought: dict[int, list[date]], today: date, import_id: int, now: str
) -> int:
    changed: list[tuple[int, int, str, str | None]] = []
    to_plan = []
    for customer_id, days in bought.items():
        customer = storage.get_customer(conn, customer_id)
        first, last = min(days), max(days)
        values: dict[str, Any] = {}
        if customer.tier == "prospect":
            values.update(
                tier="new", converted_on=first.isoformat(), first_purchase=first.isoformat()
            )
        elif customer.first_purchase is None or first < customer.first_purchase:
            values["first_purchase"] = first.isoformat()
        if customer.last_purchase is None or last > customer.last_purchase:
            values["last_purchase"] = last.isoformat()
        values.update(came_back(customer.status, customer.churned_on, days))
        if not values:
            continue
        row = storage.customer_row(conn, customer_id)
        before = {name: row[name] for name in values}
        changed.append((import_id, customer_id, "updated", json.dumps(before)))
        storage.update_customer(conn, customer_id, values, now)
        if storage.drop_unstarted_followup(conn, customer_id) or "returned_on" in values:
            to_plan.append(customer_id)
    storage.record_changes(conn, changed)
    replan(conn, to_plan, today)
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
        if record["status"] != "done":
            raise FollowupError(
                _("import {import_id} is {status}: nothing to undo").format(
                    import_id=import_id, status=record["status"]
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
        removed = restored = 0
        to_plan = []
        for change in changes:
            current = storage.customer_row(conn, change["customer_id"])
            if current is None:
                continue
            if current["updated_at"] != record["started_at"]:
                raise FollowupError(
                    _(
                        "cannot undo import {import_id}: customer {ref} was changed again later"
                    ).format(import_id=import_id, ref=current["ref"])
                )
            if change["action"] == "added":
                storage.delete_customer(conn, change["customer_id"])
                removed += 1
            else:
                before = json.loads(change["before"])
                storage.update_customer(conn, change["customer_id"], before, _now())
                restored += 1
                if _SCHEDULE_FIELDS & before.keys() and storage.drop_unstarted_followup(
                    conn, change["customer_id"]
                ):
                    to_plan.append(change["customer_id"])
        storage.delete_purchases_of_import(conn, import_id)
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
    tier = tier.strip().casefold()
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
