"""What a Chinese owner types: dates (2026/11/05, 11月5日, 昨天), durations (3天, 1个月, 半年),
outcomes (已接通, 关机, 下单了), tiers, template names and report breakdowns, each taken as its
English twin is, and refused in the language in force when it is not a word we know; rule
durations and numbers bounded where they are set and where they are stored (issue 23, 24.11-12).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import dbtools
import pytest

from followup_cli import i18n
from followup_cli.commands.morning import plain_today

EXAMPLE = str(Path(__file__).parents[2] / "examples" / "customers.csv")
ON = ("--date", "2026-11-23")
# A regular customer and a prospect, both due on 2026-11-23.
SHOP = (
    "R1,Rita,13800000001,,regular,2026-01-10,2026-08-23,2026-01-10,Li,\n"
    "P1,Pam,13800000002,,prospect,,,2026-11-09,Sam,\n"
)


@pytest.fixture(autouse=True)
def english_again():
    """`--lang zh` in one in-process test must not leak into the next."""
    yield
    i18n.set_language("en")


def zh(cli, *args: str, code: int = 0):
    """A command as a Chinese owner's `followup --lang zh ...`: the language is settled before
    the command line is built, as the program's launcher does."""
    i18n.set_language("zh")
    return cli("--lang", "zh", *args, code=code)


def en(cli, *args: str, code: int = 0):
    i18n.set_language("en")
    return cli("--lang", "en", *args, code=code)


@pytest.fixture
def shop(cli, csv_file):
    cli("import", "customers", str(csv_file(SHOP)), *ON, "-q")
    return cli


def _run(db: Path | str, *args: str) -> subprocess.CompletedProcess[str]:
    """The real program (its light `today` path included) in a Chinese locale."""
    env = {
        **os.environ,
        "FOLLOWUP_DB": str(db),
        "LANG": "zh_CN.UTF-8",
        "LC_ALL": "",
        "LC_MESSAGES": "",
        "NO_COLOR": "1",
        "COLUMNS": "100",
    }
    return subprocess.run(
        [sys.executable, "-m", "followup_cli", *args], env=env, capture_output=True, text=True
    )


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["2026/11/05", "2026年11月5日", "2026.11.5", "2026年11月5号", "２０２６年１１月５日"]
)
def test_the_as_of_day_takes_every_form_the_import_reads(cli, typed):
    cli("import", "customers", EXAMPLE, *ON, "-q")
    listed = cli.json("today", "--date", typed)
    assert listed == cli.json("today", "--date", "2026-11-05")
    # planned as of 23 Nov, only C015's cadence call (due 15 Oct) was open by 5 Nov
    assert [(row["customer_id"], row["due_date"]) for row in listed] == [("C015", "2026-10-15")]


def test_day_words_and_a_day_without_a_year_are_read_from_the_day_in_force(shop):
    # --date 2026-11-23: 昨天 is the 22nd; 11月30日 (a purchase) is the latest not after it,
    # 30 Nov 2025; a snooze's 12月1日 is the next one, 1 Dec 2026, and 11月1日 is 1 Nov 2027
    added = shop.json("add", "Ann", "--phone", "13800000003", "--first-purchase", "昨天", *ON)
    assert shop.json("show", added["customer_id"])["first_purchase"] == "2026-11-22"
    edited = shop.json("edit", "R1", "--last-purchase", "11月20日", *ON)
    assert edited["changed"]["last_purchase"] == {"from": "2026-08-23", "to": "2026-11-20"}
    edited = shop.json("edit", "R1", "--first-purchase", "11月30日", *ON)
    assert edited["changed"]["first_purchase"] == {"from": "2026-01-10", "to": "2025-11-30"}
    edited = shop.json("edit", "R1", "--contract-end", "1月31日", *ON)
    assert edited["changed"]["contract_end"] == {"from": None, "to": "2027-01-31"}
    out = shop("snooze", "R1", "--until", "12月1日", *ON).stdout
    assert out == "Snoozed R1 Rita until 2026-12-01\n"
    out = shop("snooze", "P1", "--until", "11月1日", *ON).stdout
    assert out == "Snoozed P1 Pam until 2027-11-01\n"
    period = shop.json("report", "--from", "11月1日", "--to", "昨天", *ON)["period"]
    assert (period["from"], period["to"]) == ("2026-11-01", "2026-11-22")
    period = shop.json("report", "--month", "2026年10月", *ON)["period"]
    assert (period["from"], period["to"]) == ("2026-10-01", "2026-10-31")
    assert shop.json("report", "--year", "2025年", *ON)["period"]["to"] == "2025-12-31"
    # a month without a year: the latest one not after --date (December: last year's)
    assert shop.json("report", "--month", "12月", *ON)["period"]["from"] == "2025-12-01"
    assert shop.json("report", "--month", "11月", *ON)["period"]["to"] == "2026-11-30"


