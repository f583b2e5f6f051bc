"""Which of a file's columns are which of our fields: the header's names, matched.

The shop's column names (in English and Chinese, as tills, web shops and member systems
export them) are known here, beside the helper columns that fill a field without being one
(split names, a nickname, a second phone). `HeaderMap.match` tells a header row from the
title lines above it; `HeaderMap.build` refuses a file with no way to know who a row is.
No database and no cell values here: clean.py reads the cells these columns point at.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from followup_cli.core.models import CUSTOMER_FIELDS
from followup_cli.errors import EXIT_NOTHING_IMPORTED, FollowupError
from followup_cli.i18n import _
from followup_cli.imports.known_layouts import Layout, header_key

FIELDS = CUSTOMER_FIELDS

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "id": (
        "id",
        "customer id",
        "customer no",
        "customer number",
        "record id",
        "square customer id",
        "member id",
        "客户编号",
        "编号",
        "客户id",
        "会员号",
        "会员卡号",
        "会员编号",
        "卡号",
        "会员id",
        "会员卡号码",
    ),
    "name": (
        "name",
        "customer name",
        "customer",
        "full name",
        "客户名称",
        "姓名",
        "客户姓名",
        "会员姓名",
        "会员名称",
        "名称",
        "备注名",
    ),
    "phone": (
        "phone",
        "mobile",
        "tel",
        "telephone",
        "phone number",
        "mobile phone",
        "mobile phone number",
        "电话",
        "手机",
        "手机号",
        "手机号码",
        "客户手机号",
        "会员手机号",
        "联系手机",
        "备注手机号",
        "会员手机",
        "联系方式",
    ),
    "email": ("email", "e mail", "mail", "email address", "邮箱", "电子邮件", "电子邮箱"),
    "tier": (
        "tier",
        "grade",
        "level",
        "type",
        "customer type",
        "lifecycle stage",
        "客户类型",
        "客户等级",
        "等级",
        "类型",
        "会员等级",
        "会员类型",
        "付费等级",
        "会员级别",
        "客户级别",
    ),
    "first_purchase": (
        "first purchase",
        "first purchase date",
        "first visit",
        "首次购买日期",
        "首次购买",
        "首次消费时间",
    ),
    "last_purchase": (
        "last purchase",
        "last purchase date",
        "last visit",
        "last order date",
        "最近购买日期",
        "最近购买",
        "最后购买日期",
        "最近消费时间",
        "最后消费时间",
        "最近消费",
        "最后消费",
        "最近消费日期",
        "最后消费日期",
    ),
    "added": (
        "added",
        "date added",
        "customer since",
        "created at",
        "create date",
        "sign up",
        "注册日期",
        "注册时间",
        "加入日期",
        "创建日期",
        "创建时间",
        "开卡日期",
        "开卡时间",
        "成为客户时间",
        "入会时间",
        "入会日期",
        "添加时间",
        "注册日",
    ),
    "owner": ("owner", "staff", "contact owner", "负责人", "跟进人", "添加人", "所属员工"),
    "notes": ("notes", "note", "remarks", "memo", "备注"),
    "contract_end": (
        "contract end",
        "membership end",
        "renewal date",
        "合同到期日",
        "会员到期日",
        "到期日",
    ),
    # A chain's branch: member exports of 银豹/客如云 say 所属门店 (or the store the card was
    # opened at), Shopify and POS exports `Location`/`Store`.
    "branch": (
        "branch",
        "store",
        "store name",
        "location",
        "branch name",
        "所属门店",
        "门店",
        "归属门店",
        "门店名称",
        "所属店铺",
        "所属分店",
        "分店",
        "开卡门店",
    ),
}
# Columns that help to fill our fields without being one: split names, a nickname to name
# people who left none, a second phone, the row's country, tags and a second level column.
HELPER_ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "firstname", "given name", "名"),
    "last_name": ("last name", "lastname", "surname", "family name", "姓"),
    "nickname": ("nickname", "客户昵称", "昵称", "微信昵称"),
    "phone2": ("default address phone", "联系电话", "座机", "other phone"),
    "country": (
        "country code",
        "default address country code",
        "cc",
    ),
    # the country in words (or a code) where the file has no code column: United States, 美国
    "country_name": (
        "country",
        "country/region",
        "country / region",
        "address country",
        "国家",
        "国家/地区",
        "国家或地区",
    ),
    # Mailchimp: the date they confirmed, for contacts added without an opt-in time
    "added2": ("confirm time",),
    "tags": ("tags", "标签", "客户标签"),
    "level2": ("免费等级",),
    # What a member system says they spent and how often they came: kept with the customer
    # (their own purchases are what `import purchases` brings), and a visit tells a real
    # person from a placeholder row.
    "spend": (
        "累计消费",
        "累计消费金额",
        "累计消费金额(元)",
        "累计消费金额（元）",
        "消费总额",
        "total spent",
        "amount spent",
    ),
    "visits": ("消费次数", "累计消费次数", "到店次数", "total orders", "orders count"),
}
HELPER_FIELDS = tuple(HELPER_ALIASES)

ALL_FIELDS = (*FIELDS, *HELPER_FIELDS)


PURCHASE_FIELDS = ("id", "phone", "email", "date", "amount", "order")
PURCHASE_ALIASES: dict[str, tuple[str, ...]] = {
    "id": HEADER_ALIASES["id"],
    "phone": HEADER_ALIASES["phone"],
    "email": HEADER_ALIASES["email"],
    "date": (
        "date",
        "purchase date",
        "order date",
        "日期",
        "购买日期",
        "消费日期",
        "订单日期",
        "销售时间",
        "销售日期",
        "消费时间",
        "交易时间",
        "下单时间",
        "结账时间",
        "单据日期",
    ),
    "amount": (
        "amount",
        "total",
        "spend",
        "value",
        "金额",
        "消费金额",
        "订单金额",
        "实付金额",
        "实收金额",
        "实收",
        "实付",
        "应收金额",
        "销售金额",
        "单据金额",
    ),
    "order": (
        "order",
        "order id",
        "order no",
        "receipt",
        "订单号",
        "单号",
        "小票号",
        "订单编号",
        "单据号",
        "单据编号",
        "流水号",
        "小票编号",
        "销售单号",
    ),
    # helpers: a second phone and date, whether the order was paid, whose name it carries
    "phone2": ("联系电话", "billing phone"),
    "date2": ("订单创建时间", "created at"),
    "status": (
        "status",
        "order status",
        "financial status",
        "订单状态",
        "交易状态",
        "支付状态",
        "单据状态",
        "销售状态",
        "单据类型",
    ),
    "cancelled": ("cancelled at", "canceled at"),
    "name": ("customer name", "收货人姓名", "客户姓名", "姓名"),
    "country": ("country code", "billing country"),
}


def _alias_index(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {header_key(a): f for f, names in aliases.items() for a in names}


_ALIAS_INDEX = _alias_index({**HEADER_ALIASES, **HELPER_ALIASES})
_PURCHASE_INDEX = _alias_index(PURCHASE_ALIASES)


@dataclass
class HeaderMap:
    columns: dict[str, int]  # our field (or a helper field) -> column index
    extras: dict[str, int]  # unknown column name -> index, kept as extra fields
    layout: Layout | None = None
    names: dict[str, str] = field(default_factory=dict)  # field -> the column's own name

    @classmethod
    def build(
        cls,
        header: list[str],
        overrides: dict[str, str] | None = None,
        purchases: bool = False,
        layout: Layout | None = None,
    ) -> HeaderMap:
        """Our fields among the file's columns: --map first, then what the recognised
        layout says a column means, then the general aliases; the rest kept as extras."""
        found = cls.match(header, overrides, purchases, layout)
        columns = found.columns
        if purchases and ("date" not in columns or not {"id", "phone", "email"} & columns.keys()):
            raise FollowupError(
                _(
                    "no usable header: a purchases file needs a date column and one of "
                    "id/phone/email (use --map 'Column=field' for others)"
                ),
                EXIT_NOTHING_IMPORTED,
            )
        if not purchases and not {"id", "phone", "email"} & columns.keys():
            known = ", ".join(FIELDS)
            raise FollowupError(
                _(
                    "no usable header: need a name column and one of id/phone/email "
                    "(known columns: {known}; use --map 'Column=field' for others)"
                ).format(known=known),
                EXIT_NOTHING_IMPORTED,
            )
        return found

    @classmethod
    def match(
        cls,
        header: list[str],
        overrides: dict[str, str] | None = None,
        purchases: bool = False,
        layout: Layout | None = None,
    ) -> HeaderMap:
        wanted = {header_key(k): v for k, v in (overrides or {}).items()}
        aliases = _PURCHASE_INDEX if purchases else _ALIAS_INDEX
        meant = layout.columns if layout else {}
        ignored = set(layout.ignore) if layout else set()
        columns: dict[str, int] = {}
        extras: dict[str, int] = {}
        names: dict[str, str] = {}
        claimed = {wanted[k] for k in map(header_key, header) if k in wanted}
        for index, raw in enumerate(header):
            key = header_key(raw)
            if not key:
                continue  # trailing empty header cells, as Excel writes them
            target = wanted.get(key)
            if target is None:  # a field named by --map is never taken by a guess
                target = meant.get(key)
                if target is None and key not in ignored:
                    target = aliases.get(key)
                if target in claimed:
                    target = None
            if target and target not in columns:
                columns[target] = index
                names[target] = raw.strip()
            else:
                extras[raw.strip()] = index
        if "phone" not in columns and "phone2" in columns:
            columns["phone"] = columns.pop("phone2")  # the only phone column there is
            names["phone"] = names.pop("phone2")
        if "date" not in columns and "date2" in columns:
            columns["date"] = columns.pop("date2")
            names["date"] = names.pop("date2")
        return cls(columns, extras, layout, names)

    def usable(self, purchases: bool) -> bool:
        """Enough known columns to be a header row, not a title or an export-time line."""
        keys = self.columns.keys()
        if purchases:
            return "date" in keys and bool({"id", "phone", "email"} & keys)
        return len(keys) >= 2 and bool({"id", "phone", "email"} & keys)
