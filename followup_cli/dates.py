"""Date and duration parsing: strict for options, forgiving (but never guessing) for imports."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from followup_cli.errors import FollowupError
from followup_cli.i18n import _

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


def parse_iso(text: str, what: str = "date") -> date:
    """Parse a YYYY-MM-DD option value; impossible dates such as 2025-02-31 are refused, and
    so are absurd ones (9999-12-31) that date arithmetic would overflow."""
    try:
        if len(text) != 10:
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise FollowupError(
            _("{what} {text!r} is not a valid date (use YYYY-MM-DD)").format(what=what, text=text)
        ) from None
    if not EARLIEST <= day <= LATEST:
        raise FollowupError(
            _("{what} {text} is out of range: use a day from {earliest} to {latest}").format(
                what=what, text=text, earliest=EARLIEST, latest=LATEST
            )
        )
    return day


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
_UNIT_NAMES = {"d": "day", "w": "week", "m": "month", "y": "year"}


@dataclass(frozen=True, order=True)
class Duration:
    """A calendar duration: months and years follow the calendar (31 Jan + 1m = 28/29 Feb)."""

    count: int
    unit: str  # one of d, w, m, y

    @classmethod
    def parse(cls, text: str) -> Duration:
        match = _DURATION.match(text)
        if not match or int(match.group(1)) == 0:
            raise FollowupError(
                _(
                    "duration {text!r} is not understood (examples: 7d, 2w, 1m, 3m, 1y, '2 weeks')"
                ).format(text=text)
            )
        return cls(int(match.group(1)), match.group(2)[0].lower())

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
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", month.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise FollowupError(
                _("--month {month!r} is not a month (use YYYY-MM)").format(month=month)
            )
        first = date(int(match.group(1)), int(match.group(2)), 1)
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
        if not re.fullmatch(r"\d{4}", year.strip()):
            raise FollowupError(_("--year {year!r} is not a year (use YYYY)").format(year=year))
        return date(int(year), 1, 1), date(int(year), 12, 31)
    if last is not None:
        return Duration.parse(last).before(as_of) + timedelta(days=1), as_of
    last_day = parse_iso(end, "--to") if end else as_of
    first_day = parse_iso(start, "--from") if start else last_day.replace(day=1)
    if first_day > last_day:
        raise FollowupError(
            _("--from {first_day} is after --to {last_day}").format(
                first_day=first_day, last_day=last_day
            )
        )
    return first_day, last_day
