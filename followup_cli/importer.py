"""The import pipeline's front half: bytes on disk -> clean customer records or rejections.

No database here. `read_table` decodes and splits the file, `HeaderMap` finds our fields
among the shop's column names, `clean_rows` validates each row. The service layer matches
the records against the database and writes them.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from followup_cli import wording
from followup_cli.dates import DateFormatError, parse_import_date
from followup_cli.errors import EXIT_NOTHING_IMPORTED, FollowupError
from followup_cli.i18n import _
from followup_cli.phones import EXCEL_SCIENTIFIC as _SCIENTIFIC
from followup_cli.phones import InvalidValue

FIELDS = (
    "id",
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
)
DATE_FIELDS = ("first_purchase", "last_purchase", "added", "contract_end")
PAST_DATE_FIELDS = ("first_purchase", "last_purchase", "added")

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "customer id", "customer no", "customer number", "客户编号", "编号", "客户id"),
    "name": ("name", "customer name", "customer", "客户名称", "姓名", "客户姓名", "名称"),
    "phone": (
        "phone",
        "mobile",
        "tel",
        "telephone",
        "phone number",
        "电话",
        "手机",
        "手机号",
        "手机号码",
        "联系电话",
    ),
    "email": ("email", "e mail", "mail", "邮箱", "电子邮件", "电子邮箱"),
    "tier": (
        "tier",
        "grade",
        "level",
        "type",
        "customer type",
        "客户类型",
        "客户等级",
        "等级",
        "类型",
    ),
    "first_purchase": ("first purchase", "first purchase date", "首次购买日期", "首次购买"),
    "last_purchase": (
        "last purchase",
        "last purchase date",
        "最近购买日期",
        "最近购买",
        "最后购买日期",
    ),
    "added": ("added", "date added", "customer since", "注册日期", "加入日期", "创建日期"),
    "owner": ("owner", "staff", "负责人", "跟进人"),
    "notes": ("notes", "note", "remarks", "备注"),
    "contract_end": (
        "contract end",
        "membership end",
        "renewal date",
        "合同到期日",
        "会员到期日",
        "到期日",
    ),
}

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


def _header_key(text: str) -> str:
    """Case, surrounding spaces, and spaces/underscores/hyphens are not significant."""
    return re.sub(r"[\s_\-]+", " ", text.strip().casefold()).strip()


PURCHASE_FIELDS = ("id", "phone", "email", "date", "amount", "order")
PURCHASE_ALIASES: dict[str, tuple[str, ...]] = {
    "id": HEADER_ALIASES["id"],
    "phone": HEADER_ALIASES["phone"],
    "email": HEADER_ALIASES["email"],
    "date": ("date", "purchase date", "order date", "日期", "购买日期", "消费日期", "订单日期"),
    "amount": ("amount", "total", "spend", "value", "金额", "消费金额", "订单金额", "实付金额"),
    "order": ("order", "order id", "order no", "receipt", "订单号", "单号", "小票号"),
}


def _alias_index(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_header_key(a): f for f, names in aliases.items() for a in names}


_ALIAS_INDEX = _alias_index(HEADER_ALIASES)
_PURCHASE_INDEX = _alias_index(PURCHASE_ALIASES)


Row = tuple[int, list[str]]  # (line number of the row's first line, its cells)


@dataclass
class Table:
    """A file's header, and its rows read afresh from disk each time: never all in memory."""

    header: list[str]
    encoding: str
    delimiter: str
    source: Callable[[], Iterator[Row]]

    def rows(self) -> Iterator[Row]:
        return self.source()

    def count(self) -> int:
        return sum(1 for _ in self.rows())


_CHUNK = 1 << 20


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _decodes(path: Path, encoding: str, skip: int = 0) -> bool:
    """True when the whole file decodes strictly, read a chunk at a time."""
    return _scan(path, encoding, skip)[0]