def test_today_and_its_chinese_twins_mean_the_real_today(shop):
    today = date.today()
    for word, day in (("today", today), ("今天", today), ("明天", today + timedelta(days=1))):
        assert (
            shop("today", "--date", word).stdout == shop("today", "--date", day.isoformat()).stdout
        )
    logged = shop.json("log", "R1", "已接通", "--date", "昨天")
    assert logged["date"] == (today - timedelta(days=1)).isoformat()
    assert shop.json("log", "P1", "没人接", "--date", "Yesterday")["date"] == logged["date"]


def test_a_bad_date_is_a_usage_error_in_the_language_in_force(shop, isolated_db):
    result = zh(shop, "today", "--date", "2026-02-30", code=2)
    assert result.stderr == (
        "followup：错误：--date '2026-02-30' 不是有效日期（可写 2026-11-05、2026/11/05、"
        "2026年11月5日、11月5日、今天、明天、昨天）\n"
    )
    result = en(shop, "today", "--date", "03/04/2026", code=2)
    assert result.stderr == (
        "followup: error: --date '03/04/2026' could be day/month or month/day: write "
        "2026-04-03 or 2026-03-04\n"
    )
    result = zh(shop, "add", "Bo", "--phone", "13800000009", "--added", "上周", code=2)
    assert result.stderr.startswith("followup：错误：--added '上周' 不是有效日期")
    result = zh(shop, "snooze", "R1", "--until", "3x", *ON, code=2)
    assert result.stderr == (
        "followup：错误：--until '3x' 既不是日期（2026-11-05、11月5日、明天），也不是从今天起的"
        "一段时间（3天、2周、1个月、半年，或 3d、2w、1m）\n"
    )
    # the light path of `today` (no command tree) hands a bad day to the full one: same answer
    light = _run(isolated_db, "today", "--date", "2026-02-30")
    assert (light.returncode, light.stdout) == (2, "")
    assert light.stderr == zh(shop, "today", "--date", "2026-02-30", code=2).stderr


# --- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "until"),
    [
        ("3天", "2026-11-26"),
        ("2周", "2026-12-07"),
        ("1个月", "2026-12-23"),
        ("3个月", "2027-02-23"),
        ("半年", "2027-05-23"),
        ("1年", "2027-11-23"),
        ("两个星期", "2026-12-07"),
        ("3d", "2026-11-26"),
        ("+2w", "2026-12-07"),
        ("1m", "2026-12-23"),
    ],
)
def test_a_snooze_takes_a_time_in_chinese_or_english(shop, typed, until):
    out = shop("snooze", "R1", "--until", typed, *ON).stdout
    assert out == f"Snoozed R1 Rita until {until}\n"


def test_a_snooze_says_until_when_as_a_person_would_without_the_option(shop):
    # `snooze R1 3天` as an owner types it: the same as --until 3天
    assert shop("snooze", "R1", "3天", *ON).stdout == "Snoozed R1 Rita until 2026-11-26\n"
    neither = zh(shop, "snooze", "R1", *ON, code=2)
    assert neither.stderr == (
        "followup：错误：请说明推迟到什么时候（只说一次）：'snooze C001 3天' 或 --until 3天"
        "（参见 'followup snooze --help'）\n"
    )
    both = en(shop, "snooze", "R1", "3天", "--until", "2周", *ON, code=2)
    assert both.stderr.startswith("followup: error: say until when, once:")


