"""Date and duration parsing: strict for options, forgiving (but never guessing) for imports."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from followup_cli.errors import FollowupError
from followup_cli.i18n import N_, _

_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_AMBIGUOUS = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
# A time of day after the date, with seconds, fractions, AM/PM and a zone as exports write
# them: `2025-05-11 04:32:30 -0400`, `2023/4/5 14:03`, `2025-05-29T18:22:05Z`.
_TIME_OF_DAY = re.compile(
    r"^(.*[\d日])(?:[ T]+|\s*,\s*)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?$"
)
_EXCEL_SERIAL = re.compile(r"^(\d{5})(?:\.\d+)?$")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1 Jan 1900 (Excel's 1900 leap-year bug)


# Days an option may name: plans, periods and windows are worked out years either side of
# them, and Python's dates end at year 1 and 9999.
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


# The words for a day relative to today, in both languages (今日/明日 as written on notices).
_DAY_WORDS = {
    "today": 0,
    "今天": 0,
    "今日": 0,
    "tomorrow": 1,
    "明天": 1,
    "明日": 1,
    "yesterday": -1,
    "昨天": -1,
    "昨日": -1,
    "后天": 2,
    "前天": -2,
}
# Compiled when first used (re's cache): the morning list never needs them.
_MONTH_DAY = r"^(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$"
DATE_FORMS = N_("2026-11-05, 2026/11/05, 2026年11月5日, 11月5日, today, 今天")


class UnreadableDate(FollowupError):
    """An option's day in no form we read (not one out of range or ambiguous)."""


def parse_day(
    text: str, what: str = "--date", today: date | None = None, ahead: bool = False
) -> date:
    """A day as a person types it in an option: every form an import reads (2026-11-05,
    2026/11/05, 2026.11.5, 2026年11月5日), the words today/tomorrow/yesterday and 今天/明天/昨天
    (from `today`, else the real today), and 11月5日 without a year.

    A day without a year is the nearest such day not after today, since options mostly name
    what happened (--date, a purchase, a period); with `ahead` (a snooze's --until, a contract
    end) it is the nearest on or after today. Ambiguous 03/04/2026 and impossible or absurd days
    are refused as usage errors (exit 2), never guessed.
    """
    from followup_cli.errors import EXIT_USAGE

    base = date.today() if today is None else today
    word = text.strip()
    if word.endswith("号"):  # 2026年11月5号, as people say it
        word = word[:-1] + "日"
    day: date | None = None
    if len(word) == 10:
        try:
            day = date.fromisoformat(word)
        except ValueError:
            day = None
    if day is None and word.lower() in _DAY_WORDS:
        day = base + timedelta(days=_DAY_WORDS[word.lower()])
    if day is None:
        month_day = re.match(_MONTH_DAY, word)
        if month_day:
            day = _without_year(int(month_day.group(1)), int(month_day.group(2)), base, ahead)
        elif _AMBIGUOUS.match(word) and not _ambiguity_resolves(word):
            raise FollowupError(
                _("{what} {text!r} could be day/month or month/day: write {one} or {other}").format(
                    what=what, text=text, **_both_readings(word)
                ),
                EXIT_USAGE,
            )
        elif word and not word.isdigit():  # a bare number is a typo, not an Excel serial day
            try:
                day = parse_import_date(word)
            except DateFormatError:
                day = None
    if day is None:
        raise UnreadableDate(
            _("{what} {text!r} is not a valid date (use {forms})").format(
                what=what, text=text, forms=_(DATE_FORMS)
            ),
            EXIT_USAGE,
        )
    if not EARLIEST <= day <= LATEST:
        raise FollowupError(
            _("{what} {text} is out of range: use a day from {earliest} to {latest}").format(
                what=what, text=text, earliest=EARLIEST, latest=LATEST
            ),
            EXIT_USAGE,
        )
    return day


def parse_iso(text: str, what: str = "date") -> date:
    """The older name of `parse_day`, kept for callers that only need an as-of day."""
    return parse_day(text, what)


