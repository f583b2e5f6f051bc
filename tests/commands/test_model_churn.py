"""Churn, churn risk and the morning list under the shop's own purchase model.

The model's days are checked against the hand-worked Pareto/NBD of test_forecast.py; the
report and the morning list are driven through the CLI on both engines, on the invented
40-customer shop of test_forecast.py, and their counts are worked out from the days the
purchases import stored for each customer (printed in the table below).
"""

from __future__ import annotations

from collections import Counter

import dbtools
import pytest
from test_forecast import HAND, HAND_HISTORY, _shop, shop_files

from followup_cli import i18n
from followup_cli.core.purchase_model import History, days_until_below


@pytest.fixture(autouse=True)
def english_again():
    yield
    i18n.set_language("en")


# With HAND (r = 1, alpha = beta = 10, s = 2) and x = 2, t_x = 20, the chance of still being a
# customer at age T is 1 / (1 + 2/5 * (((10 + T) / 30)^5 - 1)) (see test_forecast.py).
# Below 1/2 once ((10 + T) / 30)^5 > 7/2: T > 30 * 3.5^(1/5) - 10 = 28.54, so day 29.
# Below 3/4 once ((10 + T) / 30)^5 > 11/6: T > 30 * (11/6)^(1/5) - 10 = 23.87, so day 24.
def test_the_days_the_chance_falls_below_a_half_and_three_quarters_by_hand():
    assert days_until_below(HAND, [HAND_HISTORY], 0.5) == [29]
    assert days_until_below(HAND, [HAND_HISTORY], 0.75) == [24]


def test_histories_with_the_same_purchases_share_their_day_whatever_their_age():
    older = History(repeat_days=2, last_age=20, age=90, mean_spend=None)
    assert days_until_below(HAND, [older, HAND_HISTORY], 0.5) == [29, 29]
    assert days_until_below(HAND, [], 0.5) == []


def _stored_days(isolated_db) -> dict[str, tuple[str, str]]:
    conn = dbtools.connect(isolated_db)
    rows = conn.execute(
        "SELECT c.ref, ps.slipping_on, ps.gone_on FROM purchase_scores ps "
        "JOIN customers c ON c.id = ps.customer_id"
    ).fetchall()
    conn.close()
    return {ref: (slipping, gone) for ref, slipping, gone in rows}


# The shop (test_forecast._shop, purchases imported on 2026-07-31) as the model stores it:
#   F01-F05 buying in July: slipping from 08-11..08-14, gone from 08-23..08-30
#   F06, F08, F10 (last bought mid-June): gone on 07-29, 07-29, 07-31
#   F07, F09: slipping since 07-16, 07-21; gone on 08-03, 08-09
#   F11-F20 (stopped in March): gone from 04-24 to 05-12
#   F21-F40 (bought once in January): gone from 04-01 to 04-07
def test_the_model_days_are_stored_at_the_purchases_import(cli, tmp_path, isolated_db):
    _shop(cli, tmp_path)
    days = _stored_days(isolated_db)
    assert len(days) == 40
    assert [days[ref][1] for ref in ("F06", "F08", "F10")] == [
        "2026-07-29",
        "2026-07-29",
        "2026-07-31",
    ]
    assert days["F07"] == ("2026-07-16", "2026-08-03")
    assert days["F09"] == ("2026-07-21", "2026-08-09")
    assert all(days[f"F{i:02d}"][1] > "2026-07-31" for i in range(1, 6))
    assert all("2026-04-01" <= days[f"F{i:02d}"][1] <= "2026-05-12" for i in range(11, 41))


