"""Words a person may type for outcomes, channels, tiers and report breakdowns, in English or
Chinese, in any case: each is turned into the one stable value the file keeps.

`followup log C001 已联系 --channel 微信` is `followup log C001 reached --channel wechat`.
"""

from __future__ import annotations

from typing import Any

from followup_cli.core.models import CHANNELS, OUTCOMES
from followup_cli.i18n import _, language

# What a shop assistant says happened, per outcome (DOMAIN.md): the first word is the one
# `followup` shows in Chinese. A call not answered for any reason (switched off, busy, the
# number suspended, the call refused) is a no-answer: it is tried again.
OUTCOME_TABLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "reached",
        (
            "已联系",
            "已接通",
            "接通了",
            "接通",
            "打通了",
            "联系上",
            "已联系上",
            "联系上了",
            "已回访",
            "回访了",
            "满意",
            "聊过了",
            "成功",
        ),
    ),
    (
        "no-answer",
        (
            "未接通",
            "没人接",
            "无人接听",
            "没接",
            "没接通",
            "未接",
            "打不通",
            "关机",
            "占线",
            "停机",
            "拒接",
            "无法接通",
            "不在服务区",
        ),
    ),
    ("complaint", ("投诉", "投诉了", "不满意", "有投诉", "抱怨", "差评")),
    ("converted", ("成交", "已成交", "下单了", "已下单", "已购买", "买了", "购买了", "转化")),
    ("lost", ("流失", "已流失", "不来了", "不再来了", "搬走了")),
    ("opt-out", ("勿扰", "不要再打", "别再打了", "不要打了", "拉黑", "拒绝联系", "退订", "拒收")),
)
OUTCOME_WORDS: dict[str, str] = {
    **{o: o for o in OUTCOMES},
    "no_answer": "no-answer",
    "noanswer": "no-answer",
    "optout": "opt-out",
    "opt_out": "opt-out",
    "no answer": "no-answer",
    "opt out": "opt-out",
    **{word: value for value, words in OUTCOME_TABLE for word in words},
}
CHANNEL_WORDS: dict[str, str] = {
    **{c: c for c in CHANNELS},
    "e-mail": "email",
    "电话": "phone",
    "手机": "phone",
    "打电话": "phone",
    "电话回访": "phone",
    "发短信": "sms",
    "企业微信": "wechat",
    "企微": "wechat",
    "微信回访": "wechat",
    "当面": "visit",
    "面谈": "visit",
    "短信": "sms",
    "微信": "wechat",
    "邮件": "email",
    "电子邮件": "email",
    "邮箱": "email",
    "到店": "visit",
    "上门": "visit",
    "拜访": "visit",
}
TIER_WORDS: dict[str, str] = {
    "vip客户": "vip",
    "重要客户": "vip",
    "新客户": "new",
    "新客": "new",
    "新": "new",
    "老客户": "regular",
    "普通客户": "regular",
    "老客": "regular",
    "老": "regular",
    "潜在客户": "prospect",
    "潜在": "prospect",
    "潜客": "prospect",
    "潜在顾客": "prospect",
    "意向客户": "prospect",
    "新顾客": "new",
    "老顾客": "regular",
    "普通会员": "regular",
    "vip会员": "vip",
    "贵宾": "vip",
}
DIMENSION_WORDS: dict[str, str] = {
    "tier": "tier",
    "owner": "owner",
    "channel": "channel",
    "month": "month",
    "等级": "tier",
    "客户等级": "tier",
    "负责人": "owner",
    "员工": "owner",
    "渠道": "channel",
    "月份": "month",
    "月": "month",
    "branch": "branch",
    "门店": "branch",
    "分店": "branch",
    "分层": "segment",
    "价值分层": "segment",
}


def dimension_names() -> list[str]:
    """The breakdowns `report --by` takes, as the reader would type them (等级, 负责人 ...)."""
    from followup_cli.core.metrics import DIMENSIONS

    if language() == "en":
        return list(DIMENSIONS)
    typed = {key: word for word, key in reversed(DIMENSION_WORDS.items()) if word != key}
    return [typed.get(key, key) for key in DIMENSIONS]


