"""A Chinese shop's customer and member files, imported with no flags.

Fixtures follow the column lists the systems export (企业微信's customer export, the member
lists of Chinese tills and 有赞, Shopify and Mailchimp) with invented people, typed the
way people type into a sheet: full-width digits, a remark after the number, two numbers in
one cell, dates as 2024.3.5 and 2024年5月12日, a sign-off line under the rows.
"""

from __future__ import annotations

import json

import pytest
from test_import import customers
from test_known_layouts import SHOPIFY_2023, imported, write_csv, write_xlsx
from test_known_layouts import reading as reading  # every file read here and in a second process

WECOM_HEADER = ["客户名称", "备注名", "备注手机号", "添加人", "添加时间", "标签", "来源"]
WECOM_ROWS = [
    ["🌸芳芳", "王芳", "13812345601", "小李", "2024-03-05 10:12:00", "VIP客户", "扫描二维码"],
    ["🌸芳芳", "王芳", "13812345601", "小张", "2024-01-20 09:00:00", "", "搜索手机号"],
    ["Leo", "", "13912345602", "小李", "2024/5/12 14:00", "潜在客户", "名片分享"],
    ["阿强", "张强", "1351234563５", "小张", "2024年5月12日", "", "扫描二维码"],
    ["小美", "李美", "13612345634（微信同号）", "小李", "2024.3.5", "", "扫描二维码"],
    ["老陈", "陈刚", "13712345622,0571-88886666", "小李", "2024-02-01 08:00:00", "", "群聊"],
    ["制表人：小李", "", "", "", "", "", ""],
]


def _wecom_file(tmp_path, kind: str) -> str:
    rows = [WECOM_HEADER, *WECOM_ROWS]
    if kind == "xlsx":
        return write_xlsx(tmp_path / "客户联系.xlsx", rows)
    return write_csv(tmp_path / "客户联系.csv", rows, encoding="gb18030")


def _by_phone(cli) -> dict[str, dict]:
    return {c["phone"]: c for c in customers(cli).values()}


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_wecom_customer_export_with_no_flags(cli, tmp_path, kind):
    path = _wecom_file(tmp_path, kind)
    dry = cli("import", "customers", path, "--date", "2025-06-01", "--dry-run").stdout
    assert dry.splitlines()[1] == (
        "Columns read: 客户名称 -> nickname, 备注名 -> name, 备注手机号 -> phone, "
        "添加人 -> owner, 添加时间 -> added, 标签 -> tags; kept as other fields: 来源"
    )
    out = imported(cli, path)
    assert out["layout"] == "企业微信 customers"
    assert out["kept_columns"] == ["来源"]
    # the 制表人 line is not a person, and no row is rejected: exit 0 for cron
    assert (out["read"], out["added"], out["merged"], out["rejected"]) == (7, 5, 1, 0)
    assert (out["skipped_totals"], out["named_from_contact"]) == (1, 1)
    people = _by_phone(cli)
    assert sorted(people) == [
        "+8613512345635",
        "+8613612345634",
        "+8613712345622",
        "+8613812345601",
        "+8613912345602",
    ]
    wang = people["+8613812345601"]
    # 备注名 is the name; 小张 added her first (20 Jan), so she is 小张's
    assert (wang["name"], wang["owner"], wang["added"], wang["tier"]) == (
        "王芳",
        "小张",
        "2024-01-20",
        "vip",
    )
    leo = people["+8613912345602"]  # no 备注名: the WeChat name is all there is
    assert (leo["name"], leo["tier"], leo["added"]) == ("Leo", "prospect", "2024-05-12")
    zhang = people["+8613512345635"]
    assert (zhang["name"], zhang["added"], zhang["tier"]) == ("张强", "2024-05-12", "regular")
    assert people["+8613612345634"]["added"] == "2024-03-05"
    chen = people["+8613712345622"]
    assert chen["extra"]["备注手机号"] == "13712345622,0571-88886666"  # the landline kept
    # the full-width digit no longer hides him from `find`
    found = cli.json("find", "13512345635")
    assert [c["customer_id"] for c in found] == [zhang["customer_id"]]
    # the other staff member who added 王芳 is on her timeline, once, every night after too
    again = imported(cli, path)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 5)
    shown = cli.json("show", wang["customer_id"])
    also = [e for e in shown["timeline"] if e["kind"] == "change" and e["field"] == "added_by"]
    assert [(e["date"], e["to"]) for e in also] == [("2024-03-05", "小李")]
    text = cli("show", wang["customer_id"]).stdout
    assert "also added by" in text and "小李" in text


