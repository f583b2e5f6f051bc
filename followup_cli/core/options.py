"""Shop options as text and back: what `rules set` reads and what the settings table keeps.

One place decides what each option may be, so a value typed by the owner and a value read back
from the file go through the same checks; a bad typed value is a ValueError with a readable
message, a bad stored one is read as the nearest allowed value (see `parse_value`). Pure: the
values are plain Python, the words come from i18n.
"""

from __future__ import annotations

import re
from fractions import Fraction

from followup_cli.core.dates import Duration
from followup_cli.core.models import WEEKDAYS, Settings
from followup_cli.errors import FollowupError
from followup_cli.i18n import _

# Options of purchase-driven planning (rhythm.py): parsed by `parse_option` below.
PURCHASE_OPTIONS = frozenset(
    {
        "repurchase",
        "repurchase_margin",
        "churn_definition",
        "churn_factor",
        "birthday_before",
        "anniversary_before",
        "date_fields",
        "winback_daily",
        "winback_within",
    }
)


# Whole-number options and what they may be: a day's calls and attempts a shop can make.
NUMBER_BOUNDS = {"max_attempts": (1, 20), "daily_capacity": (1, 10_000)}

_OFF = ("off", "none", "no", "0", "")
_ON = ("on", "yes", "1")
CHURN_DEFINITIONS = ("model", "window", "rhythm")
WINBACK_DAILY_MOST = 10_000


def _is_pairs(value: object) -> bool:
    return isinstance(value, tuple) and bool(value) and isinstance(value[0], tuple)


def parse_value(name: str, text: str, stored: bool = False) -> object:
    """A setting from its typed text; ValueError with a readable message (and the bound) if
    bad. A `stored` value that is out of bounds (kept before the bound, or written by hand)
    is read as the nearest allowed value, or the default, so no command fails on it."""
    if stored:
        return _stored_value(name, text)
    text = text.strip()
    if name not in Settings.__dataclass_fields__:
        known = ", ".join(Settings.__dataclass_fields__)
        raise ValueError(
            _("unknown option {name!r} (options: {known})").format(name=name, known=known)
        )
    if name in PURCHASE_OPTIONS:
        return parse_option(name, text)
    if name in NUMBER_BOUNDS:
        lowest, highest = NUMBER_BOUNDS[name]
        if not (text.isascii() and text.isdigit()) or not lowest <= int(text) <= highest:
            raise ValueError(
                _("{name} must be a whole number from {lowest} to {highest}").format(
                    name=name, lowest=lowest, highest=highest
                )
            )
        return int(text)
    if name == "closed_weekdays":
        days = [d.strip().lower()[:3] for d in text.replace(" ", ",").split(",") if d.strip()]
        unknown = [d for d in days if d not in WEEKDAYS]
        if unknown:
            raise ValueError(
                _("unknown weekday {day!r} (use mon, tue, ... sun)").format(day=unknown[0])
            )
        closed = tuple(sorted({WEEKDAYS.index(d) for d in days}))
        if len(closed) == 7:
            raise ValueError(_("at least one weekday must stay open"))
        return closed
    if name == "holidays":
        return text.upper() if text.lower() not in ("", "none", "off") else ""
    if name == "phone_region":
        if not re.fullmatch(r"[A-Za-z]{2}", text):
            raise ValueError(_("phone_region must be a two-letter country code, e.g. CN, GB"))
        return text.upper()
    if name == "language":
        choice = text.lower().replace("-", "_")
        if choice in ("", "auto", "none"):
            return "auto"
        if choice in ("zh", "zh_cn", "中文", "cn"):
            return "zh"
        if choice in ("en", "english", "英文"):
            return "en"
        raise ValueError(_("language must be zh, en or auto"))
    if name == "shop":
        return "" if text.lower() in ("none", "-") else " ".join(text.split())
    try:
        return Duration.parse(text)
    except FollowupError as exc:
        raise ValueError(exc.format_message()) from None


def _stored_value(name: str, text: str) -> object:
    try:
        return parse_value(name, text)
    except ValueError:
        pass
    default = getattr(Settings(), name, None)
    word = text.strip()
    if isinstance(default, Duration) or name in ("birthday_before", "anniversary_before"):
        try:
            return Duration.stored(word)
        except FollowupError:
            return default
    if name in NUMBER_BOUNDS and word.isascii() and word.isdigit():
        lowest, highest = NUMBER_BOUNDS[name]
        return min(max(int(word), lowest), highest)
    return default


def format_value(value: object) -> str:
    """A setting's value as the settings table keeps it and `rules` shows it."""
    if value is None or isinstance(value, bool | Fraction) or _is_pairs(value):
        return format_option(value)
    if isinstance(value, tuple):
        return ",".join(WEEKDAYS[d] for d in value)
    return str(value)


# --- the options of purchase-driven planning ------------------------------------------------


def parse_option(name: str, text: str) -> object:
    """One of the purchase options from its text; ValueError saying what is wanted."""
    word = text.strip().lower()
    if name == "repurchase":
        if word in _ON:
            return True
        if word in _OFF:
            return False
        raise ValueError(_("repurchase must be on or off"))
    if name in ("repurchase_margin", "churn_factor"):
        try:
            value = Fraction(word)
        except (ValueError, ZeroDivisionError):
            value = Fraction(0)
        if value < 1 or value > 100:
            raise ValueError(_("{name} must be a number from 1 to 100, e.g. 1.5").format(name=name))
        return value
    if name == "churn_definition":
        if word not in CHURN_DEFINITIONS:
            raise ValueError(_("churn_definition must be model, window or rhythm"))
        return word
    if name in ("birthday_before", "anniversary_before"):
        return None if word in ("off", "none", "no") else _days_before(text)
    if name == "date_fields":
        return parse_date_fields(text)
    if name == "winback_daily":
        if not (word.isascii() and word.isdigit()) or int(word) > WINBACK_DAILY_MOST:
            raise ValueError(
                _(
                    "winback_daily must be a whole number from 0 to {most} (0: no win-back calls)"
                ).format(most=WINBACK_DAILY_MOST)
            )
        return int(word)
    return _duration(text)


def _days_before(text: str) -> Duration:
    """`0d` means on the day itself; otherwise any duration (3d, 1w)."""
    if text.strip().lower() in ("0", "0d"):
        return Duration(0, "d")
    return _duration(text)


def _duration(text: str) -> Duration:
    try:
        return Duration.parse(text)
    except FollowupError as exc:
        raise ValueError(exc.format_message()) from None


def parse_date_fields(text: str) -> tuple[tuple[str, Duration], ...]:
    """`会员到期=7d,warranty end=30d`: the owner's own date columns and how long before."""
    fields = []
    for part in re.split(r"[,，;]", text):
        if not part.strip() or part.strip().lower() in _OFF:
            continue
        name, sep, before = part.rpartition("=")
        if not sep or not name.strip():
            raise ValueError(
                _("date_fields takes 'column=days before' pairs, e.g. 会员到期=7d,warranty=30d")
            )
        fields.append((name.strip(), _days_before(before)))
    return tuple(fields)


def format_option(value: object) -> str:
    if value is None or value is False:
        return "off"
    if value is True:
        return "on"
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else str(float(value))
    assert isinstance(value, tuple)
    return ",".join(f"{name}={before}" for name, before in value)
