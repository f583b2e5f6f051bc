"""Words a person reads for values the database keeps in English: tiers, statuses, outcomes,
channels, anchors, durations and the reasons stored with each follow-up.

The file stays language-neutral (a shop can switch language, or two staff use different ones),
so these are translated when shown, never when stored. JSON and `--format csv` keep the stored
values. In English every function returns its input unchanged.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from followup_cli.core.rhythm import MONTH_NAMES, number_text
from followup_cli.i18n import N_, _, language

if TYPE_CHECKING:
    from followup_cli.core.dates import Duration
    from followup_cli.core.models import Rule, Settings


class _Pattern:
    """A regular expression compiled when first used: the morning list in English never is."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str):  # match, search
        if self.compiled is None:
            self.compiled = re.compile(self.source)
        return getattr(self.compiled, name)


TIER_NAMES = {
    "vip": N_("VIP customer"),
    "new": N_("new customer"),
    "regular": N_("regular customer"),
    "prospect": N_("prospect"),
}
STATUS_NAMES = {
    "due": N_("due"),
    "overdue": N_("overdue"),
    "late": N_("late"),
    "open": N_("open"),
    "done": N_("done"),
    "missed": N_("missed"),
    "snoozed": N_("snoozed"),
    "retry": N_("retry"),
    "active": N_("active"),
    "churned": N_("churned"),
    "ok": N_("ok"),
    "failed": N_("failed"),
    "undone": N_("undone"),
    "partial": N_("partial"),  # an import written in batches, not finished
}
OUTCOME_NAMES = {
    "reached": N_("reached"),
    "no-answer": N_("no answer"),
    "complaint": N_("complaint"),
    "converted": N_("converted"),
    "lost": N_("lost"),
    "opt-out": N_("opt-out"),
    "snoozed": N_("snoozed"),
}
CHANNEL_NAMES = {
    "phone": N_("phone"),
    "sms": N_("SMS"),
    "email": N_("e-mail"),
    "wechat": N_("WeChat"),
    "visit": N_("visit"),
}
KIND_NAMES = {
    "step": N_("milestone"),
    "cadence": N_("cadence"),
    "check-back": N_("check-back"),
    "renewal": N_("renewal"),
    "customers": N_("customers"),
    "purchases": N_("purchases"),
    # Purchases drive the plan (rhythm.py)
    "repurchase": N_("repurchase"),
    "birthday": N_("birthday"),
    "anniversary": N_("anniversary"),
    "date": N_("date reminder"),
}
ANCHOR_NAMES = {
    "first_purchase": N_("first purchase"),
    "last_contact": N_("last contact"),
    "last_purchase": N_("last purchase"),
    "added": N_("date added"),
}
DIMENSION_NAMES = {
    "tier": N_("Tier"),
    "owner": N_("Owner"),
    "channel": N_("Channel"),
    "month": N_("Month"),
    "branch": N_("Branch"),
}


def _named(table: dict[str, str], value: object) -> str:
    text = "" if value is None else str(value)
    if language() == "en":
        return text
    name = table.get(text)
    return _(name) if name else text


def tier(value: object) -> str:
    return _named(TIER_NAMES, value)


def tier_choices(tiers: object) -> str:
    """The shop's tiers as a list a person can type from: the stored names in English, the
    reader's words otherwise (新客户, 老客户, ...: each is taken where a tier is)."""
    return _(", ").join(tier(name) for name in sorted(tiers))  # type: ignore[call-overload]


def status(value: object) -> str:
    return _named(STATUS_NAMES, value)


def outcome(value: object) -> str:
    return _named(OUTCOME_NAMES, value)


def channel(value: object) -> str:
    return _named(CHANNEL_NAMES, value)


def kind(value: object) -> str:
    return _named(KIND_NAMES, value)


def anchor(value: object) -> str:
    return _named(ANCHOR_NAMES, value)


