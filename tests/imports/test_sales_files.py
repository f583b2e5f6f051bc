"""Sales files as Chinese shops have them: a till's receipts (收银 POS) every night, and order
reports that are a web seller's only customer list (淘宝/天猫 GBK, Shopify orders).

Fixtures hold invented people, laid out as those systems export them.
"""

from __future__ import annotations

from datetime import date, timedelta

MEMBERS = (
    "会员卡号,姓名,手机号,会员等级\n"
    "VIP001,王芳,13800138001,金卡会员\n"
    "VIP002,李娜,13900139002,普通会员\n"
)
POS_HEADER = "单据号,销售时间,会员手机号,会员卡号,实收金额,单据状态,门店\n"
POS = POS_HEADER + (
    "XS001,2025-11-01 10:03:00,13800138001,VIP001,128.00,已完成,人民路店\n"
    "XS002,2025-11-01 11:00:00,,散客,35.00,已完成,人民路店\n"
    "XS003,2025-11-02 12:00:00,13900139002,VIP002,-20.00,已退货,人民路店\n"
    "XS004,2025-11-02 13:00:00,13900139002,VIP002,88.00,作废,人民路店\n"
    "XS005,2025-11-03 09:00:00,,,15.00,已完成,人民路店\n"
    "XS006,2025-11-03 09:30:00,13900139002,VIP002,66.00,已完成,人民路店\n"
)
DAY = ("--date", "2025-11-05")


def _members(cli, tmp_path) -> None:
    (tmp_path / "members.csv").write_text(MEMBERS, encoding="utf-8-sig")
    cli("import", "customers", str(tmp_path / "members.csv"), *DAY)


def _figures(cli) -> dict[str, tuple]:
    return {
        r["customer_id"]: (r["spend"], r["purchase_days"], r["last_purchase"])
        for r in cli.json("export", "customers")
    }


def test_a_pos_sales_file_is_read_as_purchases_with_refunds_and_walk_ins_skipped(cli, tmp_path):
    _members(cli, tmp_path)
    sales = tmp_path / "销售流水.csv"
    sales.write_text(POS, encoding="utf-8-sig")
    refused = cli("import", "customers", str(sales), *DAY, code=4)
    assert "import it with 'followup import purchases'" in refused.stderr
    out = cli("import", "purchases", str(sales), *DAY).stdout  # exit 0: nothing rejected
    # XS001 and XS006 are purchases; XS003 (a refund, -20) and XS004 (voided) are not;
    # XS002 (散客) and XS005 (no member) are walk-in sales
    assert out.splitlines()[0] == (
        f"{sales} (UTF-8 with BOM): read as a 收银 sales receipts export; read 6, added 2, "
        "updated 2, unchanged 0, rejected 0, skipped 2 unpaid/refunded orders, skipped 2 sales "
        "to walk-in customers"
    )
    assert _figures(cli) == {
        "VIP001": (128.0, 1, "2025-11-01"),
        "VIP002": (66.0, 1, "2025-11-03"),
    }


def test_a_month_of_nightly_pos_files_exits_0_every_night_and_counts_each_sale_once(cli, tmp_path):
    _members(cli, tmp_path)
    start = date(2025, 10, 1)
    # every day VIP001 buys for 10 yuan and a walk-in for 5; each night's file holds the
    # last 7 days (the till's default export), so most rows were imported before
    for night in range(30):
        today = start + timedelta(days=night)
        lines = [POS_HEADER.rstrip("\n")]
        for back in range(7):
            day = today - timedelta(days=back)
            if day < start:
                continue
            stamp = f"{day.isoformat()} 10:00:00"
            lines.append(f"A{day:%m%d},{stamp},13800138001,VIP001,10.00,已完成,人民路店")
            lines.append(f"B{day:%m%d},{stamp},,散客,5.00,已完成,人民路店")
        path = tmp_path / f"sales-{today.isoformat()}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        cli("import", "purchases", str(path), "--date", today.isoformat())  # exit 0
    # 30 days of 10 yuan, each counted once: 300, 30 purchase days, the last on 30 October
    assert _figures(cli)["VIP001"] == (300.0, 30, "2025-10-30")


TAOBAO_HEADER = [
    "订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "总金额",
    "买家实际支付金额", "订单状态", "买家留言", "收货人姓名", "收货地址", "运送方式", "联系电话",
    "联系手机", "订单创建时间", "订单付款时间", "宝贝标题", "宝贝种类", "物流单号", "物流公司",
    "订单备注", "宝贝总数量", "店铺Id", "店铺名称", "订单关闭原因", "退款金额",
]  # fmt: skip


