"""Matching: each clean record to the customer it is, and what the import would change.

A stored customer is found by id, else phone, else e-mail (with the name as a check), by
indexed lookups gated by the key filter; the file's own new customers are found in the
import's temporary tables. What to add and update is planned into those tables (the spool),
outside the write lock, with what each planned update was based on (`FINGERPRINT`), so
write.py can tell when the plan has gone stale. A purchases file's buyers are found here
too (`CustomerKeys`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from followup_cli import storage
from followup_cli.core.returning import came_back
from followup_cli.i18n import _
from followup_cli.imports.clean import Record, RowError
from followup_cli.imports.key_filter import Keys
from followup_cli.imports.result import ImportResult, Stale
from followup_cli.planner.first_plans import FirstPlans
from followup_cli.planner.replan import Scheduler


def _name_key(name: str) -> str:
    return "".join(name.casefold().split())


BATCH = 5_000  # new customers kept in memory before they go to the import's temporary table
# What a planned update was based on: if any of these changed before the write, plan again.
FINGERPRINT = (
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


def _keep_purchase_span(current: dict[str, Any], values: dict[str, Any]) -> None:
    """A row never takes a customer's last purchase back nor their first purchase forward: a
    till lists a member's rows in any order, and a member file exported before the sales
    already imported is older news than they are."""
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


_KEY_KINDS = (("ref", "r:"), ("phone", "p:"), ("email", "e:"))


def first_plan_of(
    record: Record, plans: FirstPlans, rules: dict[str, Any], today: date, half: bool = False
) -> tuple[Any, ...] | None:
    """The first follow-up of the new customer this row would be (see Merger._add). With
    `half`, None for a plan left to the matching process (see FirstPlans.stored_for_dates)."""
    dates = record.dates
    first, last = dates["first_purchase"], dates["last_purchase"]
    tier = record.tier or "regular"
    planned = plans.stored_for_dates(
        tier,
        dates["added"] or first or last or today,
        first,
        last,
        dates["contract_end"],
        half,
        plans.occasions_of(record.extra),
    )
    return None if planned is None else ranked(planned, rules, tier)


def ranked(planned: tuple[str | None, ...], rules: dict[str, Any], tier: str) -> tuple[Any, ...]:
    """(kind, reason, anchor, due, occasion, covers, rank) of a new customer's first
    follow-up; all None when they are not to be called."""
    if planned[3] is None:
        return (*planned, None)
    rule = rules.get(tier)
    return (*planned, rule.rank if rule else 99)


class Merger:
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
        self.stored_keys = Keys()
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
        self.new_keys = Keys()
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
        self._plan_first(values, record.first_plan, record.extra)
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
        extra = json.loads(stored["extra"]) if stored.get("extra") else None
        if record.extra:
            extra = {**(extra or {}), **record.extra}
            values["extra"] = json.dumps(extra, ensure_ascii=False)
        whole = {**stored, **values}
        self._plan_first(whole, None, extra)  # planned again from what they are now
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
        # a member file exported before tonight's sales never takes a purchase back
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
            kept = json.loads(stored.get("extra") or "{}")
            merged = {**kept, **record.extra}
            if merged != kept:  # the same fields and values: nothing to write (most nights)
                changes["extra"] = json.dumps(merged, ensure_ascii=False)
        if not merging:
            self.result.unchanged += 1  # until a change of theirs is spooled
        if not changes:
            return
        before = {name: original.get(name) for name in changes}
        if spooled is None:  # what the update is based on, checked again before it is written
            seen = json.dumps([original.get(c) for c in FINGERPRINT], ensure_ascii=False)
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

    def _plan_first(
        self,
        values: dict[str, Any],
        planned: tuple[Any, ...] | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        """A new customer has no history: their first follow-up is planned from the row
        (unless that was done beside the reading), birthday and the shop's date columns
        included, and kept with it (a later row for them plans it again)."""
        if planned is None:
            tier = values["tier"]
            stored = self.first_plans.stored(
                tier,
                values["added"],
                values["first_purchase"],
                values["last_purchase"],
                values["contract_end"],
                self.first_plans.occasions_of(extra),
            )
            planned = ranked(stored, self.rules, tier)
        (
            values["plan_kind"],
            values["plan_reason"],
            values["plan_anchor"],
            values["plan_due"],
            values["plan_occasion"],
            values["plan_covers"],
            values["plan_rank"],
        ) = planned

    def finish(self) -> None:
        self._flush_new()

    def _flush_new(self) -> None:
        storage.spool_new(self.conn, self.pending)
        self.pending.clear()

    def check_unchanged(self, rows: bool = True) -> None:
        """Inside the write transaction: is the plan still right? Else raise Stale. Without
        `rows`, the customers to update are checked one by one as they are written."""
        conn = self.conn
        if (
            storage.last_customer_id(conn) != self.snapshot
            or storage.load_rules(conn) != self.rules
            or storage.load_settings(conn) != self.settings
            or storage.load_levels(conn) != self.levels
        ):
            raise Stale
        if not rows:
            return
        for update in storage.spooled_updates(conn):
            row = storage.customer_row(conn, update["customer_id"])
            now = json.dumps([row[c] for c in FINGERPRINT], ensure_ascii=False) if row else None
            if now != update["seen"]:
                raise Stale


# --- the buyers of a purchases file --------------------------------------------------------------


def new_buyer(item: Any, buyers: dict[int, dict[str, Any]]) -> int | None:
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


class CustomerKeys:
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
            if kind == "ref":  # an unknown id may name a customer it was merged into
                unknown = [key for key in wanted if key not in found]
                found.update(storage.customers_by_aliases(self.conn, unknown) if unknown else {})
            for key in wanted:
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