def test_churn_in_the_report_follows_the_model(cli, tmp_path):
    _shop(cli, tmp_path)
    july = cli.json("report", "--from", "2026-07-01", "--to", "2026-07-31", "--date", "2026-07-31")
    assert (july["churn_definition"], july["churn_by"]) == ("model", "model")
    # Active on 07-01: F01-F10 (everyone else the model already counted gone by then).
    # Churned in July: F06, F08, F10. At risk on 07-31: F07 and F09, slipping, not yet gone.
    overall = july["overall"]
    assert (overall["active_at_start"], overall["churned"], overall["churn_rate"]) == (10, 3, 0.3)
    assert overall["churn_risk"] == 2
    # April: all 40 active on 04-01 (the first gone day); F21-F40 and, of F11-F20, F13, F15 and
    # F16 (gone 04-24, 04-25, 04-28) churn in it.
    april = cli.json("report", "--month", "2026-04", "--date", "2026-07-31")["overall"]
    assert (april["active_at_start"], april["churned"]) == (40, 23)
    text = cli("report", "--month", "2026-07", "--date", "2026-07-31").stdout
    assert "Churn definition: purchase model: churned once the shop's purchase model gives" in text
    # The window still holds when asked for: nobody has been silent for a year.
    cli("rules", "option", "churn_definition", "window")
    window = cli.json("report", "--month", "2026-07", "--date", "2026-07-31")
    assert (window["churn_by"], window["overall"]["churned"]) == ("window", 0)


def test_the_morning_list_leads_with_the_spend_at_stake_and_slipping_customers(cli, tmp_path):
    _shop(cli, tmp_path)
    today = cli.json("today", "--date", "2026-07-31")
    ids = [item["customer_id"] for item in today]
    # F07 and F09 are slipping: win-back calls, first because the most is at stake; F09 is
    # pulled before its call's date, F07's call was already placed today (the first
    # purchases' spread puts the most at stake first). F06, F08 and F10 are gone: their own
    # calls are here, by their spend, but not as win-back.
    assert ids[:2] == ["F09", "F07"]
    assert [item["win_back"] for item in today[:2]] == [True, True]
    assert [item["due_date"] for item in today[:2]] == ["2026-08-02", "2026-07-31"]
    gone = [item for item in today if item["customer_id"] in {"F06", "F08", "F10"}]
    assert [item["win_back"] for item in gone] == [False, False, False]
    spends = [item["expected_spend"] for item in today if item["expected_spend"] is not None]
    assert spends == sorted(spends, reverse=True)
    # Customers the model has no spend for (no purchase yet) would come after those it has.
    known = [item["expected_spend"] is not None for item in today]
    assert known == sorted(known, reverse=True)


def test_a_shop_too_small_for_a_model_keeps_the_tier_order(cli, tmp_path):
    (tmp_path / "members.csv").write_text(
        "id,name,phone,tier\nA1,王芳,13800138001,regular\nA2,李娜,13900139002,vip\n", "utf-8"
    )
    cli("import", "customers", str(tmp_path / "members.csv"), "--date", "2026-01-01")
    report = cli.json("report", "--month", "2026-01", "--date", "2026-01-31")
    assert (report["churn_definition"], report["churn_by"]) == ("model", "window")
    assert (
        "window (too few purchases for a model yet)"
        in cli("report", "--month", "2026-01", "--date", "2026-01-31").stdout
    )
    listed = [i["customer_id"] for i in cli.json("today", "--date", "2026-04-30")]
    assert listed == ["A2", "A1"]  # VIP first, as always


def test_the_report_says_whether_following_up_helped(cli, tmp_path, monkeypatch):
    _shop(cli, tmp_path)
    cli("log", "F01", "reached", "--date", "2026-07-05")
    cli("log", "F02", "no-answer", "--date", "2026-07-05")  # not reached: counted with the rest
    july = ("report", "--month", "2026-07", "--date", "2026-07-31")
    effect = cli.json(*july)["follow_up_effect"]
    # Everyone bought before July. F01 (reached) bought on 07-10 and 07-20; of the 39 others
    # F02-F05 did too, 2 days each.
    assert (effect["reached"]["customers"], effect["reached"]["purchase_days"]) == (1, 2)
    assert (effect["not_reached"]["customers"], effect["not_reached"]["purchase_days"]) == (39, 8)
    assert 0 < effect["reached"]["expected"] < effect["not_reached"]["expected"]
    said = cli(*july).stdout
    assert "Did following up help? The 1 customers reached in the period bought on 2 days" in said
    page = tmp_path / "july.html"
    cli(*july, "--html", str(page))
    html = page.read_text(encoding="utf-8")
    assert '<p class="effect">Did following up help? The 1 customers reached in the period' in html
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    zh = cli("--lang", "zh", *july).stdout
    assert "回访有没有用？期内联系上的 1 位客户共有 2 个消费日" in zh


