"""What to say: message templates per reason, filled for one customer, and the send list.

`followup` never sends anything: it prepares the words (for `review`, or a CSV for a bulk SMS
or WeCom tool), the owner sends them, then logs what happened.

A template is plain text with fields in braces: {name}, {shop}, {days_since_purchase},
{last_purchase}, {owner}. Text in square brackets that holds a field is left out whole when
that field has no value (a customer who has not bought yet), so a sentence never reads
"since your purchase on ." Nothing else in a template is interpreted (no str.format), so an
owner's text can never reach into the program.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from followup_cli import storage
from followup_cli.errors import FollowupError
from followup_cli.i18n import _, language

FIELDS = ("name", "shop", "days_since_purchase", "last_purchase", "owner")

# Every reason a follow-up is made for, in the order `followup templates` lists them; "opt-out"
# is the line `--opt-out-line` adds to each message of a send list.
KEYS = (
    "first-week",
    "one-month",
    "regular",
    "vip",
    "prospect",
    "check-back",
    "renewal",
    "win-back",
    "opt-out",
)

# Each template's Chinese name (the first) and the other words an owner may call it by:
# `followup templates set 满月回访 ...` is `templates set one-month ...`.
CHINESE_NAMES: dict[str, tuple[str, ...]] = {
    "first-week": ("首周回访", "一周回访", "购后一周回访"),
    "one-month": ("满月回访", "一个月回访", "月度回访"),
    "regular": ("老客户回访", "定期回访", "普通客户回访"),
    "vip": ("VIP回访", "VIP客户回访", "重要客户回访"),
    "prospect": ("潜在客户跟进", "潜客跟进", "潜在客户回访"),
    "check-back": ("投诉回访", "回访确认满意", "投诉跟进"),
    "renewal": ("续约提醒", "续费提醒", "到期提醒"),
    "win-back": ("唤回", "挽回", "沉睡唤醒", "老客唤回"),
    "opt-out": ("退订提示", "退订", "拒收提示"),
}
_KEY_OF_WORD = {word.lower(): key for key, words in CHINESE_NAMES.items() for word in (key, *words)}


def named_template(text: str) -> str:
    """The template a person named, in English or Chinese (满月回访 -> one-month); an unknown
    name comes back as typed, lower-cased, for `validate` to refuse."""
    word = text.strip().lower()
    return _KEY_OF_WORD.get(word, word)


# The defaults, in the shop's language. Kept here rather than in the translation catalogue:
# they are the shop's words to its customers, which the owner rewrites, not interface text.
DEFAULTS: dict[str, dict[str, str]] = {
    "en": {
        "first-week": (
            "Hi {name}, this is {owner} from {shop}. It has been a week since your purchase"
            "[ on {last_purchase}] - is everything going well? Any questions, just reply."
        ),
        "one-month": (
            "Hi {name}, {owner} from {shop} here. It has been about a month"
            "[ ({days_since_purchase} days)] since your purchase - how are you finding it?"
        ),
        "regular": (
            "Hi {name}, it's {owner} from {shop}. Just checking in"
            "[ - it has been {days_since_purchase} days since your last visit]. "
            "Is there anything we can help with?"
        ),
        "vip": (
            "Dear {name}, {owner} from {shop} here. Thank you for being one of our best "
            "customers.[ Your last visit was on {last_purchase}.] Is there anything we can set "
            "aside for you?"
        ),
        "prospect": (
            "Hi {name}, this is {owner} from {shop}. Thank you for your interest - we have new "
            "arrivals this week; would you like to drop by?"
        ),
        "check-back": (
            "Hi {name}, {owner} from {shop} again. We are sorry about the trouble you had - "
            "has it been put right to your satisfaction?"
        ),
        "renewal": (
            "Hi {name}, {owner} from {shop}. Your membership is due for renewal soon - may I "
            "tell you about the options?"
        ),
        "win-back": (
            "Hi {name}, we have missed you at {shop}![ It has been {days_since_purchase} days "
            "since your last visit.] Come by any time - {owner} would be glad to see you."
        ),
        "opt-out": "Reply R to opt out",
    },
    "zh_CN": {
        "first-week": (
            "{name}您好，我是{shop}的{owner}。您[在{last_purchase}]购买的商品已经使用一周了，"
            "一切还顺利吗？有任何问题随时回复我。"
        ),
        "one-month": (
            "{name}您好，我是{shop}的{owner}。您购买的商品已经使用一个月左右"
            "[（{days_since_purchase}天）]了，感觉怎么样？欢迎提出宝贵意见。"
        ),
        "regular": (
            "{name}您好，我是{shop}的{owner}。[距您上次光临已有{days_since_purchase}天，]"
            "特来问候，最近有什么需要我们帮忙的吗？"
        ),
        "vip": (
            "尊敬的{name}，您好！我是{shop}的{owner}，感谢您一直以来的支持。"
            "[您上次光临是{last_purchase}，]最近有什么需要为您预留的吗？"
        ),
        "prospect": (
            "{name}您好，我是{shop}的{owner}。感谢您对我们的关注，本周有新品到店，欢迎随时来看看。"
        ),
        "check-back": (
            "{name}您好，我是{shop}的{owner}。之前给您带来的不便非常抱歉，"
            "想确认一下问题是否已经妥善解决，您还满意吗？"
        ),
        "renewal": (
            "{name}您好，我是{shop}的{owner}。您的会员即将到期，需要为您介绍一下续费方案吗？"
        ),
        "win-back": (
            "{name}您好，好久不见！[距您上次光临已有{days_since_purchase}天，]"
            "{shop}很想念您，{owner}随时欢迎您回来看看。"
        ),
        "opt-out": "拒收请回复R",
    },
}

# What a field reads as when the customer has no value for it and the template did not put it
# in [brackets]: a neutral word rather than a gap.
FALLBACKS: dict[str, dict[str, str]] = {
    "en": {
        "name": "there",
        "shop": "our shop",
        "owner": "the team",
        "last_purchase": "your last visit",
        "days_since_purchase": "some",
    },
    "zh_CN": {
        "name": "顾客",
        "shop": "本店",
        "owner": "店员",
        "last_purchase": "上次",
        "days_since_purchase": "一些",
    },
}

_FIELD = re.compile(r"\{([^{}]*)\}")
_SECTION = re.compile(r"\[([^\[\]]*)\]")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _lang(lang: str | None) -> str:
    chosen = lang or language()
    return chosen if chosen in DEFAULTS else "en"


def default_text(key: str, lang: str | None = None) -> str:
    return DEFAULTS[_lang(lang)][key]


# --- pure parts: which template, which values, the filled text ---------------------------------


def template_key(kind: str, tier: str, win_back: bool, anchor: str | None, due_date: str) -> str:
    """The reason a follow-up is made for, as a template key.

    A milestone counted from the first purchase is the first-week check (up to 13 days after
    it), the one-month check (up to 45 days) or, later on, a regular check.
    """
    if kind == "check-back":
        return "check-back"
    if kind == "renewal":
        return "renewal"
    if win_back:
        return "win-back"
    if kind == "step" and anchor:
        days = (date.fromisoformat(due_date) - date.fromisoformat(anchor)).days
        if days <= 13:
            return "first-week"
        if days <= 45:
            return "one-month"
        return "regular"
    if tier in ("vip", "prospect"):
        return tier
    return "regular"


def human_date(day: date, lang: str | None = None) -> str:
    """A date as a customer reads it: 5 October 2026, or 2026年10月5日."""
    if _lang(lang) == "zh_CN":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def field_values(
    name: str | None,
    shop: str | None,
    owner: str | None,
    last_purchase: date | None,
    today: date,
    lang: str | None = None,
) -> dict[str, str | None]:
    """A customer's values for every field; None where there is nothing to say."""
    return {
        "name": name or None,
        "shop": shop or None,
        "owner": owner or None,
        "last_purchase": human_date(last_purchase, lang) if last_purchase else None,
        "days_since_purchase": (
            str(max(0, (today - last_purchase).days)) if last_purchase else None
        ),
    }