def test_rules_take_chinese_durations_and_show_them_in_chinese(shop):
    shop("rules", "set", "VIP客户", "--every", "2周", "--grace", "3天", *ON)
    shop("rules", "set", "新客户", "--steps", "7天，1个月，3个月", *ON)
    shop("rules", "option", "min_gap", "5天", *ON)
    shop("rules", "option", "churn_window", "1年", *ON)
    rules = shop.json("rules")
    vip = next(r for r in rules["rules"] if r["tier"] == "vip")
    new = next(r for r in rules["rules"] if r["tier"] == "new")
    assert (vip["every"], vip["grace"], new["steps"]) == ("2w", "3d", "7d,1m,3m")
    assert (rules["options"]["min_gap"], rules["options"]["churn_window"]) == ("5d", "1y")
    table = zh(shop, "rules").stdout
    cells = {
        parts[1].strip(): parts[2].strip()
        for line in table.splitlines()
        if (parts := line.split("│")) and len(parts) == 5  # option, value, what it means
    }
    meanings = {
        parts[1].strip(): parts[3].strip()
        for line in table.splitlines()
        if (parts := line.split("│")) and len(parts) == 5
    }
    assert meanings["min_gap"] == "两次联系同一位客户的最短间隔"
    assert (cells["min_gap"], cells["churn_window"], cells["renewal_before"]) == (
        "5 天",
        "1 年",
        "3 个月",
    )
    assert (cells["language"], cells["repurchase"]) == ("自动", "开")


def test_a_repurchase_rhythm_in_days_reads_as_about_so_many_days_in_chinese():
    from followup_cli.wording import reason

    i18n.set_language("zh")
    assert reason("repurchase: usually every 54.43 days, last bought 2026-03-02") == (
        "复购提醒：通常约 54 天购买一次，上次购买 2026-03-02"
    )
    assert reason("repurchase: usually every 50 days, last bought 2026-03-02") == (
        "复购提醒：通常每 50 天购买一次，上次购买 2026-03-02"
    )


# --- bounds (issue 24.11) -------------------------------------------------------------------

TOO_LONG = "followup: error: duration '{text}' is too long: at most 10y (120m, 520w, 3650d)\n"


@pytest.mark.parametrize(
    "args",
    [
        ("rules", "set", "vip", "--grace", "9000y"),
        ("rules", "option", "min_gap", "9000y"),
        ("rules", "set", "vip", "--every", "980y"),
        ("rules", "option", "churn_window", "9000y"),
        ("rules", "set", "vip", "--every", "99999999y"),
        ("rules", "option", "anniversary_before", "9000y"),
        ("rules", "set", "new", "--steps", "7d,11y"),
        ("rules", "option", "winback_within", "3651d"),
    ],
)
def test_a_rule_duration_past_ten_years_is_refused_with_the_bound(shop, args):
    before = shop.json("rules")
    result = shop(*args, *ON, code=1)
    text = args[-1].split(",")[-1]
    assert result.stderr == TOO_LONG.format(text=text)
    assert shop.json("rules") == before
    shop("today", *ON)  # and every command still works
    shop("log", "R1", "reached", *ON)
    shop("report", *ON)


def test_the_longest_allowed_is_taken_and_numbers_name_their_bounds(shop):
    shop("rules", "set", "vip", "--grace", "10y", *ON)
    shop("rules", "option", "churn_window", "3650d", *ON)
    shop("today", *ON)
    shop("report", *ON, "--format", "json")
    for name, value, message in (
        ("max_attempts", "21", "max_attempts must be a whole number from 1 to 20"),
        ("max_attempts", "²", "max_attempts must be a whole number from 1 to 20"),
        ("daily_capacity", "10001", "daily_capacity must be a whole number from 1 to 10000"),
        (
            "winback_daily",
            "²",
            "winback_daily must be a whole number from 0 to 10000 (0: no win-back calls)",
        ),
    ):
        result = shop("rules", "option", name, value, code=1)
        assert result.stderr == f"followup: error: {message}\n"
    result = shop("rules", "set", "vip", "--rank", "99999999999", code=2)
    assert result.stderr == (
        "followup: error: Invalid value for '--rank': 99999999999 is not in the range "
        "0<=x<=1000. (see 'followup rules set --help')\n"
    )


