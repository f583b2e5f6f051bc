"""Eleven real export layouts, imported with no reading flag at all.

Each fixture is written here from the system's public column list (header names and order,
value forms), with invented people and the messy rows real exports carry: rows above the
header, total rows, split and missing names, phones of other countries, Shopify's `'`
prefix, Excel's `.0` and serial dates, member levels, shared phones, line items and unpaid
orders. `--date` only pins the day (the exports' dates must not be in the future).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import pytest
from test_import import customers

from followup_cli.imports import read_ahead as readahead
from followup_cli.imports import run as imports


@pytest.fixture(autouse=True, params=["read here", "read ahead"])
def reading(request: pytest.FixtureRequest, engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each layout is read in this process and, as a big file is, in a second process."""
    if request.param == "read ahead":
        if engine != "sqlite" or not readahead.can_fork():
            pytest.skip("read ahead alike on every engine: checked once, on SQLite")
        monkeypatch.setattr(imports, "READ_AHEAD_BYTES", 0)


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return str(path)


def write_xlsx(path: Path, rows: list[list[object]], merged: tuple[str, ...] = ()) -> str:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for cells in merged:
        sheet.merge_cells(cells)  # the title rows Chinese back offices put above the header
    book.save(path)
    return str(path)


def imported(cli, path: str, kind: str = "customers", code: int = 0) -> dict:
    import json

    result = cli("import", kind, path, "--date", "2025-06-01", "--format", "json", code=code)
    out = json.loads(result.stdout)
    out["stderr"] = result.stderr
    return out


SHOPIFY_2023 = [
    "Customer ID",
    "First Name",
    "Last Name",
    "Email",
    "Accepts Email Marketing",
    "Default Address Company",
    "Default Address Address1",
    "Default Address Address2",
    "Default Address City",
    "Default Address Province Code",
    "Default Address Country Code",
    "Default Address Zip",
    "Default Address Phone",
    "Phone",
    "Accepts SMS Marketing",
    "Total Spent",
    "Total Orders",
    "Note",
    "Tax Exempt",
    "Tags",
]


def test_shopify_customers_2023(cli, tmp_path):
    def row(cid, first, last, email, city, country, address_phone, phone, tags):
        return [
            cid,
            first,
            last,
            email,
            "yes",
            "",
            "1 Main St",
            "",
            city,
            "",
            country,
            "",
            address_phone,
            phone,
            "no",
            "10.00",
            "1",
            "",
            "no",
            tags,
        ]

    rows = [
        SHOPIFY_2023,
        row(
            "'7985351721238",
            "Emma",
            "Johnson",
            "emma.j@example.com",
            "Ottawa",
            "CA",
            "",
            "'+1 613-555-0123",
            "VIP, newsletter",
        ),
        row("'7985351721239", "", "", "liam.k@example.com", "", "", "", "", "newsletter"),
        row("'7985351721240", "Olivia", "Brown", "", "San Jose", "US", "", "(408) 781-2076", ""),
        row(
            "'7985351721241",
            "James",
            "Smith",
            "james.s@example.co.uk",
            "London",
            "GB",
            "07700 900123",
            "",
            "",
        ),
        row("'7985351721242", "", "", "", "", "", "", "'+86 138 0013 8000", ""),
        row(
            "'7985351721243",
            "Noah",
            "Davis",
            "noah.d@example.com",
            "",
            "",
            "",
            "(408) 555-1234",
            "",
        ),
    ]
    out = imported(cli, write_csv(tmp_path / "customers_export.csv", rows))
    assert out["layout"] == "Shopify customers (2023+)"
    # 6 rows, 6 people; Liam (e-mail) and the phone-only row are named from what they left
    assert (out["added"], out["named_from_contact"], out["phones_left_out"]) == (6, 2, 1)
    # Noah's phone has no country and is no Chinese number: left out, not +864085551234
    assert (
        "line 7: column 'Phone': phone '(408) 555-1234' is not a valid number for CN"
        in (out["stderr"])
    )
    stored = customers(cli)
    assert (stored["7985351721238"]["name"], stored["7985351721238"]["phone"]) == (
        "Emma Johnson",
        "+16135550123",
    )
    assert stored["7985351721238"]["tier"] == "vip"  # tag VIP
    assert (stored["7985351721239"]["name"], stored["7985351721239"]["tier"]) == (
        "liam.k@example.com",
        "regular",
    )
    assert stored["7985351721240"]["phone"] == "+14087812076"  # country US, not +86
    assert stored["7985351721241"]["phone"] == "+447700900123"  # Default Address Phone, GB
    assert stored["7985351721242"]["name"] == "+8613800138000"
    assert stored["7985351721243"]["phone"] is None
    assert stored["7985351721243"]["added"] == "2025-06-01"  # no date in this export