def dimension(value: str) -> str:
    """A report breakdown's heading (tier, owner, channel, month)."""
    name = DIMENSION_NAMES.get(value)
    return _(name) if name else value.capitalize()


_UNITS = {
    "d": (N_("{n} day"), N_("{n} days")),
    "w": (N_("{n} week"), N_("{n} weeks")),
    "m": (N_("{n} month"), N_("{n} months")),
    "y": (N_("{n} year"), N_("{n} years")),
}
_DURATION_WORDS = _Pattern(r"^(\d+) (day|week|month|year)s?$")
_DURATION_CODE = _Pattern(r"^(\d+)([dwmy])$")


def duration(text: object) -> str:
    """'7 days' (a label) or '7d' (a stored code) in the reader's language."""
    value = "" if text is None else str(text)
    if language() == "en":
        return value
    match = _DURATION_WORDS.match(value) or _DURATION_CODE.match(value)
    if not match:
        return value
    count, unit = int(match.group(1)), match.group(2)[0]
    one, many = _UNITS[unit]
    return _(one if count == 1 else many).format(n=count)


def describe_rule(rule: Rule) -> str:
    """A tier's rule in words, in the reader's language (shown, never stored)."""
    parts = []
    if rule.steps:
        steps = _(", ").join(duration(s.label()) for s in rule.steps)
        parts.append(
            _("{steps} after {anchor}").format(
                steps=steps, anchor=anchor(rule.anchor) or rule.anchor.replace("_", " ")
            )
        )
    if rule.interval:
        parts.append(_("every {every}").format(every=duration(rule.interval.label())))
    if rule.then:
        parts.append(_("then as {tier}").format(tier=tier(rule.then)))
    return _("; ").join(parts)


def churn_definition_text(settings: Settings, by_model: bool = False) -> str:
    """The churn definition in force, said in every report (`by_model`: the purchase model
    is in force; under the model definition without one, the window, and why)."""
    if settings.churn_definition == "model":
        if by_model:
            return _(
                "purchase model: churned once the shop's purchase model gives less than an even "
                "chance they still buy here, or silent for {window}; at risk below 3 in 4"
            ).format(window=_label(settings.churn_window))
        return _(
            "window (too few purchases for a model yet): silent for "
            "{window}; at risk over 2 x the tier's interval"
        ).format(window=_label(settings.churn_window))
    if settings.churn_definition == "rhythm":
        return _(
            "own rhythm: silent over {factor} x own typical gap (3+ purchase days, else "
            "{window}); at risk over 2 x that gap"
        ).format(factor=number_text(settings.churn_factor), window=_label(settings.churn_window))
    return _("window: silent for {window}; at risk over 2 x the tier's interval").format(
        window=_label(settings.churn_window)
    )


def _label(span: Duration) -> str:
    """'365 days', in the reader's language."""
    return duration(span.label())


def month_day(text: str) -> str:
    """'20 May' as a shop says it in the reader's language (5月20日 in Chinese)."""
    day, _space, name = text.partition(" ")
    if language() == "zh_CN" and name in MONTH_NAMES:
        return f"{MONTH_NAMES.index(name) + 1}月{day}日"
    return text


# Option values that are words, in the reader's language (the stored text stays English).
_OPTION_VALUE_WORDS = {
    word: word
    for word in (N_("auto"), N_("on"), N_("off"), N_("window"), N_("rhythm"), N_("model"))
}