def _ambiguity_resolves(text: str) -> bool:
    first, second, _year = (int(g) for g in _AMBIGUOUS.match(text).groups())  # type: ignore[union-attr]
    return first > 12 or second > 12 or first == second


def _both_readings(text: str) -> dict[str, str]:
    first, second, year = (int(g) for g in _AMBIGUOUS.match(text).groups())  # type: ignore[union-attr]
    return {"one": f"{year}-{second:02}-{first:02}", "other": f"{year}-{first:02}-{second:02}"}


def _without_year(month: int, day: int, today: date, ahead: bool) -> date | None:
    """The nearest `month`/`day` not after today (or, ahead, not before it); None if no year
    has it (31 April). 29 February goes to the nearest leap year that way."""
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    step = 1 if ahead else -1
    for offset in range(9):  # a 29 February is at most 8 years away (2096 -> 2104)
        year = today.year + step * offset
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if (candidate >= today) if ahead else (candidate <= today):
            return candidate
    return None


def option_dates(
    fields: dict[str, str | None], names: tuple[str, ...], today: date
) -> dict[str, str | None]:
    """Date fields typed for `add`/`edit` (`--first-purchase 昨天`) as ISO text, each read as an
    option date is; an empty value ('' clears a field in `edit`) passes as it is."""
    read = dict(fields)
    for name in names:
        value = read.get(name)
        if value and value.strip():
            ahead = name == "contract_end"
            read[name] = parse_day(value, "--" + name.replace("_", "-"), today, ahead).isoformat()
    return read


def optional_date(value: str | None) -> date | None:
    """A stored ISO date, or None for an empty column."""
    return date.fromisoformat(value) if value else None


class DateFormatError(ValueError):
    """Raised for an import cell that is not a date we can read without guessing."""


def parse_import_date(text: str, dayfirst: bool | None = None) -> date:
    """Read the date formats real exports carry; ambiguous 03/04/2025 needs dayfirst set.

    Fast path first (ISO, then year-first forms incl. 2025年1月31日), dateutil only for
    month names. A time of day is dropped: the date is the local date as written, whatever
    zone follows. A five-digit number is an Excel serial date that lost its format on the
    way to CSV. Never fuzzy: a wrong year silently substituted is worse than a rejection.
    """
    text = text.strip()
    if len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    serial = _EXCEL_SERIAL.match(text)
    if serial and 20_000 <= int(serial.group(1)) <= 80_000:  # 1954..2119
        return _EXCEL_EPOCH + timedelta(days=int(serial.group(1)))
    stripped = _TIME_OF_DAY.match(text)
    if stripped:
        text = stripped.group(1).strip()
        if len(text) == 10:
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
    match = _YMD.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return _make_date(year, month, day, text)
    match = _AMBIGUOUS.match(text)
    if match:
        first, second, year = (int(g) for g in match.groups())
        if first > 12 and second <= 12:
            return _make_date(year, second, first, text)
        if second > 12 and first <= 12:
            return _make_date(year, first, second, text)
        if first == second:
            return _make_date(year, first, second, text)
        if dayfirst is None:
            raise DateFormatError(
                _("date {text!r} is ambiguous (day/month): use --dayfirst or --monthfirst").format(
                    text=text
                )
            )
        return (
            _make_date(year, second, first, text)
            if dayfirst
            else _make_date(year, first, second, text)
        )
    if re.search(r"[A-Za-z]{3,}", text) and re.search(r"\d{4}", text):
        from dateutil import parser

        try:
            return parser.parse(text, dayfirst=bool(dayfirst)).date()
        except (ValueError, OverflowError):
            pass
    raise DateFormatError(_("date {text!r} is not a date we can read").format(text=text))


def _make_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateFormatError(_("date {text!r} does not exist").format(text=text)) from None


def add_months(start: date, months: int) -> date:
    """Calendar months, clamped to the month's end: 31 Jan + 1 = 28/29 Feb.

    The same result as dateutil's `start + relativedelta(months=n)` (a property test checks
    it), at a fraction of the cost: the scheduler calls this for every customer on import.
    """
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    day = min(start.day, _days_in_month(year, month))
    return date(year, month, day)