def test_shopify_customers_2022(cli, tmp_path):
    header = [
        "First Name",
        "Last Name",
        "Email",
        "Accepts Email Marketing",
        "Company",
        "Address1",
        "Address2",
        "City",
        "Province",
        "Province Code",
        "Country",
        "Country Code",
        "Zip",
        "Phone",
        "Accepts SMS Marketing",
        "Total Spent",
        "Total Orders",
        "Tags",
        "Note",
        "Tax Exempt",
    ]

    def row(first, last, email, country, code, phone, tags):
        return [
            first,
            last,
            email,
            "yes",
            "",
            "",
            "",
            "",
            "",
            "",
            country,
            code,
            "",
            phone,
            "no",
            "0.00",
            "0",
            tags,
            "",
            "no",
        ]

    rows = [
        header,
        row("Ava", "Martin", "ava.m@example.com", "France", "FR", "'+33 6 12 34 56 21", "VIP"),
        row("Sophia", "Lee", "sophia.l@example.com", "United States", "US", "(212) 555-0112", ""),
        row("", "", "news.fan@example.com", "", "", "", "newsletter"),
        row("Sophia", "Lee", "SOPHIA.L@example.com", "United States", "US", "", "VIP"),
    ]
    out = imported(cli, write_csv(tmp_path / "customers_export.csv", rows))
    assert out["layout"] == "Shopify customers (2022)"
    # no customer id in this export: Sophia's second row (same e-mail) merges into the first
    assert (out["added"], out["merged"], out["named_from_contact"]) == (3, 1, 1)
    people = {c["email"]: c for c in customers(cli).values()}
    assert (people["ava.m@example.com"]["phone"], people["ava.m@example.com"]["tier"]) == (
        "+33612345621",
        "vip",
    )
    assert people["sophia.l@example.com"]["phone"] == "+12125550112"
    assert people["sophia.l@example.com"]["tier"] == "vip"  # her second row's tag
    assert people["news.fan@example.com"]["name"] == "news.fan@example.com"


def _plain_customers(cli, tmp_path, rows: str) -> None:
    path = tmp_path / "known.csv"
    path.write_text("id,name,phone,email,tier\n" + rows, encoding="utf-8")
    cli("import", "customers", str(path), "--date", "2025-04-01")


def test_shopify_orders_line_items_and_unpaid_orders(cli, tmp_path):
    _plain_customers(
        cli,
        tmp_path,
        "C1,Emma Johnson,,emma.j@example.com,regular\nC2,Olivia Brown,+14087812076,,\n",
    )
    header = [
        "Name",
        "Email",
        "Financial Status",
        "Paid at",
        "Fulfillment Status",
        "Currency",
        "Subtotal",
        "Shipping",
        "Taxes",
        "Total",
        "Created at",
        "Lineitem quantity",
        "Lineitem name",
        "Lineitem price",
        "Billing Name",
        "Billing Phone",
        "Billing Country",
        "Phone",
        "Cancelled at",
        "Refunded Amount",
        "Id",
    ]

    def order(name, email, status, total, created, item, phone="", cancelled="", oid=""):
        return [
            name,
            email,
            status,
            created if status == "paid" else "",
            "fulfilled",
            "USD",
            total,
            "",
            "",
            total,
            created,
            "1",
            item,
            "10.00",
            "",
            phone,
            "",
            "",
            cancelled,
            "",
            oid,
        ]

    rows = [
        header,
        order(
            "#1001",
            "emma.j@example.com",
            "paid",
            "45.00",
            "2025-05-11 04:32:30 -0400",
            "Teapot",
            oid="5500000001",
        ),
        order("#1001", "emma.j@example.com", "", "", "2025-05-11 04:32:30 -0400", "Cups"),
        order(
            "#1002",
            "",
            "paid",
            "20.00",
            "2025-05-20 10:00:00 -0400",
            "Tea",
            phone="'+1 408-781-2076",
            oid="C1",
        ),
        order(
            "#1003", "emma.j@example.com", "refunded", "30.00", "2025-05-21 09:00:00 -0400", "Tray"
        ),
        order(
            "#1004", "emma.j@example.com", "pending", "12.00", "2025-05-22 09:00:00 -0400", "Cosy"
        ),
        order(
            "#1005",
            "emma.j@example.com",
            "voided",
            "8.00",
            "2025-05-23 09:00:00 -0400",
            "Spoon",
            cancelled="2025-05-23 10:00:00 -0400",
        ),
    ]
    out = imported(cli, write_csv(tmp_path / "orders_export.csv", rows), "purchases")
    assert out["layout"] == "Shopify orders"
    # 6 rows: 2 orders bought, 1 line item of #1001 folded into it, 3 never paid or refunded
    assert (out["read"], out["added"], out["merged"], out["skipped_unpaid"]) == (6, 2, 1, 3)
    assert out["rejected"] == 0
    emma = cli.json("show", "C1")
    assert (emma["last_purchase"], emma["spend"]) == ("2025-05-11", 45.0)
    # order #1002's own Id "C1" is never taken for a customer: Olivia (by phone) bought it
    olivia = cli.json("show", "C2")
    assert (olivia["last_purchase"], olivia["spend"]) == ("2025-05-20", 20.0)