# What each shop option means, beside its name in `rules` (the names are what is typed).
OPTION_MEANINGS = {
    "min_gap": N_("least time between two calls to one customer"),
    "retry_after": N_("after no answer, try again after"),
    "max_attempts": N_("no answers before a call counts as missed"),
    "check_back": N_("after a complaint, call back after"),
    "renewal_before": N_("renewal call before a contract ends"),
    "churn_window": N_("no purchase and no call reached this long: churned"),
    "daily_capacity": N_("calls a day when a backlog is spread"),
    "closed_weekdays": N_("weekdays the shop is closed"),
    "holidays": N_("public holidays of a country, closed"),
    "phone_region": N_("country of phone numbers written without one"),
    "language": N_("language of the screens and files"),
    "shop": N_("the shop's name in messages ({shop})"),
    "repurchase": N_("call customers late on their own buying rhythm"),
    "repurchase_margin": N_("late when past their usual gap times this"),
    "churn_definition": N_("churn by a fixed window or each customer's rhythm"),
    "churn_factor": N_("by rhythm: churned after this many usual gaps"),
    "birthday_before": N_("birthday call this long before"),
    "anniversary_before": N_("first-purchase anniversary call this long before"),
    "date_fields": N_("the shop's own date columns, called this long before"),
    "winback_daily": N_("win-back calls a day at most"),
    "winback_within": N_("a win-back counts when they buy within"),
}


def option_meaning(name: str) -> str:
    found = OPTION_MEANINGS.get(name)
    return _(found) if found else ""


def option_value(text: object) -> str:
    """A shop option's value as `rules` shows it: 3d as 3 天, auto as 自动, off as 关."""
    value = "" if text is None else str(text)
    if language() == "en" or not value:
        return value
    if _DURATION_CODE.match(value):
        return duration(value)
    if value in _OPTION_VALUE_WORDS:
        return _(_OPTION_VALUE_WORDS[value])
    if "=" in value:  # date_fields: 会员到期=7d,warranty=30d
        pairs = (part.partition("=") for part in value.split(","))
        return _(", ").join(f"{name}={duration(before)}" for name, _sep, before in pairs)
    return value


def durations(text: object) -> str:
    """A comma-separated list of stored durations ('7d,1m,3m')."""
    value = "" if text is None else str(text)
    if language() == "en" or not value:
        return value
    return _(", ").join(duration(part.strip()) for part in value.split(","))


_REASON_FORMS: tuple[tuple[_Pattern, str], ...] = (
    (_Pattern(r"^(?P<rest>.+) \(moved: shop closed\)$"), N_("{rest} (moved: shop closed)")),
    (_Pattern(r"^(?P<rest>.+) \(moved: minimum gap\)$"), N_("{rest} (moved: minimum gap)")),
    (_Pattern(r"^(?P<rest>.+) \(attempt (?P<n>\d+)\)$"), N_("{rest} (attempt {n})")),
    (
        _Pattern(r"^win-back: silent since (?P<since>\d{4}-\d\d-\d\d) \((?P<rest>.+)\)$"),
        N_("win-back: silent since {since} ({rest})"),
    ),
    (_Pattern(r"^win-back \((?P<rest>.+)\)$"), N_("win-back ({rest})")),
    (
        _Pattern(r"^renewal: contract ends (?P<end>\d{4}-\d\d-\d\d)$"),
        N_("renewal: contract ends {end}"),
    ),
    (_Pattern(r"^every (?P<every>\d+ \w+)$"), N_("every {every}")),
    (
        _Pattern(r"^(?P<step>\d+ \w+) after (?P<anchor>[a-z ]+)$"),
        N_("{step} after {anchor}"),
    ),
    # Purchases drive the plan (rhythm.py): repurchase, birthdays, anniversaries, merged calls.
    (
        _Pattern(
            r"^repurchase: usually every (?P<typical>[\d.]+) days, "
            r"last bought (?P<last>\d{4}-\d\d-\d\d)$"
        ),
        N_("repurchase: usually every {typical} days, last bought {last}"),
    ),
    (
        _Pattern(
            r"^repurchase: expected back about (?P<expected>\d{4}-\d\d-\d\d), "
            r"last bought (?P<last>\d{4}-\d\d-\d\d)$"
        ),
        N_("repurchase: expected back about {expected}, last bought {last}"),
    ),
    (_Pattern(r"^birthday (?P<monthday>\d+ [A-Z][a-z]{2})$"), N_("birthday {monthday}")),
    (
        _Pattern(r"^first purchase anniversary (?P<monthday>\d+ [A-Z][a-z]{2})$"),
        N_("first purchase anniversary {monthday}"),
    ),
    (_Pattern(r"^(?P<first>.+); also (?P<second>.+)$"), N_("{first}; also {second}")),
)