MEMBER_HEADER = [
    "会员编号",
    "姓名",
    "手机号",
    "会员级别",
    "入会日期",
    "最近消费",
    "累计消费金额(元)",
    "消费次数",
    "标签",
    "备注",
]


def test_member_system_headers_levels_and_dry_run(cli, tmp_path):
    rows = [
        MEMBER_HEADER,
        [
            "M0001",
            "赵敏",
            "13800000101",
            "VIP1 普通会员",
            "2023.6.1",
            "2025-05-02",
            "¥1,280.00",
            "8",
            "",
            "喜欢绿茶",
        ],
        [
            "M0002",
            "钱进",
            "13800000102",
            "VIP2 银卡会员",
            "2023年7月15日",
            "2025-04-20",
            "560",
            "3",
            "",
            "",
        ],
        [
            "M0003",
            "孙丽",
            "13800000103",
            "VIP3 金卡会员",
            "2022-12-01",
            "2025-05-28",
            "8800.5",
            "41",
            "",
            "",
        ],
        [
            "M0004",
            "李雷",
            "13800000104",
            "VIP4 钻石会员",
            "2022-01-09",
            "2025-05-30",
            "20000",
            "90",
            "",
            "",
        ],
        [
            "M0005",
            "周梅",
            "13800000105",
            "VIP5 黑金会员",
            "2021-03-03",
            "2025-05-31",
            "51000",
            "120",
            "",
            "",
        ],
        ["M0006", "吴桐", "13800000106", "", "2025.5.20", "", "0", "0", "潜在客户", ""],
    ]
    path = write_csv(tmp_path / "会员列表.csv", rows, encoding="gb18030")
    dry = cli("import", "customers", path, "--date", "2025-06-01", "--dry-run").stdout
    assert dry.splitlines()[1] == (
        "Columns read: 会员编号 -> id, 姓名 -> name, 手机号 -> phone, 会员级别 -> tier, "
        "入会日期 -> added, 最近消费 -> last_purchase, 累计消费金额(元) -> spend (kept), "
        "消费次数 -> visits (kept), 标签 -> tags, 备注 -> notes"
    )
    out = imported(cli, path)
    assert out["columns"]["会员编号"] == "id"
    assert (out["added"], out["rejected"], out["unknown_levels"]) == (6, 0, {})
    stored = customers(cli)
    assert sorted(stored) == ["M0001", "M0002", "M0003", "M0004", "M0005", "M0006"]
    # the level's name decides, not its VIPn prefix; 银卡 is a regular customer
    assert [stored[f"M000{n}"]["tier"] for n in range(1, 7)] == [
        "regular",
        "regular",
        "vip",
        "vip",
        "vip",
        "prospect",
    ]
    assert [stored[f"M000{n}"]["added"] for n in (1, 2, 6)] == [
        "2023-06-01",
        "2023-07-15",
        "2025-05-20",
    ]
    zhao = stored["M0001"]
    assert (zhao["phone"], zhao["last_purchase"], zhao["notes"]) == (
        "+8613800000101",
        "2025-05-02",
        "喜欢绿茶",
    )
    assert (zhao["extra"]["累计消费金额(元)"], zhao["extra"]["消费次数"]) == ("1280.00", "8")
    assert zhao["extra"]["会员级别"] == "VIP1 普通会员"


def test_other_member_header_spellings(cli, tmp_path):
    rows = [
        ["会员ID", "会员姓名", "会员手机号", "入会时间", "最后消费时间", "累计消费", "客户级别"],
        [
            "880101",
            "冯雪",
            "13900000201",
            "2024-02-29 10:00:00",
            "2025-05-01 18:30:00",
            "300",
            "普通会员",
        ],
    ]
    out = imported(cli, write_csv(tmp_path / "members.csv", rows))
    assert out["columns"] == {
        "会员ID": "id",
        "会员姓名": "name",
        "会员手机号": "phone",
        "入会时间": "added",
        "最后消费时间": "last_purchase",
        "累计消费": "spend",
        "客户级别": "tier",
    }
    feng = customers(cli)["880101"]
    assert (feng["added"], feng["last_purchase"], feng["tier"]) == (
        "2024-02-29",
        "2025-05-01",
        "regular",
    )