def _scan(path: Path, encoding: str, skip: int = 0) -> tuple[bool, bool]:
    """(the whole file decodes strictly, it holds Chinese characters), in one pass."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    chinese = False
    try:
        for index, chunk in enumerate(_chunks(path)):
            text = decoder.decode(chunk[skip:] if index == 0 else chunk)
            chinese = chinese or bool(_CJK.search(text))
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False, chinese
    return True, chinese


def detect_encoding(path: Path, encoding: str | None = None) -> str:
    """BOM, then strict UTF-8, then GB18030; never latin-1, which garbles Chinese silently."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise FollowupError(
                _("unknown encoding {encoding!r}").format(encoding=encoding), EXIT_NOTHING_IMPORTED
            ) from None
        if not _decodes(path, encoding):
            raise FollowupError(
                _("file is not valid {encoding}").format(encoding=encoding), EXIT_NOTHING_IMPORTED
            )
        return encoding
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        if not _decodes(path, "utf-8", skip=3):
            raise FollowupError(_("file starts as UTF-8 but is not"), EXIT_NOTHING_IMPORTED)
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if not _decodes(path, "utf-16"):
            raise FollowupError(_("file starts as UTF-16 but is not"), EXIT_NOTHING_IMPORTED)
        return "utf-16"
    if any(b"\x00" in chunk for chunk in _chunks(path)):
        raise FollowupError(
            _("file contains NUL bytes: it is binary or UTF-16 without a BOM (try --encoding)"),
            EXIT_NOTHING_IMPORTED,
        )
    if _decodes(path, "utf-8"):
        return "utf-8"
    decodes, chinese = _scan(path, "gb18030")
    if not decodes:
        raise FollowupError(
            _("file is neither UTF-8 nor GBK/GB18030: name its encoding with --encoding"),
            EXIT_NOTHING_IMPORTED,
        )
    if not chinese:
        raise FollowupError(
            _(
                "file is not UTF-8 and does not look like Chinese "
                "GBK: name its encoding with --encoding"
            ),
            EXIT_NOTHING_IMPORTED,
        )
    return "gb18030"


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter that splits the header line into the most cells."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


MAX_CELL = 10_000  # characters; a longer cell is a broken export, not a customer detail
_XLSX_MAGIC = b"PK\x03\x04"