def reason(text: object) -> str:
    """A stored reason ('7 days after first purchase (moved: shop closed)') for the reader."""
    value = "" if text is None else str(text)
    if language() == "en" or not value:
        return value
    for pattern, sentence in _REASON_FORMS:
        match = pattern.match(value)
        if match:
            fields = match.groupdict()
            if "rest" in fields:
                fields["rest"] = reason(fields["rest"])
            if "every" in fields:
                fields["every"] = duration(fields["every"])
            if "step" in fields:
                fields["step"] = duration(fields["step"])
            if "anchor" in fields:
                fields["anchor"] = anchor(fields["anchor"].replace(" ", "_"))
            for part in ("first", "second"):
                if part in fields:
                    fields[part] = reason(fields[part])
            if "typical" in fields and "." in fields["typical"]:
                # 54.43 days reads as about 54: the exact figure is in --explain
                sentence = N_("repurchase: usually about every {typical} days, last bought {last}")
                fields["typical"] = str(round(float(fields["typical"])))
            if "monthday" in fields:
                fields["monthday"] = month_day(fields["monthday"])
            return _(sentence).format(**fields)
    return _(value)


_SHORT_FORMS = (
    (re.compile(r" \(moved: [a-z ]+\)$"), ""),
    (re.compile(r"; also .+$"), ""),
    (re.compile(r"^win-back: silent since \d{4}-\d\d-\d\d \((.+)\)$"), r"win-back (\1)"),
)


def short_reason(text: object) -> str:
    """The stored reason in the short form the morning list shows on one line (the full one
    is under `today --explain` and `show`), still in English for `reason()` to word."""
    value = "" if text is None else str(text)
    for pattern, replacement in _SHORT_FORMS:
        value = pattern.sub(replacement, value)
    return value


_LAYOUT_NAME = re.compile(
    r"^(?P<system>.+) (?P<what>customers|members|orders|contacts|sales receipts)"
    r"(?: \((?P<year>\d{4})(?P<on>\+)?\))?$"
)
_LAYOUT_WHAT = {
    "customers": N_("{system} customer list"),
    "members": N_("{system} member list"),
    "orders": N_("{system} order list"),
    "contacts": N_("{system} contact list"),
    "sales receipts": N_("{system} sales receipts"),
}


def layout_name(name: object) -> str:
    """A known export's name (`Shopify customers (2023+)`, `有赞 customers`) in the reader's
    language: `Shopify 客户表（2023 年起）`, `有赞 客户表`; English keeps the name as it is."""
    value = "" if name is None else str(name)
    match = _LAYOUT_NAME.match(value)
    if language() == "en" or not match:
        return value
    system = match["system"]
    if system[-1].isascii():  # a space between a Latin name and Chinese: Shopify 客户表
        system += " "
    shown = _(_LAYOUT_WHAT[match["what"]]).format(system=system)
    if match["year"] and match["on"]:
        return _("{name} ({year} on)").format(name=shown, year=match["year"])
    if match["year"]:
        return _("{name} ({year} edition)").format(name=shown, year=match["year"])
    return shown


_JOURNAL_NAMES = {"wal": N_("write-ahead log"), "delete": N_("rollback journal")}


def journal_mode(value: object) -> str:
    """SQLite's journal mode as `doctor` shows it: wal in English, 预写日志 in Chinese."""
    text = "" if value is None else str(value)
    name = _JOURNAL_NAMES.get(text.lower())
    return text if language() == "en" or name is None else _(name)


def file_mode(value: object) -> str:
    """The file's permissions: 0o600 in English, 600 in Chinese (`权限 600`)."""
    text = "" if value is None else str(value)
    return text if language() == "en" else text.removeprefix("0o")


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