def test_out_of_range_values_already_in_the_file_break_no_command(shop, isolated_db):
    conn = dbtools.connect(isolated_db)
    conn.execute("UPDATE rules SET grace = '9000y', interval = '980y' WHERE tier = 'regular'")
    for key, value in (("min_gap", "9000y"), ("churn_window", "9000y"), ("max_attempts", "999")):
        conn.execute("DELETE FROM settings WHERE key = ?", (key,))
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?)", (key, value))
    conn.close()
    # read as the bound: ten years, 20 attempts
    options = shop.json("rules")["options"]
    assert (options["min_gap"], options["churn_window"], options["max_attempts"]) == (
        "10y",
        "10y",
        "20",
    )
    regular = next(r for r in shop.json("rules")["rules"] if r["tier"] == "regular")
    assert (regular["every"], regular["grace"]) == ("10y", "10y")
    assert [row["customer_id"] for row in shop.json("today", *ON)] == ["R1", "P1"]
    assert shop.json("log", "R1", "reached", *ON)["next_due"] == "2036-11-23"
    shop("report", *ON)


# --- today --limit (issue 24.12) ------------------------------------------------------------


def test_a_limit_only_unicode_calls_a_digit_is_the_same_usage_error_on_both_paths(
    shop, isolated_db
):
    assert plain_today(["today", "--limit", "²"]) is None
    full = shop("today", "--limit", "²", code=2)
    assert full.stderr == (
        "followup: error: Invalid value for '--limit': '²' is not a valid int range. "
        "(see 'followup today --help')\n"
    )
    light = _run(isolated_db, "today", "--limit", "²", *ON)
    assert (light.returncode, light.stdout) == (2, "")
    assert light.stderr == (
        "followup：错误：'--limit' 必须是整数，而不是 '²'（参见 'followup today --help'）\n"
    )
    # a digit int() reads (Arabic-Indic three) is taken alike by both paths
    assert plain_today(["today", "--limit", "٣"]) is None
    assert (
        _run(isolated_db, "--lang", "en", "today", "--limit", "1", *ON).stdout
        == shop("today", "--limit", "١", *ON).stdout
    )


def test_a_full_width_number_from_a_chinese_input_method_is_the_number(shop):
    # ３ (U+FF13) as a Chinese IME types it, also after `=`, as int() reads it
    assert shop("today", "--limit", "３", *ON).stdout == shop("today", "--limit", "3", *ON).stdout
    assert shop.json("today", "--limit=１", *ON) == shop.json("today", "--limit", "1", *ON)
    shop("log", "R1", "reached", "--score", "５", *ON)
    assert [row["score"] for row in shop.json("export", "history")] == [5]


# --- outcomes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "outcome"),
    [
        ("已接通", "reached"),
        ("没人接", "no-answer"),
        ("无人接听", "no-answer"),
        ("关机", "no-answer"),
        ("占线", "no-answer"),
        ("停机", "no-answer"),
        ("拒接", "no-answer"),
        ("已回访", "reached"),
        ("满意", "reached"),
        ("不满意", "complaint"),
        ("投诉了", "complaint"),
        ("不要再打", "opt-out"),
        ("拉黑", "opt-out"),
        ("不来了", "lost"),
    ],
)
def test_a_shop_assistants_word_logs_its_outcome(shop, word, outcome):
    assert shop.json("log", "R1", word, *ON)["outcome"] == outcome


@pytest.mark.parametrize(("word", "channel"), [("打电话", "phone"), ("企业微信", "wechat")])
def test_a_channel_in_a_shop_assistants_word(shop, word, channel):
    shop("log", "R1", "已接通", "--channel", word, *ON)
    assert [row["channel"] for row in shop.json("show", "R1")["history"]] == [channel]


