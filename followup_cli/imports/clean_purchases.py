"""A purchases file's rows, cleaned: one `PurchaseRecord` an order, or why a row is not one.

Shopify repeats an order on each of its line items, tills list refunds and voided receipts
beside the sales, and a sale to a walk-in names nobody: those rows are told apart here, so
only paid orders of a known buyer go on to be matched (match.py) and written (write.py).
No database here; the checks a customer row and a purchase share come from clean.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from followup_cli.core.dates import DateFormatError, parse_import_date
from followup_cli.core.phones import InvalidValue, clean_cell
from followup_cli.i18n import _
from followup_cli.imports.clean import (
    MONEY,
    Rejection,
    RowError,
    Skipped,
    file_date_order,
    is_total_row,
    normalise_email,
)
from followup_cli.imports.headers import HeaderMap
from followup_cli.imports.opened import Table, UnreadableRow


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
        dayfirst = file_date_order(table, headers, ("date", "date2"))
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
            if raw_amount and not MONEY.match(raw_amount):
                raise RowError(_("amount {value!r} is not a number").format(value=cell("amount")))
            amount = float(raw_amount) if raw_amount else 0.0
            if amount < 0:  # a refund receipt: money given back is not a purchase
                yield Skipped(line, "unpaid")
                continue
            name = " ".join(cell("name").split()) or None
            yield PurchaseRecord(line, ref, phone, email, bought, amount, order, cells, name)
        except InvalidValue as exc:
            yield Rejection(line, str(exc), cells)