def months_between(start: date, end: date) -> list[tuple[date, date]]:
    """Calendar months overlapping [start, end], clipped to it."""
    months = []
    first = start.replace(day=1)
    while first <= end:
        following = add_months(first, 1)
        months.append((max(first, start), min(following - timedelta(days=1), end)))
        first = following
    return months


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


_DURATION = re.compile(
    r"^\s*(\d+)\s*(d|day|days|w|wk|wks|week|weeks|m|mo|mon|month|months|y|yr|year|years)\s*$",
    re.IGNORECASE,
)
# 3天, 2周, 两个星期, 1个月, 三个月, 1年 (and 半年, 半个月): what a Chinese owner writes.
# 个月, never 月 alone: 3月 is March, and 3日 the 3rd.
_CHINESE_DURATION = (
    r"^\s*([0-9]+|[一二两三四五六七八九十]+)\s*(天|周|个?\s*星期|个?\s*礼拜|个\s*月|年)\s*$"
)
_CHINESE_UNITS = {"天": "d", "周": "w", "期": "w", "拜": "w", "月": "m", "年": "y"}
_HALVES = {"半年": (6, "m"), "半个月": (15, "d"), "半月": (15, "d")}
_CHINESE_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNIT_NAMES = {"d": "day", "w": "week", "m": "month", "y": "year"}
# The longest duration a rule or option may hold: ten years, in each unit. Plans, windows and
# periods are worked out from it years either side of a day; longer ones overflowed the calendar.
LONGEST = {"d": 3650, "w": 520, "m": 120, "y": 10}
LONGEST_TEXT = "10y (120m, 520w, 3650d)"


def _chinese_number(text: str) -> int | None:
    """一 .. 九十九 (十二, 二十, 两); None for anything else."""
    if text.isascii():
        return int(text)
    if "十" not in text:
        return _CHINESE_DIGITS.get(text) if len(text) == 1 else None
    tens, _sep, ones = text.partition("十")
    if "十" in ones or len(tens) > 1 or len(ones) > 1:
        return None
    ten = 1 if not tens else _CHINESE_DIGITS.get(tens)
    one = 0 if not ones else _CHINESE_DIGITS.get(ones)
    return None if ten is None or one is None else 10 * ten + one


def reads_as_duration(text: str) -> bool:
    """Whether `text` is written as a duration (3d, 2 weeks, 3天, 半年), whatever its length."""
    return _read_duration(text) is not None


def _read_duration(text: str) -> tuple[int, str] | None:
    match = _DURATION.match(text)
    if match:
        return int(match.group(1)), match.group(2)[0].lower()
    word = text.strip()
    if word in _HALVES:
        return _HALVES[word]
    match = re.match(_CHINESE_DURATION, word)
    if match:
        count = _chinese_number(match.group(1))
        if count is not None:
            return count, _CHINESE_UNITS[match.group(2)[-1]]
    return None


