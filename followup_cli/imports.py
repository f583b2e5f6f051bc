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
from followup_cli.importer import (
    HeaderMap,
    Record,
    Rejection,
    RowError,
    Table,
    clean_rows,
    read_table,
)
from followup_cli.models import CustomerState, Plan
from followup_cli.phones import phone_normaliser
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

    def merged_over(self, saved: ImportOptions) -> ImportOptions:
        """Options given on the command line win over the saved profile's."""
        return ImportOptions(
            encoding=self.encoding or saved.encoding,
            delimiter=self.delimiter or saved.delimiter,
            sheet=self.sheet or saved.sheet,
            mapping={**saved.mapping, **self.mapping},
            dayfirst=saved.dayfirst if self.dayfirst is None else self.dayfirst,
            region=self.region or saved.region,
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

    @property
    def used(self) -> bool:
        return bool(self.added or self.updated or self.unchanged)

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
            raise FollowupError(f"no import profile {profile!r} (profiles: {names})")
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
        merger = _Merger(conn, today, result, rules, stamp)
        rows = clean_rows(table, headers, today, set(rules), normalise_phone, options.dayfirst)
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
        else:
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
    normalise_phone = phone_normaliser(region)
    table = read_table(path, options.encoding, options.delimiter, options.sheet)
    headers = HeaderMap.build(table.header, options.mapping, purchases=purchases)
    result = ImportResult(str(path), table.encoding, dry_run=dry_run, header=table.header)
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
        self.by_phone: dict[str, dict[str, Any]] = {}
        self.by_email: dict[str, dict[str, Any]] = {}
        for row in storage.customer_keys(conn):
            self._index(dict(row))
        self.seen: dict[int, int] = {}  # customer id -> line that set it in this file
        self.to_plan: list[int] = []
        self.changes: list[tuple[int, int, str, str | None]] = []
        self.new_ref = storage.next_generated_ref(conn)
        self.next_id = storage.next_customer_id(conn)
        self.pending: list[dict[str, Any]] = []  # new customers, written BATCH at a time
        self.scheduler: Scheduler | None = None
        self.plans: dict[tuple, Plan | None] = {}
        self.re_ranked: list[int] = []  # new tier, follow-up already under way

    def _index(self, stored: dict[str, Any]) -> None:
        self.by_ref[stored["ref"]] = stored
        if stored.get("phone"):
            self.by_phone[stored["phone"]] = stored
        if stored.get("email"):
            self.by_email[stored["email"]] = stored

    def merge(self, record: Record) -> None:
        try:
            stored = self._match(record)
        except RowError as exc:
            self.result.rejected.append(Rejection(record.line, str(exc), record.cells))
            return
        if stored is not None and stored["id"] in self.seen:
            first = self.seen[stored["id"]]
            self.result.rejected.append(
                Rejection(record.line, f"duplicate of line {first}", record.cells)
            )
            return
        if stored is None:
            self._add(record)
        else:
            self._update(stored, record)

    def _match(self, record: Record) -> dict[str, Any] | None:
        by_ref = self.by_ref.get(record.ref) if record.ref else None
        by_phone = self.by_phone.get(record.phone) if record.phone else None
        by_email = self.by_email.get(record.email) if record.email else None
        stored = by_ref or by_phone or by_email
        if stored is None:
            return None
        for other, what in ((by_phone, f"phone {record.phone}"), (by_email, "e-mail")):
            if other is not None and other["id"] != stored["id"]:
                if other["id"] in self.seen and by_ref is None:
                    raise RowError(f"duplicate of line {self.seen[other['id']]}")
                raise RowError(f"{what} already belongs to customer {other['ref']}")
        if record.ref and stored["ref"] != record.ref and not stored["ref"].startswith("fu-"):
            raise RowError(
                f"same phone/e-mail as customer {stored['ref']} but a different id {record.ref}"
            )
        return stored

    def _values(self, record: Record) -> dict[str, Any]:
        values: dict[str, Any] = {
            "name": record.name,
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
        # The index keeps what matching needs; the full row goes out with the next batch.
        self._index({k: values[k] for k in ("id", "ref", "phone", "email")})
        self.seen[customer_id] = record.line
        self.changes.append((self.result.import_id or 0, customer_id, "added", None))
        self.result.added += 1
        if len(self.pending) >= BATCH:
            self._flush_new()

    def _update(self, stored: dict[str, Any], record: Record) -> None:
        self.seen[stored["id"]] = record.line
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
            self.result.unchanged += 1
            return
        before = {name: stored.get(name) for name in changes}
        self.changes.append(
            (self.result.import_id or 0, stored["id"], "updated", json.dumps(before))
        )
        storage.update_customer(self.conn, stored["id"], changes, self.now)
        if "ref" in changes:
            self.by_ref.pop(stored["ref"], None)
        stored.update(changes)
        self._index(stored)
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
            customer_id = keys.find(item.ref, item.phone, item.email)
            if customer_id is None:
                who = item.ref or item.phone or item.email
                result.rejected.append(
                    Rejection(item.line, f"no customer matches {who}", item.cells)
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
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.by_ref: dict[str, int] = {}
        self.by_phone: dict[str, int] = {}
        self.by_email: dict[str, int] = {}
        for row in storage.customer_keys(conn):
            self.by_ref[row["ref"]] = row["id"]
            if row["phone"]:
                self.by_phone[row["phone"]] = row["id"]
            if row["email"]:
                self.by_email[row["email"]] = row["id"]

    def find(self, ref: str | None, phone: str | None, email: str | None) -> int | None:
        return (
            (self.by_ref.get(ref) if ref else None)
            or (self.by_phone.get(phone) if phone else None)
            or (self.by_email.get(email) if email else None)
        )


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
            raise FollowupError(f"no import with id {import_id} (see 'followup imports')")
        if record["status"] != "done":
            raise FollowupError(f"import {import_id} is {record['status']}: nothing to undo")
        changes = storage.import_changes(conn, import_id)
        ids = [row["customer_id"] for row in changes]
        logged = storage.contacts_logged_since(conn, ids, record["started_at"])
        if logged:
            raise FollowupError(
                f"cannot undo import {import_id}: {logged} contact(s) were logged on its "
                "customers since"
            )
        removed = restored = 0
        to_plan = []
        for change in changes:
            current = storage.customer_row(conn, change["customer_id"])
            if current is None:
                continue
            if current["updated_at"] != record["started_at"]:
                raise FollowupError(
                    f"cannot undo import {import_id}: customer {current['ref']} was changed "
                    "again later"
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