def read_table(
    path: Path,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> Table:
    """Any file a shop hands over: CSV/TSV text in the usual encodings, or an Excel workbook."""
    if not path.exists():
        raise FollowupError(
            _("file {path} does not exist").format(path=path), EXIT_NOTHING_IMPORTED
        )
    if path.is_dir():
        raise FollowupError(
            _("{path} is a folder, not a file").format(path=path), EXIT_NOTHING_IMPORTED
        )
    try:
        with path.open("rb") as handle:
            data = handle.read(_CHUNK)
            blank = not data.strip() and not handle.read(1)
    except OSError as exc:
        raise FollowupError(
            _("cannot read {path}: {strerror}").format(path=path, strerror=exc.strerror),
            EXIT_NOTHING_IMPORTED,
        ) from None
    if blank:
        raise FollowupError(_("file {path} is empty").format(path=path), EXIT_NOTHING_IMPORTED)
    if data.startswith(_XLSX_MAGIC) or path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_workbook(path, sheet)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FollowupError(
            _("old Excel .xls files are not supported: save it as .xlsx or CSV"),
            EXIT_NOTHING_IMPORTED,
        )
    if sheet is not None:
        raise FollowupError(_("--sheet is only for Excel workbooks"), EXIT_NOTHING_IMPORTED)
    used = detect_encoding(path, encoding)
    with path.open(encoding=used, newline="") as handle:
        delimiter = delimiter or sniff_delimiter(handle.read(64 * 1024))
    first = next(_csv_rows(path, used, delimiter), None)
    if first is None:
        raise FollowupError(
            _("file {path} has no header line").format(path=path), EXIT_NOTHING_IMPORTED
        )

    def after_header() -> Iterator[Row]:
        rows = _csv_rows(path, used, delimiter)
        next(rows, None)
        yield from rows

    return Table(first[1], used, delimiter, after_header)


def _csv_rows(path: Path, encoding: str, delimiter: str) -> Iterator[Row]:
    """Non-blank rows with the line each starts on (a quoted cell may span lines)."""
    csv.field_size_limit(1_000_000)
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        previous_end = 0
        try:
            for cells in reader:
                start = previous_end + 1
                previous_end = reader.line_num
                if any(cell.strip() for cell in cells):
                    yield start, cells
        except csv.Error as exc:
            raise FollowupError(
                _("line {line_num}: cannot read CSV ({exc})").format(
                    line_num=reader.line_num, exc=exc
                ),
                EXIT_NOTHING_IMPORTED,
            ) from None


def _read_workbook(path: Path, sheet: str | None) -> Table:
    """The first sheet (or the named one); date cells arrive as real dates, not text."""
    rows = _workbook_rows(path, sheet)
    first = next(rows, None)
    rows.close()
    if first is None:
        raise FollowupError(
            _("the sheet in {path} is empty").format(path=path), EXIT_NOTHING_IMPORTED
        )

    def after_header() -> Iterator[Row]:
        rows = _workbook_rows(path, sheet)
        next(rows, None)
        yield from rows

    return Table(first[1], "xlsx", "", after_header)


def _workbook_rows(path: Path, sheet: str | None) -> Iterator[Row]:
    import warnings

    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it cannot read
            workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # an untrusted file can break the reader in many ways
        reason = str(exc).split(".")[0] or type(exc).__name__
        raise FollowupError(
            _("{path} is not a readable Excel workbook ({reason})").format(
                path=path, reason=reason
            ),
            EXIT_NOTHING_IMPORTED,
        ) from None
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            names = ", ".join(workbook.sheetnames)
            raise FollowupError(
                _("no sheet {sheet!r} in {path} (sheets: {names})").format(
                    sheet=sheet, path=path, names=names
                ),
                EXIT_NOTHING_IMPORTED,
            )
        try:
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                cells = [_excel_text(v) for v in values]
                if any(c.strip() for c in cells):
                    yield number, cells
        except Exception as exc:  # a damaged sheet inside a valid zip
            raise FollowupError(
                _("{path}: cannot read the sheet ({name})").format(
                    path=path, name=type(exc).__name__
                ),
                EXIT_NOTHING_IMPORTED,
            ) from None
    finally:
        workbook.close()


def _excel_text(value: object) -> str:
    """Cells as the text a CSV export would hold: dates ISO, whole numbers without .0."""
    from datetime import datetime

    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class HeaderMap:
    columns: dict[str, int]  # our field -> column index
    extras: dict[str, int]  # unknown column name -> index, kept as extra fields

    @classmethod
    def build(
        cls, header: list[str], overrides: dict[str, str] | None = None, purchases: bool = False
    ) -> HeaderMap:
        wanted = {_header_key(k): v for k, v in (overrides or {}).items()}
        aliases = _PURCHASE_INDEX if purchases else _ALIAS_INDEX
        columns: dict[str, int] = {}
        extras: dict[str, int] = {}
        for index, raw in enumerate(header):
            key = _header_key(raw)
            if not key:
                continue  # trailing empty header cells, as Excel writes them
            target = wanted.get(key) or aliases.get(key)
            if target and target not in columns:
                columns[target] = index
            else:
                extras[raw.strip()] = index
        if purchases and ("date" not in columns or not {"id", "phone", "email"} & columns.keys()):
            raise FollowupError(
                _(
                    "no usable header: a purchases file needs a date column and one of "
                    "id/phone/email (use --map 'Column=field' for others)"
                ),
                EXIT_NOTHING_IMPORTED,
            )
        if not purchases and (
            "name" not in columns or not {"id", "phone", "email"} & columns.keys()
        ):
            known = ", ".join(FIELDS)
            raise FollowupError(
                _(
                    "no usable header: need a name column and one of id/phone/email "
                    "(known columns: {known}; use --map 'Column=field' for others)"
                ).format(known=known),
                EXIT_NOTHING_IMPORTED,
            )
        return cls(columns, extras)


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


@dataclass
class Rejection:
    line: int
    reason: str
    cells: list[str] = field(default_factory=list)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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


def clean_rows(
    table: Table,
    headers: HeaderMap,
    today: date,
    known_tiers: set[str],
    normalise_phone,
    dayfirst: bool | None = None,
) -> Iterator[Record | Rejection]:
    if dayfirst is None:
        dayfirst = _file_date_order(table, headers)
    clean = _RowCleaner(headers, today, known_tiers, normalise_phone, dayfirst)
    for line, cells in table.rows():
        try:
            yield clean(line, cells)
        except InvalidValue as exc:
            yield Rejection(line, str(exc), cells)


class _RowCleaner:
    """Validates one row; built once per file so the per-row work stays small."""

    def __init__(self, headers, today, known_tiers, normalise_phone, dayfirst) -> None:
        self.present = list(headers.columns.items())
        self.width = max([*headers.columns.values(), *headers.extras.values()]) + 1
        self.extras = list(headers.extras.items())
        self.today = today
        self.known_tiers = known_tiers
        self.normalise_phone = normalise_phone
        self.dayfirst = dayfirst
        self.date_cache: dict[str, date] = {}

    def __call__(self, line: int, cells: list[str]) -> Record:
        longest = max(map(len, cells), default=0)
        if longest > MAX_CELL:
            raise RowError(
                _("a cell is {longest} characters long (at most {most})").format(
                    longest=longest, most=MAX_CELL
                )
            )
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        cell = dict.fromkeys(FIELDS, "")
        for field_, index in self.present:
            cell[field_] = cells[index].strip()
        name = " ".join(cell["name"].split())
        if not name:
            raise RowError(_("name is empty"))
        ref = cell["id"] or None
        if ref and _SCIENTIFIC.match(ref):
            raise RowError(
                _("id {ref!r} was mangled by Excel (format the column as text)").format(ref=ref)
            )
        phone = self.normalise_phone(cell["phone"]) if cell["phone"] else None
        email = normalise_email(cell["email"])
        if not (ref or phone or email):
            raise RowError(_("needs an id, a phone or an e-mail"))
        tier = normalise_tier(cell["tier"], self.known_tiers)
        dates = {field_: self._date(cell[field_], field_) for field_ in DATE_FIELDS}
        first, last = dates["first_purchase"], dates["last_purchase"]
        if first and last and last < first:
            raise RowError(
                _("last_purchase {last} is before first_purchase {first}").format(
                    last=last, first=first
                )
            )
        extra = {column: cells[i].strip() for column, i in self.extras if cells[i].strip()}
        owner = cell["owner"] or None
        notes = cell["notes"] or None
        return Record(line, ref, name, phone, email, tier, dates, owner, notes, extra, cells)

    def _date(self, raw: str, field_: str) -> date | None:
        if not raw:
            return None
        value = self.date_cache.get(raw)
        if value is None:
            try:
                value = parse_import_date(raw, self.dayfirst)
            except DateFormatError as exc:
                raise RowError(f"{field_}: {exc}") from None
            self.date_cache[raw] = value
        if field_ in PAST_DATE_FIELDS and value > self.today:
            raise RowError(
                _("{field} {value} is in the future").format(
                    field=wording.field(field_), value=value
                )
            )
        return value


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
        raise FollowupError(
            _(
                "file mixes day/month and month/day dates: fix the file or "
                "force one with --dayfirst/--monthfirst"
            ),
            EXIT_NOTHING_IMPORTED,
        )
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


_MONEY = re.compile(r"^[-+]?\d+(\.\d+)?$")


def clean_purchase_rows(
    table: Table, headers: HeaderMap, today: date, normalise_phone, dayfirst: bool | None = None
) -> Iterator[PurchaseRecord | Rejection]:
    if dayfirst is None:
        dayfirst = _file_date_order(table, headers, ("date",))
    cols = headers.columns
    for line, cells in table.rows():

        def cell(name: str, cells: list[str] = cells) -> str:
            index = cols.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        try:
            ref = cell("id") or None
            phone = normalise_phone(cell("phone")) if cell("phone") else None
            email = normalise_email(cell("email"))
            if not (ref or phone or email):
                raise RowError(_("needs a customer id, phone or e-mail"))
            raw_date = cell("date")
            if not raw_date:
                raise RowError(_("date is empty"))
            try:
                bought = parse_import_date(raw_date, dayfirst)
            except DateFormatError as exc:
                raise RowError(_("date: {exc}").format(exc=exc)) from None
            if bought > today:
                raise RowError(_("date {bought} is in the future").format(bought=bought))
            raw_amount = re.sub(r"[¥$€£,\s]|元|RMB|CNY", "", cell("amount"))
            if raw_amount and not _MONEY.match(raw_amount):
                raise RowError(_("amount {value!r} is not a number").format(value=cell("amount")))
            amount = float(raw_amount) if raw_amount else 0.0
            yield PurchaseRecord(line, ref, phone, email, bought, amount, cell("order"), cells)
        except InvalidValue as exc:
            yield Rejection(line, str(exc), cells)