def test_no_model_no_verdict_on_following_up(cli, tmp_path):
    (tmp_path / "members.csv").write_text("id,name,phone\nA1,王芳,13800138001\n", "utf-8")
    cli("import", "customers", str(tmp_path / "members.csv"), "--date", "2026-01-01")
    report = cli.json("report", "--month", "2026-01", "--date", "2026-01-31")
    assert report["follow_up_effect"] is None
    assert "Did following up help" not in cli("report", "--month", "2026-01").stdout


def test_at_risk_lists_the_customers_the_model_sees_slipping(cli, tmp_path):
    _shop(cli, tmp_path)
    rows = cli.json("at-risk", "--date", "2026-07-31")
    # The same two the morning list pulls in as win-back: slipping, not yet gone.
    assert sorted(row["customer_id"] for row in rows) == ["F07", "F09"]
    assert {row["interval"] for row in rows} == {"model"}
    assert all(row["slipping_on"] <= "2026-07-31" for row in rows)
    said = cli("at-risk", "--date", "2026-07-31").stdout
    assert "model: slipping since" in said


def test_the_first_purchases_spread_puts_the_most_at_stake_on_the_first_day(cli, tmp_path):
    """A shop's first purchases put 39 calls due before the import day; at 5 a day they are
    spread over 8 days, and once the model has scored the customers the first days hold
    those with the most spend at stake (not the longest-silent one-time buyers)."""
    members, sales = shop_files(tmp_path, late_days=False)
    cli("import", "customers", str(members), "--date", "2026-01-01")
    cli("rules", "option", "daily_capacity", "5")
    spread = cli.json("import", "purchases", str(sales), "--date", "2026-07-31")
    assert spread["spread"] == {
        "after": "purchases",
        "backlog": 39,
        "capacity": 5,
        "kept_today": 5,
        "last_day": "2026-08-07",
        "moved": 34,
        "open_days": 8,
    }
    outlook = cli.json("forecast", "--date", "2026-07-31")
    by_spend = sorted(outlook, key=lambda row: -(row["expected_spend"] or 0))
    day_one = cli.json("today", "--date", "2026-07-31", "--limit", "5")
    assert {row["customer_id"] for row in day_one} == {row["customer_id"] for row in by_spend[:5]}
    assert {row["due_date"] for row in day_one} == {"2026-07-31"}
    # each day still holds the capacity, nothing before the import day
    exported = cli.json("export", "due", "--date", "2026-07-31", "--days", "7")
    per_day = Counter(row["due_date"] for row in exported)
    assert min(per_day) == "2026-07-31" and set(per_day.values()) == {5}


def _open_calls(cli, day: str) -> dict[str, dict]:
    return {
        row["customer_id"]: row for row in cli.json("export", "due", "--date", day, "--days", "366")
    }


