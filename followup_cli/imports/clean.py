"""The import pipeline's front half: bytes on disk -> clean customer records or rejections.

No database here. `read_table` decodes and splits the file, `HeaderMap` finds our fields
among the shop's column names, `clean_rows` validates each row. The service layer matches
the records against the database and writes them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from followup_cli import wording
from followup_cli.core.dates import DateFormatError, parse_import_date
from followup_cli.core.models import CUSTOMER_DATE_FIELDS, CUSTOMER_FIELDS
from followup_cli.core.phones import EXCEL_SCIENTIFIC as _SCIENTIFIC
from followup_cli.core.phones import InvalidValue, clean_cell, is_mobile, typed_numbers
from followup_cli.errors import EXIT_NOTHING_IMPORTED, FollowupError
from followup_cli.i18n import _
from followup_cli.imports.known_layouts import Layout, LevelTable, header_key
from followup_cli.imports.read import BrokenRow as BrokenRow  # re-exported: reading lives there
from followup_cli.imports.read import Row as Row
from followup_cli.imports.read import Table as Table
from followup_cli.imports.read import UnreadableRow
from followup_cli.imports.read import check_importable as check_importable
from followup_cli.imports.read import read_table as read_table
from followup_cli.text import has_controls, strip_controls

FIELDS = CUSTOMER_FIELDS
DATE_FIELDS = CUSTOMER_DATE_FIELDS
PAST_DATE_FIELDS = ("first_purchase", "last_purchase", "added")

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "id": (
        "id",
        "customer id",
        "customer no",
        "customer number",
        "record id",
        "square customer id",
        "member id",
        "客户编号",
        "编号",
        "客户id",
        "会员号",
        "会员卡号",
        "会员编号",
        "卡号",
        "会员id",
        "会员卡号码",
    ),
    "name": (
        "name",
        "customer name",
        "customer",
        "full name",
        "客户名称",
        "姓名",
        "客户姓名",
        "会员姓名",
        "会员名称",
        "名称",
        "备注名",
    ),
    "phone": (
        "phone",
        "mobile",
        "tel",
        "telephone",
        "phone number",
        "mobile phone",
        "mobile phone number",
        "电话",
        "手机",
        "手机号",
        "手机号码",
        "客户手机号",
        "会员手机号",
        "联系手机",
        "备注手机号",
        "会员手机",
        "联系方式",
    ),
    "email": ("email", "e mail", "mail", "email address", "邮箱", "电子邮件", "电子邮箱"),
    "tier": (
        "tier",
        "grade",
        "level",
        "type",
        "customer type",
        "lifecycle stage",
        "客户类型",
        "客户等级",
        "等级",
        "类型",
        "会员等级",
        "会员类型",
        "付费等级",
        "会员级别",
        "客户级别",
    ),
    "first_purchase": (
        "first purchase",
        "first purchase date",
        "first visit",
        "首次购买日期",
        "首次购买",
        "首次消费时间",
    ),
    "last_purchase": (
        "last purchase",
        "last purchase date",
        "last visit",
        "last order date",
        "最近购买日期",
        "最近购买",
        "最后购买日期",
        "最近消费时间",
        "最后消费时间",
        "最近消费",
        "最后消费",
        "最近消费日期",
        "最后消费日期",
    ),
    "added": (
        "added",
        "date added",
        "customer since",
        "created at",
        "create date",
        "sign up",
        "注册日期",
        "注册时间",
        "加入日期",
        "创建日期",
        "创建时间",
        "开卡日期",
        "开卡时间",
        "成为客户时间",
        "入会时间",
        "入会日期",
        "添加时间",
        "注册日",
    ),
    "owner": ("owner", "staff", "contact owner", "负责人", "跟进人", "添加人", "所属员工"),
    "notes": ("notes", "note", "remarks", "memo", "备注"),
    "contract_end": (
        "contract end",
        "membership end",
        "renewal date",
        "合同到期日",
        "会员到期日",
        "到期日",
    ),
    # A chain's branch: member exports of 银豹/客如云 say 所属门店 (or the store the card was
    # opened at), Shopify and POS exports `Location`/`Store`.
    "branch": (
        "branch",
        "store",
        "store name",
        "location",
        "branch name",
        "所属门店",
        "门店",
        "归属门店",
        "门店名称",
        "所属店铺",
        "所属分店",
        "分店",
        "开卡门店",
    ),
}
# Columns that help to fill our fields without being one: split names, a nickname to name
# people who left none, a second phone, the row's country, tags and a second level column.
HELPER_ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "firstname", "given name", "名"),
    "last_name": ("last name", "lastname", "surname", "family name", "姓"),
    "nickname": ("nickname", "客户昵称", "昵称", "微信昵称"),
    "phone2": ("default address phone", "联系电话", "座机", "other phone"),
    "country": (
        "country code",
        "default address country code",
        "cc",
    ),
    # the country in words (or a code) where the file has no code column: United States, 美国
    "country_name": (
        "country",
        "country/region",
        "country / region",
        "address country",
        "国家",
        "国家/地区",
        "国家或地区",
    ),
    # Mailchimp: the date they confirmed, for contacts added without an opt-in time
    "added2": ("confirm time",),
    "tags": ("tags", "标签", "客户标签"),
    "level2": ("免费等级",),
    # What a member system says they spent and how often they came: kept with the customer
    # (their own purchases are what `import purchases` brings), and a visit tells a real
    # person from a placeholder row.
    "spend": (
        "累计消费",
        "累计消费金额",
        "累计消费金额(元)",
        "累计消费金额（元）",
        "消费总额",
        "total spent",
        "amount spent",
    ),
    "visits": ("消费次数", "累计消费次数", "到店次数", "total orders", "orders count"),
}
HELPER_FIELDS = tuple(HELPER_ALIASES)

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


_header_key = header_key
_ALL_FIELDS = (*FIELDS, *HELPER_FIELDS)


PURCHASE_FIELDS = ("id", "phone", "email", "date", "amount", "order")
PURCHASE_ALIASES: dict[str, tuple[str, ...]] = {
    "id": HEADER_ALIASES["id"],
    "phone": HEADER_ALIASES["phone"],
    "email": HEADER_ALIASES["email"],
    "date": (
        "date",
        "purchase date",
        "order date",
        "日期",
        "购买日期",
        "消费日期",
        "订单日期",
        "销售时间",
        "销售日期",
        "消费时间",
        "交易时间",
        "下单时间",
        "结账时间",
        "单据日期",
    ),
    "amount": (
        "amount",
        "total",
        "spend",
        "value",
        "金额",
        "消费金额",
        "订单金额",
        "实付金额",
        "实收金额",
        "实收",
        "实付",
        "应收金额",
        "销售金额",
        "单据金额",
    ),
    "order": (
        "order",
        "order id",
        "order no",
        "receipt",
        "订单号",
        "单号",
        "小票号",
        "订单编号",
        "单据号",
        "单据编号",
        "流水号",
        "小票编号",
        "销售单号",
    ),
    # helpers: a second phone and date, whether the order was paid, whose name it carries
    "phone2": ("联系电话", "billing phone"),
    "date2": ("订单创建时间", "created at"),
    "status": (
        "status",
        "order status",
        "financial status",
        "订单状态",
        "交易状态",
        "支付状态",
        "单据状态",
        "销售状态",
        "单据类型",
    ),
    "cancelled": ("cancelled at", "canceled at"),
    "name": ("customer name", "收货人姓名", "客户姓名", "姓名"),
    "country": ("country code", "billing country"),
}


def _alias_index(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_header_key(a): f for f, names in aliases.items() for a in names}


_ALIAS_INDEX = _alias_index({**HEADER_ALIASES, **HELPER_ALIASES})
_PURCHASE_INDEX = _alias_index(PURCHASE_ALIASES)


MAX_CELL = 10_000  # characters; a longer cell is a broken export, not a customer detail


@dataclass
class HeaderMap:
    columns: dict[str, int]  # our field (or a helper field) -> column index
    extras: dict[str, int]  # unknown column name -> index, kept as extra fields
    layout: Layout | None = None
    names: dict[str, str] = field(default_factory=dict)  # field -> the column's own name

    @classmethod
    def build(
        cls,
        header: list[str],
        overrides: dict[str, str] | None = None,
        purchases: bool = False,
        layout: Layout | None = None,
    ) -> HeaderMap:
        """Our fields among the file's columns: --map first, then what the recognised
        layout says a column means, then the general aliases; the rest kept as extras."""
        found = cls.match(header, overrides, purchases, layout)
        columns = found.columns
        if purchases and ("date" not in columns or not {"id", "phone", "email"} & columns.keys()):
            raise FollowupError(
                _(
                    "no usable header: a purchases file needs a date column and one of "
                    "id/phone/email (use --map 'Column=field' for others)"
                ),
                EXIT_NOTHING_IMPORTED,
            )
        if not purchases and not {"id", "phone", "email"} & columns.keys():
            known = ", ".join(FIELDS)
            raise FollowupError(
                _(
                    "no usable header: need a name column and one of id/phone/email "
                    "(known columns: {known}; use --map 'Column=field' for others)"
                ).format(known=known),
                EXIT_NOTHING_IMPORTED,
            )
        return found

    @classmethod
    def match(
        cls,
        header: list[str],
        overrides: dict[str, str] | None = None,
        purchases: bool = False,
        layout: Layout | None = None,
    ) -> HeaderMap:
        wanted = {_header_key(k): v for k, v in (overrides or {}).items()}
        aliases = _PURCHASE_INDEX if purchases else _ALIAS_INDEX
        meant = layout.columns if layout else {}
        ignored = set(layout.ignore) if layout else set()
        columns: dict[str, int] = {}
        extras: dict[str, int] = {}
        names: dict[str, str] = {}
        claimed = {wanted[k] for k in map(_header_key, header) if k in wanted}
        for index, raw in enumerate(header):
            key = _header_key(raw)
            if not key:
                continue  # trailing empty header cells, as Excel writes them
            target = wanted.get(key)
            if target is None:  # a field named by --map is never taken by a guess
                target = meant.get(key)
                if target is None and key not in ignored:
                    target = aliases.get(key)
                if target in claimed:
                    target = None
            if target and target not in columns:
                columns[target] = index
                names[target] = raw.strip()
            else:
                extras[raw.strip()] = index
        if "phone" not in columns and "phone2" in columns:
            columns["phone"] = columns.pop("phone2")  # the only phone column there is
            names["phone"] = names.pop("phone2")
        if "date" not in columns and "date2" in columns:
            columns["date"] = columns.pop("date2")
            names["date"] = names.pop("date2")
        return cls(columns, extras, layout, names)

    def usable(self, purchases: bool) -> bool:
        """Enough known columns to be a header row, not a title or an export-time line."""
        keys = self.columns.keys()
        if purchases:
            return "date" in keys and bool({"id", "phone", "email"} & keys)
        return len(keys) >= 2 and bool({"id", "phone", "email"} & keys)


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
    # customer, worked out beside the reading (see imports.first_plan_of); None: not yet.
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
                tier=text.strip(), known=", ".join(sorted(known_tiers))
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
        clean.order_of_file = lambda: _file_date_order(table, headers)
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
    if text.isdigit() or (text.isascii() and _MONEY.match(text)):
        return text  # the usual cell: a plain number already
    bare = re.sub(r"[¥￥$€£,\s]|元|RMB|CNY", "", text)
    return bare if _MONEY.match(bare) else text.strip()


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
        cell = dict.fromkeys(_ALL_FIELDS, "")
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


def _file_date_order(
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


@dataclass
class PurchaseRecord:
    line: int
    ref: str | None
    phone: str | None
    email: str | None
    date: date
    amount: float
    order: str
    cells: list[str] = field(default_factory=list)
    name: str | None = None  # the buyer's name, to tell apart people who share a phone


@dataclass
class OrderLine:
    """A further line item of an order already read: the order counts once."""

    line: int


_MONEY = re.compile(r"^[-+]?\d+(\.\d+)?$")
# Orders that were never paid, or paid and taken back: not a purchase.
_UNPAID = frozenset(
    {
        "refunded",
        "voided",
        "void",
        "cancelled",
        "canceled",
        "pending",
        "unpaid",
        "expired",
        "failed",
        "等待买家付款",
        "交易关闭",
        "已关闭",
        "已退款",
        "退款成功",
        "已取消",
        "未付款",
        "待付款",
        # a till's receipts: returned, voided, reversed
        "退货",
        "已退货",
        "退货单",
        "退款",
        "作废",
        "已作废",
        "撤单",
        "已撤销",
        "红冲",
        "冲红",
    }
)
# A sale to nobody the shop knows: the till's word for it where the member card goes.
_WALK_IN = frozenset(
    {"散客", "非会员", "临时客户", "临时会员", "游客", "walkin", "walk_in", "guest"}
)


def is_unpaid(status: str) -> bool:
    key = "".join(status.casefold().split()).replace("-", "_")
    return key in _UNPAID or key.startswith(("交易关闭", "refunded", "已退", "退款", "作废"))


# A phone the marketplace hid (`136****0035`, `138xxxx0001`): nobody can be matched by it.
_MASKED = re.compile(r"\d[*＊xX]{3,}\d")


def _walk_in(text: str) -> bool:
    return "".join(text.casefold().split()).replace("-", "_") in _WALK_IN


def clean_purchase_rows(
    table: Table, headers: HeaderMap, today: date, normalise_phone, dayfirst: bool | None = None
) -> Iterator[PurchaseRecord | Rejection | Skipped | OrderLine]:
    """Purchases, one per order: Shopify repeats an order on each line item (only the first
    carries the total); orders refunded, cancelled or never paid are skipped."""
    if dayfirst is None:
        dayfirst = _file_date_order(table, headers, ("date", "date2"))
    cols = headers.columns
    orders_seen: set[str] = set()
    for line, cells in table.rows():
        if isinstance(cells, UnreadableRow):
            yield Rejection(line, cells.reason, list(cells))
            continue
        if is_total_row(cells):
            yield Skipped(line, "total")
            continue

        def cell(name: str, cells: list[str] = cells) -> str:
            index = cols.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        order = clean_cell(cell("order"))
        if order and order in orders_seen:
            yield OrderLine(line)
            continue
        if order:
            orders_seen.add(order)
        if is_unpaid(cell("status")) or cell("cancelled"):
            yield Skipped(line, "unpaid")
            continue
        if _walk_in(cell("id")) or _walk_in(cell("name")) or _walk_in(cell("phone")):
            yield Skipped(line, "walk-in")
            continue
        try:
            ref = clean_cell(cell("id")) or None
            phone = None
            masked = False
            for field_ in ("phone", "phone2"):
                if _MASKED.search(cell(field_)):  # 136****0035: the marketplace hid it
                    masked = True
                elif cell(field_) and phone is None:
                    try:
                        phone = normalise_phone(cell(field_), cell("country") or None)
                    except InvalidValue:
                        if field_ == "phone2" or not cell("phone2"):
                            raise
            email = normalise_email(cell("email"))
            if not (ref or phone or email):  # a sale to nobody the file names: not a rejection
                yield Skipped(line, "masked" if masked else "walk-in")
                continue
            raw_date = cell("date") or cell("date2")
            if not raw_date:
                raise RowError(_("date is empty"))
            try:
                bought = parse_import_date(raw_date, dayfirst)
            except DateFormatError as exc:
                raise RowError(_("date: {exc}").format(exc=exc)) from None
            if bought > today:
                raise RowError(_("date {bought} is in the future").format(bought=bought))
            raw_amount = re.sub(r"[¥$€£,\s]|元|RMB|CNY", "", clean_cell(cell("amount")))
            if raw_amount and not _MONEY.match(raw_amount):
                raise RowError(_("amount {value!r} is not a number").format(value=cell("amount")))
            amount = float(raw_amount) if raw_amount else 0.0
            if amount < 0:  # a refund receipt: money given back is not a purchase
                yield Skipped(line, "unpaid")
                continue
            name = " ".join(cell("name").split()) or None
            yield PurchaseRecord(line, ref, phone, email, bought, amount, order, cells, name)
        except InvalidValue as exc:
            yield Rejection(line, str(exc), cells)
