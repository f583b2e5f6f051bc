"""Report figures on a small hand-worked January, each number derived in the comments."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

BODY = (
    # id, name, phone, email, tier, first_purchase, last_purchase, added
    "V1,Vera,13800000001,,vip,2020-01-01,2024-12-05,2020-01-01,Li,\n"  # due 5 Jan
    "V2,Vic,13800000002,,vip,2020-01-01,2024-12-20,2020-01-01,Li,\n"  # due 20 Jan
    "R1,Rui,13800000003,,regular,2020-01-01,2024-10-10,2020-01-01,Sam,\n"  # due 10 Jan
    "R2,Ren,13800000004,,regular,2020-01-01,2024-02-01,2020-01-01,Sam,\n"  # due 1 Feb
    "R3,Rex,13800000006,,regular,2020-01-01,2024-10-20,2020-01-01,Sam,\n"  # due 20 Jan
    "P1,Pia,13800000005,,prospect,,,2024-12-25,Li,\n"  # due 8 Jan
    "P2,Pal,13800000007,,prospect,,,2024-12-28,Li,\n"  # due 11 Jan
)


def scenario(cli, csv_file):
    cli("import", "customers", str(csv_file(BODY)), "--date", "2025-01-01")
    cli(
        "log",
        "V1",
        "reached",
        "--date",
        "2025-01-05",
        "--score",
        "4",
        "--nps",
        "10",
        "--channel",
        "phone",
    )
    for day in ("2025-01-20", "2025-01-22", "2025-01-24"):  # V2: 3 attempts -> missed
        cli("log", "V2", "no-answer", "--date", day)
    cli("log", "R1", "complaint", "--date", "2025-01-10")  # check-back due 13 Jan
    cli("log", "R1", "reached", "--date", "2025-01-13", "--score", "2", "--channel", "wechat")
    cli("log", "P1", "converted", "--date", "2025-01-08")  # new: 7-day step due 15 Jan
    cli("log", "P1", "reached", "--date", "2025-01-15", "--nps", "6")
    cli("log", "P2", "lost", "--date", "2025-01-11")
    cli("log", "R2", "lost", "--date", "2025-01-15")  # before its 1 Feb call: cancelled


EXPECTED = {
    # due in January: V1 5th (reached), V2 20th (missed), R1 10th (complaint), R1 check-back
    # 13th (reached), P1 8th (converted), P1 step 15th (reached), P2 11th (lost),
    # R3 20th (open) -> 8 planned, 6 completed
    "planned": 8,
    "completed": 6,
    "success_rate": 0.75,
    # customers before 1 Jan: V1 V2 R1 R2 R3 (P1 only from 8 Jan); R2 lost on 15 Jan
    "active_at_start": 5,
    "churned": 1,
    "churn_rate": 0.2,
    # prospects during January: P1 (converted 8 Jan) and P2 (lost 11 Jan)
    "prospects": 2,
    "converted": 1,
    "conversion_rate": 0.5,
    # scores 4 and 2: mean 3, one of two is 4-5
    "csat_responses": 2,
    "csat_mean": 3.0,
    "csat_satisfied_share": 0.5,
    # recommend 10 (promoter) and 6 (detractor): 50% - 50% = 0
    "nps_responses": 2,
    "nps": 0.0,
    # on 31 Jan only R3's 20 Jan call is past due and unlogged
    "overdue": 1,
    # nobody has been silent for twice their interval: R3, the quietest, bought 20 Oct and a
    # regular is at risk 6 months after that
    "churn_risk": 0,
}


def test_january_figures_match_the_hand_worked_numbers(cli, csv_file):
    scenario(cli, csv_file)
    report = cli.json(
        "report", "--from", "2025-01-01", "--to", "2025-01-31", "--date", "2025-01-31"
    )
    assert report["period"] == {
        "from": "2025-01-01",
        "to": "2025-01-31",
        "as_of": "2025-01-31",
        "counted_to": "2025-01-31",
        "cut_short": False,
    }
    assert report["overall"] == EXPECTED


def test_csv_report_carries_the_same_numbers(cli, csv_file):
    scenario(cli, csv_file)
    out = cli(
        "report",
        "--from",
        "2025-01-01",
        "--to",
        "2025-01-31",
        "--date",
        "2025-01-31",
        "--format",
        "csv",
    ).stdout
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert row["from"] == "2025-01-01"
    assert float(row["success_rate"]) == 0.75
    assert int(row["planned"]) == 8
    assert float(row["churn_rate"]) == 0.2


def test_table_report_shows_percentages(cli, csv_file):
    scenario(cli, csv_file)
    out = cli("report", "--from", "2025-01-01", "--to", "2025-01-31", "--date", "2025-01-31").stdout
    assert "75.0%" in out and "6 completed of 8 planned" in out
    assert "20.0%" in out and "1 churned of 5 active at start" in out
    assert "50.0%" in out and "1 converted of 2 prospects" in out


def test_an_empty_period_shows_no_data_not_an_error(cli):
    report = cli.json(
        "report", "--from", "2025-01-01", "--to", "2025-01-31", "--date", "2025-01-31"
    )
    overall = report["overall"]
    assert overall["planned"] == 0 and overall["success_rate"] is None
    assert overall["churn_rate"] is None and overall["conversion_rate"] is None
    assert "no data" in cli("report", "--date", "2025-01-31").stdout


def test_a_customer_silent_for_the_churn_window_churns_on_the_day_it_ran_out(cli, csv_file):
    # last bought 10 Feb 2024; 365 days later is 9 Feb 2025
    cli(
        "import",
        "customers",
        str(csv_file("Q,Quinn,13800000008,,regular,2023-01-01,2024-02-10,,,\n")),
        "--date",
        "2024-06-01",
    )
    feb = cli.json("report", "--from", "2025-02-01", "--to", "2025-02-28", "--date", "2025-03-01")
    assert (feb["overall"]["active_at_start"], feb["overall"]["churned"]) == (1, 1)
    march = cli.json("report", "--from", "2025-03-01", "--to", "2025-03-31", "--date", "2025-04-01")
    assert march["overall"]["active_at_start"] == 0


JANUARY = ("--from", "2025-01-01", "--to", "2025-01-31", "--date", "2025-01-31")
METRICS = (
    "planned",
    "completed",
    "success_rate",
    "active_at_start",
    "churned",
    "churn_rate",
    "prospects",
    "converted",
    "conversion_rate",
    "csat_mean",
    "nps",
    "overdue",
)


def pick(row: dict, keys=METRICS) -> tuple:
    return tuple(row[k] for k in keys)


def test_breakdown_by_tier(cli, csv_file):
    scenario(cli, csv_file)
    rows = cli.json("report", *JANUARY, "--by", "tier")["breakdown"]
    assert [r["tier"] for r in rows] == ["new", "prospect", "regular", "vip"]
    by = {r["tier"]: pick(r) for r in rows}
    # new: P1's two follow-ups (its current tier), both done; no customer is "new" for churn
    # because a converted prospect counts with the prospects; P1's NPS 6 -> -100
    assert by["new"] == (2, 2, 1.0, 0, 0, None, 0, 0, None, None, -100.0, 0)
    # prospect: P2 lost (done); conversion: P1 and P2 were prospects, P1 converted
    assert by["prospect"] == (1, 1, 1.0, 0, 0, None, 2, 1, 0.5, None, None, 0)
    # regular: R1 complaint + check-back done, R3 open -> 2/3; R1 R2 R3 active, R2 lost;
    # R1's score 2; R3 overdue
    assert by["regular"] == (3, 2, 2 / 3, 3, 1, 1 / 3, 0, 0, None, 2.0, None, 1)
    # vip: V1 done, V2 missed; both active, none churned; V1 scored 4 and 10
    assert by["vip"] == (2, 1, 0.5, 2, 0, 0.0, 0, 0, None, 4.0, 100.0, 0)


def test_breakdown_by_channel_and_owner(cli, csv_file):
    scenario(cli, csv_file)
    rows = cli.json("report", *JANUARY, "--by", "channel")["breakdown"]
    by = {r["channel"]: pick(r) for r in rows}
    # closed by a contact without a channel: V2 (missed), R1 complaint, P1 x2, P2; R3 open
    assert by["(none)"] == (6, 4, 4 / 6, None, None, None, None, None, None, None, -100.0, 1)
    assert by["phone"] == (1, 1, 1.0, None, None, None, None, None, None, 4.0, 100.0, 0)
    assert by["wechat"] == (1, 1, 1.0, None, None, None, None, None, None, 2.0, None, 0)
    owners = {
        r["owner"]: pick(r) for r in cli.json("report", *JANUARY, "--by", "owner")["breakdown"]
    }
    # Li: V1 V2 P1 P2; Sam: R1 R2 R3
    assert owners["Li"][:3] == (5, 4, 0.8)
    assert owners["Sam"][:6] == (3, 2, 2 / 3, 3, 1, 1 / 3)


def test_breakdown_by_month_is_a_period_per_month(cli, csv_file):
    scenario(cli, csv_file)
    report = cli.json(
        "report",
        "--from",
        "2024-12-01",
        "--to",
        "2025-02-28",
        "--date",
        "2025-01-31",
        "--by",
        "month",
    )
    months = {r["month"]: r for r in report["breakdown"]}
    # February has not begun on 31 January: no data, no row (its calls are not failures yet)
    assert sorted(months) == ["2024-12", "2025-01"]
    # December: nothing due, but five customers were active and two prospects were added
    dec = months["2024-12"]
    assert pick(dec) == (0, 0, None, 5, 0, 0.0, 2, 0, 0.0, None, None, 0)
    jan = months["2025-01"]
    assert pick(jan) == (8, 6, 0.75, 5, 1, 0.2, 2, 1, 0.5, 3.0, 0.0, 1)
    assert jan["churn_risk"] is None
    combined = cli.json("report", *JANUARY, "--by", "tier", "--by", "month")
    assert [(r["tier"], r["month"]) for r in combined["breakdown"]] == [
        ("new", "2025-01"),
        ("prospect", "2025-01"),
        ("regular", "2025-01"),
        ("vip", "2025-01"),
    ]


def test_period_presets(cli):
    def period(*args):
        return cli.json("report", "--date", "2025-05-20", *args)["period"]

    assert period("--month", "2025-02") == {
        "from": "2025-02-01",
        "to": "2025-02-28",
        "as_of": "2025-05-20",
        "counted_to": "2025-02-28",
        "cut_short": False,
    }
    assert period("--quarter", "2025Q1")["to"] == "2025-03-31"
    assert period("--year", "2024") == {
        "from": "2024-01-01",
        "to": "2024-12-31",
        "as_of": "2025-05-20",
        "counted_to": "2024-12-31",
        "cut_short": False,
    }
    assert period("--last", "30d")["from"] == "2025-04-21"
    assert period()["from"] == "2025-05-01"


def test_report_bad_input(cli, tmp_path):
    cases = [
        (("--from", "2025-02-01", "--to", "2025-01-01"), "is after --to"),
        (("--by", "colour"), "cannot break down by 'colour'"),
        (("--month", "2025-13"), "is not a month"),
        (("--quarter", "2025Q5"), "is not a quarter"),
        (("--year", "25"), "is not a year"),
        (("--last", "3x"), "is not understood"),
        (("--month", "2025-01", "--year", "2025"), "choose one way"),
        (("--html", str(tmp_path / "no" / "r.html")), "does not exist"),
        (("--format", "csv", "--output", str(tmp_path / "no" / "r.csv")), "does not exist"),
    ]
    for args, text in cases:
        result = cli("report", *args, code=1)
        assert text in result.stderr and result.stderr.count("\n") == 1, (args, result.stderr)


def test_csv_and_json_round_trip_to_the_same_numbers(cli, csv_file, tmp_path):
    scenario(cli, csv_file)
    as_json = cli.json("report", *JANUARY, "--by", "tier")
    out = tmp_path / "report.csv"
    cli("report", *JANUARY, "--by", "tier", "--excel", "--output", str(out))
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Chinese text
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["tier"] for r in rows] == ["all", "new", "prospect", "regular", "vip"]
    for row, expected in zip(rows, [as_json["overall"], *as_json["breakdown"]], strict=True):
        for key in (
            "planned",
            "completed",
            "success_rate",
            "churn_rate",
            "conversion_rate",
            "csat_mean",
            "nps",
            "overdue",
        ):
            value = expected[key]
            if value is not None and key.endswith("_rate"):  # a file for a person: 75.0%
                assert row[key] == f"{100 * value:.1f}%", key
            else:
                assert row[key] == ("" if value is None else str(value)), key


GOLDEN = Path(__file__).parents[1] / "golden"


def check_golden(name: str, actual: str) -> None:
    """Compare with the committed file; FOLLOWUP_UPDATE_GOLDEN=1 rewrites it after a change."""
    path = GOLDEN / name
    if os.environ.get("FOLLOWUP_UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


def test_table_matches_the_golden_file(cli, csv_file, monkeypatch):
    monkeypatch.setenv("COLUMNS", "110")
    scenario(cli, csv_file)
    check_golden("report_by_tier.txt", cli("report", *JANUARY, "--by", "tier").stdout)


def test_html_page_is_self_contained_parses_and_has_its_charts(cli, csv_file, tmp_path):
    from html.parser import HTMLParser

    scenario(cli, csv_file)
    page = tmp_path / "report.html"
    out = cli("report", *JANUARY, "--by", "tier", "--html", str(page)).stdout
    assert out == f"Report written to {page}\n"
    text = page.read_text(encoding="utf-8")
    check_golden("report_by_tier.html", text)

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags: list[str] = []
            self.links: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            self.links += [v for k, v in attrs if k in ("src", "href") and v]

    parser = Collect()
    parser.feed(text)
    parser.close()
    assert parser.tags.count("svg") == 2 and parser.tags.count("rect") == 8
    assert "script" not in parser.tags and parser.links == []
    assert "75.0%" in text and "Success rate by tier" in text


def test_explain_says_what_each_figure_means(cli):
    out = cli("report", "--explain", "--date", "2025-01-31").stdout
    assert "What the figures mean:" in out
    assert "success rate: Of the follow-ups due in the period" in out


def test_export_history(cli, csv_file):
    scenario(cli, csv_file)
    rows = cli.json("export", "history")
    assert len(rows) == 10
    first = rows[0]
    assert (
        first["customer_id"],
        first["date"],
        first["outcome"],
        first["channel"],
        first["score"],
        first["followup_due"],
    ) == ("V1", "2025-01-05", "reached", "phone", 4, "2025-01-05")
    text = cli("export", "history").stdout
    assert text.splitlines()[0] == (
        "customer_id,name,date,outcome,channel,score,nps,note,owner,followup_due,"
        "followup_kind,logged_at,branch"
    )


def test_sql_customer_counts_match_the_reference_definitions(tmp_path):
    """storage.customer_counts must count exactly what metrics.count_customers defines."""
    from datetime import date, timedelta

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from followup_cli import storage
    from followup_cli.core import metrics
    from followup_cli.core.dates import Duration

    db = storage.open_db(tmp_path / "counts.db")
    intervals = {
        "vip": Duration(1, "m"),
        "regular": Duration(3, "m"),
        "new": Duration(3, "m"),
        "prospect": Duration(2, "w"),
    }
    day = st.dates(min_value=date(2023, 1, 1), max_value=date(2025, 12, 31))
    maybe = st.one_of(st.none(), day)
    customer = st.tuples(
        st.sampled_from(["vip", "regular", "new", "prospect"]),
        day,
        maybe,
        maybe,
        maybe,
        maybe,
        maybe,
        st.sampled_from(["Li", None]),
        st.booleans(),
        maybe,  # came back after being lost (used only when after the loss)
    )

    @settings(max_examples=60, derandomize=True, deadline=None)
    @given(
        people=st.lists(customer, max_size=25),
        start=day,
        span=st.integers(0, 120),
        as_of=day,
        window=st.sampled_from([Duration(365, "d"), Duration(1, "m"), Duration(6, "w")]),
    )
    def check(people, start, span, as_of, window):
        end = start + timedelta(days=span)
        db.execute("DELETE FROM customers")
        facts = []
        for n, (tier, added, first, last, success, converted, lost, owner, dnc, back) in enumerate(
            people
        ):
            back = back if lost and back and back > lost else None
            values = {
                "ref": f"R{n}",
                "name": "x",
                "tier": tier,
                "added": added.isoformat(),
                "first_purchase": first and first.isoformat(),
                "last_purchase": last and last.isoformat(),
                "last_success": success and success.isoformat(),
                "converted_on": converted and converted.isoformat(),
                "churned_on": lost and lost.isoformat(),
                "owner": owner,
                "do_not_contact": int(dnc),
                "status": "churned" if lost and not back else "active",
                "returned_on": back and back.isoformat(),
            }
            storage.insert_customer(db, values, "now")
            facts.append(
                metrics.CustomerFact(
                    tier,
                    added,
                    first,
                    last,
                    success,
                    converted,
                    lost,
                    owner or "(none)",
                    not dnc and not (lost and not back),
                    back,
                )
            )
        reference = metrics.with_lives(metrics.Facts([], facts, [], []), as_of, window, intervals)
        expected = metrics.customer_counts(reference, ["tier", "owner"], start, end)
        thresholds = metrics.churn_thresholds(start, end, as_of, window)
        rows = storage.customer_counts(
            db, ["tier", "owner"], start, end, thresholds, metrics.risk_thresholds(intervals, as_of)
        )
        actual = {
            (r["group_tier"], r["group_owner"]): metrics.CustomerCounts(
                r["active_at_start"], r["churned"], r["prospects"], r["converted"], r["churn_risk"]
            )
            for r in rows
        }
        assert actual == expected

    check()


def test_an_unknown_breakdown_lists_the_ones_there_are_in_the_readers_words(cli):
    from followup_cli import i18n

    i18n.set_language("zh_CN")
    try:
        result = cli("report", "--by", "性别", code=1)
    finally:
        i18n.set_language("en")
    assert result.stderr == (
        "followup：错误：不能按 '性别' 细分（可用：等级、负责人、渠道、月份、分层、门店）\n"
    )
    assert cli("report", "--by", "sex", code=1).stderr == (
        "followup: error: cannot break down by 'sex' (use tier, owner, channel, month, segment, "
        "branch)\n"
    )
