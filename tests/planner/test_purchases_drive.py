"""Purchases drive the plan: own rhythm, birthdays and dates, value segments, churn, win-back.

Every date and figure below is worked out by hand in the comments. Months in the typical-gap
formula count 30 days (regular: 3 months = 90 days, VIP: 1 month = 30 days).
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import dbtools
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followup_cli.core.dates import Duration
from followup_cli.core.models import DEFAULT_RULES, CustomerState, Settings
from followup_cli.core.rhythm import churn_days, parse_month_day, repurchase_plan, risk_days
from followup_cli.core.schedule import plan_next

PURCHASE_HEADER = "customer id,date,amount,order\n"


def _purchases(tmp_path, lines: str, name: str = "sales.csv"):
    path = tmp_path / name
    path.write_text(PURCHASE_HEADER + lines, encoding="utf-8")
    return str(path)


def _due(cli, day: str) -> dict:
    return {item["customer_id"]: item for item in cli.json("today", "--date", day)}


# --- own repurchase rhythm (复购提醒) ----------------------------------------------------------

# R1, a regular, bought on 2026-01-01, 01-31 and 03-02: gaps 30 and 30 days, median 30.
# Typical gap = (2 gaps x 30 + regular's 90 days) / (2 + 1) = 150 / 3 = 50 days;
# expected next purchase 03-02 + 50 = 2026-04-21; late after ceil(1.5 x 50) = 75 days:
# 03-02 + 29 = 03-31, + 30 = 04-30 (59 days), + 16 = 2026-05-16 (75 days).
# The cadence (every 3 months from the last purchase) would call on 2026-06-02: later.
R1_SALES = "R1,2026-01-01,100,A1\nR1,2026-01-31,100,A2\nR1,2026-03-02,120,A3\n"


def _rhythm_shop(cli, csv_file, tmp_path):
    cli("import", "customers", str(csv_file("R1,Rui,13800000101,,regular,,,2025-01-01,,\n")))
    cli("import", "purchases", _purchases(tmp_path, R1_SALES), "--date", "2026-04-10")


def test_a_customer_late_on_their_own_rhythm_is_called_on_the_computed_day(cli, csv_file, tmp_path):
    _rhythm_shop(cli, csv_file, tmp_path)
    assert "R1" not in _due(cli, "2026-05-15")
    item = _due(cli, "2026-05-16")["R1"]
    assert (item["kind"], item["due_date"]) == ("repurchase", "2026-05-16")
    assert item["reason"] == "repurchase: usually every 50 days, last bought 2026-03-02"
    explained = cli.json("today", "--date", "2026-05-16", "--explain")[0]["rule"]
    assert explained == (
        "own rhythm: gaps 30, 30 days; median 30; typical (2 x 30 + tier 90) / 3 = 50 days; "
        "expected 2026-04-21; late after 1.5 x typical = 75 days, on 2026-05-16"
    )
    table = cli("today", "--date", "2026-05-16", "--explain").stdout
    assert "expected" in table and "2026-04-21" in table
    # Reached on the day: nobody needs a reminder for this purchase any more; the cadence
    # goes on from the contact: 2026-05-16 + 3 months = 2026-08-16.
    logged = cli.json("log", "R1", "reached", "--date", "2026-05-16")
    assert (logged["next_due"], logged["next_reason"]) == ("2026-08-16", "every 3 months")


def test_no_repurchase_call_when_someone_spoke_to_them_since(cli, csv_file, tmp_path):
    _rhythm_shop(cli, csv_file, tmp_path)
    # A call on 2026-04-01 (after the last purchase) re-plans the cadence from it:
    # 2026-04-01 + 3 months = 2026-07-01, and no repurchase call comes first.
    logged = cli.json("log", "R1", "reached", "--date", "2026-04-01")
    assert (logged["next_due"], logged["next_reason"]) == ("2026-07-01", "every 3 months")


def test_margin_and_switch_are_shop_options(cli, csv_file, tmp_path):
    _rhythm_shop(cli, csv_file, tmp_path)
    # Margin 2: late after 2 x 50 = 100 days, 2026-06-10; the cadence on 2026-06-02 comes
    # first, so the plan is the cadence call.
    cli("rules", "option", "repurchase_margin", "2", "--date", "2026-04-10")
    assert cli.json("show", "R1")["next_due"] == "2026-06-02"
    cli("rules", "option", "repurchase_margin", "1.5", "--date", "2026-04-10")
    assert cli.json("show", "R1")["next_due"] == "2026-05-16"
    cli("rules", "option", "repurchase", "off", "--date", "2026-04-10")
    shown = cli.json("show", "R1")
    assert (shown["next_due"], shown["next_reason"]) == ("2026-06-02", "every 3 months")
    assert cli.json("rules")["options"]["repurchase"] == "off"
    for bad in (("repurchase_margin", "0.5"), ("repurchase", "maybe"), ("winback_daily", "x")):
        result = cli("rules", "option", *bad, code=1)
        assert result.stderr.startswith("followup: error:") and "Traceback" not in result.stderr


def test_undoing_the_purchases_import_takes_the_rhythm_back(cli, csv_file, tmp_path):
    _rhythm_shop(cli, csv_file, tmp_path)
    import_id = cli.json("imports")[0]["id"]
    cli("imports", "undo", "--yes", str(import_id), "--date", "2026-04-10")
    # No purchases left: no segment, and the cadence from the date added (2025-01-01),
    # nearest to 2026-04-10: 2026-04-01 (5 x 3 months).
    assert cli.json("segments")["customers"] == 0
    shown = cli.json("show", "R1")
    assert (shown["next_due"], shown["next_reason"]) == ("2026-04-01", "every 3 months")


def _regular_buyer(gap: int, purchases: int, start: date) -> CustomerState:
    last = start + timedelta(days=gap * (purchases - 1))
    return CustomerState(
        tier="regular",
        added=start,
        first_purchase=start,
        last_purchase=last,
        purchase_gaps=(gap,) * (purchases - 1),
    )


INTERVALS = st.sampled_from(
    [Duration(1, "w"), Duration(2, "w"), Duration(1, "m"), Duration(3, "m"), Duration(1, "y")]
)
MARGINS = st.sampled_from([Fraction(3, 2), Fraction(2), Fraction(5, 2), Fraction(3)])


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    gap=st.integers(1, 400),
    purchases=st.integers(3, 15),
    interval=INTERVALS,
    margin=MARGINS,
    start=st.dates(date(2020, 1, 1), date(2026, 12, 31)),
)
def test_a_perfectly_regular_buyer_is_never_flagged_before_their_gap(
    gap, purchases, interval, margin, start
):
    state = _regular_buyer(gap, purchases, start)
    plan = repurchase_plan(state, interval, Settings(repurchase_margin=margin))
    assert plan is not None
    # Their next purchase, on last + gap, comes no later than the reminder.
    assert plan.due_date >= state.last_purchase + timedelta(days=gap)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    gap=st.integers(1, 400),
    purchases=st.integers(3, 15),
    interval=INTERVALS,
    margin=MARGINS,
    start=st.dates(date(2020, 1, 1), date(2026, 12, 31)),
)
def test_one_missing_purchase_is_flagged_exactly_on_the_computed_day(
    gap, purchases, interval, margin, start
):
    state = _regular_buyer(gap, purchases, start)
    days = interval.count * {"d": 1, "w": 7, "m": 30, "y": 365}[interval.unit]
    gaps = purchases - 1
    # ceil(margin x (gaps x gap + days) / (gaps + 1)), in whole numbers: margin = p / q
    p, q = margin.numerator, margin.denominator
    late = -(-(p * (gaps * gap + days)) // (q * (gaps + 1)))
    expected = state.last_purchase + timedelta(days=late)
    plan = repurchase_plan(state, interval, Settings(repurchase_margin=margin))
    assert plan is not None and plan.due_date == expected
    # The whole engine, for a regular (interval 3 months = 90 days in the formula), plans
    # it when it comes before the cadence call (3 calendar months after the last purchase).
    late_regular = -(-(p * (gaps * gap + 90)) // (q * (gaps + 1)))
    expected_regular = state.last_purchase + timedelta(days=late_regular)
    rules = {r.tier: r for r in DEFAULT_RULES}
    planned = plan_next(state, rules, Settings(repurchase_margin=margin), state.last_purchase)
    cadence = Duration(3, "m").after(state.last_purchase)
    assert planned is not None
    if expected_regular < cadence:
        assert (planned.kind, planned.due_date) == ("repurchase", expected_regular)
    else:
        assert (planned.kind, planned.due_date) == ("cadence", cadence)


# --- birthdays and the owner's own dates ---------------------------------------------------

BIRTHDAY_HEADER = "id,name,phone,tier,added,生日,会员到期\n"


def _birthdays(cli, csv_file, body: str, day: str):
    cli("import", "customers", str(csv_file(body, header=BIRTHDAY_HEADER)), "--date", day)


def test_a_birthday_is_called_three_days_before_once_a_year(cli, csv_file):
    # B1 regular, added 2026-01-01, birthday 05-20 (no year). Imported on 2026-03-01: the
    # cadence date nearest is 2026-04-01; the birthday call (05-20 - 3 days = 05-17) is 46
    # days later, so 04-01 comes first.
    _birthdays(cli, csv_file, "B1,Bea,13800000201,regular,2026-01-01,05-20,\n", "2026-03-01")
    assert cli.json("show", "B1")["next_due"] == "2026-04-01"
    # Reached on 04-01: the cadence would next call on 07-01; the birthday call on 05-17 is
    # earlier and on its own.
    logged = cli.json("log", "B1", "reached", "--date", "2026-04-01")
    assert (logged["next_due"], logged["next_reason"]) == ("2026-05-17", "birthday 20 May")
    assert _due(cli, "2026-05-17")["B1"]["kind"] == "birthday"
    # Called: not again this year. Next: the cadence, 05-17 + 3 months = 08-17 (next
    # year's birthday call, 2027-05-17, is later).
    logged = cli.json("log", "B1", "reached", "--date", "2026-05-17")
    assert (logged["next_due"], logged["next_reason"]) == ("2026-08-17", "every 3 months")


def test_a_birthday_near_another_call_is_one_call_carrying_both_reasons(cli, csv_file):
    # B2: cadence from 2026-02-20 -> 2026-05-20; birthday 1990-05-25 -> call 05-22, two days
    # after: one call on the nearer day (05-20) carrying both reasons.
    # B3: cadence from 2026-02-26 -> 2026-05-26; birthday 05-27 -> call 05-24, two days
    # before: the birthday call is the nearer one and carries the cadence too.
    _birthdays(
        cli,
        csv_file,
        "B2,Bo,13800000202,regular,2026-02-20,1990-05-25,\n"
        "B3,毕芳,13800000203,regular,2026-02-26,5月27日,\n",
        "2026-03-01",
    )
    b2, b3 = cli.json("show", "B2"), cli.json("show", "B3")
    assert (b2["next_due"], b2["next_reason"]) == (
        "2026-05-20",
        "every 3 months; also birthday 25 May",
    )
    assert (b3["next_due"], b3["next_reason"]) == (
        "2026-05-24",
        "birthday 27 May; also every 3 months",
    )
    # After the merged call on 05-24 the cadence counts from it: 08-24; it is not called
    # again for 05-26.
    logged = cli.json("log", "B3", "reached", "--date", "2026-05-24")
    assert logged["next_due"] == "2026-08-24"


def test_a_29_february_birthday_falls_on_28_february_in_other_years(cli, csv_file):
    # 2026 has no 29 Feb: the birthday is 2026-02-28, called 3 days before on 02-25, before
    # the cadence (2026-01-10 + 3 months = 04-10).
    _birthdays(cli, csv_file, "B4,Bin,13800000204,regular,2026-01-10,2000-02-29,\n", "2026-02-01")
    shown = cli.json("show", "B4")
    assert (shown["next_due"], shown["next_reason"]) == ("2026-02-25", "birthday 28 Feb")
    assert parse_month_day("02-29") == (None, 2, 29)
    assert parse_month_day("2001-02-29") is None  # no such day: ignored
    assert parse_month_day("13-01") is None


def test_days_before_and_named_date_fields_are_options(cli, csv_file):
    _birthdays(
        cli,
        csv_file,
        "B5,Bao,13800000205,regular,2026-02-20,06-30,2026-04-15\n",
        "2026-03-01",
    )
    # The cadence call on 2026-05-20 (3 months from 02-20); birthday call 06-27 is later.
    assert cli.json("show", "B5")["next_due"] == "2026-05-20"
    # Membership expiry (会员到期) 2026-04-15, called 7 days before: 04-08, before 05-20.
    cli("rules", "option", "date_fields", "会员到期=7d", "--date", "2026-03-01")
    shown = cli.json("show", "B5")
    assert (shown["next_due"], shown["next_reason"]) == ("2026-04-08", "会员到期 2026-04-15")
    # Birthday a week before instead: 06-30 - 7 days = 06-23 (still after 04-08).
    cli("rules", "option", "birthday_before", "1w", "--date", "2026-03-01")
    assert cli.json("rules")["options"]["birthday_before"] == "1w"
    cli("rules", "option", "birthday_before", "off", "--date", "2026-03-01")
    assert cli.json("rules")["options"]["birthday_before"] == "off"
    assert "date_fields" in cli("rules", "option", "date_fields", "会员到期", code=1).stderr


# --- value segments (RFM) --------------------------------------------------------------------
# Ten customers. F = distinct purchase days, 30 days apart, ending on the last day; every
# purchase is 10 except the last, which makes up the total spend M.
#
#   id   tier     last day    F  M     R score F score M score  segment
#   K01  regular  2026-06-10  5  1000  5       5       5        important-value
#   K02  regular  2026-06-09  3   900  5       3       5        important-develop
#   K03  vip      2026-05-10  5   800  3       5       4        important-keep
#   K04  regular  2026-05-09  3   700  3       3       4        important-win-back
#   K05  regular  2026-06-08  4   600  4       4       3        general-value
#   K06  regular  2026-06-07  2   500  4       2       3        general-develop
#   K07  regular  2026-05-08  4   400  2       4       2        general-keep
#   K08  regular  2026-05-07  2   300  2       2       2        general-win-back
#   K09  regular  2026-05-06  1   200  1       1       1        general-win-back
#   K10  vip      2026-05-05  1   100  1       1       1        general-win-back
#
# N = 10: cut points at sorted positions ceil(k x 10 / 5) = 2, 4, 6, 8 (1-based).
#   R sorted: 05-05 05-06 05-07 05-08 05-09 05-10 06-07 06-08 06-09 06-10
#             -> cuts 05-06, 05-08, 05-10, 06-08
#   F sorted: 1 1 2 2 3 3 4 4 5 5 -> cuts 1, 2, 3, 4
#   M sorted: 100 .. 1000 by 100 -> cuts 200, 400, 600, 800
# Score = 1 + cut points strictly below; high = 4-5. Total spend 5 500.
SHOP = {
    "K01": ("regular", date(2026, 6, 10), 5, 1000),
    "K02": ("regular", date(2026, 6, 9), 3, 900),
    "K03": ("vip", date(2026, 5, 10), 5, 800),
    "K04": ("regular", date(2026, 5, 9), 3, 700),
    "K05": ("regular", date(2026, 6, 8), 4, 600),
    "K06": ("regular", date(2026, 6, 7), 2, 500),
    "K07": ("regular", date(2026, 5, 8), 4, 400),
    "K08": ("regular", date(2026, 5, 7), 2, 300),
    "K09": ("regular", date(2026, 5, 6), 1, 200),
    "K10": ("vip", date(2026, 5, 5), 1, 100),
}


def _value_shop(cli, csv_file, tmp_path):
    customers = "".join(
        f"{ref},{ref.lower()},1390000{index:04d},,{tier},,,2025-06-01,,\n"
        for index, (ref, (tier, *_)) in enumerate(SHOP.items())
    )
    cli("import", "customers", str(csv_file(customers)), "--date", "2026-06-10")
    lines = []
    for ref, (_tier, last, days, spend) in SHOP.items():
        for n in range(days):
            day = last - timedelta(days=30 * (days - 1 - n))
            amount = 10 if n < days - 1 else spend - 10 * (days - 1)
            lines.append(f"{ref},{day.isoformat()},{amount},{ref}-{n}\n")
    cli("import", "purchases", _purchases(tmp_path, "".join(lines)), "--date", "2026-06-10")


def test_segments_count_customers_and_spend_by_hand(cli, csv_file, tmp_path):
    _value_shop(cli, csv_file, tmp_path)
    data = cli.json("segments")
    assert data["customers"] == 10 and data["spend"] == 5500
    assert data["cut_points"] == {
        "recency": ["2026-05-06", "2026-05-08", "2026-05-10", "2026-06-08"],
        "frequency": [1, 2, 3, 4],
        "monetary": [200, 400, 600, 800],
    }
    counts = {row["segment"]: (row["customers"], row["spend"]) for row in data["segments"]}
    assert counts == {
        "important-value": (1, 1000),
        "important-develop": (1, 900),
        "important-keep": (1, 800),
        "important-win-back": (1, 700),
        "general-value": (1, 600),
        "general-develop": (1, 500),
        "general-keep": (1, 400),
        "general-win-back": (3, 600),  # 300 + 200 + 100
    }
    share = {row["segment"]: row["spend_share"] for row in data["segments"]}
    assert share["important-value"] == round(1000 / 5500, 4) == 0.1818
    assert share["general-win-back"] == round(600 / 5500, 4) == 0.1091
    csv_lines = cli("segments", "--format", "csv").stdout.splitlines()
    assert csv_lines[0] == "segment,name,r,f,m,customers,customer_share,spend,spend_share"
    assert csv_lines[1] == "important-value,重要价值,high,high,high,1,0.1,1000.0,0.1818"
    table = cli("segments").stdout
    assert "重要价值" in table and "█" in table


def test_export_carries_each_customers_segment_and_scores(cli, csv_file, tmp_path):
    _value_shop(cli, csv_file, tmp_path)
    rows = {r["customer_id"]: r for r in cli.json("export", "customers")}
    assert {ref: (r["segment"], r["rfm"]) for ref, r in rows.items()} == {
        "K01": ("important-value", "555"),
        "K02": ("important-develop", "535"),
        "K03": ("important-keep", "354"),
        "K04": ("important-win-back", "334"),
        "K05": ("general-value", "443"),
        "K06": ("general-develop", "423"),
        "K07": ("general-keep", "242"),
        "K08": ("general-win-back", "222"),
        "K09": ("general-win-back", "111"),
        "K10": ("general-win-back", "111"),
    }
    k04 = cli.json("show", "K04")
    assert (k04["segment"], k04["rfm"], k04["purchase_days"]) == ("important-win-back", "334", 3)
    header = cli("export", "customers").stdout.splitlines()[0]
    assert ",spend,segment,rfm,purchase_days,notes," in header


def test_today_by_segment(cli, csv_file, tmp_path):
    _value_shop(cli, csv_file, tmp_path)
    # By the end of the year every customer has a call due (VIPs monthly, regulars every 3
    # months); the 一般挽留 (general-win-back) segment is K08, K09, K10.
    listed = cli.json("today", "--date", "2026-12-31", "--segment", "一般挽留")
    assert sorted(item["customer_id"] for item in listed) == ["K08", "K09", "K10"]
    assert (
        len(
            cli.json(
                "today", "--date", "2026-12-31", "--segment", "general-win-back", "--limit", "2"
            )
        )
        == 2
    )
    result = cli("today", "--segment", "nonsense", code=1)
    assert result.stderr.startswith("followup: error: unknown segment 'nonsense'")


def test_tier_suggestions_and_their_application_in_one_go(cli, csv_file, tmp_path):
    _value_shop(cli, csv_file, tmp_path)
    # K01: a regular scoring 555 -> vip. K10: a VIP scoring 111 (low on all three, R 1) ->
    # regular. K03, a VIP scoring 354, stays.
    suggested = cli.json("tiers", "suggest", "--date", "2026-06-10")
    assert [(s["customer_id"], s["tier"], s["suggested"], s["rfm"]) for s in suggested] == [
        ("K01", "regular", "vip", "555"),
        ("K10", "vip", "regular", "111"),
    ]
    assert cli.json("show", "K01")["tier"] == "regular"  # only suggested
    cli("tiers", "suggest", "--apply", "--date", "2026-06-10")
    assert cli.json("show", "K01")["tier"] == "vip"
    assert cli.json("show", "K10")["tier"] == "regular"
    assert cli.json("tiers", "suggest", "--date", "2026-06-10") == []


# --- churn by each customer's own rhythm -------------------------------------------------
# W1, a regular, bought weekly: 2026-01-01, 01-08, 01-15, 01-22. Gaps 7, 7, 7, median 7.
# Typical gap = (3 x 7 + 90) / 4 = 111 / 4 = 27.75 days.
# Churned after ceil(3 x 27.75) = ceil(83.25) = 84 silent days: 01-22 + 84 = 2026-04-16
# (01-22 + 9 = 01-31, + 28 = 02-28, + 31 = 03-31, + 16 = 04-16).
# At risk after ceil(2 x 27.75) = 56 days: 01-22 + 56 = 03-19, at risk from 03-20.


def _weekly_buyer(cli, csv_file, tmp_path):
    cli("import", "customers", str(csv_file("W1,Wen,13800000301,,regular,,,2025-12-01,,\n")))
    sales = "".join(f"W1,2026-01-{d:02d},50,W{d}\n" for d in (1, 8, 15, 22))
    cli("import", "purchases", _purchases(tmp_path, sales), "--date", "2026-01-22")


def test_per_customer_churn_is_an_option_named_in_the_report(cli, csv_file, tmp_path):
    _weekly_buyer(cli, csv_file, tmp_path)
    april = ("report", "--month", "2026-04", "--date", "2026-04-30")
    window = cli.json(*april)
    # The default is the purchase model; one buyer is far too few to fit one: the window.
    assert (window["churn_definition"], window["churn_by"]) == ("model", "window")
    assert (window["overall"]["active_at_start"], window["overall"]["churned"]) == (1, 0)
    cli("rules", "option", "churn_definition", "rhythm")
    own = cli.json(*april)
    assert (own["churn_definition"], own["churn_by"]) == ("rhythm", "rhythm")
    assert (own["overall"]["active_at_start"], own["overall"]["churned"]) == (1, 1)
    assert own["overall"]["churn_rate"] == 1.0
    # In March the churn date (04-16) has not come: active, not churned; at risk as of 03-31.
    march = cli.json("report", "--month", "2026-03", "--date", "2026-03-31")["overall"]
    assert (march["churned"], march["churn_risk"]) == (0, 1)
    assert "own rhythm" in cli(*april).stdout
    assert [r["customer_id"] for r in cli.json("at-risk", "--date", "2026-03-20")] == ["W1"]
    assert cli.json("at-risk", "--date", "2026-03-19") == []
    assert "churn_definition" in cli("rules", "option", "churn_definition", "x", code=1).stderr
    # The engine's own definition gives the same 84 days (and 56 for the risk).
    own = Settings(churn_definition="rhythm")
    assert churn_days((7, 7, 7), Duration(3, "m"), own) == 84
    assert risk_days((7, 7, 7), Duration(3, "m"), own) == 56
    assert churn_days((7, 7, 7), Duration(3, "m"), Settings()) is None  # the window applies


# --- win-back ------------------------------------------------------------------------------


def test_win_back_rate_counts_dormant_customers_who_bought_again(cli, csv_file, tmp_path):
    # D1 and D2 last bought 2025-01-01: regulars silent for more than 2 x 3 months (since
    # 2025-07-01) are dormant. A3 bought 2025-08-01: not dormant in September.
    cli(
        "import",
        "customers",
        str(
            csv_file(
                "D1,Dai,13800000401,,regular,2024-06-01,2025-01-01,2024-06-01,,\n"
                "D2,Du,13800000402,,regular,2024-06-01,2025-01-01,2024-06-01,,\n"
                "A3,An,13800000403,,regular,2024-06-01,2025-08-01,2024-06-01,,\n"
            )
        ),
        "--date",
        "2025-09-01",
    )
    cli("log", "D1", "reached", "--date", "2025-09-01")
    cli("log", "D2", "reached", "--date", "2025-09-02")
    cli("log", "A3", "reached", "--date", "2025-09-03")
    # D1 buys 19 days after the call (within 30); A3 buys too but was not dormant.
    sales = "D1,2025-09-20,80,S1\nA3,2025-09-10,50,S2\n"
    cli("import", "purchases", _purchases(tmp_path, sales), "--date", "2025-09-20")
    report = cli.json("report", "--month", "2025-09", "--date", "2025-09-30")
    # 1 of the 2 dormant customers reached bought again within 30 days: 50%.
    assert report["win_back"] == {"contacted": 2, "bought": 1, "rate": 0.5, "days": 30}
    assert "Win-back rate" in cli("report", "--month", "2025-09", "--date", "2025-09-30").stdout


def test_win_back_calls_are_capped_per_day(cli, csv_file):
    # Three dormant regulars (last bought 2024-01-01, the cadence call is flagged win-back).
    cli(
        "import",
        "customers",
        str(
            csv_file(
                "".join(
                    f"Z{i},Zed{i},1380000050{i},,regular,2023-06-01,2024-01-01,2023-06-01,,\n"
                    for i in range(3)
                )
            )
        ),
        "--date",
        "2025-09-01",
    )
    # Their cadence call nearest the import day: 2024-01-01 + 7 x 3 months = 2025-10-01.
    assert sum(i["win_back"] for i in cli.json("today", "--date", "2025-10-01")) == 3
    cli("rules", "option", "winback_daily", "2")
    listed = cli.json("today", "--date", "2025-10-01")
    assert [i["customer_id"] for i in listed if i["win_back"]] == ["Z0", "Z1"]


# --- the file ------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_an_older_file_gets_its_purchase_facts_on_upgrade(cli, csv_file, tmp_path, isolated_db):
    _rhythm_shop(cli, csv_file, tmp_path)
    conn = dbtools.connect(isolated_db)
    conn.execute("DELETE FROM purchase_stats")
    conn.execute("PRAGMA user_version = 9")  # the schema before purchase facts
    conn.commit()
    conn.close()
    # The upgrade recomputes R1's facts from the purchases: 3 purchase days, 320 spent.
    row = cli.json("export", "customers")[0]
    assert (row["purchase_days"], row["spend"]) == (3, 320.0)
    cli("forget", "R1", "--yes")
    conn = dbtools.connect(isolated_db)
    assert conn.execute("SELECT COUNT(*) FROM purchase_stats").fetchone()[0] == 0
    conn.close()


def test_report_breaks_down_by_segment(cli, csv_file, tmp_path):
    _value_shop(cli, csv_file, tmp_path)
    # Every K customer first bought before June (K01: 2026-06-10 - 4 x 30 days = 02-10; the
    # latest first purchase is K06's, 2026-06-07 - 30 = 05-08), so all ten are active on
    # 2026-06-01, none churned (365-day window): 1 per segment, 3 in general-win-back.
    report = cli.json("report", "--month", "2026-06", "--date", "2026-06-30", "--by", "segment")
    active = {row["segment"]: row["active_at_start"] for row in report["breakdown"]}
    assert active == {
        "important-value": 1,
        "important-develop": 1,
        "important-keep": 1,
        "important-win-back": 1,
        "general-value": 1,
        "general-develop": 1,
        "general-keep": 1,
        "general-win-back": 3,
    }
    assert report["overall"]["active_at_start"] == 10
    assert (
        "important-value"
        in cli("report", "--month", "2026-06", "--date", "2026-06-30", "--by", "segment").stdout
    )


def test_first_purchase_anniversary_is_an_option(cli, csv_file):
    # A1 first (and last) bought on 2025-03-10. Imported on 2026-02-01, the regular cadence
    # date nearest is 2026-03-10 (2025-03-10 + 4 x 3 months; 12-10 is 53 days back, 03-10
    # 37 days ahead).
    cli(
        "import",
        "customers",
        str(csv_file("A1,Ai,13800000601,,regular,2025-03-10,2025-03-10,2025-03-01,,\n")),
        "--date",
        "2026-02-01",
    )
    assert cli.json("show", "A1")["next_due"] == "2026-03-10"
    # Anniversary on 2026-03-10, called 3 days before: 03-07, three days before the cadence
    # call: one call on the nearer day carrying both reasons.
    cli("rules", "option", "anniversary_before", "3d", "--date", "2026-02-01")
    shown = cli.json("show", "A1")
    assert (shown["next_due"], shown["next_reason"]) == (
        "2026-03-07",
        "first purchase anniversary 10 Mar; also every 3 months",
    )


def test_the_birthday_reason_in_chinese():
    from followup_cli.core.rhythm import Occasion
    from followup_cli.i18n import set_language

    birthday = Occasion("birthday", date(2026, 5, 20), Duration(3, "d"))
    assert birthday.call_on == date(2026, 5, 17)
    assert birthday.reason() == "birthday 20 May"
    from followup_cli.wording import reason

    set_language("zh_CN")
    try:
        # Stored in English, said in Chinese when shown.
        assert birthday.reason() == "birthday 20 May"
        assert reason("birthday 20 May") == "生日 5月20日"
        assert reason("every 3 months; also birthday 25 May") == "每 3 个月；同时：生日 5月25日"
        assert reason("repurchase: usually every 50 days, last bought 2026-03-02") == (
            "复购提醒：通常每 50 天购买一次，上次购买 2026-03-02"
        )
    finally:
        set_language("en")


def test_a_shop_without_purchases_has_no_segments_and_no_suggestions(cli, csv_file):
    cli("import", "customers", str(csv_file("N1,Nan,13800000701,,vip,,,2025-01-01,,\n")))
    assert "No purchases imported yet" in cli("segments").stdout
    data = cli.json("segments")
    assert data["customers"] == 0 and data["spend"] == 0
    assert all(row["customers"] == 0 for row in data["segments"])
    assert cli.json("tiers", "suggest") == []
    assert "No tier changes to suggest." in cli("tiers", "suggest").stdout
    assert cli.json("today", "--segment", "important-value", "--date", "2025-06-01") == []


@settings(derandomize=True, max_examples=200, deadline=None)
@given(values=st.lists(st.integers(0, 10_000), min_size=1, max_size=60, unique=True))
def test_quintile_scores_split_distinct_values_into_fifths(values):
    from followup_cli.core.segments import cut_points, score

    cuts = cut_points(values)
    scores = [score(v, cuts) for v in values]
    n = len(values)
    for s in range(1, 6):
        # ceil(s x n / 5) - ceil((s - 1) x n / 5) values score s: n / 5 rounded down or up
        assert -(-s * n // 5) - (-(-(s - 1) * n // 5)) == scores.count(s)
        assert n // 5 <= scores.count(s) <= -(-n // 5)
    # a larger value never scores lower
    ordered = sorted(values)
    assert [score(v, cuts) for v in ordered] == sorted(scores)
