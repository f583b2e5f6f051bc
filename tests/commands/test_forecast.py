"""The purchase model fitted to the shop's own history (`followup forecast`), and its backtest.

The model's formulas are checked against values worked out by hand where alpha = beta, when
the Pareto/NBD's hypergeometric terms are 1 and everything is a fraction; the fit is checked
by recovering the numbers a simulated shop was drawn from; the command is driven through the
CLI on both engines.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import dbtools
import pytest

from followup_cli import i18n
from followup_cli.core.purchase_model import (
    History,
    ShopModel,
    TooLittleHistory,
    fit,
    fit_spend,
    history_of,
    next_purchase,
    score_all,
)


@pytest.fixture(autouse=True)
def english_again():
    """`--lang zh` in one in-process test must not leak into the next."""
    yield
    i18n.set_language("en")


# --- the formulas, by hand ---------------------------------------------------------------------

# r = 1, alpha = beta = 10 days, s = 2; a customer with x = 2 repeat days, the last 20 days
# after the first (t_x = 20), a customer for T = 30 days.
# With alpha = beta the integral term is A0 = (alpha + t_x)^-(r+s+x) - (alpha + T)^-(r+s+x),
# so P(alive) = 1 / (1 + s/(r+s+x) * (((alpha+T)/(alpha+t_x))^(r+s+x) - 1))
#             = 1 / (1 + 2/5 * ((40/30)^5 - 1)) = 1 / (1 + 2/5 * 781/243) = 1215/2777.
# Expected purchase days in the next t = 40 days, if alive:
#   (r+x)/(alpha+T) * (beta+T)/(s-1) * (1 - ((beta+T)/(beta+T+t))^(s-1))
#   = 3/40 * 40/1 * (1 - 40/80) = 3/2, so 3/2 * 1215/2777 = 1822.5/2777 in all.
# Next purchase: an alive customer's rate is gamma(r+x = 3, alpha+T = 40); of those who buy
# within 180 days, F = 1 - (40/220)^3 = 1323/1331, half have by t with
# (40/(40+t))^3 = 1 - F/2 = 1339/2662, t = 40 * ((2662/1339)^(1/3) - 1) = 10.297 -> day 11.
HAND = ShopModel(r=1.0, alpha=10.0, s=2.0, beta=10.0)
HAND_HISTORY = History(repeat_days=2, last_age=20, age=30, mean_spend=None)


def test_the_chance_of_still_being_a_customer_is_the_hand_worked_fraction():
    (outlook,) = score_all(HAND, [HAND_HISTORY], 40)
    assert outlook.p_alive == pytest.approx(1215 / 2777, rel=1e-9)


def test_expected_purchases_are_the_hand_worked_fraction():
    (outlook,) = score_all(HAND, [HAND_HISTORY], 40)
    assert outlook.expected_purchases == pytest.approx(1822.5 / 2777, rel=1e-9)


def test_the_next_purchase_is_the_median_among_those_who_buy_within_half_a_year():
    (outlook,) = score_all(HAND, [HAND_HISTORY], 40)
    assert outlook.next_in_days == 11
    assert next_purchase(date(2026, 3, 1), outlook) == date(2026, 3, 12)


def test_someone_who_bought_on_the_day_is_certainly_still_a_customer():
    # t_x = T: A0 = 0, so P(alive) = 1 whatever the shop's numbers.
    (outlook,) = score_all(HAND, [History(3, 30, 30, None)], 40)
    assert outlook.p_alive == 1.0


def test_the_chance_of_buying_is_below_the_chance_of_being_a_customer():
    # P(buy in 40 days) = P(alive) * (1 - E[mu/(lam+mu) + lam/(lam+mu) e^-(lam+mu)40]) < P(alive)
    (outlook,) = score_all(HAND, [HAND_HISTORY], 40)
    assert 0 < outlook.p_buy < outlook.p_alive


def test_customers_with_the_same_history_share_one_outlook_and_keep_their_order():
    other = History(0, 0, 30, None)
    outlooks = score_all(HAND, [HAND_HISTORY, other, HAND_HISTORY], 40)
    assert outlooks[0] == outlooks[2]
    assert outlooks[1].p_alive < outlooks[0].p_alive


def test_a_history_counts_repeat_days_from_distinct_days():
    days = [date(2026, 1, 1), date(2026, 1, 11), date(2026, 2, 1)]
    history = history_of(days, [100.0, 50.0, 70.0], date(2026, 3, 1))
    # x = 2 repeat days, t_x = 31 days (01-01 -> 02-01), T = 59 days, repeat spend (50+70)/2.
    assert history == History(2, 31, 59, 60.0)


# --- the fit ---------------------------------------------------------------------------------


def _simulated_shop(customers: int, seed: int) -> list[History]:
    """Customers drawn from a Pareto/NBD shop: r 0.8, alpha 40 days, s 0.6, beta 120 days,
    each a customer for 200-365 days; spend per day gamma around 80."""
    rng = random.Random(seed)
    histories = []
    for _ in range(customers):
        rate = rng.gammavariate(0.8, 1 / 40)
        stops = rng.gammavariate(0.6, 1 / 120)
        age = rng.randint(200, 365)
        lifetime = min(rng.expovariate(stops), age)
        day, days = 0.0, [0]
        while True:
            day += rng.expovariate(rate)
            if day > lifetime:
                break
            if int(day) != days[-1]:
                days.append(int(day))
        spend_level = rng.gammavariate(6.0, 80 / 6.0)
        spend = [rng.gammavariate(4.0, spend_level / 4.0) for _ in days]
        repeat = spend[1:]
        histories.append(
            History(len(days) - 1, days[-1], age, sum(repeat) / len(repeat) if repeat else None)
        )
    return histories


def test_the_fit_recovers_the_numbers_a_simulated_shop_was_drawn_from():
    model = fit(_simulated_shop(6000, seed=11))
    assert model.r == pytest.approx(0.8, rel=0.2)
    assert model.alpha == pytest.approx(40, rel=0.25)
    assert model.s == pytest.approx(0.6, rel=0.3)
    assert model.beta == pytest.approx(120, rel=0.5)
    assert model.customers == 6000


def test_the_spend_model_pulls_a_customers_average_toward_the_shops():
    histories = _simulated_shop(3000, seed=5)
    model = fit_spend(fit(histories), histories)
    assert model.p is not None and model.q is not None and model.q > 1
    shop_mean = model.p * model.v / (model.q - 1)
    assert shop_mean == pytest.approx(80, rel=0.2)
    one_visit = score_all(model, [History(1, 10, 200, 400.0)], 90)[0]
    many = score_all(model, [History(20, 190, 200, 400.0)], 90)[0]
    # one repeat purchase of 400 says less than twenty: pulled further toward the shop's mean
    assert shop_mean < one_visit.spend_per_purchase < many.spend_per_purchase < 400


def test_too_few_customers_is_too_little_history():
    with pytest.raises(TooLittleHistory):
        fit(_simulated_shop(20, seed=3))


# --- the command ---------------------------------------------------------------------------------

CUT = date(2026, 6, 30)


def _shop(cli, tmp_path, late_days: bool = True) -> None:
    """The shop of `shop_files`: customers imported on 1 January, purchases on 31 July."""
    members, sales = shop_files(tmp_path, late_days)
    cli("import", "customers", str(members), "--date", "2026-01-01")
    cli("import", "purchases", str(sales), "--date", "2026-07-31")


def shop_files(tmp_path, late_days: bool = True) -> tuple[Path, Path]:
    """40 invented customers. F01-F20 buy every 10 + i days from January, F01-F10 until the
    end of June, F11-F20 stopping in March; F21-F40 bought once, in January. With late_days,
    F01-F05 also buy in July (the backtest's holdout)."""
    customers = ["id,name,phone"]
    sales = ["customer id,date,amount,order"]
    order = 0
    for i in range(1, 41):
        ref = f"F{i:02d}"
        customers.append(f"{ref},客户{i}号,1380013{i:04d}")
        start = date(2026, 1, 1) + timedelta(days=i % 7)
        if i <= 20:
            end = CUT if i <= 10 else date(2026, 3, 15)
            day = start
            while day <= end:
                order += 1
                sales.append(f"{ref},{day.isoformat()},{50 + i},S{order}")
                day += timedelta(days=10 + i)
        else:
            order += 1
            sales.append(f"{ref},{start.isoformat()},30,S{order}")
        if late_days and i <= 5:
            for extra in (date(2026, 7, 10), date(2026, 7, 20)):
                order += 1
                sales.append(f"{ref},{extra.isoformat()},60,S{order}")
    (tmp_path / "members.csv").write_text("\n".join(customers) + "\n", encoding="utf-8")
    (tmp_path / "sales.csv").write_text("\n".join(sales) + "\n", encoding="utf-8")
    return tmp_path / "members.csv", tmp_path / "sales.csv"


FORECAST_KEYS = [
    "customer_id",
    "name",
    "tier",
    "purchase_days",
    "last_purchase",
    "p_alive",
    "p_buy",
    "expected_purchases",
    "next_purchase",
    "expected_spend",
]


def test_forecast_lists_every_customer_with_purchases_under_stable_keys(cli, tmp_path):
    _shop(cli, tmp_path)
    rows = cli.json("forecast", "--date", CUT.isoformat(), "--horizon", "90d")
    assert len(rows) == 40
    assert all(sorted(row) == sorted(FORECAST_KEYS) for row in rows)
    # nobody's next purchase is on or before the day
    assert min(row["next_purchase"] for row in rows) > CUT.isoformat()
    # the list runs from the most expected purchases down
    expected = [row["expected_purchases"] for row in rows]
    assert expected == sorted(expected, reverse=True)
    by_id = {row["customer_id"]: row for row in rows}
    # F01 bought every 11 days to the end of June; F15 stopped in March; F30 came once
    assert by_id["F01"]["expected_purchases"] > by_id["F15"]["expected_purchases"]
    assert by_id["F15"]["p_alive"] < by_id["F01"]["p_alive"]
    assert by_id["F30"]["purchase_days"] == 1
    # F21-F40 have one and the same history but F22..F27 started a day or so later: the
    # customers whose first day is the same share one outlook
    assert by_id["F21"]["p_alive"] == by_id["F28"]["p_alive"]  # 21 % 7 == 28 % 7


def test_forecast_csv_has_the_same_keys_as_json(cli, tmp_path):
    _shop(cli, tmp_path)
    out = cli("forecast", "--date", CUT.isoformat(), "--format", "csv").stdout
    assert out.splitlines()[0] == ",".join(FORECAST_KEYS)
    assert len(out.splitlines()) == 41


def test_forecast_as_a_workbook_for_a_person(cli, tmp_path):
    from openpyxl import load_workbook

    _shop(cli, tmp_path)
    target = tmp_path / "forecast.xlsx"
    cli("--lang", "zh", "forecast", "--date", CUT.isoformat(), "-o", str(target))
    rows = list(load_workbook(target).active.iter_rows())
    assert [c.value for c in rows[0]][5:9] == [
        "仍是客户",
        "预测期内会消费",
        "预计消费次数",
        "下次消费",
    ]
    assert len(rows) == 41 and rows[1][5].number_format == "0.0%"


def test_the_table_shows_a_screenful_and_says_how_to_see_the_rest(cli, tmp_path):
    _shop(cli, tmp_path)
    out = cli("forecast", "--date", CUT.isoformat()).stdout
    assert "20 of 40 shown; --all shows every customer, --format csv writes them" in out
    assert "F01" in out
    everyone = cli("forecast", "--date", CUT.isoformat(), "--all").stdout
    assert "of 40 shown" not in everyone and "F40" in everyone


def test_the_backtest_counts_what_really_happened_in_the_holdout(cli, tmp_path):
    _shop(cli, tmp_path)
    result = cli.json("forecast", "--backtest", "--date", "2026-07-31", "--holdout", "31d")
    # cut 2026-06-30; after it only F01-F05 bought, on 07-10 and 07-20: 5 customers, 10 days
    assert (result["cut"], result["until"]) == ("2026-06-30", "2026-07-31")
    assert (result["customers"], result["bought_again"], result["purchases"]) == (40, 5, 10)
    assert set(result) == {
        "cut",
        "until",
        "customers",
        "bought_again",
        "purchases",
        "expected_purchases",
        "ranking_auc",
        "top_decile_lift",
        "median_date_error_days",
        "share_buying",
    }
    assert result["ranking_auc"]["model"] > 0.5


def test_the_backtest_reads_as_sentences_in_chinese(cli, tmp_path, monkeypatch):
    _shop(cli, tmp_path)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    out = cli(
        "--lang", "zh", "forecast", "--backtest", "--date", "2026-07-31", "--holdout", "31d"
    ).stdout
    assert (
        out.splitlines()[0]
        == "按 2026-06-30 及以前的消费记录拟合，再用之后到 2026-07-31 的 31 天检验："
    )
    assert "- 40 位客户中有 5 位再次消费，共消费 10 天次。" in out


def test_a_shop_with_too_little_history_is_told_so_in_one_line(cli, tmp_path):
    (tmp_path / "members.csv").write_text("id,name,phone\nA1,王芳,13800138001\n", "utf-8")
    (tmp_path / "sales.csv").write_text("customer id,date,amount\nA1,2026-01-05,10\n", "utf-8")
    cli("import", "customers", str(tmp_path / "members.csv"), "--date", "2026-01-01")
    cli("import", "purchases", str(tmp_path / "sales.csv"), "--date", "2026-02-01")
    result = cli("forecast", "--date", "2026-02-01", code=1)
    assert result.stderr.strip() == (
        "followup: error: too little purchase history for a forecast: 1 customers with "
        "purchases, 0 of them came back (needs 30 and 10); until then the plan follows each "
        "tier's cadence"
    )


def test_a_shop_with_no_purchases_is_told_how_to_import_them(cli):
    result = cli("forecast", "--date", "2026-02-01", code=1)
    assert result.stderr == (
        "followup: error: no purchases on or before 2026-02-01 to learn from: import the "
        "shop's sales with 'followup import purchases FILE'\n"
    )


def test_a_bad_horizon_is_refused_in_one_line(cli, tmp_path):
    _shop(cli, tmp_path)
    result = cli("forecast", "--horizon", "9000y", code=2)
    assert "at most 3 years" in result.stderr and "Traceback" not in result.stderr
    result = cli("forecast", "--backtest", "--holdout", "5y", code=2)
    assert "a holdout of 5y is too long (at most 3 years)" in result.stderr
    result = cli("forecast", "--horizon", "soon", code=1)
    assert "is not understood" in result.stderr


def test_a_backtest_with_nothing_after_the_cut_says_so(cli, tmp_path):
    _shop(cli, tmp_path, late_days=False)
    result = cli("forecast", "--backtest", "--date", "2026-07-31", "--holdout", "31d", code=1)
    assert "bought again by 2026-07-31" in result.stderr


# --- the first day: purchases imported after the customers keep the spread ---------------------


def test_the_shops_first_purchases_spread_what_falls_due_and_date_nothing_in_the_past(
    cli, tmp_path
):
    cli("rules", "option", "daily_capacity", "3")
    members = "id,name,phone,tier\n" + "".join(
        f"N{n},Name {n},1380000100{n},regular\n" for n in range(1, 7)
    )
    (tmp_path / "members.csv").write_text(members, encoding="utf-8")
    cli("import", "customers", str(tmp_path / "members.csv"), "--date", "2025-03-20")
    assert cli.json("today", "--date", "2025-03-20") == []  # no purchase dates: nothing due yet
    # Each bought on 1 December 2024: a regular's every-3-months call fell due on 1 March,
    # before the import day. Six calls, three a day: 20 and 21 March, each due on its day.
    sales = "customer id,date,amount\n" + "".join(f"N{n},2024-12-01,50\n" for n in range(1, 7))
    (tmp_path / "sales.csv").write_text(sales, encoding="utf-8")
    out = cli("import", "purchases", str(tmp_path / "sales.csv"), "--date", "2025-03-20").stdout
    assert out.splitlines()[1] == (
        "The shop's first purchases: the 6 calls they make due now are spread over 2 open days, "
        "until 2025-03-21, at most 3 a day (option daily_capacity), most important first, each "
        "due on its day; 3 are on today's list."
    )
    first_day = cli.json("today", "--date", "2025-03-20")
    assert [(i["customer_id"], i["due_date"], i["days_overdue"]) for i in first_day] == [
        ("N1", "2025-03-20", 0),
        ("N2", "2025-03-20", 0),
        ("N3", "2025-03-20", 0),
    ]
    second = [i for i in cli.json("today", "--date", "2025-03-21") if i["due_date"] == "2025-03-21"]
    assert [i["customer_id"] for i in second] == ["N4", "N5", "N6"]
    report = cli.json("report", "--date", "2025-03-20", "--last", "30d")
    assert report["overall"]["overdue"] == 0
    # the next purchases import is not the first: what it plans stays where the plan puts it
    more = "customer id,date,amount\nN1,2024-12-15,20\n"
    (tmp_path / "more.csv").write_text(more, encoding="utf-8")
    out = cli("import", "purchases", str(tmp_path / "more.csv"), "--date", "2025-03-20").stdout
    assert "first purchases" not in out


# --- the outlook kept with each customer ------------------------------------------------------


def test_the_nightly_import_stores_each_customers_outlook_for_export(cli, tmp_path):
    _shop(cli, tmp_path)  # the purchases import ran on 2026-07-31
    forecast = {
        row["customer_id"]: row
        for row in cli.json("forecast", "--date", "2026-07-31", "--horizon", "90d")
    }
    exported = {row["customer_id"]: row for row in cli.json("export", "customers")}
    assert len(exported) == 40
    for ref, row in exported.items():
        # read back from the stored outlook, not fitted again: the same model, the same day
        assert row["outlook_on"] == "2026-07-31"
        assert {k: row[k] for k in ("p_alive", "expected_purchases", "next_purchase")} == {
            k: forecast[ref][k] for k in ("p_alive", "expected_purchases", "next_purchase")
        }, ref
        assert row["expected_spend"] == forecast[ref]["expected_spend"], ref
    # undoing the purchases import leaves nothing to learn from: no outlook is kept
    cli("imports", "undo", "2", "--date", "2026-07-31", "--yes")
    after = cli.json("export", "customers")
    assert {row["p_alive"] for row in after} == {None}
    assert {row["outlook_on"] for row in after} == {None}


def test_a_shop_with_too_little_history_keeps_no_outlook(cli, tmp_path):
    (tmp_path / "members.csv").write_text("id,name,phone\nA1,王芳,13800138001\n", "utf-8")
    (tmp_path / "sales.csv").write_text("customer id,date,amount\nA1,2026-01-05,10\n", "utf-8")
    cli("import", "customers", str(tmp_path / "members.csv"), "--date", "2026-01-01")
    cli("import", "purchases", str(tmp_path / "sales.csv"), "--date", "2026-02-01")  # exit 0
    (row,) = cli.json("export", "customers")
    assert (row["p_alive"], row["next_purchase"], row["outlook_on"]) == (None, None, None)


def test_a_forgotten_customer_leaves_no_outlook_behind(cli, tmp_path, isolated_db):
    _shop(cli, tmp_path)
    cli("forget", "F01", "--yes")
    conn = dbtools.connect(isolated_db)
    left = conn.execute("SELECT COUNT(*) FROM purchase_scores").fetchone()[0]
    conn.close()
    assert left == 39


def test_show_says_what_the_model_expects_of_the_customer(cli, tmp_path):
    _shop(cli, tmp_path)
    row = {r["customer_id"]: r for r in cli.json("export", "customers")}["F01"]
    shown = cli.json("show", "F01")
    assert shown["outlook"] == {
        "p_alive": row["p_alive"],
        "expected_purchases": row["expected_purchases"],
        "next_purchase": row["next_purchase"],
        "expected_spend": row["expected_spend"],
        "outlook_on": "2026-07-31",
        "horizon_days": 90,
    }
    lines = {
        parts[1].strip(): parts[2].strip()
        for line in cli("show", "F01").stdout.splitlines()
        if len(parts := line.split("│")) == 4
    }
    assert lines["still a customer (model)"] == f"{row['p_alive']:.0%}"
    assert lines["purchase days expected in 90 days"] == f"{row['expected_purchases']:.1f}"
    assert lines["next purchase expected"] == row["next_purchase"]
    assert lines["spend expected in 90 days"] == f"{row['expected_spend']:,.2f}"
    assert lines["worked out on"] == "2026-07-31"
    # a customer who never bought has no outlook, and says nothing of one
    cli("add", "Nobody Yet", "--phone", "13800009999", "--date", "2026-07-31")
    added = next(r for r in cli.json("export", "customers") if r["name"] == "Nobody Yet")
    assert cli.json("show", added["customer_id"])["outlook"] is None
    assert "still a customer" not in cli("show", added["customer_id"]).stdout