def test_woocommerce_customers(cli, tmp_path):
    rows = [
        [
            "Name",
            "Username",
            "Last Active",
            "Sign Up",
            "Email",
            "Orders",
            "Total Spend",
            "AOV",
            "Country / Region",
            "City",
            "Region",
            "Postal Code",
        ],
        [
            "Noah Wilson",
            "noahw",
            "2024-03-14 09:12:31",
            "2023-11-02 18:40:05",
            "noah.w@example.com",
            "3",
            "$150.00",
            "$50.00",
            "US",
            "Austin",
            "TX",
            "73301",
        ],
        [
            "Mia Chen",
            "",
            "2024-02-01 08:00:00",
            "2024-02-01 08:00:00",
            "mia.c@example.com",
            "1",
            "$20.00",
            "$20.00",
            "CA",
            "Toronto",
            "ON",
            "M5H",
        ],
        [
            "",
            "",
            "2025-01-09 17:45:10",
            "2025-01-09 17:45:10",
            "guest.buyer@example.com",
            "1",
            "$9.00",
            "$9.00",
            "",
            "",
            "",
            "",
        ],
    ]
    out = imported(cli, write_csv(tmp_path / "wc-customer-export.csv", rows))
    assert out["layout"] == "WooCommerce customers"
    assert (out["added"], out["named_from_contact"], out["rejected"]) == (3, 1, 0)
    people = {c["email"]: c for c in customers(cli).values()}
    noah = people["noah.w@example.com"]
    assert (noah["name"], noah["added"], noah["last_purchase"]) == (
        "Noah Wilson",
        "2023-11-02",
        "2024-03-14",
    )
    assert people["guest.buyer@example.com"]["name"] == "guest.buyer@example.com"


def test_square_customer_directory(cli, tmp_path):
    header = [
        "Reference ID",
        "First Name",
        "Last Name",
        "Email Address",
        "Phone Number",
        "Nickname",
        "Company Name",
        "Street Address 1",
        "Street Address 2",
        "City",
        "State",
        "Postal Code",
        "Birthday",
        "Memo",
        "Square Customer ID",
        "Creation Source",
        "First Visit",
        "Last Visit",
        "Transaction Count",
        "Lifetime Spend",
        "Email Subscription Status",
        "Instant Profile",
    ]

    def row(ref, first, last, email, phone, nick, memo, sqid, first_visit, last_visit):
        return [
            ref,
            first,
            last,
            email,
            phone,
            nick,
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            memo,
            sqid,
            "Directory",
            first_visit,
            last_visit,
            "3",
            "$30.00",
            "subscribed",
            "false",
        ]

    rows = [
        header,
        row(
            "",
            "Ethan",
            "Clark",
            "ethan.c@example.com",
            "+1 312-555-0133",
            "",
            "likes oat milk",
            "8DG0Q1ABCD",
            "2024-01-05",
            "2025-04-20",
        ),
        row(
            "R-22", "", "", "", "+14155550107", "Kiki", "", "8DG0Q2EFGH", "2025-03-01", "2025-03-01"
        ),
        row("", "Grace", "Park", "grace.p@example.com", "", "", "", "8DG0Q3IJKL", "", ""),
    ]
    out = imported(cli, write_csv(tmp_path / "customers.csv", rows))
    assert out["layout"] == "Square customer directory"
    assert (out["added"], out["named_from_contact"]) == (3, 1)
    stored = customers(cli)
    ethan = stored["8DG0Q1ABCD"]
    assert (ethan["name"], ethan["phone"], ethan["notes"]) == (
        "Ethan Clark",
        "+13125550133",
        "likes oat milk",
    )
    assert (ethan["first_purchase"], ethan["last_purchase"]) == ("2024-01-05", "2025-04-20")
    assert (stored["8DG0Q2EFGH"]["name"], stored["8DG0Q2EFGH"]["phone"]) == ("Kiki", "+14155550107")
    assert stored["8DG0Q3IJKL"]["email"] == "grace.p@example.com"