CHECK_BACK_REASON = N_("check-back after complaint")

_USAGE_FORMS: tuple[tuple[_Pattern, str], ...] = (
    (_Pattern(r"^No such option: (?P<name>\S+)"), N_("no such option: {name}")),
    (_Pattern(r"^Missing argument '(?P<name>[^']+)'\.?$"), N_("missing argument '{name}'")),
    (_Pattern(r"^Missing option '(?P<name>[^']+)'\.?$"), N_("missing option '{name}'")),
    (_Pattern(r"^No such command '(?P<name>[^']+)'\.?$"), N_("no such command '{name}'")),
    (
        _Pattern(r"^Option '(?P<name>[^']+)' requires an argument\.?$"),
        N_("option '{name}' needs a value"),
    ),
    (
        _Pattern(r"^Got unexpected extra arguments? \((?P<extra>.*)\)$"),
        N_("unexpected extra argument: {extra}"),
    ),
    (
        _Pattern(
            r"^Invalid value for '(?P<name>[^']+)': '?(?P<value>.*?)'? "
            r"is not one of (?P<choices>'.*?)\.?$"
        ),
        N_("'{name}' cannot be {value}: choose one of {choices}"),
    ),
    (
        _Pattern(
            r"^Invalid value for '(?P<name>[^']+)': (?P<value>\S+) "
            r"is not in the range (?P<range>\S+?)\.?$"
        ),
        N_("'{name}' must be in the range {range}, not {value}"),
    ),
    (
        _Pattern(
            r"^Invalid value for '(?P<name>[^']+)': '(?P<value>.*)' "
            r"is not a valid int(?:eger| range)\.?$"
        ),
        N_("'{name}' must be a whole number, not '{value}'"),
    ),
    (
        _Pattern(r"^Invalid value for '(?P<name>[^']+)': (?P<detail>.*)$"),
        N_("invalid value for '{name}': {detail}"),
    ),
)


def usage_error(message: str) -> str:
    """Click's own usage messages (it has no catalogue of its own) in the reader's language."""
    if language() == "en":
        return message
    hint = ""
    guess = _GUESS.search(message)
    if guess:
        message = message[: guess.start()]
        hint = _(" (did you mean {guess}?)").format(guess=guess.group(1))
    for pattern, sentence in _USAGE_FORMS:
        match = pattern.match(message)
        if match:
            fields = match.groupdict()
            if fields.get("name") in ARGUMENT_NAMES:
                fields["name"] = _(ARGUMENT_NAMES[fields["name"]])
            return _(sentence).format(**fields) + hint
    return message + hint


ARGUMENT_NAMES = {
    "customer": N_("customer"),
    "when": N_("until"),
    "outcome": N_("outcome"),
    "file": N_("file"),
    "tier": N_("tier"),
    "name": N_("option"),
    "value": N_("value"),
    "import_id": N_("import number"),
    "level": N_("level"),
    "key": N_("template"),
    "text": N_("text"),
    "customer_name": N_("customer name"),
    "keep": N_("customer"),
    "other": N_("duplicate"),
}


def argument_name(name: str | None) -> str | None:
    """An argument as its help page names it: 客户, 结果 ... (None: the default, English)."""
    found = ARGUMENT_NAMES.get(name or "")
    return _(found) if found and language() != "en" else None


_GUESS = _Pattern(r"\s*Did you mean (.+?)\?$")


def money(value: object) -> str:
    """An amount as a shop reads it: ¥1,280.00 in Chinese; 1,280.00 in English (no currency
    sign: the shop's currency is not known)."""
    if value is None or value == "":
        return ""
    try:
        amount = float(str(value))
    except ValueError:
        return str(value)
    if language() == "en":
        return f"{amount:,.2f}"
    return _("¥{amount:,.2f}").format(amount=amount)


