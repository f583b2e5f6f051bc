"""Report figures on a small hand-worked January, each number derived in the comments."""

from __future__ import annotations

import csv
import io

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
    cli("log", "V1", "reached", "--date", "2025-01-05", "--score", "4", "--nps", "10")
    for day in ("2025-01-20", "2025-01-22", "2025-01-24"):  # V2: 3 attempts -> missed
        cli("log", "V2", "no-answer", "--date", day)
    cli("log", "R1", "complaint", "--date", "2025-01-10")  # check-back due 13 Jan
    cli("log", "R1", "reached", "--date", "2025-01-13", "--score", "2")
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
    assert report["period"] == {"from": "2025-01-01", "to": "2025-01-31", "as_of": "2025-01-31"}
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