@pytest.mark.parametrize("word", ["下单了", "已购买", "成交"])
def test_a_prospect_who_bought_is_converted_in_any_of_its_words(shop, word):
    logged = shop.json("log", "P1", word, *ON)
    assert (logged["outcome"], shop.json("show", "P1")["tier"]) == ("converted", "new")


def test_an_unknown_word_gets_the_nearest_ones_in_chinese(shop):
    result = zh(shop, "log", "R1", "没接听", *ON, code=2)
    assert result.stderr == (
        "followup：错误：'结果' 的值无效：不认识 '没接听'：是不是 没接、没接通、没人接？"
        "（参见 'followup log --help'）\n"
    )
    result = zh(shop, "log", "R1", "哈哈", *ON, code=2)
    assert result.stderr == (
        "followup：错误：'结果' 的值无效：不认识 '哈哈'：可用 已接通、没人接、投诉了、下单了、"
        "流失、不要再打 等（全部说法见帮助）（参见 'followup log --help'）\n"
    )
    result = en(shop, "log", "R1", "reachd", *ON, code=2)
    assert result.stderr == (
        "followup: error: Invalid value for 'outcome': 'reachd' is not a word we know: did you "
        "mean reached? (see 'followup log --help')\n"
    )


def test_log_help_lists_every_word_in_both_languages(cli):
    english = en(cli, "log", "--help").stdout
    assert "  Words for each outcome:\n    reached: 已联系, 已接通, 接通了, 接通," in english
    opt_out = "    opt-out: 勿扰, 不要再打, 别再打了, 不要打了, 拉黑, 拒绝联系, 退订, 拒收\n"
    assert opt_out in english
    chinese = zh(cli, "log", "--help").stdout
    assert "  每种结果可用的说法：\n    已联系（reached）：已联系、已接通、接通了、" in chinese
    assert "    投诉（complaint）：投诉、投诉了、不满意、有投诉、抱怨、差评\n" in chinese


def test_the_same_outcome_twice_is_named_in_the_owners_word(shop):
    zh(shop, "log", "R1", "已接通", *ON)
    result = zh(shop, "log", "R1", "已接通", *ON, code=1)
    assert result.stderr == (
        "followup：错误：R1 Rita 在 2026-11-23 已登记过 已接通：要再登记一次请加 --again\n"
    )
    result = zh(shop, "log", "R1", "reached", *ON, code=1)
    assert result.stderr == (
        "followup：错误：R1 Rita 在 2026-11-23 已登记过 已联系：要再登记一次请加 --again\n"
    )


def test_converted_on_a_regular_says_it_is_for_prospects_in_the_language_in_force(shop):
    # review's `v` shows this same refusal ("未完成：..."): one check for both
    result = zh(shop, "log", "R1", "下单了", *ON, code=1)
    assert result.stderr == (
        "followup：错误：R1 是老客户，不是潜在客户：“成交”只用于潜在客户（已有客户的购买请用 "
        "'followup import purchases' 导入）\n"
    )


# --- tiers, templates, report breakdowns ----------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "tier"),
    [("VIP客户", "vip"), ("新客户", "new"), ("老客户", "regular"), ("潜在客户", "prospect")],
)
def test_a_chinese_tier_is_taken_wherever_a_tier_is(shop, typed, tier):
    added = shop.json("add", "Bo", "--phone", "13800000009", "--tier", typed, *ON)
    assert added["tier"] == tier
    shop("edit", "Bo", "--tier", "regular" if tier != "regular" else "vip", *ON)
    shop("edit", "Bo", "--tier", typed, *ON)
    assert shop.json("show", "Bo")["tier"] == tier
    rule = shop("rules", "set", typed, "--grace", "9天", *ON).stdout
    assert rule.startswith(f"{tier}: ")
    shop("rules", "levels", "set", "铂金卡", typed)
    levels = {row["level"]: row["tier"] for row in shop.json("rules", "levels")}
    assert levels["铂金卡"] == tier


