"""The exports shops really have: which columns each system writes, and what they mean.

A layout is recognised by a few columns only that system writes together (its signature).
Its `columns` say what a column means in that export where the general aliases would
guess wrong or not at all: in Shopify's order export `Name` is the order number and `Id`
the order's id, never the customer's. An explicit `--map` still wins over both.
Header keys are compared after `header_key` (case, spaces, `_` and `-` ignored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def header_key(text: str) -> str:
    """Case, surrounding spaces, and spaces/underscores/hyphens are not significant."""
    return re.sub(r"[\s_\-]+", " ", text.strip().casefold()).strip()


@dataclass(frozen=True)
class Layout:
    name: str  # as the summary says it: "read as a Shopify customers export"
    kind: str  # customers | purchases
    signature: tuple[str, ...]  # header keys that must all be present
    columns: dict[str, str] = field(default_factory=dict)  # header key -> field
    ignore: tuple[str, ...] = ()  # columns that must never be taken for one of our fields
    # A row with a name and no id, phone or e-mail is someone reachable only inside the system
    # that exported them (a 企业微信 contact never given a phone): skipped and counted, where
    # in any other file it is a rejection.
    skip_keyless: bool = False


LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "Shopify customers (2023+)",
        "customers",
        ("customer id", "default address country code", "accepts email marketing"),
        {
            "customer id": "id",
            "default address phone": "phone2",
            "default address country code": "country",
            "tags": "tags",
        },
    ),
    Layout(
        "Shopify customers (2022)",
        "customers",
        ("accepts email marketing", "country code", "province code", "total spent"),
        {"country code": "country", "tags": "tags"},
    ),
    Layout(
        "Shopify orders",
        "purchases",
        ("financial status", "lineitem name", "lineitem quantity"),
        {
            "name": "order",
            "email": "email",
            "phone": "phone",
            "billing phone": "phone2",
            "billing country": "country",
            "billing name": "name",
            "created at": "date",
            "paid at": "date2",
            "total": "amount",
            "financial status": "status",
            "cancelled at": "cancelled",
        },
        ignore=("id",),
    ),
    Layout(
        "WooCommerce customers",
        "customers",
        ("username", "last active", "sign up", "aov"),
        {"last active": "last_purchase", "sign up": "added", "country / region": "country"},
    ),
    Layout(
        "Square customer directory",
        "customers",
        ("square customer id", "first visit", "last visit"),
        {
            "square customer id": "id",
            "reference id": "ref2",
            "first visit": "first_purchase",
            "last visit": "last_purchase",
            "memo": "notes",
            "nickname": "nickname",
        },
    ),
    Layout(
        "Mailchimp audience",
        "customers",
        ("email address", "member rating", "optin time"),
        {"optin time": "added", "cc": "country", "tags": "tags", "notes": "notes"},
    ),
    Layout(
        "HubSpot contacts",
        "customers",
        ("record id", "lifecycle stage"),
        {"record id": "id", "create date": "added", "lifecycle stage": "tier"},
    ),
    Layout(
        "有赞 customers",
        "customers",
        ("客户昵称", "免费等级"),
        {"免费等级": "level2", "付费等级": "tier", "成为客户时间": "added"},
    ),
    Layout(
        "银豹 members",
        "customers",
        ("会员号", "会员姓名", "开卡日期"),
        {"会员号": "id", "会员姓名": "name", "开卡日期": "added"},
    ),
    Layout(
        "美团/客如云 members",
        "customers",
        ("会员卡号", "开卡时间"),
        {"会员卡号": "id", "开卡时间": "added", "最近消费时间": "last_purchase"},
    ),
    Layout(
        "收银 sales receipts",
        "purchases",
        ("单据号", "销售时间"),
        {
            "单据号": "order",
            "销售时间": "date",
            "会员手机号": "phone",
            "会员卡号": "id",
            "实收金额": "amount",
            "单据状态": "status",
        },
        ignore=("门店", "收银员", "应收金额"),
    ),
    Layout(
        "收银 sales receipts",
        "purchases",
        ("小票号", "实收金额"),
        {"小票号": "order", "会员手机号": "phone", "会员卡号": "id", "实收金额": "amount"},
        ignore=("门店", "收银员", "应收金额"),
    ),
    Layout(
        "企业微信 customers",
        "customers",
        ("备注名", "备注手机号", "添加人"),
        {
            "客户名称": "nickname",  # the WeChat nickname (`🌸芳芳`), a name only when no 备注名
            "备注名": "name",
            "备注手机号": "phone",
            "添加人": "owner",
            "添加时间": "added",
            "标签": "tags",
        },
        skip_keyless=True,
    ),
    Layout(
        "淘宝 orders",
        "purchases",
        ("订单编号", "买家会员名", "订单状态"),
        {
            "订单编号": "order",
            "联系手机": "phone",
            "联系电话": "phone2",
            "收货人姓名": "name",
            "订单付款时间": "date",
            "订单创建时间": "date2",
            "买家实际支付金额": "amount",
            "订单状态": "status",
        },
        ignore=("买家会员名",),
    ),
)


def recognise(header: list[str], kind: str) -> Layout | None:
    """The known export this header comes from (the most specific match), or None."""
    keys = {header_key(cell) for cell in header}
    found = [layout for layout in LAYOUTS if set(layout.signature) <= keys]
    if not found:
        return None
    found.sort(key=lambda layout: (layout.kind != kind, -len(layout.signature)))
    return found[0]


# --- levels and stages -> tiers -----------------------------------------------------------------

_NUMBERED_LEVEL = re.compile(r"^(vip|v|lv|level)\.?\d+")


def level_key(text: str) -> str:
    return "".join(text.casefold().split())


class LevelTable:
    """Finds the tier for a level, a stage or a tag.

    An exact entry wins; else the longest word of the table found inside the text
    (`VIP3 金卡会员` holds `vip`, `金卡` and `会员`); words of the same length go to the
    more important tier (lower rank), so `钻石会员` is vip, not regular.
    """

    def __init__(self, words: dict[str, str], ranks: dict[str, int]) -> None:
        self.exact = {level_key(w): t for w, t in words.items()}
        self.ordered = sorted(
            self.exact.items(), key=lambda item: (-len(item[0]), ranks.get(item[1], 99))
        )
        self.ranks = ranks
        self.cache: dict[str, str | None] = {}

    def tier_for(self, text: str) -> str | None:
        key = level_key(text)
        if key in self.cache:
            return self.cache[key]
        tier = self.exact.get(key)
        if tier is None:
            named = _NUMBERED_LEVEL.sub("", key)
            if named != key and named:
                # 有赞 numbers every level `VIPn 名称`: the name says what it is, not the
                # prefix (`VIP1 普通会员` is a regular customer)
                tier = self.exact.get(named) or self._inside(named)
            if tier is None:
                tier = self._inside(key)
        self.cache[key] = tier
        return tier

    def _inside(self, key: str) -> str | None:
        for word, candidate in self.ordered:
            if word and word in key:
                return candidate
        return None

    def best(self, tiers: list[str]) -> str | None:
        """The most important of several tiers (a customer with tags `VIP, newsletter`)."""
        return min(tiers, key=lambda t: self.ranks.get(t, 99)) if tiers else None