def test_levels_and_tiers_take_their_chinese_names(cli, tmp_path):
    done = cli("rules", "levels", "set", "VIP2 银卡会员", "VIP客户").stdout
    assert done.strip() == "vip2 银卡会员 -> vip"
    cli("rules", "levels", "set", "VIP1 普通会员", "老客户")
    levels = {row["level"]: row["tier"] for row in cli.json("rules", "levels")}
    assert (levels["vip1 普通会员"], levels["vip2 银卡会员"]) == ("regular", "vip")
    refused = cli("rules", "levels", "set", "铂金卡", "老主顾", code=1)
    assert refused.stderr.startswith("followup: error: unknown tier '老主顾'")
    rows = [MEMBER_HEADER[:5], ["M1", "钱进", "13800000102", "VIP2 银卡会员", "2023-07-15"]]
    imported(cli, write_csv(tmp_path / "m.csv", rows))
    assert customers(cli)["M1"]["tier"] == "vip"  # the owner's word beats the built-in 银卡


SHOP_HEADER = "id,name,phone,email,tier,first_purchase,last_purchase,added,owner,notes\n"
SHOP_ROWS = (
    "C001,王芳,13800138001,,vip,,2025-05-01,2024-01-01,小李,喜欢乌龙\n"
    "C002,王芳,13800138009,wf@example.com,regular,,,2024-02-01,小张,要发票\n"
    "W001,陈静,13900139001,,regular,,2025-04-01,2024-03-01,,\n"
    "W777,陈静,13900139001,cj@example.com,regular,,2025-05-20,2025-01-01,,网店账号\n"
    "F001,周杰,13100131013,,regular,,,2024-03-01,,\n"
    "F002,周小杰,13100131013,,regular,,,2025-01-05,,\n"
)