FIELD_NAMES = {
    "customer_id": N_("customer id"),
    "name": N_("name"),
    "phone": N_("phone"),
    "email": N_("e-mail"),
    "tier": N_("tier"),
    "owner": N_("owner"),
    "branch": N_("branch"),
    "first_purchase": N_("first purchase"),
    "last_purchase": N_("last purchase"),
    "added": N_("date added"),
    "contract_end": N_("contract ends"),
    "status": N_("status"),
    "churned_on": N_("churned on"),
    "converted_on": N_("converted on"),
    "do_not_contact": N_("do not contact"),
    "last_contact": N_("last contact"),
    "last_outcome": N_("last outcome"),
    "spend": N_("spend"),
    "notes": N_("notes"),
    "extra": N_("other fields"),
    "next_due": N_("next follow-up"),
    "next_reason": N_("why"),
    # Purchases drive the plan (segments.py)
    "segment": N_("value segment"),
    "rfm": N_("RFM scores"),
    "purchase_days": N_("purchase days"),
}


def _worded(names: dict[str, str], key: str, english: str) -> str:
    """`english` in English; elsewhere the translated name from `names`, else the key itself."""
    if language() == "en":
        return english
    name = names.get(key)
    return _(name) if name else key


def field(key: str) -> str:
    """A customer field's name in `show` (English keeps the key itself)."""
    return _worded(FIELD_NAMES, key, key)


COUNTED_NAMES = {
    "customers": N_("customers"),
    "followups": N_("follow-ups"),
    "contacts": N_("contacts"),
    "purchases": N_("purchases"),
    "imports": N_("imports"),
    "open_followups": N_("open follow-ups"),
}


def counted(key: str) -> str:
    """What `doctor` counted (English: the table name with spaces)."""
    return _worded(COUNTED_NAMES, key, key.replace("_", " "))


_DIMENSION_WORDS = {
    "tier": N_("tier"),
    "owner": N_("owner"),
    "channel": N_("channel"),
    "month": N_("month"),
    "branch": N_("branch"),
}


def dimensions(by: list[str]) -> str:
    """'tier and owner': the breakdown named in a title."""
    return _(" and ").join(_(_DIMENSION_WORDS.get(d, d)) for d in by)


COLUMN_NAMES = {
    "from": N_("from"),
    "to": N_("to"),
    "tier": N_("tier"),
    "owner": N_("owner"),
    "channel": N_("channel"),
    "month": N_("month"),
    "branch": N_("branch"),
    "planned": N_("planned"),
    "completed": N_("completed"),
    "success_rate": N_("success rate"),
    "active_at_start": N_("active at start"),
    "churned": N_("churned"),
    "churn_rate": N_("churn rate"),
    "prospects": N_("prospects"),
    "converted": N_("converted"),
    "conversion_rate": N_("conversion rate"),
    "csat_responses": N_("CSAT scores"),
    "csat_mean": N_("CSAT mean"),
    "csat_satisfied_share": N_("CSAT 4-5"),
    "nps_responses": N_("NPS answers"),
    "nps": N_("NPS"),
    "overdue": N_("overdue"),
    "churn_risk": N_("churn risk"),
}


def column(key: str) -> str:
    """A report column's heading in an `--excel` file (English keeps the key)."""
    return _worded(COLUMN_NAMES, key, key)


_OS_ERRORS = {
    "ENOENT": N_("no such file or folder"),
    "EACCES": N_("permission denied"),
    "EPERM": N_("operation not permitted"),
    "ENOSPC": N_("the disk is full"),
    "EROFS": N_("the file system is read-only"),
    "EISDIR": N_("it is a folder"),
    "ENOTDIR": N_("not a folder"),
    "EEXIST": N_("it already exists"),
}


def os_error(exc: OSError) -> str:
    """The system's reason for a failed file operation, in the reader's language."""
    import errno

    name = errno.errorcode.get(exc.errno or 0, "")
    if language() != "en" and name in _OS_ERRORS:
        return _(_OS_ERRORS[name])
    return exc.strerror or str(exc)