def test_mailchimp_audience(cli, tmp_path):
    header = [
        "Email Address",
        "First Name",
        "Last Name",
        "Address",
        "Phone Number",
        "Birthday",
        "MEMBER_RATING",
        "OPTIN_TIME",
        "OPTIN_IP",
        "CONFIRM_TIME",
        "CONFIRM_IP",
        "LATITUDE",
        "LONGITUDE",
        "GMTOFF",
        "DSTOFF",
        "TIMEZONE",
        "CC",
        "REGION",
        "LAST_CHANGED",
        "LEID",
        "EUID",
        "NOTES",
        "TAGS",
    ]

    def row(email, first, last, phone, optin, cc, tags):
        return [
            email,
            first,
            last,
            "",
            phone,
            "03/14",
            "4",
            optin,
            "",
            optin,
            "",
            "",
            "",
            "",
            "",
            "",
            cc,
            "",
            optin,
            "1",
            "ab12",
            "",
            tags,
        ]

    rows = [
        header,
        row(
            "chloe.m@example.com",
            "Chloe",
            "Martin",
            "07911 123456",
            "2024-03-14 09:12:31",
            "GB",
            '"VIP"',
        ),
        row("leo.b@example.com", "", "", "", "2024-05-02 11:00:00", "", ""),
        row("zhang.wei@example.com", "伟", "张", "13800138011", "2024-06-01 08:30:00", "CN", ""),
    ]
    out = imported(cli, write_csv(tmp_path / "subscribed_members_export.csv", rows))
    assert out["layout"] == "Mailchimp audience"
    assert (out["added"], out["named_from_contact"]) == (3, 1)
    people = {c["email"]: c for c in customers(cli).values()}
    chloe = people["chloe.m@example.com"]
    assert (chloe["name"], chloe["phone"], chloe["added"], chloe["tier"]) == (
        "Chloe Martin",
        "+447911123456",
        "2024-03-14",
        "vip",
    )
    assert (people["zhang.wei@example.com"]["name"], people["zhang.wei@example.com"]["phone"]) == (
        "张伟",
        "+8613800138011",
    )
    assert people["leo.b@example.com"]["name"] == "leo.b@example.com"