def _taobao_row(order, buyer, paid, status, name, mobile, created, paid_at, title):
    return [
        f"'{order}", buyer, "x***@163.com", paid, "0.00", paid, paid if paid_at else "0.00",
        status, "", name, "浙江省 杭州市 西湖区", "快递", "", mobile, created, paid_at, title,
        "1", "", "", "", "1", "123", "梅记茶庄", "", "0.00",
    ]  # fmt: skip


def _taobao(tmp_path):
    import csv

    rows = [
        TAOBAO_HEADER,
        _taobao_row("3325011234567890", "tb_fang88", "128.00", "交易成功", "王芳",
                    "'13800138001", "2025-10-01 10:00:01", "2025-10-01 10:00:30", "龙井"),
        _taobao_row("3325011234567891", "tb_fang88", "66.00", "交易成功", "王芳",
                    "'13800138001", "2025-10-20 09:00:01", "2025-10-20 09:01:30", "白茶"),
        _taobao_row("3325011234567892", "lina_2020", "99.00", "交易关闭", "李娜",
                    "'13900139002", "2025-10-05 12:00:00", "", "红茶"),
        _taobao_row("3325011234567893", "zhangwei", "220.00", "卖家已发货，等待买家确认", "张伟",
                    "'13700137003", "2025-10-30 08:00:00", "2025-10-30 08:05:00", "普洱"),
        _taobao_row("3325011234567894", "nobody", "30.00", "交易成功", "",
                    "", "2025-10-31 08:00:00", "2025-10-31 08:05:00", "茶包"),
    ]  # fmt: skip
    path = tmp_path / "ExportOrderList.csv"
    with path.open("w", newline="", encoding="gbk") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_taobao_orders_are_a_sellers_customer_list(cli, tmp_path):
    orders = _taobao(tmp_path)
    refused = cli("import", "customers", str(orders), *DAY, code=4)
    assert "import it with 'followup import purchases'" in refused.stderr
    out = cli("import", "purchases", str(orders), *DAY).stdout
    # 王芳 (two orders, one phone) and 张伟 are new customers; 李娜's order was closed
    # unpaid; the last order names nobody (no name, no phone): a sale to nobody, not a person
    assert out.splitlines()[0] == (
        f"{orders} (GBK/GB18030): read as a 淘宝 orders export; read 5, added 3, "
        "updated 2, unchanged 0, rejected 0, skipped 1 unpaid/refunded orders, skipped 1 sales "
        "to walk-in customers, new customers from the orders 2"
    )
    people = {
        r["name"]: (r["phone"], r["tier"], r["added"], r["first_purchase"], r["spend"])
        for r in cli.json("export", "customers")
    }
    assert people == {
        "王芳": ("+8613800138001", "new", "2025-10-01", "2025-10-01", 194.0),
        "张伟": ("+8613700137003", "new", "2025-10-30", "2025-10-30", 220.0),
    }
    # the same report again the next night adds nobody twice
    again = cli("import", "purchases", str(orders), "--date", "2025-11-06").stdout
    assert "added 0, updated 0, unchanged 3" in again and "new customers" not in again
    # undoing the first import takes the new customers back with their purchases
    undone = cli("imports", "undo", "--yes", "1", "--date", "2025-11-06").stdout
    assert undone == "Import 1 undone: 3 purchases removed, 2 customers removed, 0 restored.\n"
    assert cli.json("export", "customers") == []


def test_shopify_orders_add_the_buyers_they_name(cli, tmp_path):
    header = (
        "Name,Email,Financial Status,Paid at,Fulfillment Status,Currency,Subtotal,Total,"
        "Created at,Lineitem quantity,Lineitem name,Billing Name,Billing Phone,Phone\n"
    )
    body = (
        "#1001,ava@example.com,paid,2025-10-02 10:00:00 -0500,fulfilled,CAD,40.00,45.00,"
        "2025-10-02 09:58:00 -0500,1,Tea sampler,Ava Smith,,\n"
        "#1001,ava@example.com,paid,,,,,,2025-10-02 09:58:00 -0500,1,Mug,Ava Smith,,\n"
        "#1002,noah@example.com,refunded,2025-10-03 10:00:00 -0500,,CAD,10.00,10.00,"
        "2025-10-03 09:00:00 -0500,1,Tea,Noah Wong,,\n"
    )
    (tmp_path / "orders_export.csv").write_text(header + body, encoding="utf-8")
    out = cli("import", "purchases", str(tmp_path / "orders_export.csv"), *DAY).stdout
    assert "new customers from the orders 1" in out
    (ava,) = cli.json("export", "customers")
    assert (ava["name"], ava["email"], ava["tier"], ava["spend"]) == (
        "Ava Smith", "ava@example.com", "new", 45.0,
    )  # fmt: skip