def test_a_buyers_next_call_falls_on_the_day_the_model_expects_them_back(cli, tmp_path):
    """The nightly import after the first: F01 and F12 bought on 08-04. Once the model has
    learnt it, each one's repurchase call is on the day it now expects them back; F02, who
    bought nothing, keeps the call its rhythm dated on the first day."""
    _shop(cli, tmp_path)
    night = tmp_path / "night.csv"
    night.write_text("customer id,date,amount,order\nF01,2026-08-04,70,N1\nF12,2026-08-04,70,N2\n")
    cli("import", "purchases", str(night), "--date", "2026-08-05")
    expected = {row["customer_id"]: row for row in cli.json("forecast", "--date", "2026-08-05")}
    calls = _open_calls(cli, "2026-08-05")
    for ref in ("F01", "F12"):
        back = expected[ref]["next_purchase"]
        assert back > "2026-08-05"
        assert (calls[ref]["kind"], calls[ref]["due_date"]) == ("repurchase", back)
        assert calls[ref]["reason"] == (
            f"repurchase: expected back about {back}, last bought 2026-08-04"
        )
    # F12 bought every 39 days until March: its rhythm would have waited 1.5 x 39 days (to
    # 10-02); the model, which saw it stop for months, expects it back sooner
    assert expected["F12"]["next_purchase"] < "2026-10-02"
    # F02 bought every 12 days, then on 07-10 and 07-20: its typical gap, with the tier's, is
    # 16.59 days, late after ceil(1.5 x 16.59) = 25 days from 07-20: 08-14, as on day one
    assert (calls["F02"]["due_date"], calls["F02"]["reason"]) == (
        "2026-08-14",
        "repurchase: usually every 16.59 days, last bought 2026-07-20",
    )
    # --explain says what the model expects, in the shop's words too
    due = cli.json("today", "--date", expected["F12"]["next_purchase"], "--explain")
    f12 = next(row for row in due if row["customer_id"] == "F12")
    chance = round(100 * expected["F12"]["p_alive"])
    assert f12["rule"].startswith(f"purchase model: a {chance}% chance they still buy here")
    zh = cli("--lang", "zh", "today", "--date", expected["F12"]["next_purchase"]).stdout
    assert f"复购提醒：预计 {expected['F12']['next_purchase']} 前后再来" in zh


def test_the_models_repurchase_day_only_for_a_customer_it_does_not_count_gone():
    """Bought 2026-03-14, the model expecting them back on 08-16 if still a customer: called
    then while it does not count them gone; once it does (gone since 05-01), no repurchase
    call at all (their cadence call stands); never before today or the day after the last
    purchase."""
    from datetime import date

    from followup_cli.core.models import CustomerState, Settings
    from followup_cli.core.rhythm import repurchase_plan

    base = dict(tier="regular", added=date(2026, 1, 1), last_purchase=date(2026, 3, 14))
    alive = CustomerState(**base, model_next=date(2026, 8, 16), model_gone=date(2026, 9, 1))
    plan = repurchase_plan(alive, None, Settings(), date(2026, 8, 5))
    assert (plan.due_date, plan.kind, plan.anchor) == (
        date(2026, 8, 16),
        "repurchase",
        base["last_purchase"],
    )
    assert plan.reason == "repurchase: expected back about 2026-08-16, last bought 2026-03-14"
    later = repurchase_plan(alive, None, Settings(), date(2026, 8, 20))
    assert later.due_date == date(2026, 8, 20)  # the model's day has passed: today
    gone = CustomerState(**base, model_next=date(2026, 8, 16), model_gone=date(2026, 5, 1))
    assert repurchase_plan(gone, None, Settings(), date(2026, 8, 5)) is None


def test_a_model_that_sees_every_customer_alike_dates_no_call(cli, tmp_path, isolated_db):
    """A fit whose buying rates are all alike (r past 1 000: within 3% of each other, as a
    small shop's first fit can be) expects every live customer back on the same day: the
    calls keep the rhythm and the tier cadence. The shop's own fit (r 0.57) dates them."""
    import json

    _shop(cli, tmp_path)
    cli("edit", "F01", "--tier", "vip", "--date", "2026-08-05")
    assert _open_calls(cli, "2026-08-05")["F01"]["reason"].startswith("repurchase: expected back")
    conn = dbtools.connect(isolated_db)
    params = json.loads(conn.execute("SELECT params FROM purchase_model").fetchone()[0])
    assert params["r"] < 1
    conn.execute("UPDATE purchase_model SET params = ?", (json.dumps({**params, "r": 31088.2}),))
    conn.commit()
    conn.close()
    cli("edit", "F01", "--tier", "regular", "--date", "2026-08-05")
    reason = _open_calls(cli, "2026-08-05")["F01"]["reason"]
    assert not reason.startswith("repurchase: expected back"), reason