def test_hubspot_contacts_lifecycle_stages(cli, tmp_path):
    rows = [
        [
            "Record ID",
            "First Name",
            "Last Name",
            "Email",
            "Phone Number",
            "Lifecycle Stage",
            "Lead Status",
            "Contact owner",
            "Create Date",
            "Last Activity Date",
            "Country/Region",
        ],
        [
            "101",
            "Sofia",
            "Garcia",
            "sofia.g@example.com",
            "+34 612 345 678",
            "Customer",
            "",
            "Mei",
            "2023-02-14 09:31",
            "2024-01-10 10:00",
            "Spain",
        ],
        [
            "102",
            "Lucas",
            "",
            "lucas@example.com",
            "",
            "Lead",
            "New",
            "",
            "2023-03-01 12:00",
            "",
            "",
        ],
        ["103", "", "", "", "+1 646 555 0142", "Subscriber", "", "", "2023-04-05 16:20", "", ""],
        [
            "104",
            "Zoe",
            "Kim",
            "zoe.k@example.com",
            "",
            "Evangelist",
            "",
            "",
            "2023-05-06 08:00",
            "",
            "",
        ],
    ]
    out = imported(cli, write_csv(tmp_path / "hubspot-crm-exports-all-contacts.csv", rows))
    assert out["layout"] == "HubSpot contacts"
    # Evangelist is not in the level table: imported as regular, counted, never rejected
    assert (out["added"], out["rejected"], out["unknown_levels"]) == (4, 0, {"Evangelist": 1})
    stored = customers(cli)
    assert [stored[i]["tier"] for i in ("101", "102", "103", "104")] == [
        "regular",
        "prospect",
        "prospect",
        "regular",
    ]
    assert (stored["101"]["name"], stored["101"]["owner"], stored["101"]["added"]) == (
        "Sofia Garcia",
        "Mei",
        "2023-02-14",
    )
    assert stored["101"]["phone"] == "+34612345678"
    assert stored["103"]["name"] == "+16465550142"
    assert stored["101"]["extra"]["Lifecycle Stage"] == "Customer"  # the original stage kept
    text = cli("import", "customers", str(tmp_path / "hubspot-crm-exports-all-contacts.csv"))
    assert "Map one with: followup rules levels set 'Evangelist' vip" in text.stdout
    # the owner maps it; the next nightly import makes Zoe a VIP
    cli("rules", "levels", "set", "Evangelist", "vip")
    again = imported(cli, str(tmp_path / "hubspot-crm-exports-all-contacts.csv"))
    assert (again["updated"], again["unknown_levels"]) == (1, {})
    assert customers(cli)["104"]["tier"] == "vip"
    # `followup imports` says what each file was read as
    assert {i["message"] for i in cli.json("imports")} == {"HubSpot contacts"}


def test_youzan_customers_workbook_with_title_rows_and_a_total(cli, tmp_path):
    header = [
        "客户姓名",
        "客户昵称",
        "客户手机号",
        "性别",
        "生日",
        "免费等级",
        "付费等级",
        "积分",
        "成为客户时间",
        "最近消费时间",
        "累计消费金额",
        "消费次数",
        "标签",
    ]
    rows: list[list[object]] = [
        ["客户列表", *[None] * 12],
        ["导出时间：2025-05-29 18:22:05", *[None] * 12],
        header,
        [
            "王芳",
            "芳芳",
            13800138001,
            "女",
            "1990-05-01",
            "普通会员",
            "VIP3 金卡会员",
            120,
            "2024-01-15 10:00:00",
            "2025-05-20 18:22:05",
            1280.0,
            8,
            "",
        ],
        [
            "",
            "小鱼儿",
            13900139002,
            "",
            "",
            "普通会员",
            "",
            0,
            "2025-03-01 09:00:00",
            "",
            0,
            0,
            "粉丝",
        ],
        [
            "李娜",
            "",
            "137 0013 7003",
            "女",
            "",
            "银卡会员",
            "",
            30,
            "2024-06-01 12:00:00",
            "2025-04-02 11:11:11",
            300.0,
            2,
            "",
        ],
        [None] * 13,
        ["合计", "", "", "", "", "", "", 150, "", "", 1580.0, 10, ""],
    ]
    path = write_xlsx(tmp_path / "客户列表.xlsx", rows, merged=("A1:M1", "A2:M2"))
    out = imported(cli, path)
    assert (out["layout"], out["header_line"]) == ("有赞 customers", 3)
    assert (out["added"], out["skipped_totals"], out["named_from_contact"]) == (3, 1, 1)
    people = {c["phone"]: c for c in customers(cli).values()}
    wang = people["+8613800138001"]
    # the paid level VIP3 金卡会员 outranks the free 普通会员
    assert (wang["name"], wang["tier"], wang["added"], wang["last_purchase"]) == (
        "王芳",
        "vip",
        "2024-01-15",
        "2025-05-20",
    )
    assert wang["extra"]["付费等级"] == "VIP3 金卡会员"
    assert (people["+8613900139002"]["name"], people["+8613900139002"]["tier"]) == (
        "小鱼儿",
        "regular",  # 普通会员 outranks the tag 粉丝 (prospect)
    )
    assert people["+8613700137003"]["tier"] == "regular"
    text = cli("import", "customers", path, "--date", "2025-06-01").stdout
    assert "read as a 有赞 customers export, header on line 3" in text