def test_a_purchase_under_a_merged_away_id_goes_to_the_kept_customer(cli, tmp_path):
    members = "id,name,phone\nC1,王芳,13800138001\nC2,王芳 (网店),13800138009\n"
    (tmp_path / "members.csv").write_text(members, encoding="utf-8")
    cli("import", "customers", str(tmp_path / "members.csv"), *DAY)
    cli("merge", "C1", "C2", "--yes", *DAY)
    sales = "customer id,date,amount\nC2,2025-11-03,58\n"
    (tmp_path / "sales.csv").write_text(sales, encoding="utf-8")
    cli("import", "purchases", str(tmp_path / "sales.csv"), *DAY)  # exit 0: C2 is C1 now
    assert _figures(cli) == {"C1": (58.0, 1, "2025-11-03")}


# --- what a real month of nightly files holds: a first week's findings --------------------


def test_the_word_walk_in_in_the_phone_column_is_a_walk_in_sale_not_a_rejection(cli, tmp_path):
    _members(cli, tmp_path)
    sales = tmp_path / "销售流水.csv"
    sales.write_text(
        POS_HEADER
        + "XS101,2025-11-04 10:00:00,散客,,20.00,已完成,人民路店\n"
        + "XS102,2025-11-04 11:00:00,非会员,,12.00,已完成,人民路店\n"
        + "XS103,2025-11-04 12:00:00,13800138001,VIP001,50.00,已完成,人民路店\n",
        encoding="utf-8",
    )
    out = cli("import", "purchases", str(sales), *DAY).stdout  # exit 0: cron stays quiet
    assert out.splitlines()[0].endswith(
        "read 3, added 1, updated 1, unchanged 0, rejected 0, skipped 2 sales to walk-in customers"
    )
    assert _figures(cli)["VIP001"] == (50.0, 1, "2025-11-04")


def test_an_order_whose_phone_the_marketplace_hid_is_skipped_and_counted(cli, tmp_path):
    import csv

    rows = [
        TAOBAO_HEADER,
        _taobao_row("3325011234567895", "tb_fang88", "128.00", "交易成功", "王芳",
                    "'13800138001", "2025-10-01 10:00:01", "2025-10-01 10:00:30", "龙井"),
        _taobao_row("3325011234567896", "chen_8", "58.00", "交易成功", "陈刚",
                    "136****0035", "2025-10-02 10:00:01", "2025-10-02 10:00:30", "绿茶"),
    ]  # fmt: skip
    path = tmp_path / "ExportOrderList.csv"
    with path.open("w", newline="", encoding="gbk") as handle:
        csv.writer(handle).writerows(rows)
    out = cli("import", "purchases", str(path), *DAY)  # exit 0, every night
    assert out.stdout.splitlines()[0].endswith(
        "read 2, added 1, updated 1, unchanged 0, rejected 0, skipped 1 orders whose phone "
        "the marketplace hid, new customers from the orders 1"
    )
    assert [c["name"] for c in cli.json("export", "customers")] == ["王芳"]  # nobody invented
    summary = cli.json("import", "purchases", str(path), "--date", "2025-11-06")
    assert (summary["skipped_masked"], summary["rejected"], summary["added"]) == (1, 0, 0)


def test_a_member_file_exported_before_the_sales_never_takes_a_purchase_back(cli, tmp_path):
    members = tmp_path / "会员.csv"
    members.write_text(
        "会员卡号,姓名,手机号,会员等级,最后消费时间\nVIP001,王芳,13800138001,金卡会员,2025-08-08\n",
        encoding="utf-8-sig",
    )
    cli("import", "customers", str(members), *DAY)
    sales = tmp_path / "销售流水.csv"
    sales.write_text(
        POS_HEADER + "XS201,2025-11-04 10:00:00,13800138001,VIP001,88.00,已完成,人民路店\n",
        encoding="utf-8",
    )
    cli("import", "purchases", str(sales), *DAY)
    # the member system's export, unchanged since August, comes in again that night
    again = cli.json("import", "customers", str(members), "--date", "2025-11-06")
    assert (again["updated"], again["unchanged"]) == (0, 1)
    row = cli.json("export", "customers")[0]
    assert (row["last_purchase"], row["spend"]) == ("2025-11-04", 88.0)