def _key(text: str) -> str:
    return text.strip().lower()


def outcome(text: str) -> str:
    """An outcome from what was typed; FollowupError suggesting the nearest words otherwise."""
    found = OUTCOME_WORDS.get(_key(text))
    if found is None:
        from followup_cli.errors import FollowupError

        guesses = nearest_outcome_words(text)
        if guesses:
            raise FollowupError(
                _("{value!r} is not a word we know: did you mean {guesses}?").format(
                    value=text, guesses=_(", ").join(guesses)
                )
            )
        raise FollowupError(
            _(
                "{value!r} is not one of reached, no-answer, complaint, converted, lost, "
                "opt-out (also 已接通, 没人接, 投诉了, 下单了, 流失, 不要再打; every word is in "
                "the help)"
            ).format(value=text)
        )
    return found


def nearest_outcome_words(text: str, most: int = 3) -> list[str]:
    """The known outcome words nearest what was typed: Chinese ones for a Chinese word (and
    both 满意 and 不满意 for 满意了: the reader picks), English ones for an English word."""
    import difflib

    key = _key(text)
    chinese = not key.isascii()
    words = [w for w in OUTCOME_WORDS if not w.isascii()] if chinese else list(OUTCOMES)
    return difflib.get_close_matches(key, words, n=most, cutoff=0.5 if chinese else 0.7)


def outcome_words_help(width: int = 76) -> str:
    """The table of outcome words for `log --help`, in the reader's language, each outcome's
    words wrapped to `width` columns between words (`\b`: click keeps the lines)."""
    from followup_cli.text import text_width
    from followup_cli.wording import outcome as outcome_name

    separator = _(", ")
    lines = [_("Words for each outcome:")]
    for value, words in OUTCOME_TABLE:
        name = outcome_name(value)
        if name == value:
            head = _("  {outcome}: {words}").format(outcome=value, words="")
        else:
            head = _("  {name} ({outcome}): {words}").format(name=name, outcome=value, words="")
        line = head
        for position, word in enumerate(words):
            piece = word + (separator if position < len(words) - 1 else "")
            if line.strip() and line != head and text_width(line + piece.rstrip()) > width:
                lines.append(line.rstrip())
                line = "    "
            line += piece
        lines.append(line.rstrip())
    return "\b\n" + "\n".join(lines)


def shown_outcome(typed: str, value: str) -> str:
    """已接通 if that is what the owner typed; else the outcome's name in the reader's language."""
    from followup_cli.wording import outcome as outcome_name

    return typed if typed and not typed.isascii() else outcome_name(value)


def add_outcome_words(log_command: Any, width: int | None) -> None:
    """`log --help` lists every word taken for each outcome, before its examples, wrapped to
    the help page's width (click's: the terminal's, at most 80)."""
    import shutil

    if not hasattr(log_command, "_examples_epilog"):
        log_command._examples_epilog = log_command.epilog
    columns = min(width or shutil.get_terminal_size().columns, 80)
    words = outcome_words_help(columns - 4)  # click indents an epilog by two
    examples = log_command._examples_epilog
    log_command.epilog = f"{words}\n\n{examples}" if examples else words


def channel(text: str) -> str:
    found = CHANNEL_WORDS.get(_key(text))
    if found is None:
        from followup_cli.errors import FollowupError

        raise FollowupError(
            _(
                "channel {value!r} is not one of phone, sms, email, wechat, visit "
                "(also 电话, 短信, 微信, 邮件, 到店)"
            ).format(value=text)
        )
    return found


def tier(text: str) -> str:
    """A tier from what was typed: Chinese names map to the built-in tiers, others pass on."""
    key = _key(text)
    return TIER_WORDS.get(key, key)


def dimension(text: str) -> str:
    key = _key(text)
    return DIMENSION_WORDS.get(key, key)