def test_yinbao_members_resaved_by_excel_as_gbk(cli, tmp_path):
    rows = [
        [
            "会员号",
            "会员姓名",
            "手机号码",
            "会员等级",
            "积分",
            "余额",
            "累计消费",
            "开卡日期",
            "生日",
            "所属门店",
            "状态",
            "备注",
        ],
        [
            "0001",
            "陈静",
            "13500135007",
            "金卡会员",
            "300",
            "50.00",
            "2680.00",
            "2023/4/5 14:03",
            "1988/7/7",
            "总店",
            "正常",
            "老客户介绍",
        ],
        [
            "0002",
            "刘洋",
            "13600136006.0",
            "普通会员",
            "0",
            "0",
            "99",
            "45023",
            "",
            "总店",
            "正常",
            "",
        ],
        [
            "0003",
            "赵敏",
            "",
            "钻石会员",
            "10",
            "0",
            "5000",
            "2024/1/2 9:05",
            "",
            "分店",
            "正常",
            "",
        ],
        [
            "0004",
            "孙悦",
            "13100131013",
            "铂金会员",
            "5",
            "0",
            "10",
            "2024/12/30 18:00",
            "",
            "分店",
            "正常",
            "",
        ],
        ["合计", "", "", "", "315", "50.00", "7789.00", "", "", "", "", ""],
    ]
    path = write_csv(tmp_path / "会员列表.csv", rows, encoding="gbk")
    out = imported(cli, path)
    assert (out["layout"], out["encoding"]) == ("银豹 members", "gb18030")
    assert (out["added"], out["skipped_totals"], out["rejected"]) == (4, 1, 0)
    stored = customers(cli)
    assert (stored["0001"]["name"], stored["0001"]["tier"], stored["0001"]["added"]) == (
        "陈静",
        "vip",
        "2023-04-05",
    )
    # 13600136006.0 is a number Excel typed; 45023 an Excel serial date (7 April 2023)
    assert (stored["0002"]["phone"], stored["0002"]["added"]) == ("+8613600136006", "2023-04-07")
    assert (stored["0003"]["tier"], stored["0003"]["phone"]) == ("vip", None)
    assert stored["0004"]["tier"] == "regular"  # 铂金会员: "会员" is in the level table


def test_meituan_keruyun_member_workbook_with_a_shared_phone(cli, tmp_path):
    header = [
        "会员卡号",
        "姓名",
        "手机号",
        "会员等级",
        "开卡时间",
        "开卡门店",
        "最近消费时间",
        "累计消费",
        "消费次数",
        "储值余额",
        "积分",
    ]
    rows: list[list[object]] = [
        ["会员列表", *[None] * 10],
        ["导出时间: 2025-06-01 10:00", *[None] * 10],
        header,
        [
            880001,
            "吴婷",
            13000130014,
            "黑金会员",
            datetime(2024, 2, 3, 14, 5),
            "朝阳店",
            datetime(2025, 5, 28, 19, 30),
            5600,
            20,
            300,
            560,
        ],
        [
            880002,
            "周杰",
            13100131013,
            "普通会员",
            datetime(2024, 3, 1, 9, 0),
            "朝阳店",
            datetime(2025, 4, 1, 12, 0),
            800,
            5,
            0,
            80,
        ],
        [
            880003,
            "",
            18600186027,
            "意向客户",
            datetime(2025, 5, 1, 10, 0),
            "朝阳店",
            None,
            0,
            0,
            0,
            0,
        ],
        [
            880004,
            "周小杰",
            13100131013,
            "普通会员",
            datetime(2025, 1, 5, 15, 0),
            "朝阳店",
            None,
            0,
            0,
            0,
            0,
        ],
        ["总计", None, None, None, None, None, None, 6400, 25, 300, 640],
    ]
    path = write_xlsx(tmp_path / "会员.xlsx", rows, merged=("A1:K1",))
    out = imported(cli, path)
    assert (out["layout"], out["header_line"]) == ("美团/客如云 members", 3)
    # a father and his son on one number are two customers: reported, not a duplicate
    assert (out["added"], out["shared_phones"], out["skipped_totals"]) == (4, 1, 1)
    assert "phone +8613100131013 is also customer 880002's (周杰)" in out["stderr"]
    stored = customers(cli)
    assert (stored["880001"]["tier"], stored["880001"]["last_purchase"]) == ("vip", "2025-05-28")
    assert stored["880001"]["added"] == "2024-02-03"
    assert (stored["880003"]["name"], stored["880003"]["tier"]) == ("+8618600186027", "prospect")
    assert stored["880004"]["phone"] == stored["880002"]["phone"] == "+8613100131013"