def test_a_second_account_and_a_merge_survive_the_nightly_import(cli, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(SHOP_HEADER + SHOP_ROWS, encoding="utf-8")
    out = imported(cli, str(path))
    # W777 is 陈静's web-shop account (same phone, same name); 周小杰 shares his father's
    assert (out["added"], out["merged"], out["shared_phones"]) == (5, 1, 1)
    stored = customers(cli)
    assert sorted(stored) == ["C001", "C002", "F001", "F002", "W001"]
    chen = stored["W001"]
    # the second account fills gaps and widens the purchases; it overrules nothing
    assert (chen["email"], chen["last_purchase"], chen["added"], chen["notes"]) == (
        "cj@example.com",
        "2025-05-20",
        "2024-03-01",
        "网店账号",
    )
    assert cli.json("show", "W001")["aliases"] == ["W777"]
    assert "W777" in cli("show", "W001").stdout
    cli("merge", "C001", "C002", "--yes", "--date", "2025-06-01")
    again = imported(cli, str(path))
    assert (again["added"], again["updated"], again["rejected"]) == (0, 0, 0)
    stored = customers(cli)
    assert sorted(stored) == ["C001", "F001", "F002", "W001"]  # C002 is not back
    wang = stored["C001"]
    assert (wang["notes"], wang["email"], wang["tier"]) == (
        "喜欢乌龙\n要发票",
        "wf@example.com",
        "vip",
    )
    assert cli.json("show", "C001")["aliases"] == ["C002"]
    access = json.loads(cli("export", "customer", "C001").stdout)  # a PIPL access request
    assert [(a["ref"], a["source"]) for a in access["aliases"]] == [("C002", "merge")]
    due = cli.json("today", "--date", "2025-09-01")
    assert sorted(r["customer_id"] for r in due).count("C001") == 1


def test_a_merged_away_id_updates_the_kept_customer(cli, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(SHOP_HEADER + SHOP_ROWS, encoding="utf-8")
    imported(cli, str(path))
    cli("merge", "F001", "F002", "--yes", "--date", "2025-06-01")
    # the till still lists F002, now with an e-mail and a purchase
    later = SHOP_ROWS.replace(
        "F002,周小杰,13100131013,,regular,,,2025-01-05,,",
        "F002,周小杰,13100131013,xj@example.com,regular,,2025-05-09,2025-01-05,,",
    )
    path.write_text(SHOP_HEADER + later, encoding="utf-8")
    out = imported(cli, str(path))
    assert (out["added"], out["updated"]) == (0, 1)
    stored = customers(cli)
    assert "F002" not in stored
    assert (stored["F001"]["email"], stored["F001"]["last_purchase"]) == (
        "xj@example.com",
        "2025-05-09",
    )
    assert stored["F001"]["name"] == "周杰"  # the kept customer's own name stays


def test_shopify_names_countries_and_placeholder_rows(cli, tmp_path):
    def shopify(cid, first, last, email, country, phone, orders):
        cells = ["", first, last, email, "no", "", "", "", "", "", country, "", "", phone]
        cells += ["no", "0.00" if orders == "0" else "88.00", orders, "", "no", ""]
        cells[0] = cid
        return cells

    rows = [
        SHOPIFY_2023,
        shopify("'7001", "芳", "王", "fang@example.com", "CN", "13800138021", "2"),
        shopify("'7002", "Emma", "Johnson", "", "US", "(646) 555-0142", "1"),
        shopify("'7003", "Oliver", "Smith", "", "GB", "07911 123456", "1"),
        shopify("'7004", ".", "", "", "", "", "0"),
        shopify("'7005", "-", "", "", "", "", "0"),
    ]
    out = imported(cli, write_csv(tmp_path / "customers_export.csv", rows))
    assert out["layout"] == "Shopify customers (2023+)"
    assert (out["added"], out["skipped_placeholders"], out["rejected"]) == (3, 2, 0)
    stored = customers(cli)
    assert (stored["7001"]["name"], stored["7001"]["phone"]) == ("王芳", "+8613800138021")
    assert (stored["7002"]["name"], stored["7002"]["phone"]) == ("Emma Johnson", "+16465550142")
    assert stored["7003"]["phone"] == "+447911123456"
    assert stored["7001"]["extra"]["Total Orders"] == "2"
    text = cli("import", "customers", str(tmp_path / "customers_export.csv")).stdout
    assert "skipped 2 placeholder rows" in text


def test_a_country_in_words_reads_the_phone_there(cli, tmp_path):
    rows = [
        ["Name", "Phone", "Email", "Country"],
        ["Ava Brown", "(416) 555-0199", "ava@example.com", "Canada"],
        ["陈红", "13800138031", "", "中国"],
    ]
    imported(cli, write_csv(tmp_path / "list.csv", rows))
    people = {c["name"]: c for c in customers(cli).values()}
    assert (people["Ava Brown"]["phone"], people["陈红"]["phone"]) == (
        "+14165550199",
        "+8613800138031",
    )


def test_mailchimp_date_added_is_the_confirm_time_without_an_opt_in(cli, tmp_path):
    header = ["Email Address", "First Name", "Last Name", "MEMBER_RATING", "OPTIN_TIME"]
    header += ["OPTIN_IP", "CONFIRM_TIME", "CONFIRM_IP", "TIMEZONE", "CC", "LAST_CHANGED"]
    rows = [
        header,
        [
            "mia@example.com",
            "Mia",
            "Wong",
            "2",
            "2024-03-14 23:30:00",
            "",
            "2024-03-15 00:10:00",
            "",
            "Asia/Shanghai",
            "HK",
            "2024-03-15 00:10:00",
        ],
        [
            "li.q@example.com",
            "琦",
            "李",
            "3",
            "",
            "",
            "2024-07-01 23:45:10",
            "",
            "",
            "CN",
            "2024-07-02 08:00:00",
        ],
    ]
    imported(cli, write_csv(tmp_path / "subscribed_members_export_1a2b.csv", rows))
    people = {c["email"]: c for c in customers(cli).values()}
    # the day as the file writes it: not moved by a time zone
    assert people["mia@example.com"]["added"] == "2024-03-14"
    assert (people["li.q@example.com"]["added"], people["li.q@example.com"]["name"]) == (
        "2024-07-01",
        "李琦",
    )


def test_a_sign_off_line_and_a_bad_phone_remark_still_reject_a_broken_row(cli, tmp_path):
    """What is skipped is only what is surely nobody: a row with a name and a phone of
    remarks only is still rejected and named."""
    rows = [
        ["姓名", "手机号", "入会日期"],
        ["郑爽", "（无）", "2024.3.5"],
        ["王五", "13800138041", "2024.13.5"],
        ["冯七", "13800138042", "2024年5月12日"],
        ["审核人：老王", "", ""],
    ]
    result = cli(
        "import",
        "customers",
        write_csv(tmp_path / "会员.csv", rows),
        "--date",
        "2025-06-01",
        "--format",
        "json",
        code=3,
    )
    out = json.loads(result.stdout)
    assert (out["added"], out["rejected"], out["skipped_totals"]) == (1, 2, 1)
    assert customers(cli)["fu-1"]["added"] == "2024-05-12"


def test_youzan_paid_levels_by_their_name(cli, tmp_path):
    header = ["客户姓名", "客户昵称", "客户手机号", "性别", "生日", "免费等级", "付费等级", "积分"]
    header += ["成为客户时间", "最近消费时间", "累计消费金额", "消费次数", "标签"]
    rows: list[list[object]] = [
        ["客户列表", *[None] * 12],
        header,
        [
            "何静",
            "静静",
            13800138051,
            "女",
            "",
            "",
            "VIP1 普通会员",
            10,
            "2024-04-01 10:00:00",
            "2025-05-01 12:00:00",
            99.0,
            1,
            "",
        ],
        [
            "邓超",
            "",
            13800138052,
            "男",
            "",
            "",
            "VIP2 银卡会员",
            200,
            "2024-05-01 10:00:00",
            "2025-05-02 12:00:00",
            560.0,
            4,
            "",
        ],
        [
            "许晴",
            "",
            13800138053,
            "女",
            "",
            "",
            "VIP4 钻石会员",
            900,
            "2023-05-01 10:00:00",
            "2025-05-03 12:00:00",
            9999.0,
            30,
            "",
        ],
    ]
    out = imported(cli, write_xlsx(tmp_path / "客户列表.xlsx", rows, merged=("A1:M1",)))
    assert (out["layout"], out["added"], out["unknown_levels"]) == ("有赞 customers", 3, {})
    people = _by_phone(cli)
    # before, the VIP prefix made all three monthly VIP calls
    assert [people[f"+861380013805{n}"]["tier"] for n in (1, 2, 3)] == ["regular", "regular", "vip"]
    assert people["+8613800138053"]["extra"]["累计消费金额"] == "9999"


def test_a_wecom_contact_with_no_phone_is_skipped_and_counted_not_rejected(cli, tmp_path):
    rows = [
        WECOM_HEADER,
        WECOM_ROWS[0],
        ["婷婷🌷", "周婷婷", "", "小李", "2024-04-01 10:00:00", "", "扫描二维码"],
    ]
    path = write_xlsx(tmp_path / "客户联系.xlsx", rows)
    out = imported(cli, path)  # exit 0 every night: she is reached in 企业微信 itself
    assert (out["read"], out["added"], out["rejected"], out["skipped_keyless"]) == (2, 1, 0, 1)
    text = cli("import", "customers", path, "--date", "2025-06-02").stdout
    assert text.splitlines()[0].endswith(
        "unchanged 1, rejected 0, skipped 1 contacts with no phone or e-mail"
    )
    assert [c["name"] for c in customers(cli).values()] == ["王芳"]


def test_a_row_with_a_name_only_is_still_a_rejection_in_any_other_file(cli, tmp_path):
    path = write_csv(tmp_path / "members.csv", [["姓名", "手机号"], ["周婷婷", ""]])
    result = cli("import", "customers", path, "--date", "2025-06-01", code=4)
    assert "needs an id, a phone or an e-mail" in result.stderr


def test_a_dry_run_names_the_fields_in_chinese_under_a_chinese_language(cli, tmp_path):
    from followup_cli import i18n

    path = write_csv(
        tmp_path / "pos.csv",
        [
            ["单据号", "销售时间", "会员手机号", "会员卡号", "实收金额", "单据状态", "门店"],
            ["XS1", "2025-05-01 10:00", "13800138001", "V1", "10", "已完成", "人民路店"],
        ],
    )
    i18n.set_language("zh_CN")
    try:
        # no customer V1 yet: the row is refused (exit 4), the columns are said all the same
        out = cli("import", "purchases", path, "--date", "2025-06-01", "--dry-run", code=4).stdout
    finally:
        i18n.set_language("en")
    assert out.splitlines()[1] == (
        "读取的列：单据号 -> 订单号、销售时间 -> 消费日期、会员手机号 -> 电话、"
        "会员卡号 -> 客户编号、实收金额 -> 金额、单据状态 -> 状态；作为其他字段保留：门店"
    )
    english = cli("import", "purchases", path, "--date", "2025-06-01", "--dry-run", code=4).stdout
    assert english.splitlines()[1].startswith("Columns read: 单据号 -> order, 销售时间 -> date,")