def test_templates_have_chinese_names(shop):
    shop("templates", "set", "满月回访", "{name}您好，满月啦")
    own = {row["key"]: row for row in shop.json("templates")}
    assert (own["one-month"]["custom"], own["one-month"]["text"]) == (True, "{name}您好，满月啦")
    shop("templates", "reset", "满月回访")
    assert not any(row["custom"] for row in shop.json("templates"))
    result = zh(shop, "templates", "set", "开业", "x", code=1)
    assert result.stderr == (
        "followup：错误：未知模板 '开业'（可用模板：首周回访（first-week）、满月回访（one-month）、"
        "老客户回访（regular）、VIP回访（vip）、潜在客户跟进（prospect）、投诉回访（check-back）、"
        "续约提醒（renewal）、唤回（win-back）、退订提示（opt-out））\n"
    )


def test_report_breaks_down_by_chinese_words(shop):
    shop("log", "R1", "已接通", *ON)
    chinese = shop.json("report", "--by", "等级", "--by", "负责人", *ON)
    assert chinese == shop.json("report", "--by", "tier", "--by", "owner", *ON)
    assert shop.json("report", "--by", "渠道,月份", *ON) == shop.json(
        "report", "--by", "channel", "--by", "month", *ON
    )


# --- review (headless at 80x24, as tests/tui/test_review.py drives it) ---------------------------


def _review(db, keys: list[str]) -> list[str]:
    import asyncio

    from followup_cli.commands.review_session import ReviewSession
    from followup_cli.tui.review_app import ReviewApp, screen_lines

    async def scenario() -> list[str]:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            for key in keys:
                await pilot.press(key)
            await pilot.pause()
            return screen_lines(app)

    app = ReviewApp(ReviewSession(dbtools.open_db(db), date(2026, 11, 23)))
    return asyncio.run(scenario())


def test_review_snoozes_for_a_chinese_duration_and_says_conversions_are_for_prospects(
    shop, isolated_db
):
    i18n.set_language("zh")
    # the list: R1 (regular, due from its last purchase) first, then the prospect P1
    screen = _review(isolated_db, ["v"])
    assert screen[-3] == (
        " 未执行：R1 是老客户，不是潜在客户：“成交”只用于潜在客户（已有客户的购买请用 '…"
    )
    screen = _review(isolated_db, ["s", *["backspace"] * 2, "1", "个", "月", "enter"])
    assert screen[-3] == " 已将 Rita（R1）推迟到 2026-12-23"
    # Enter on the suggested answer, 3天 in Chinese: three days on for P1
    _review(isolated_db, ["s", "enter"])
    i18n.set_language("en")
    assert shop.json("show", "R1")["next_due"] == "2026-12-23"
    assert shop.json("show", "P1")["next_due"] == "2026-11-26"


@pytest.mark.parametrize(
    ("args", "name", "bound"),
    [
        (("today", "--limit", "99999999999999999999"), "'--limit'", "1<=x<=1000000"),
        (("find", "R", "--limit", "99999999999999999999"), "'--limit'", "1<=x<=1000000"),
        (("imports", "--limit", "99999999999999999999"), "'--limit'", "1<=x<=1000000"),
        (("undo", "--contact", "99999999999999999999"), "'--contact'", "1<=x<=999999999"),
        (
            ("plan", "--spread", "2w", "--capacity", "99999999999999999999"),
            "'--capacity'",
            "1<=x<=10000",
        ),
    ],
)
def test_a_number_past_the_databases_integers_is_refused_with_its_range(shop, args, name, bound):
    # they were "a date worked out from these options is out of range"
    result = en(shop, *args, *ON if args[0] in ("today", "plan") else (), code=2)
    command = " ".join(word for word in args[:2] if not word.startswith("-") and word != "R")
    assert result.stderr == (
        f"followup: error: Invalid value for {name}: 99999999999999999999 is not in the range "
        f"{bound}. (see 'followup {command} --help')\n"
    )