def test_taobao_seller_orders_gbk_buyer_by_phone(cli, tmp_path):
    _plain_customers(
        cli,
        tmp_path,
        "T1,王芳,13800138001,,regular\nT2,李娜,13900139002,,regular\n"
        "T3,张伟,13700137003,,regular\nT4,张小伟,13700137003,,regular\n",
    )
    header = [
        "订单编号",
        "买家会员名",
        "买家支付宝账号",
        "买家应付货款",
        "买家应付邮费",
        "买家支付积分",
        "总金额",
        "返点积分",
        "买家实际支付金额",
        "买家实际支付积分",
        "订单状态",
        "买家留言",
        "收货人姓名",
        "收货地址",
        "运送方式",
        "联系电话",
        "联系手机",
        "订单创建时间",
        "订单付款时间",
        "宝贝标题",
        "宝贝种类",
        "物流单号",
        "物流公司",
        "订单备注",
        "宝贝总数量",
    ]

    def order(number, buyer, pay, status, name, tel, mobile, created, paid):
        return [
            number,
            buyer,
            "",
            pay,
            "0.00",
            "0",
            pay,
            "0",
            pay,
            "0",
            status,
            "",
            name,
            "某省某市某路1号",
            "快递",
            tel,
            mobile,
            created,
            paid,
            "茶叶",
            "1",
            "",
            "",
            "",
            "1",
        ]

    rows = [
        header,
        order(
            '="3012345678901"',
            "wangfang88",
            "99.00",
            "交易成功",
            "王芳",
            "",
            "'13800138001",
            "2025-05-01 10:00:00",
            "2025-05-01 10:01:00",
        ),
        order(
            "3012345678902",
            "lina_2025",
            "45.00",
            "等待买家付款",
            "李娜",
            "",
            "13900139002",
            "2025-05-02 09:00:00",
            "",
        ),
        order(
            "3012345678903",
            "lina_2025",
            "45.00",
            "交易关闭",
            "李娜",
            "",
            "13900139002",
            "2025-05-02 09:05:00",
            "",
        ),
        order(
            "3012345678904",
            "xiaowei",
            "30.00",
            "卖家已发货，等待买家确认",
            "张小伟",
            "",
            "13700137003",
            "2025-05-03 20:00:00",
            "2025-05-03 20:01:00",
        ),
        order(
            "3012345678905",
            "wangfang88",
            "58.00",
            "交易成功",
            "王芳",
            "'13800138001",
            "",
            "2025-05-10 08:00:00",
            "2025-05-10 08:02:00",
        ),
    ]
    path = write_csv(tmp_path / "ExportOrderList.csv", rows, encoding="gbk")
    out = imported(cli, path, "purchases")
    assert (out["layout"], out["encoding"]) == ("淘宝 orders", "gb18030")
    assert (out["added"], out["skipped_unpaid"], out["rejected"]) == (3, 2, 0)
    wang = cli.json("show", "T1")
    assert (wang["last_purchase"], wang["spend"]) == ("2025-05-10", 157.0)  # 99 + 58
    # 张伟 and 张小伟 share a phone: the order's 收货人姓名 says whose it is
    assert cli.json("show", "T4")["last_purchase"] == "2025-05-03"
    assert cli.json("show", "T3")["last_purchase"] is None
    assert cli.json("show", "T2")["last_purchase"] is None  # never paid, then closed


def test_an_orders_file_given_to_import_customers_says_which_import_it_needs(cli, tmp_path):
    rows = [
        ["Name", "Email", "Financial Status", "Lineitem quantity", "Lineitem name"],
        ["#1", "a@example.com", "paid", "1", "Tea"],
    ]
    err = cli("import", "customers", write_csv(tmp_path / "o.csv", rows), code=4).stderr
    assert "is a Shopify orders export: import it with 'followup import purchases'" in err
