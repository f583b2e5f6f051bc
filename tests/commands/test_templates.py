"""Message templates: the words to say, per reason, filled per customer; the SMS send list."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path

import dbtools
import pytest

from followup_cli import i18n
from followup_cli.commands.templates import (
    DEFAULTS,
    field_values,
    fill,
    human_date,
    sms_text,
    template_key,
)

# Imported on 2025-03-08; each customer's first follow-up falls due that day:
#   N1 new, first purchase 1 Mar: the 7-day step (8 Mar)             -> first-week
#   N2 new, first purchase 8 Feb: the 1-month step (8 Mar), no owner  -> one-month
#   P1 prospect, added 22 Feb, never bought: every 2 weeks (8 Mar)    -> prospect
#   V1 vip, last purchase 8 Feb: every month (8 Mar), no phone        -> vip, not in the send list
SHOP = (
    "N1,Tom Baker,13800000001,,new,2025-03-01,2025-03-01,2025-03-01,Mei,\n"
    "N2,张伟,13800000002,,new,2025-02-08,2025-02-08,2025-02-08,,\n"
    "P1,李娜,13800000003,,prospect,,,2025-02-22,Mei,\n"
    "V1,Ava Stone,,,vip,2024-01-01,2025-02-08,2024-01-01,Mei,\n"
)


@pytest.fixture
def shop(cli, csv_file):
    cli("import", "customers", str(csv_file(SHOP)), "--date", "2025-03-08", "-q")
    cli("rules", "option", "shop", "Mei's Tea")
    return cli


@pytest.fixture
def chinese():
    i18n.set_language("zh_CN")
    yield
    i18n.set_language("en")


def send_rows(cli, *extra: str) -> list[dict[str, str]]:
    out = cli("today", "--date", "2025-03-08", "--with-message", "--format", "csv", *extra)
    return list(csv.DictReader(io.StringIO(out.stdout)))


def test_send_list_fills_each_reason_with_english_and_chinese_names(shop):
    out = shop("today", "--date", "2025-03-08", "--with-message", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["customer_id"], r["phone"], r["template"]) for r in rows] == [
        ("N1", "+8613800000001", "first-week"),
        ("N2", "+8613800000002", "one-month"),
        ("P1", "+8613800000003", "prospect"),
    ]
    assert rows[0]["message"] == (
        "Hi Tom Baker, this is Mei from Mei's Tea. It has been a week since your purchase on "
        "1 March 2025 - is everything going well? Any questions, just reply."
    )
    # 8 Feb -> 8 Mar 2025 is 28 days; N2 has no owner: "the team" stands in for {owner}
    assert rows[1]["message"] == (
        "Hi 张伟, the team from Mei's Tea here. It has been about a month (28 days) since your "
        "purchase - how are you finding it?"
    )
    assert rows[2]["message"].startswith("Hi 李娜, this is Mei from Mei's Tea. Thank you")
    # V1 has no phone: an SMS tool cannot use the row, and the owner is told which one is missing
    assert out.stderr == "Not in the send list, no phone: V1\n"


def test_signature_and_opt_out_line_as_chinese_carriers_want_them(shop, chinese):
    rows = send_rows(shop, "--signature", "梅记茶庄", "--opt-out-line")
    assert rows[1]["message"] == (
        "【梅记茶庄】张伟您好，我是Mei's Tea的店员。您购买的商品已经使用一个月左右（28天）了，"
        "感觉怎么样？欢迎提出宝贵意见。拒收请回复R"
    )
    # no purchase yet: nothing about one is said, and the text still reads as a sentence
    assert rows[2]["message"] == (
        "【梅记茶庄】李娜您好，我是Mei's Tea的Mei。感谢您对我们的关注，本周有新品到店，"
        "欢迎随时来看看。拒收请回复R"
    )
    # the two most important are V1 (a VIP, no phone: left out) and N1
    json_rows = shop.json("today", "--date", "2025-03-08", "--with-message", "--limit", "2")
    assert json_rows == [
        {
            "customer_id": "N1",
            "message": "Tom Baker您好，我是Mei's Tea的Mei。您在2025年3月1日购买的商品已经使用"
            "一周了，一切还顺利吗？有任何问题随时回复我。",
            "name": "Tom Baker",
            "owner": "Mei",
            "phone": "+8613800000001",
            "template": "first-week",
        }
    ]


def test_owner_wording_is_used_and_a_missing_purchase_drops_its_bracketed_part(shop, isolated_db):
    text = "{name}，您好！[您上次购买是{last_purchase}，已过{days_since_purchase}天。]{shop}欢迎您"
    saved = shop("templates", "set", "prospect", text)
    assert saved.stdout == f"Template prospect saved: {text}\n"
    shop("templates", "set", "first-week", text)
    rows = send_rows(shop)
    assert rows[0]["message"] == (
        "Tom Baker，您好！您上次购买是1 March 2025，已过7天。Mei's Tea欢迎您"
    )
    assert rows[2]["message"] == "李娜，您好！Mei's Tea欢迎您"
    listed = {t["key"]: t for t in shop.json("templates")}
    assert listed["prospect"] == {"key": "prospect", "text": text, "custom": True}
    assert listed["vip"] == {"key": "vip", "text": DEFAULTS["en"]["vip"], "custom": False}
    conn = dbtools.connect(isolated_db)
    stored = conn.execute("SELECT key, text FROM message_templates ORDER BY key").fetchall()
    assert stored == [("first-week", text), ("prospect", text)]
    assert shop("templates", "reset", "prospect").stdout == (
        "Template prospect is back to the default wording.\n"
    )
    assert conn.execute("SELECT key FROM message_templates").fetchall() == [("first-week",)]
    shop("templates", "reset")
    assert conn.execute("SELECT COUNT(*) FROM message_templates").fetchone()[0] == 0


def test_bad_templates_and_options_are_refused_and_nothing_is_stored(shop, isolated_db):
    err = shop("templates", "set", "vip", "Hi {name}, {birthday} is coming", code=1).stderr
    assert err.startswith("followup: error: unknown field {birthday} in template vip (fields: ")
    err = shop("templates", "set", "birthday", "Hi {name}", code=1).stderr
    assert err.startswith("followup: error: unknown template 'birthday' (templates: first-week,")
    assert shop("templates", "set", "vip", "   ", code=1).stderr == (
        "followup: error: template vip must not be empty\n"
    )
    # attribute lookups are not fields: an owner's text can never reach into the program
    shop("templates", "set", "vip", "{name.__class__}", code=1)
    shop("templates", "reset", "nope", code=1)
    conn = dbtools.connect(isolated_db)
    assert conn.execute("SELECT COUNT(*) FROM message_templates").fetchone()[0] == 0
    assert shop("today", "--date", "2025-03-08", "--signature", "X", code=1).stderr == (
        "followup: error: --signature and --opt-out-line go with --with-message\n"
    )
    assert shop("today", "--date", "2025-03-08", "--with-message", code=1).stderr == (
        "followup: error: --with-message writes a send list: add --format csv or json\n"
    )


def test_template_key_per_reason():
    # milestones of a new customer: 7 days and 1 month after the first purchase, then 3 months
    assert template_key("step", "new", False, "2025-01-31", "2025-02-07") == "first-week"
    assert template_key("step", "new", False, "2025-01-31", "2025-02-28") == "one-month"
    assert template_key("step", "new", False, "2025-01-31", "2025-04-30") == "regular"
    assert template_key("check-back", "vip", True, None, "2025-02-03") == "check-back"
    assert template_key("renewal", "regular", False, "2025-06-30", "2025-03-30") == "renewal"
    assert template_key("cadence", "vip", True, None, "2025-02-03") == "win-back"
    assert template_key("cadence", "vip", False, None, "2025-02-03") == "vip"
    assert template_key("cadence", "prospect", False, None, "2025-02-03") == "prospect"
    assert template_key("cadence", "wholesale", False, None, "2025-02-03") == "regular"


def test_fill_without_a_purchase_reads_naturally_in_both_languages():
    nothing = field_values("王芳", None, None, None, date(2025, 3, 8), "zh_CN")
    assert fill(DEFAULTS["zh_CN"]["regular"], nothing, "zh_CN") == (
        "王芳您好，我是本店的店员。特来问候，最近有什么需要我们帮忙的吗？"
    )
    nothing = field_values("Oliver Smith", "Tea & Co", "Sam", None, date(2025, 3, 8), "en")
    assert fill(DEFAULTS["en"]["win-back"], nothing, "en") == (
        "Hi Oliver Smith, we have missed you at Tea & Co! Come by any time - Sam would be glad "
        "to see you."
    )
    # brackets without a field are the owner's own text; unknown braces stay as typed
    assert fill("[VIP] {name} {x}", {"name": "A"}, "en") == "[VIP] A {x}"
    assert human_date(date(2024, 2, 29), "zh_CN") == "2024年2月29日"
    assert human_date(date(2024, 2, 29), "en") == "29 February 2024"
    # 31 Dec 2024 -> 1 Mar 2025: 31 + 28 + 1 = 60 days
    since = field_values("A", None, None, date(2024, 12, 31), date(2025, 3, 1), "en")
    assert since["days_since_purchase"] == "60"


def test_sms_text_spaces_only_after_latin_text():
    assert sms_text("谢谢。", "【梅记】", "拒收请回复R") == "【梅记】谢谢。拒收请回复R"
    assert sms_text("Thanks.", None, "Reply R to opt out") == "Thanks. Reply R to opt out"
    assert sms_text("Thanks.", "  ", None) == "Thanks."


def test_readme_send_list_is_the_real_output(cli):
    root = Path(__file__).parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- send-list -->\n```text\n(.*?)\n```", readme, re.S).group(1)
    cli("import", "customers", str(root / "examples" / "customers.csv"), "--date", "2026-11-23")
    cli("rules", "option", "shop", "Tea Corner")
    args = ("--limit", "3", "--with-message", "--format", "csv", "--signature", "Tea Corner")
    out = cli("today", "--date", "2026-11-23", *args, "--opt-out-line").stdout
    assert out.splitlines() == shown.splitlines()


def test_templates_table_says_when_the_shop_name_is_missing(cli):
    hint = "The shop's name is not set: messages use a neutral word instead."
    assert cli("templates").stdout.splitlines()[-2:] == [
        hint,
        "Set it with: followup rules option shop NAME",
    ]
    assert cli("rules", "option", "shop", "  梅记   茶庄 ").stdout.startswith("shop = 梅记 茶庄;")
    assert hint not in cli("templates").stdout
    assert cli.json("rules")["options"]["shop"] == "梅记 茶庄"


def test_defaults_follow_the_language_chosen_for_the_shop(shop):
    try:
        out = shop(
            "--lang",
            "zh",
            "today",
            "--date",
            "2025-03-08",
            "--with-message",
            "--format",
            "json",
            "--limit",
            "2",
        )
    finally:
        i18n.set_language("en")
    # N1's 7-day check in Chinese; V1 (no phone) is named on stderr in Chinese too
    assert json.loads(out.stdout)[0]["message"].startswith("Tom Baker您好，我是Mei's Tea的Mei。")
    assert out.stderr == "没有电话，未列入发送清单：V1\n"


def test_send_list_to_a_file_is_private_and_whole(shop, tmp_path):
    target = tmp_path / "send.csv"
    out = shop(
        "today", "--date", "2025-03-08", "--with-message", "--format", "csv", "-o", str(target)
    )
    assert out.stdout == ""
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "customer_id,name,phone,owner,template,message"
    assert [line.split(",")[0] for line in lines[1:]] == ["N1", "N2", "P1"]
    assert shop("today", "--date", "2025-03-08", "-o", str(target), code=1).stderr == (
        "followup: error: --output goes with --with-message\n"
    )
    missing = str(tmp_path / "nope" / "send.csv")
    err = shop("today", "--with-message", "--format", "csv", "-o", missing, code=1).stderr
    assert err.startswith("followup: error: folder ")


def test_readme_templates_table_is_the_real_output_at_80_columns(cli, monkeypatch):
    root = Path(__file__).parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- templates-output -->\n```text\n(.*?)\n```", readme, re.S).group(1)
    monkeypatch.setenv("COLUMNS", "80")
    cli("rules", "option", "shop", "Tea Corner")
    out = cli("templates").stdout
    assert [line.rstrip() for line in out.rstrip("\n").splitlines()] == shown.splitlines()
    assert max(len(line) for line in shown.splitlines()) <= 80


def test_chinese_templates_keep_their_text_at_80_and_60_columns(cli, monkeypatch):
    # Chinese wording has no spaces to wrap at: it is broken between characters, never dropped
    try:
        for columns in ("80", "60"):
            monkeypatch.setenv("COLUMNS", columns)
            lines = cli("--lang", "zh", "templates").stdout.splitlines()
            assert "内容" in lines[2]  # the heading row: 模板 | 措辞 | 内容
            # the template by the name an owner types (首周回访 is first-week)
            assert lines[4].startswith("│ 首周回访     │ 默认 │ {name}您好，我是{shop}的{owner}。")
            assert max(
                sum(2 if "\u4e00" <= ch <= "\u9fff" or ch in "，。？！（）" else 1 for ch in line)
                for line in lines[1:]
            ) <= int(columns)
    finally:
        i18n.set_language("en")