def fill(text: str, values: Mapping[str, str | None], lang: str | None = None) -> str:
    """The template with its fields filled; [bracketed] text with a missing field left out."""

    def section(match: re.Match[str]) -> str:
        inner = match.group(1)
        used = [m.group(1) for m in _FIELD.finditer(inner) if m.group(1) in FIELDS]
        if not used:
            return match.group(0)  # brackets with no field in them are the owner's own text
        if any(not values.get(f) for f in used):
            return ""
        return inner

    fallbacks = FALLBACKS[_lang(lang)]

    def field(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in FIELDS:
            return match.group(0)
        return values.get(name) or fallbacks[name]

    return _FIELD.sub(field, _SECTION.sub(section, text)).strip()


def validate(key: str, text: str) -> str:
    """The template text, checked: a known key, some text, only known fields."""
    if key not in KEYS:
        from followup_cli.i18n import language

        if language() == "en":
            keys = ", ".join(KEYS)
        else:
            keys = _(", ").join(f"{CHINESE_NAMES[k][0]}（{k}）" for k in KEYS)
        raise FollowupError(
            _("unknown template {key!r} (templates: {keys})").format(key=key, keys=keys)
        )
    text = text.strip()
    if not text:
        raise FollowupError(_("template {key} must not be empty").format(key=key))
    for match in _FIELD.finditer(text):
        if match.group(1) not in FIELDS:
            raise FollowupError(
                _("unknown field {field} in template {key} (fields: {fields})").format(
                    field=match.group(0),
                    key=key,
                    fields=", ".join(f"{{{f}}}" for f in FIELDS),
                )
            )
    return text


def sms_text(message: str, signature: str | None, opt_out: str | None) -> str:
    """A message as Chinese carriers want it: 【signature】 first, the opt-out line last."""
    signature = (signature or "").strip().strip("【】[]").strip()
    if signature:
        message = f"【{signature}】{message}"
    if opt_out:
        wide_end = message and ord(message[-1]) >= 0x2E80  # CJK text needs no space
        message = f"{message}{'' if wide_end else ' '}{opt_out}"
    return message


# --- with the database ---------------------------------------------------------------------------


@dataclass
class Templates:
    """This shop's templates (the owner's wording over the defaults) and its name."""

    texts: dict[str, str]
    shop: str
    lang: str

    @classmethod
    def load(cls, conn: sqlite3.Connection, lang: str | None = None) -> Templates:
        chosen = _lang(lang)
        texts = {**DEFAULTS[chosen], **storage.load_templates(conn)}
        return cls(texts, storage.load_settings(conn).shop, chosen)

    def message(self, item: Any, today: date) -> tuple[str, str]:
        """(template key, filled text) for one line of today's list (a commands.due.DueItem)."""
        key = template_key(item.kind, item.tier, item.win_back, item.anchor, item.due_date)
        last = date.fromisoformat(item.last_purchase) if item.last_purchase else None
        values = field_values(item.name, self.shop, item.owner, last, today, self.lang)
        return key, fill(self.texts[key], values, self.lang)


def list_templates(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    own = storage.load_templates(conn)
    return [
        {"key": key, "text": own.get(key, default_text(key)), "custom": key in own} for key in KEYS
    ]


def shop_name(conn: sqlite3.Connection) -> str:
    """The shop's name for {shop}; empty until the owner sets option `shop`."""
    return storage.load_settings(conn).shop


def set_template(conn: sqlite3.Connection, key: str, text: str) -> dict[str, Any]:
    key = named_template(key)
    text = validate(key, text)
    with storage.transaction(conn):
        storage.save_template(conn, key, text, storage.write_stamp())
    return {"key": key, "text": text, "custom": True}


def reset_templates(conn: sqlite3.Connection, key: str | None) -> dict[str, Any]:
    if key is not None:
        key = named_template(key)
        validate(key, "-")
    with storage.transaction(conn):
        reset = storage.delete_templates(conn, key)
    return {"key": key, "reset": reset}


def send_list(
    conn: sqlite3.Connection,
    items: Sequence[Any],
    today: date,
    signature: str | None = None,
    opt_out_line: bool = False,
) -> tuple[list[dict[str, Any]], list[Any]]:
    """One row per customer on today's list with a phone: the filled message to send.

    Returns (rows, left out): customers without a phone cannot be in an SMS send list.
    """
    templates = Templates.load(conn)
    opt_out = templates.texts["opt-out"] if opt_out_line else None
    rows, left_out = [], []
    for item in items:
        if not item.phone:
            left_out.append(item)
            continue
        key, text = templates.message(item, today)
        rows.append(
            {
                "customer_id": item.customer_id,
                "name": item.name,
                "phone": item.phone,
                "owner": item.owner,
                "template": key,
                "message": sms_text(text, signature, opt_out),
            }
        )
    return rows, left_out
