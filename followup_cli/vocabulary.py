"""Words a person may type for outcomes, channels, tiers and report breakdowns, in English or
Chinese, in any case: each is turned into the one stable value the file keeps.

`followup log C001 已联系 --channel 微信` is `followup log C001 reached --channel wechat`.
"""

from __future__ import annotations

from followup_cli.i18n import _
from followup_cli.models import CHANNELS, OUTCOMES

OUTCOME_WORDS: dict[str, str] = {
    **{o: o for o in OUTCOMES},
    "no_answer": "no-answer",
    "noanswer": "no-answer",
    "optout": "opt-out",
    "opt_out": "opt-out",
    "已联系": "reached",
    "联系上": "reached",
    "已联系上": "reached",
    "成功": "reached",
    "未接通": "no-answer",
    "无人接听": "no-answer",
    "没接": "no-answer",
    "投诉": "complaint",
    "成交": "converted",
    "转化": "converted",
    "已成交": "converted",
    "流失": "lost",
    "已流失": "lost",
    "拒绝联系": "opt-out",
    "勿扰": "opt-out",
}
CHANNEL_WORDS: dict[str, str] = {
    **{c: c for c in CHANNELS},
    "e-mail": "email",
    "电话": "phone",
    "手机": "phone",
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
}


def _key(text: str) -> str:
    return text.strip().lower()


def outcome(text: str) -> str:
    """An outcome from what was typed; FollowupError naming the accepted words otherwise."""
    found = OUTCOME_WORDS.get(_key(text))
    if found is None:
        from followup_cli.errors import FollowupError

        raise FollowupError(
            _(
                "outcome {value!r} is not one of reached, no-answer, complaint, converted, lost, "
                "opt-out (also 已联系, 未接通, 投诉, 成交, 流失, 勿扰)"
            ).format(value=text)
        )
    return found


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
