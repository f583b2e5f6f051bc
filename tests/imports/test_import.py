"""Import of the files shops really have: encodings, layouts, Excel, dates, phones, cron."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
from test_loop import dump

CHINESE_HEADER = "客户编号,姓名,手机,客户类型,最近购买日期,负责人,备注\r\n"


def write_bytes(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def customers(cli) -> dict[str, dict]:
    return {c["customer_id"]: c for c in cli.json("export", "customers")}


def test_gbk_file_from_chinese_excel_with_chinese_headers_and_tiers(cli, tmp_path):
    text = CHINESE_HEADER + (
        "A01,王芳,138 0013 8001,VIP客户,2025/1/31,李,喜欢乌龙\r\n"
        "A02,李娜,139-0013-9002,老客户,2025年1月10日,李,\r\n"
        "A03,张伟,137.0013.7004,潜在客户,,王,\r\n"
    )
    path = write_bytes(tmp_path, "gbk.csv", text.encode("gbk"))
    out = cli.json("import", "customers", path, "--date", "2025-02-01")
    assert (out["encoding"], out["added"], out["rejected"]) == ("gb18030", 3, 0)
    stored = customers(cli)
    assert stored["A01"]["name"] == "王芳" and stored["A01"]["tier"] == "vip"
    assert stored["A01"]["phone"] == "+8613800138001"
    assert stored["A01"]["notes"] == "喜欢乌龙"
    assert stored["A02"]["last_purchase"] == "2025-01-10"
    assert stored["A03"]["tier"] == "prospect"
    # VIP last bought 31 Jan: due 28 Feb; regular bought 10 Jan: due 10 Apr
    assert cli.json("show", "A01")["next_due"] == "2025-02-28"
    assert cli.json("show", "A02")["next_due"] == "2025-04-10"
    assert cli.json("show", "A03")["next_due"] == "2025-02-15"  # added on import day + 2 weeks


def test_utf8_bom_with_semicolons_and_utf16_tab_separated(cli, tmp_path):
    semi = "\ufeffid;name;phone;tier\r\nS1;Anna;+44 7700 900111;vip\r\n"
    path = write_bytes(tmp_path, "semi.csv", semi.encode("utf-8"))
    assert cli.json("import", "customers", path, "--date", "2025-01-01")["encoding"] == "utf-8-sig"
    tabbed = "id\tname\tphone\ttier\r\nT1\t赵敏\t13300133010\t新客户\r\n"
    path = write_bytes(tmp_path, "unicode.txt", tabbed.encode("utf-16"))
    out = cli.json("import", "customers", path, "--date", "2025-01-01")
    assert (out["encoding"], out["added"]) == ("utf-16", 1)
    stored = customers(cli)
    assert stored["S1"]["phone"] == "+447700900111"
    assert (stored["T1"]["name"], stored["T1"]["tier"]) == ("赵敏", "new")


def test_crlf_embedded_newlines_trailing_empty_columns_and_blank_lines(cli, tmp_path):
    data = (
        "id,name,phone,notes,,\r\n"
        "\r\n"
        'Q1,Quinn,13800000001,"line one\r\nline two",,\r\n'
        "\r\n"
        "Q2,,13800000002,,,\r\n"
    )
    path = write_bytes(tmp_path, "messy.csv", data.encode("utf-8"))
    out = cli.json("import", "customers", path, "--date", "2025-01-01")
    assert (out["added"], out["named_from_contact"]) == (2, 1)
    assert customers(cli)["Q1"]["notes"] == "line one\r\nline two"
    assert customers(cli)["Q2"]["name"] == "+8613800000002"  # no name: named from the phone


def test_excel_workbook_with_date_cells_numeric_phones_and_a_named_sheet(cli, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "说明"
    book.active.append(["this sheet is notes, not customers"])
    sheet = book.create_sheet("客户")
    sheet.append(
        ["客户编号", "姓名", "手机号", "等级", "首次购买日期", "最近购买日期", "会员到期日"]
    )
    sheet.append(["X1", "孙悦", 15100151017, "A", datetime(2024, 5, 1), date(2025, 1, 31), None])
    sheet.append([None, None, None, None, None, None, None])
    sheet.append(["X2", "马超", "152 0015 2018", "b", "2024/6/1", "2024/12/1", "2025-06-30"])
    path = tmp_path / "customers.xlsx"
    book.save(path)
    cli("import", "customers", str(path), "--date", "2025-02-01", code=4)  # first sheet: notes
    out = cli.json("import", "customers", str(path), "--sheet", "客户", "--date", "2025-02-01")
    assert (out["encoding"], out["added"]) == ("xlsx", 2)
    stored = customers(cli)
    assert stored["X1"]["phone"] == "+8615100151017"
    assert (stored["X1"]["tier"], stored["X1"]["first_purchase"]) == ("vip", "2024-05-01")
    assert stored["X2"]["contract_end"] == "2025-06-30"
    assert cli.json("show", "X1")["next_due"] == "2025-02-28"
    # renewal 3 months before 30 Jun comes before the quarterly call on 1 Mar? 30 Mar > 1 Mar
    assert cli.json("show", "X2")["next_due"] == "2025-03-01"
    err = cli("import", "customers", str(path), "--sheet", "Sheet9", code=4).stderr
    assert "no sheet 'Sheet9'" in err and "说明, 客户" in err


def test_headers_match_loosely_and_unknown_columns_are_kept(cli, csv_file):
    header = " Customer_ID ,Name,Handy,E-Mail,Customer Type,Loyalty Card\n"
    path = csv_file("K1,Kim,13800000011, KIM@Example.COM ,vip,GOLD-7\n", header=header)
    cli("import", "customers", str(path), "--map", "Handy=phone", "--date", "2025-01-01")
    stored = customers(cli)["K1"]
    assert (stored["phone"], stored["email"]) == ("+8613800000011", "kim@example.com")
    assert stored["extra"] == {"Loyalty Card": "GOLD-7"}
    err = cli("import", "customers", str(path), "--map", "Handy=mobile", code=1).stderr
    assert "must be 'Column=field'" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-31", "2025-01-31"),
        ("2025/1/31", "2025-01-31"),
        ("2025.1.31", "2025-01-31"),
        ("2025年1月31日", "2025-01-31"),
        ("Jan 31 2025", "2025-01-31"),
        ("31 January 2025", "2025-01-31"),
        ("31/01/2025", "2025-01-31"),
        ("01/31/2025", "2025-01-31"),
        ("2025-01-31 00:00:00", "2025-01-31"),
    ],
)
def test_date_formats(cli, csv_file, text, expected):
    cli(
        "import",
        "customers",
        str(csv_file(f'D1,Dee,13800000021,,,,"{text}",,,\n')),
        "--date",
        "2025-03-01",
    )
    assert customers(cli)["D1"]["last_purchase"] == expected


def test_ambiguous_dates_need_an_order_and_a_mixed_file_is_refused(cli, csv_file, isolated_db):
    body = "D1,Dee,13800000021,,,,03/04/2024,,,\n"
    result = cli("import", "customers", str(csv_file(body)), "--date", "2025-03-01", code=4)
    assert "ambiguous (day/month): use --dayfirst or --monthfirst" in result.stderr
    cli("import", "customers", str(csv_file(body)), "--dayfirst", "--date", "2025-03-01")
    assert customers(cli)["D1"]["last_purchase"] == "2024-04-03"
    # unambiguous 25/12 in the same file decides the order for 03/04
    body2 = "D2,Dan,13800000022,,,,03/04/2024,25/12/2020,,\n"
    cli("import", "customers", str(csv_file(body2)), "--date", "2025-03-01")
    assert customers(cli)["D2"]["last_purchase"] == "2024-04-03"
    before = dump(isolated_db)
    mixed = "M1,Mo,13800000031,,,,25/12/2024,,,\nM2,Mi,13800000032,,,,12/25/2024,,,\n"
    result = cli("import", "customers", str(csv_file(mixed)), "--date", "2025-03-01", code=4)
    assert "mixes day/month and month/day" in result.stderr
    assert dump(isolated_db) == before


def test_one_customer_whatever_the_phone_layout_and_people_who_share_a_phone(cli, csv_file):
    body = (
        ",Pat,138 0000 0009,,,,,,,\n"
        ",Pat,138-0000-0009,,,,,,,\n"
        "Z1,Zed,+86 138 0000 0010,,,,,,,\n"
        "Z2,Zoe,13800000010,,,,,,,\n"
        ",Zed,13800000010,,,,,,,\n"
    )
    result = cli("import", "customers", str(csv_file(body)), "--date", "2025-01-01")
    # line 3 is Pat again (same phone, same name): merged into line 2, not a second Pat;
    # Z2 is a different id on Z1's phone: a second customer, reported; line 6 is Zed again
    assert result.stderr.splitlines() == [
        f"{csv_file(body)}: line 5: phone +8613800000010 is also customer Z1's (Zed): "
        "Zoe added as a second customer on it"
    ]
    assert "read 5, added 3, updated 0, unchanged 0, rejected 0, merged 2" in result.stdout
    assert sorted(customers(cli)) == ["Z1", "Z2", "fu-1"]
    # a later file that gives Pat the shop's own id adopts it instead of adding a customer
    cli("import", "customers", str(csv_file("P9,Pat,13800000009,,,,,,,\n")), "--date", "2025-01-02")
    assert sorted(customers(cli)) == ["P9", "Z1", "Z2"]
    # a husband on his wife's number with no id of his own: a second customer too
    out = cli.json(
        "import", "customers", str(csv_file(",Tom,13800000009,,,,,,,\n")), "--date", "2025-01-03"
    )
    assert (out["added"], out["shared_phones"]) == (1, 1)


def test_a_changed_row_updates_and_a_tier_change_replans_keeping_history(cli, csv_file):
    cli(
        "import",
        "customers",
        str(csv_file("R1,Rui,13800000041,,regular,,2024-12-01,,,\n")),
        "--date",
        "2025-01-01",
    )
    assert cli.json("show", "R1")["next_due"] == "2025-03-01"
    cli("log", "R1", "reached", "--date", "2025-01-05", "--note", "likes green tea")
    assert cli.json("show", "R1")["next_due"] == "2025-04-05"
    out = cli.json(
        "import",
        "customers",
        str(csv_file("R1,Rui Chen,13800000041,,vip,,2024-12-01,,,\n")),
        "--date",
        "2025-01-10",
    )
    assert (out["updated"], out["added"]) == (1, 0)
    shown = cli.json("show", "R1")
    assert (shown["name"], shown["tier"]) == ("Rui Chen", "vip")
    assert shown["next_due"] == "2025-02-05"  # VIP: a month after the last contact
    assert [h["note"] for h in shown["history"]] == ["likes green tea"]


def test_rejects_file_dry_run_strict_and_quiet(cli, csv_file, tmp_path, isolated_db):
    body = "G1,Good,13800000051,,,,,,,\nB1,Bad,13800000052,,,,someday,,,\n"
    path = str(csv_file(body))
    rejects = tmp_path / "rejects.csv"
    cli("today")
    before = dump(isolated_db)
    dry = cli("import", "customers", path, "--dry-run", "--rejects", str(rejects), code=3)
    assert "dry run, nothing written: read 2, added 1" in dry.stdout
    assert dump(isolated_db) == before
    rows = list(csv.DictReader(rejects.open(encoding="utf-8-sig")))
    assert rows == [
        {
            "id": "B1",
            "name": "Bad",
            "phone": "13800000052",
            "email": "",
            "tier": "",
            "first_purchase": "",
            "last_purchase": "someday",
            "added": "",
            "owner": "",
            "notes": "",
            "reason": "last_purchase: date 'someday' is not a date we can read",
        }
    ]
    strict = cli("import", "customers", path, "--strict", code=4)
    assert "(nothing written: --strict)" in strict.stdout
    assert dump(isolated_db) == before
    good = str(csv_file("G1,Good,13800000051,,,,,,,\n", name="good.csv"))
    assert cli("import", "customers", good, "--quiet").stdout == ""
    assert cli("import", "customers", path, "--quiet", code=3).stdout.startswith(path)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("junk.bin", bytes(range(256)) * 4, "NUL bytes"),
        ("empty.csv", b"", "is empty"),
        ("blank.csv", b"\r\n\r\n  \r\n", "is empty"),
        ("unknown.csv", b"foo,bar\n1,2\n", "no usable header"),
        ("nul.csv", b"id,name\nA1,An\x00n\n", "NUL bytes"),
        ("latin1.csv", "id,name\nA1,Zoë Müller\n".encode("latin-1"), "--encoding"),
        ("huge.csv", b"id,name\nA1," + b"x" * 300_000 + b"\n", "300000 characters long"),
        ("toobig.csv", b"id,name\nA1," + b"x" * 1_100_000 + b"\n", "is over 1000000 characters"),
        ("old.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "not a readable Excel workbook"),
        ("fake.xlsx", b"PK\x03\x04not really a zip", "not a readable Excel workbook"),
        ("脚本.xlsx", b"id,name\nA1,An\n", "is not an Excel workbook, though its name says so"),
        # what an owner picks by mistake is named, with what to do instead
        ("小票.pdf", b"%PDF-1.7\n%\xe2\xe3\x00\x01", "this is a PDF document, not a table"),
        ("会员.csv", b"PK\x03\x04\x14\x00\x00\x00", "this is a compressed archive, not a table"),
        ("名单.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF", "this is a picture, not a table"),
    ],
)
def test_bad_files_are_refused_with_one_line_and_nothing_written(
    cli, tmp_path, isolated_db, name, data, message
):
    cli("today")
    before = dump(isolated_db)
    result = cli("import", "customers", write_bytes(tmp_path, name, data), code=4)
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(
        ("followup: error:", str(tmp_path))
    )
    assert dump(isolated_db) == before


def test_missing_path_and_directory(cli, tmp_path):
    assert "does not exist" in cli("import", "customers", str(tmp_path / "no.csv"), code=4).stderr
    assert "is a folder" in cli("import", "customers", str(tmp_path), code=4).stderr


def test_forced_encoding_and_delimiter(cli, tmp_path):
    data = "id|name\nL1|Zoë Müller\n".encode("latin-1")
    path = write_bytes(tmp_path, "latin.csv", data)
    cli("import", "customers", path, "--encoding", "latin-1", "--delimiter", "|")
    assert customers(cli)["L1"]["name"] == "Zoë Müller"
    assert (
        "unknown encoding"
        in cli("import", "customers", path, "--encoding", "klingon", code=4).stderr
    )


def test_saved_profile_keeps_the_nightly_cron_line_short(cli, tmp_path):
    data = b"Kunde;Name;Handy;Kauf\nN1;Nora;+49 151 23456789;03/04/2024\n"
    path = write_bytes(tmp_path, "till.csv", data)
    cli(
        "import",
        "customers",
        path,
        "--map",
        "Kunde=id",
        "--map",
        "Handy=phone",
        "--map",
        "Kauf=last_purchase",
        "--dayfirst",
        "--region",
        "DE",
        "--save-profile",
        "till",
        "--date",
        "2025-01-01",
    )
    assert customers(cli)["N1"]["last_purchase"] == "2024-04-03"
    again = cli.json("import", "customers", path, "--profile", "till", "--date", "2025-01-02")
    assert (again["unchanged"], again["rejected"]) == (1, 0)
    assert (
        "no import profile 'shop'"
        in cli("import", "customers", path, "--profile", "shop", code=1).stderr
    )


def test_imports_are_listed_and_one_can_be_undone(cli, csv_file):
    first = cli.json(
        "import",
        "customers",
        str(csv_file("U1,Una,13800000061,,vip,,,,,\n")),
        "--date",
        "2025-01-01",
    )
    second = cli.json(
        "import",
        "customers",
        str(
            csv_file(
                "U1,Una Li,13800000061,,vip,,,,,\nU2,Uri,13800000062,,,,,,,\n", name="second.csv"
            )
        ),
        "--date",
        "2025-01-02",
    )
    listed = cli.json("imports")
    assert [(i["id"], i["added"], i["updated"], i["status"]) for i in listed] == [
        (second["import_id"], 1, 1, "done"),
        (first["import_id"], 1, 0, "done"),
    ]
    err = cli("imports", "undo", "--yes", str(first["import_id"]), code=1).stderr
    assert "customer U1 was changed again later" in err
    out = cli("imports", "undo", "--yes", str(second["import_id"])).stdout
    assert out == f"Import {second['import_id']} undone: 1 customers removed, 1 restored.\n"
    assert {k: v["name"] for k, v in customers(cli).items()} == {"U1": "Una"}
    assert cli.json("imports")[0]["status"] == "undone"
    cli("log", "U1", "reached", "--date", "2025-01-03")
    err = cli("imports", "undo", "--yes", str(first["import_id"]), code=1).stderr
    assert "1 contact(s) were logged on its customers since" in err
    assert "no import with id 99" in cli("imports", "undo", "--yes", "99", code=1).stderr


def test_undo_refuses_once_someone_has_worked_on_the_customers(cli, csv_file):
    done = cli.json(
        "import",
        "customers",
        str(csv_file("A1,Ann,13800000081,,vip,,,,,\n")),
        "--date",
        "2025-01-01",
    )
    cli("assign", "A1", "--owner", "Mei")
    err = cli("imports", "undo", "--yes", str(done["import_id"]), code=1).stderr
    assert "customer A1 was changed again later" in err
    assert customers(cli)["A1"]["owner"] == "Mei"


def test_purchases_convert_prospects_and_count_once(cli, csv_file, tmp_path):
    cli(
        "import",
        "customers",
        str(
            csv_file(
                "P1,Pia,13800000071,,prospect,,,2025-01-01,,\n"
                "R1,Rui,13800000072,,regular,2024-01-01,2024-12-01,,,\n"
            )
        ),
        "--date",
        "2025-01-01",
    )
    sales = tmp_path / "sales.csv"
    sales.write_text(
        "手机,日期,金额,订单号\n"
        '138 0000 0071,2025/1/10,"¥1,280.00",S-1\n'
        "13800000072,2025-01-12,99.5,S-2\n"
        "13800000099,2025-01-12,10,S-3\n",
        encoding="utf-8",
    )
    result = cli("import", "purchases", str(sales), "--date", "2025-01-15", code=3)
    assert result.stderr.endswith("line 4: no customer matches +8613800000099\n")
    assert "read 3, added 2, updated 2, unchanged 0, rejected 1" in result.stdout
    pia = cli.json("show", "P1")
    assert (pia["tier"], pia["converted_on"], pia["first_purchase"]) == (
        "new",
        "2025-01-10",
        "2025-01-10",
    )
    assert pia["spend"] == 1280.0
    # new customer: the 7-day call after the first purchase
    assert (pia["next_due"], pia["next_reason"]) == ("2025-01-17", "7 days after first purchase")
    rui = cli.json("show", "R1")
    assert (rui["last_purchase"], rui["next_due"]) == ("2025-01-12", "2025-04-12")
    again = cli("import", "purchases", str(sales), "--date", "2025-01-15", code=3)
    assert "added 0, updated 0, unchanged 2, rejected 1" in again.stdout
    assert cli.json("show", "P1")["spend"] == 1280.0


def test_the_shops_phone_region_is_used_for_import_and_lookup(cli, csv_file):
    cli("rules", "option", "phone_region", "gb")
    cli(
        "import",
        "customers",
        str(csv_file("G1,Grace,07911 123456,,vip,,2024-12-05,,,\n")),
        "--date",
        "2025-01-01",
    )
    assert customers(cli)["G1"]["phone"] == "+447911123456"
    assert cli.json("show", "07911-123456")["customer_id"] == "G1"
    assert "two-letter country code" in cli("rules", "option", "phone_region", "UK1", code=1).stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-11 04:32:30 -0400", "2025-01-11"),  # Shopify: the local date as written
        ("2024-03-14 09:12:31", "2024-03-14"),  # Mailchimp, WooCommerce
        ("2023-02-14 09:31", "2023-02-14"),  # HubSpot
        ("2023/4/5 14:03", "2023-04-05"),  # Excel re-save of a Chinese export
        ("2025-01-29T18:22:05Z", "2025-01-29"),
        ("2025年1月31日 10:00", "2025-01-31"),
        ("45023", "2023-04-07"),  # an Excel serial date in CSV: 1899-12-30 + 45023 days
        ("45023.75", "2023-04-07"),  # ... with its time of day
    ],
)
def test_date_times_and_excel_serials(cli, csv_file, text, expected):
    cli(
        "import",
        "customers",
        str(csv_file(f'D1,Dee,13800000021,,,,"{text}",,,\n')),
        "--date",
        "2025-03-01",
    )
    assert customers(cli)["D1"]["last_purchase"] == expected


def test_a_quote_never_closed_is_one_broken_row_and_the_rows_after_it_are_read(cli, tmp_path):
    data = (
        "id,name,phone,notes\n"
        '1,Ann,13800000001,"Started on Monday\n'
        "2,Bob,13800000002,likes tea\n"
        "3,Cy,13800000003,\n"
        '4,Di,13800000004,"two\nlines"\n'
    )
    path = write_bytes(tmp_path, "broken.csv", data.encode("utf-8"))
    result = cli("import", "customers", path, "--date", "2025-01-01", code=3)
    assert result.stderr == (
        f"{path}: line 2: a quote opened on this line is never closed; the lines after it "
        "were read as rows\n"
    )
    assert "read 4, added 3, updated 0, unchanged 0, rejected 1" in result.stdout
    stored = customers(cli)
    assert sorted(stored) == ["2", "3", "4"]
    assert stored["4"]["notes"] == "two\nlines"  # a real two-line note is still one cell


def test_header_found_below_title_rows_totals_skipped_and_header_row_forced(cli, tmp_path):
    data = (
        "会员列表,,,\r\n"
        "导出时间: 2025-05-29 18:22,,,\r\n"
        "会员号,会员姓名,手机号码,会员等级\r\n"
        "H1,王芳,13800138001,金卡\r\n"
        "H2,李娜,'13900139002,普通会员\r\n"
        ",,,\r\n"
        "合计,,,\r\n"
    )
    path = write_bytes(tmp_path, "members.csv", data.encode("gbk"))
    out = cli.json("import", "customers", path, "--date", "2025-06-01")
    # the total row is not a customer and not a rejection: cron stays quiet
    assert (out["header_line"], out["added"], out["skipped_totals"], out["rejected"]) == (
        3,
        2,
        1,
        0,
    )
    assert customers(cli)["H2"]["phone"] == "+8613900139002"  # Excel's leading ' dropped
    text = cli("import", "customers", path, "--date", "2025-06-01").stdout
    assert "header on line 3; read 3, added 0, updated 0, unchanged 2, rejected 0" in text
    assert "skipped 1 total rows" in text
    # the rare file detection cannot decide: the owner names the line
    forced = cli.json("import", "customers", path, "--header-row", "3", "--date", "2025-06-01")
    assert (forced["header_line"], forced["unchanged"]) == (3, 2)
    err = cli("import", "customers", path, "--header-row", "6", code=4).stderr
    assert "line 6 of" in err and "blank or not the start of a row" in err


def test_phones_never_invented_and_excel_numbers_read_as_typed(cli, csv_file):
    body = (
        "P1,Pam,(408) 781-2076,pam@example.com,,,,,,\n"  # US number, shop in CN, no country
        "P2,Pia,13800138000.0,,,,,,,\n"  # Excel typed it as a number
        "P3,Pol,'+44 7911 123456,,,,,,,\n"  # Shopify's apostrophe
        ",Pez,(408) 781-2077,,,,,,,\n"  # nothing else to reach or match her by
    )
    result = cli("import", "customers", str(csv_file(body)), "--date", "2025-01-01", code=3)
    lines = [line.split(": ", 1)[1] for line in result.stderr.splitlines()]
    assert lines == [
        "line 2: column 'phone': phone '(408) 781-2076' is not a valid number for CN: left out",
        # rejected, and why: the one way to reach her was unusable
        "line 5: needs an id, a phone or an e-mail (phone '(408) 781-2077' is not a valid "
        "number for CN)",
    ]
    stored = customers(cli)
    assert (stored["P1"]["phone"], stored["P1"]["email"]) == (None, "pam@example.com")
    assert stored["P2"]["phone"] == "+8613800138000"
    assert stored["P3"]["phone"] == "+447911123456"
    assert sorted(stored) == ["P1", "P2", "P3"]


def test_levels_table_can_be_seen_and_changed(cli):
    table = cli.json("rules", "levels")
    assert {"level": "金卡", "tier": "vip"} in table
    assert {"level": "lead", "tier": "prospect"} in table
    assert cli("rules", "levels", "set", "铂金卡", "VIP").stdout == "铂金卡 -> vip\n"
    assert {"level": "铂金卡", "tier": "vip"} in cli.json("rules", "levels")
    err = cli("rules", "levels", "set", "铜卡", "gold", code=1).stderr
    assert "unknown tier 'gold'" in err
    cli("rules", "levels", "remove", "铂金卡")
    assert "no '铂金卡'" in cli("rules", "levels", "remove", "铂金卡", code=1).stderr


def test_an_explicit_map_wins_over_a_column_the_layout_guessed(cli, tmp_path):
    # a HubSpot export whose shop keeps the member number in "Membership" instead
    data = (
        "Record ID,First Name,Last Name,Email,Lifecycle Stage,Membership\n"
        "101,Sofia,Garcia,sofia.g@example.com,Customer,M-77\n"
    )
    path = write_bytes(tmp_path, "hubspot.csv", data.encode("utf-8"))
    out = cli.json("import", "customers", path, "--map", "Membership=id", "--date", "2025-06-01")
    assert out["layout"] == "HubSpot contacts"
    stored = customers(cli)
    assert list(stored) == ["M-77"]
    assert stored["M-77"]["extra"]["Record ID"] == "101"


def test_dry_run_reports_every_value_left_out_and_writes_nothing(cli, tmp_path, isolated_db):
    data = (
        "First Name,Last Name,Email,Phone,Tags\n"
        "Ann,Lee,ann@example.com,(408) 781-2076,VIP\n"
        ",,,13800138000,\n"
        "Total,,,,\n"
    )
    path = write_bytes(tmp_path, "list.csv", data.encode("utf-8"))
    cli("today")
    before = dump(isolated_db)
    result = cli("import", "customers", path, "--dry-run", "--date", "2025-06-01")
    assert result.stderr == (
        f"{path}: line 2: column 'Phone': phone '(408) 781-2076' is not a valid number for CN: "
        "left out\n"
    )
    assert result.stdout == (
        f"{path} (UTF-8): dry run, nothing written: read 3, added 2, updated 0, unchanged 0, "
        "rejected 0, named from nickname/phone/e-mail 1, phones left out 1, skipped 1 total rows\n"
        "Columns read: First Name -> first name, Last Name -> last name, Email -> email, "
        "Phone -> phone, Tags -> tags\n"
    )
    assert dump(isolated_db) == before


def test_a_customers_rows_in_one_file_count_and_undo_by_what_they_come_to(cli, csv_file):
    """Two rows of one stored customer: counted once, by their joint effect, and the undo
    record holds the old value of every field either row changed."""
    cli(
        "import",
        "customers",
        str(csv_file("A1,Ann,13800000001,a@x.org,regular,,2025-09-01,,,\n")),
        "--date",
        "2025-11-01",
    )
    # the first row makes her a VIP, the second a regular again: nothing to write
    back = csv_file(
        "A1,Ann,13800000001,,vip,,2025-09-01,,,\nA1,Ann,13800000001,,regular,,2025-09-01,,,\n",
        name="back.csv",
    )
    out = cli.json("import", "customers", str(back), "--date", "2025-11-02")
    assert (out["updated"], out["unchanged"], out["merged"]) == (0, 1, 1)
    assert customers(cli)["A1"]["tier"] == "regular"
    # the first row buys again, the second brings a new e-mail: one update, both undone
    both = csv_file(
        "A1,Ann,13800000001,,regular,,2025-10-01,,,\nA1,Ann,13800000001,new@x.org,regular,,,,,\n",
        name="both.csv",
    )
    out = cli.json("import", "customers", str(both), "--date", "2025-11-03")
    assert (out["updated"], out["unchanged"], out["merged"]) == (1, 0, 1)
    stored = customers(cli)["A1"]
    assert (stored["last_purchase"], stored["email"]) == ("2025-10-01", "new@x.org")
    cli("imports", "undo", "--yes", str(out["import_id"]))
    stored = customers(cli)["A1"]
    assert (stored["last_purchase"], stored["email"]) == ("2025-09-01", "a@x.org")


def test_a_customers_rows_in_any_order_keep_their_latest_and_earliest_purchase(cli, csv_file):
    """A till lists a member's rows in any order: a later row with an older last purchase, or
    a newer first purchase, does not move them."""
    rows = (
        "K1,Kai,13800000011,,regular,2023-01-01,2024-08-08,,,\n"
        "K1,Kai,13800000011,,regular,2022-05-05,2023-06-15,,,\n"
        "K2,Kim,13800000012,,regular,2023-03-03,2024-01-01,,,\n"
    )
    out = cli.json("import", "customers", str(csv_file(rows)), "--date", "2025-11-01")
    assert (out["added"], out["merged"]) == (2, 1)
    stored = customers(cli)
    assert (stored["K1"]["first_purchase"], stored["K1"]["last_purchase"]) == (
        "2022-05-05",
        "2024-08-08",
    )
    # the nightly file: K2 bought again (its first row), then an older row of theirs
    again = (
        "K2,Kim,13800000012,,regular,2023-03-03,2025-02-02,,,\n"
        "K2,Kim,13800000012,,regular,2023-04-04,2024-01-01,,,\n"
    )
    out = cli.json(
        "import", "customers", str(csv_file(again, name="again.csv")), "--date", "2025-11-02"
    )
    assert (out["updated"], out["merged"]) == (1, 1)
    assert (customers(cli)["K2"]["first_purchase"], customers(cli)["K2"]["last_purchase"]) == (
        "2023-03-03",
        "2025-02-02",
    )
