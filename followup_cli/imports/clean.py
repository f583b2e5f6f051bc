"""A file's customer rows, cleaned: each one a `Record`, a `Rejection` (with why) or `Skipped`.

No database here. The rows come from read.py's table, the columns from headers.py's
`HeaderMap`; phones, e-mails, tiers, levels and dates are checked and normalised one row at
a time. match.py then finds the customers the records are. A purchases file's rows are
cleaned beside this, in clean_purchases.py, with the pieces both share from here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from followup_cli import wording
from followup_cli.core.dates import DateFormatError, parse_import_date
from followup_cli.core.models import CUSTOMER_DATE_FIELDS
from followup_cli.core.phones import EXCEL_SCIENTIFIC as _SCIENTIFIC
from followup_cli.core.phones import InvalidValue, clean_cell, is_mobile, typed_numbers
from followup_cli.errors import EXIT_NOTHING_IMPORTED, FollowupError
from followup_cli.i18n import _
from followup_cli.imports.headers import ALL_FIELDS, HeaderMap
from followup_cli.imports.known_layouts import LevelTable
from followup_cli.imports.opened import Table, UnreadableRow
from followup_cli.text import has_controls, strip_controls

DATE_FIELDS = CUSTOMER_DATE_FIELDS
PAST_DATE_FIELDS = ("first_purchase", "last_purchase", "added")

TIER_ALIASES: dict[str, str] = {
    "new": "new",
    "新客户": "new",
    "新": "new",
    "新客": "new",
    "regular": "regular",
    "老客户": "regular",
    "普通客户": "regular",
    "老": "regular",
    "普通": "regular",
    "老客": "regular",
    "prospect": "prospect",
    "潜在客户": "prospect",
    "潜在": "prospect",
    "意向客户": "prospect",
    "vip": "vip",
    "vip客户": "vip",
    "重要客户": "vip",
    # Grades as many tills export them: A = most valuable.
    "a": "vip",
    "b": "regular",
    "c": "prospect",
}


MAX_CELL = 10_000  # characters; a longer cell is a broken export, not a customer detail
MONEY = re.compile(r"^[-+]?\d+(\.\d+)?$")


@dataclass
class Record:
    """One clean customer row, ready to match against the database."""

    line: int
    ref: str | None
    name: str
    phone: str | None
    email: str | None
    tier: str | None
    dates: dict[str, date | None]
    owner: str | None
    notes: str | None
    extra: dict[str, str] = field(default_factory=dict)
    cells: list[str] = field(default_factory=list)
    named_from: str | None = None  # nickname / e-mail / phone when the row had no name
    warnings: list[str] = field(default_factory=list)  # values left out, with their column
    unknown_level: str | None = None  # a level the level table does not know
    phone_left_out: bool = False
    branch: str | None = None  # the branch of a chain (所属门店, store, location)
    # (kind, reason, anchor, due, rank) of their first follow-up should the row be a new
    # customer, worked out beside the reading (see match.first_plan_of); None: not yet.
    first_plan: tuple[Any, ...] | None = None


@dataclass
class Rejection:
    line: int
    reason: str
    cells: list[str] = field(default_factory=list)


@dataclass
class Skipped:
    """A row that is not a customer or not a purchase: a total line, an unpaid order."""

    line: int
    why: str  # "total" | "unpaid"


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CJK_NAME = re.compile(r"[\u3400-\u9fff]")
_TOTAL_WORDS = frozenset({"合计", "总计", "小计", "汇总", "total", "totals", "grand total", "sum"})
_TAG_SPLIT = re.compile(r"[,;，；、|]")


_TOTAL_STARTS = frozenset("合总小汇TtSsGg制审打导报")
# A sign-off under the rows (`制表人：小李`, "made by"; `打印时间：…`): a cell of its own.
_FOOTER = re.compile(r"^(制表人?|制单人?|审核人?|打印人|打印时间|导出人|导出时间|报表日期)\s*[:：]")


def is_total_row(cells: list[str]) -> bool:
    """`合计`/`总计`/`Total` in one of the first cells, or a sign-off line such as
    `制表人：小李` alone on its row: not a customer."""
    lead = cells[0][:1] if cells else ""
    if lead and lead not in _TOTAL_STARTS and not lead.isspace():
        return False  # the usual row: its first cell starts with no total word's letter
    first = next((cell.lstrip()[:1] for cell in cells[:3] if cell.strip()), "")
    if first not in _TOTAL_STARTS:
        return False
    for cell in cells[:3]:
        text = cell.strip().rstrip(":：").strip().casefold()
        if text:
            if text in _TOTAL_WORDS:
                return True
            return bool(_FOOTER.match(text)) and sum(1 for c in cells if c.strip()) == 1
    return False


class RowError(InvalidValue):
    """A row that cannot be used; the message says why."""


def normalise_email(text: str) -> str | None:
    text = text.strip().casefold()
    if not text:
        return None
    if not _EMAIL.match(text):
        raise RowError(_("e-mail {text!r} is not an e-mail address").format(text=text))
    return text


def normalise_tier(text: str, known_tiers: set[str]) -> str | None:
    """One of our tier names or their aliases (exact); None for blank; RowError otherwise."""
    key = " ".join(text.strip().casefold().split())
    if not key:
        return None
    if key in known_tiers:
        return key
    tier = TIER_ALIASES.get(key)
    if tier is None:
        raise RowError(
            _("unknown tier {tier!r} (known: {known})").format(
                tier=text.strip(), known=wording.tier_choices(known_tiers)
            )
        )
    return tier


def join_name(first: str, last: str) -> str:
    """`Emma` + `Johnson` -> `Emma Johnson`; Chinese `姓` + `名` join without a space."""
    first, last = " ".join(first.split()), " ".join(last.split())
    if _CJK_NAME.search(first + last):
        return last + first
    return " ".join(part for part in (first, last) if part)


def clean_rows(
    table: Table,
    headers: HeaderMap,
    today: date,
    known_tiers: set[str],
    normalise_phone,
    dayfirst: bool | None = None,
    levels: LevelTable | None = None,
) -> Iterator[Record | Rejection | Skipped]:
    clean = _RowCleaner(headers, today, known_tiers, normalise_phone, dayfirst, levels)
    if dayfirst is None:
        # The file's own day/month order, read from the whole file only when a date needs it:
        # an ISO-dated file is read once, not twice.
        clean.order_of_file = lambda: file_date_order(table, headers)
    for line, cells in table.rows():
        if isinstance(cells, UnreadableRow):
            yield Rejection(line, cells.reason, list(cells))
            continue
        if is_total_row(cells):
            yield Skipped(line, "total")
            continue
        try:
            yield clean(line, cells)
        except PlaceholderRow:
            yield Skipped(line, "placeholder")
        except KeylessRow:
            yield Skipped(line, "keyless")
        except InvalidValue as exc:
            yield Rejection(line, str(exc), cells)


# A phone cell holding more than a number and its usual separators: what a person typed
# beside it (a remark, a second number, full-width digits) is read by `typed_numbers`.
_TYPED_BESIDE = re.compile(r"[^0-9 +\-.]")


class PlaceholderRow(Exception):
    """A row with a name of `.` or `-` and no way to reach or know them: not a customer."""


class KeylessRow(Exception):
    """A contact of a system that keeps its own key (企业微信) with no phone or e-mail here."""


_PLACEHOLDER = re.compile(r"^[.\-_—–·。…/\\?？*]+$")


def _visited(visits: str) -> bool:
    """The row says the person came or bought at least once."""
    text = visits.strip()
    return bool(text) and text not in ("0", "0.0", "0.00")


def _amount_text(text: str) -> str:
    """`¥1,280.00` or `1280元` as `1280.00`: money as a number a spreadsheet reads."""
    if text.isdigit() or (text.isascii() and MONEY.match(text)):
        return text  # the usual cell: a plain number already
    bare = re.sub(r"[¥￥$€£,\s]|元|RMB|CNY", "", text)
    return bare if MONEY.match(bare) else text.strip()


class _RowCleaner:
    """Validates one row; built once per file so the per-row work stays small."""

    def __init__(self, headers, today, known_tiers, normalise_phone, dayfirst, levels) -> None:
        self.present = list(headers.columns.items())
        self.names = headers.names
        self.width = max([*headers.columns.values(), *headers.extras.values()]) + 1
        self.extras = list(headers.extras.items())
        self.today = today
        self.known_tiers = known_tiers
        self.normalise_phone = normalise_phone
        self.dayfirst = dayfirst
        self.levels = levels
        self.date_cache: dict[str, date] = {}
        self.level_columns = [f for f in ("tier", "level2") if f in headers.columns]
        self.has_tags = "tags" in headers.columns
        self.has_added2 = "added2" in headers.columns
        self.skip_keyless = headers.layout is not None and headers.layout.skip_keyless
        # what a member system says they spent and how often they came, kept as amounts
        self.amounts = [
            (headers.names[f], headers.columns[f])
            for f in ("spend", "visits")
            if f in headers.columns
        ]
        self.kept_cells: dict[str, str] | None = None
        self.tier_cache: dict[tuple[str, ...], tuple[str | None, str | None, dict[str, str]]] = {}
        self.order_of_file: Callable[[], bool | None] | None = None
        self.day_first = self.month_first = False  # what the file's dates showed so far

    def __call__(self, line: int, cells: list[str]) -> Record:
        if has_controls(cells):  # terminal escapes in a name would run on every screen
            cells = [strip_controls(c) for c in cells]
        longest = max(map(len, cells), default=0)
        if longest > MAX_CELL:
            raise RowError(
                _("a cell is {longest} characters long (at most {most})").format(
                    longest=longest, most=MAX_CELL
                )
            )
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        cell = dict.fromkeys(ALL_FIELDS, "")
        for field_, index in self.present:
            cell[field_] = cells[index].strip()
        warnings: list[str] = []
        self.problems: list[str] = []  # the reasons behind this row's warnings
        self.kept_cells = None  # cells kept whole with the customer (two phones in one)
        name = " ".join(cell["name"].split())
        if not name and (cell["first_name"] or cell["last_name"]):
            name = join_name(cell["first_name"], cell["last_name"])
        ref = clean_cell(cell["id"]) or None
        if ref and "+" in ref and _SCIENTIFIC.match(ref):  # 1.38E+10: no "+", no mangling
            raise RowError(
                _("id {ref!r} was mangled by Excel (format the column as text)").format(ref=ref)
            )
        phone, left_out = self._phone(cell, warnings)
        try:
            email = normalise_email(cell["email"])
        except RowError as exc:
            email = None
            warnings.append(self._left_out("email", str(exc)))
        if not (phone or email) and _PLACEHOLDER.match(name) and not _visited(cell["visits"]):
            raise PlaceholderRow(name)  # `.` or `-` typed to fill a required cell: nobody
        if not (ref or phone or email):
            if self.skip_keyless and not left_out:
                raise KeylessRow
            if left_out or warnings:  # what was there could not be used: say why, and so what
                raise RowError(
                    _("needs an id, a phone or an e-mail ({problems})").format(
                        problems="; ".join(self.problems)
                    )
                )
            raise RowError(_("needs an id, a phone or an e-mail"))
        named_from = None
        if not name:
            nickname = " ".join(cell["nickname"].split())
            if nickname:
                name, named_from = nickname, "nickname"
            elif email or phone:
                name, named_from = (email, "email") if email else (phone, "phone")
            else:
                raise RowError(_("name is empty"))
        if self.has_added2 and not cell["added"]:
            cell["added"] = cell["added2"]
        tier, unknown, kept = self._tier(cell)
        dates: dict[str, date | None] = {}
        cached, today = self.date_cache.get, self.today
        for field_ in DATE_FIELDS:
            raw = cell[field_]
            if not raw:
                dates[field_] = None
                continue
            value = cached(raw)
            if value is None or value > today:
                value = self._date(raw, field_)  # not read yet, or maybe in the future
            dates[field_] = value
        first, last = dates["first_purchase"], dates["last_purchase"]
        if first and last and last < first:
            raise RowError(
                _("last_purchase {last} is before first_purchase {first}").format(
                    last=last, first=first
                )
            )
        extra = {column: cells[i].strip() for column, i in self.extras if cells[i].strip()}
        extra.update(kept)
        if self.kept_cells:
            extra.update(self.kept_cells)
        for column, index in self.amounts:
            if cells[index].strip():
                extra[column] = _amount_text(cells[index].strip())
        owner = cell["owner"] or None
        notes = cell["notes"] or None
        return Record(
            line,
            ref,
            name,
            phone,
            email,
            tier,
            dates,
            owner,
            notes,
            extra,
            cells,
            named_from,
            warnings,
            unknown,
            left_out,
            " ".join(cell["branch"].split()) or None,
        )

    def _left_out(self, field_: str, reason: str) -> str:
        self.problems.append(reason)
        column = self.names.get(field_, field_)
        return _("column {column!r}: {reason}: left out").format(column=column, reason=reason)

    def _phone(self, cell: dict[str, str], warnings: list[str]) -> tuple[str | None, bool]:
        """The first phone that is valid for its country; the second column when the first
        is blank or unusable; None (reported) when neither is."""
        country = cell["country"] or cell["country_name"] or None
        left_out = False
        for field_ in ("phone", "phone2"):
            raw = cell[field_]
            if not raw or raw in ("'", "-"):
                continue
            typed = [raw] if raw.isdigit() or not _TYPED_BESIDE.search(raw) else typed_numbers(raw)
            if len(typed) > 1:
                found = self._several_phones(field_, raw, typed, country)
                if found:
                    return found, left_out
            try:
                return self.normalise_phone(typed[0], country), left_out
            except InvalidValue as exc:
                warnings.append(self._left_out(field_, str(exc)))
                left_out = True
        return None, left_out

    def _several_phones(
        self, field_: str, raw: str, typed: list[str], country: str | None
    ) -> str | None:
        """Two numbers in one cell: the first mobile (else the first valid one) is the
        phone; the cell as typed is kept with the customer, so the other is not lost."""
        valid = []
        for text in typed:
            try:
                valid.append(self.normalise_phone(text, country))
            except InvalidValue:
                continue
        if not valid:
            return None
        self.kept_cells = {self.names.get(field_, field_): raw}
        return next((number for number in valid if is_mobile(number)), valid[0])

    def _tier(self, cell: dict[str, str]) -> tuple[str | None, str | None, dict[str, str]]:
        """(tier, a level nobody mapped, the original levels to keep on the customer)."""
        key = tuple(cell[f] for f in self.level_columns) + (
            (cell["tags"],) if self.has_tags else ()
        )
        known = self.tier_cache.get(key)
        if known is None:
            known = self._find_tier(cell)
            if len(self.tier_cache) < 10_000:
                self.tier_cache[key] = known
        return known[0], known[1], dict(known[2])

    def _find_tier(self, cell: dict[str, str]) -> tuple[str | None, str | None, dict[str, str]]:
        found: list[str] = []
        unknown = None
        kept: dict[str, str] = {}
        for field_ in self.level_columns:
            raw = " ".join(cell[field_].split())
            if not raw:
                continue
            try:
                tier = normalise_tier(raw, self.known_tiers)
            except RowError:
                tier = self.levels.tier_for(raw) if self.levels else None
                kept[self.names[field_]] = raw
                if tier is None and self.levels is None:
                    raise
            if tier is None:
                unknown = unknown or raw
            else:
                found.append(tier)
        if self.has_tags and self.levels and cell["tags"]:
            for tag in _TAG_SPLIT.split(cell["tags"]):
                if tag.strip():
                    tier = self.levels.tier_for(tag)
                    if tier is not None:
                        found.append(tier)
        if not found:
            return None, unknown, kept
        best = self.levels.best(found) if self.levels else found[0]
        return best, None, kept

    def _date(self, raw: str, field_: str) -> date | None:
        if not raw:
            return None
        value = self.date_cache.get(raw)
        if value is None:
            slashed = _SLASHED.match(raw)
            if slashed and self.order_of_file is not None:
                first, second = int(slashed.group(1)), int(slashed.group(2))
                self.day_first |= first > 12 >= second
                self.month_first |= second > 12 >= first
                if self.day_first and self.month_first:
                    raise FollowupError(_(_MIXED_ORDERS), EXIT_NOTHING_IMPORTED)
            try:
                value = parse_import_date(raw, self.dayfirst)
            except DateFormatError as exc:
                if self.order_of_file is None or "ambiguous" not in str(exc):
                    raise RowError(f"{wording.field(field_)}: {exc}") from None
                self.dayfirst, self.order_of_file = self.order_of_file(), None
                return self._date(raw, field_)
            self.date_cache[raw] = value
        if field_ in PAST_DATE_FIELDS and value > self.today:
            raise RowError(
                _("{field} {value} is in the future").format(
                    field=wording.field(field_), value=value
                )
            )
        return value


_MIXED_ORDERS = (
    "file mixes day/month and month/day dates: fix the file or force one with "
    "--dayfirst/--monthfirst"
)
_SLASHED = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-]\d{4}")


def file_date_order(
    table: Table, headers: HeaderMap, fields: tuple[str, ...] = DATE_FIELDS
) -> bool | None:
    """Day/month order shown by the file's unambiguous dates; a file that mixes them is refused."""
    day_first = month_first = False
    indexes = [headers.columns[f] for f in fields if f in headers.columns]
    for _line, cells in table.rows():
        for index in indexes:
            match = _SLASHED.match(cells[index]) if index < len(cells) else None
            if match:
                first, second = int(match.group(1)), int(match.group(2))
                day_first |= first > 12 >= second
                month_first |= second > 12 >= first
    if day_first and month_first:
        raise FollowupError(_(_MIXED_ORDERS), EXIT_NOTHING_IMPORTED)
    if day_first or month_first:
        return day_first
    return None