@dataclass(frozen=True, order=True)
class Duration:
    """A calendar duration: months and years follow the calendar (31 Jan + 1m = 28/29 Feb)."""

    count: int
    unit: str  # one of d, w, m, y

    @classmethod
    def parse(cls, text: str, bounded: bool = True) -> Duration:
        """A duration as typed (7d, '2 weeks', 3天, 2周, 1个月, 半年), at most ten years
        (`bounded=False`: for a caller that says its own, smaller bound)."""
        read = _read_duration(text)
        if read is None or read[0] == 0:
            raise FollowupError(
                _(
                    "duration {text!r} is not understood (examples: 7d, 2w, 1m, 3m, 1y, '2 weeks',"
                    " 3天, 2周, 1个月, 半年)"
                ).format(text=text)
            )
        count, unit = read
        if bounded and count > LONGEST[unit]:
            raise FollowupError(
                _("duration {text!r} is too long: at most {longest}").format(
                    text=text.strip(), longest=LONGEST_TEXT
                )
            )
        return cls(count, unit)

    @classmethod
    def stored(cls, text: str) -> Duration:
        """A duration kept in the file; one longer than allowed (written before the bound, or
        by hand) is read as the longest allowed, so that no command fails on it."""
        read = _read_duration(text)
        if read is None or read[0] == 0:
            return cls.parse(text)  # says what is wrong with it
        count, unit = read
        return cls(min(count, LONGEST[unit]), unit)

    def after(self, start: date, times: int = 1) -> date:
        """start + times x self, always computed from start (month steps are not associative)."""
        n = self.count * times
        if self.unit == "d":
            return start + timedelta(days=n)
        if self.unit == "w":
            return start + timedelta(weeks=n)
        return add_months(start, n if self.unit == "m" else 12 * n)

    def before(self, end: date) -> date:
        if self.unit in "dw":
            return end - timedelta(days=self.count * (7 if self.unit == "w" else 1))
        return add_months(end, -self.count * (12 if self.unit == "y" else 1))

    def approx_days(self) -> float:
        """Average length, for estimating how many steps fit in a span."""
        return self.count * {"d": 1, "w": 7, "m": 30.436875, "y": 365.2425}[self.unit]

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"

    def label(self) -> str:
        name = _UNIT_NAMES[self.unit]
        return f"{self.count} {name}{'s' if self.count != 1 else ''}"


def _first_of_month(text: str, as_of: date) -> date:
    """--month 2026-10, 2026/10, 2026年10月, or 10月: the latest October not after --date."""
    word = text.strip()
    with_year = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?", word)
    alone = re.fullmatch(r"(\d{1,2})\s*月", word)
    if with_year:
        year, number = int(with_year.group(1)), int(with_year.group(2))
    elif alone:
        number = int(alone.group(1))
        year = as_of.year if number <= as_of.month else as_of.year - 1
    else:
        number = 0
    if not 1 <= number <= 12:
        raise FollowupError(_("--month {month!r} is not a month (use YYYY-MM)").format(month=text))
    return date(year, number, 1)


def resolve_period(
    as_of: date,
    start: str | None = None,
    end: str | None = None,
    month: str | None = None,
    last: str | None = None,
    quarter: str | None = None,
    year: str | None = None,
) -> tuple[date, date]:
    """The report period from --from/--to or one preset; default: the month so far."""
    presets = {"--month": month, "--last": last, "--quarter": quarter, "--year": year}
    chosen = [name for name, value in presets.items() if value is not None]
    if len(chosen) > 1 or (chosen and (start or end)):
        given = chosen + [n for n, v in (("--from", start), ("--to", end)) if v]
        raise FollowupError(
            _("choose one way to give the period, not {given}").format(given=" and ".join(given))
        )
    if month is not None:
        first = _first_of_month(month, as_of)
        return first, add_months(first, 1) - timedelta(days=1)
    if quarter is not None:
        match = re.fullmatch(r"(\d{4})-?[Qq]([1-4])", quarter.strip())
        if not match:
            raise FollowupError(
                _("--quarter {quarter!r} is not a quarter (use 2025Q1)").format(quarter=quarter)
            )
        first = date(int(match.group(1)), 3 * int(match.group(2)) - 2, 1)
        return first, add_months(first, 3) - timedelta(days=1)
    if year is not None:
        if not re.fullmatch(r"\d{4}\s*年?", year.strip()):
            raise FollowupError(_("--year {year!r} is not a year (use YYYY)").format(year=year))
        number = int(year.strip().rstrip("年"))
        return date(number, 1, 1), date(number, 12, 31)
    if last is not None:
        return Duration.parse(last).before(as_of) + timedelta(days=1), as_of
    last_day = parse_day(end, "--to", as_of) if end else as_of
    first_day = parse_day(start, "--from", as_of) if start else last_day.replace(day=1)
    if first_day > last_day:
        raise FollowupError(
            _("--from {first_day} is after --to {last_day}").format(
                first_day=first_day, last_day=last_day
            )
        )
    return first_day, last_day