def test_undoing_the_nightly_import_dates_the_call_by_the_history_left(cli, tmp_path):
    _shop(cli, tmp_path)
    night = tmp_path / "night.csv"
    night.write_text("customer id,date,amount,order\nF01,2026-08-04,70,N1\n")
    done = cli.json("import", "purchases", str(night), "--date", "2026-08-05")
    undo = ("imports", "undo", str(done["import_id"]), "--yes", "--date", "2026-08-05")
    said = cli("--lang", "zh", *undo).stdout
    assert (
        said == f"已撤销第 {done['import_id']} 次导入：删除 1 条消费记录、0 位客户，恢复 1 位。\n"
    )
    back = {row["customer_id"]: row for row in cli.json("forecast", "--date", "2026-08-05")}
    call = _open_calls(cli, "2026-08-05")["F01"]
    assert call["reason"] == (
        f"repurchase: expected back about {back['F01']['next_purchase']}, last bought 2026-07-20"
    )
    assert call["due_date"] == max(back["F01"]["next_purchase"], "2026-08-05")


def test_under_the_window_definition_the_rhythm_dates_repurchase_calls(cli, tmp_path):
    _shop(cli, tmp_path)
    cli("rules", "option", "churn_definition", "window")
    night = tmp_path / "night.csv"
    night.write_text("customer id,date,amount,order\nF01,2026-08-04,70,N1\n")
    cli("import", "purchases", str(night), "--date", "2026-08-05")
    call = _open_calls(cli, "2026-08-05")["F01"]
    assert call["reason"].startswith("repurchase: usually every ")
    assert call["reason"].endswith("last bought 2026-08-04")


def test_tier_suggestions_follow_the_model(cli, tmp_path, monkeypatch):
    """On 07-31 only F01-F05 are neither slipping nor gone (the table above), and their
    spend at stake is the shop's top fifth; F06 and F11, made VIPs, are gone; F07, a VIP
    slipping but not gone, stays."""
    _shop(cli, tmp_path)
    for ref in ("F06", "F07", "F11"):
        cli("edit", ref, "--tier", "vip", "--date", "2026-07-31")
    outlook = cli.json("forecast", "--date", "2026-07-31")
    top_fifth = sorted(outlook, key=lambda row: -row["expected_spend"])[:8]
    assert {f"F{i:02d}" for i in range(1, 6)} <= {row["customer_id"] for row in top_fifth}
    rows = cli.json("tiers", "suggest", "--date", "2026-07-31")
    assert [(r["customer_id"], r["tier"], r["suggested"], r["by"]) for r in rows] == [
        *((f"F{i:02d}", "regular", "vip", "model") for i in range(1, 6)),
        ("F06", "vip", "regular", "model"),
        ("F11", "vip", "regular", "model"),
    ]
    chance = {row["customer_id"]: row["p_alive"] for row in outlook}
    assert all(row["p_alive"] == chance[row["customer_id"]] for row in rows)
    text = cli("tiers", "suggest", "--date", "2026-07-31").stdout
    assert "Still buying here" in text and "Spend at stake" in text
    monkeypatch.setenv("COLUMNS", "80")
    zh = cli("--lang", "zh", "tiers", "suggest", "--date", "2026-07-31").stdout
    assert "建议等级" in zh and "仍在本店购买" in zh and "Suggested" not in zh
    cli("tiers", "suggest", "--apply", "--date", "2026-07-31")
    assert cli.json("show", "F01")["tier"] == "vip"
    assert cli.json("show", "F11")["tier"] == "regular"
