"""What a month of daily use by a shop owner broke, each fixed and held here."""

from __future__ import annotations

import json

import pytest
from test_report import scenario

# --- a period is counted up to the report date -------------------------------------------------


def test_a_month_still_running_counts_only_the_days_that_have_happened(cli, csv_file):
    scenario(cli, csv_file)
    # As of 15 January, due so far: V1 5th, P1 8th, R1 10th, P2 11th, R1's check-back 13th and
    # P1's 7-day call 15th, all with contact made: 6 of 6. V2's and R3's calls of the 20th are
    # not failures yet (counting them, as before, gave 6 of 8).
    report = cli.json("report", "--month", "2025-01", "--date", "2025-01-15")
    assert (report["overall"]["planned"], report["overall"]["completed"]) == (6, 6)
    assert report["overall"]["success_rate"] == 1.0
    assert report["period"] == {
        "from": "2025-01-01",
        "to": "2025-01-31",
        "as_of": "2025-01-15",
        "counted_to": "2025-01-15",
        "cut_short": True,
    }
    # R2's lost on the 15th counts: 1 of the 5 customers active on 1 January.
    assert (report["overall"]["churned"], report["overall"]["active_at_start"]) == (1, 5)
    same = cli.json("report", "--from", "2025-01-01", "--to", "2025-01-15", "--date", "2025-01-15")
    assert same["overall"] == report["overall"]
    title = cli("report", "--month", "2025-01", "--date", "2025-01-15").stdout.splitlines()[0]
    assert title.rstrip() == (
        "Report 2025-01-01 to 2025-01-31, counted up to 2025-01-15: the days after it have "
        "not happened yet"
    )


def test_a_period_wholly_in_the_future_has_no_data(cli, csv_file):
    scenario(cli, csv_file)
    report = cli.json("report", "--month", "2025-02", "--by", "tier", "--date", "2025-01-15")
    overall = report["overall"]
    assert overall["success_rate"] is None and overall["planned"] == 0
    assert overall["churn_rate"] is None and overall["active_at_start"] is None
    assert overall["conversion_rate"] is None
    assert report["breakdown"] == []
    assert report["period"]["counted_to"] is None and report["period"]["cut_short"] is True
    out = cli("report", "--year", "2026", "--date", "2025-01-15").stdout
    assert out.splitlines()[0].rstrip() == (
        "Report 2026-01-01 to 2026-12-31 (as of 2025-01-15): not begun yet, no data"
    )
    assert "0.0%" not in out


def test_a_monthly_breakdown_stops_at_the_report_date(cli, csv_file):
    scenario(cli, csv_file)
    rows = cli.json("report", "--quarter", "2025Q1", "--by", "month", "--date", "2025-01-15")
    # February and March have not begun: only January, counted to the 15th (6 of 6).
    assert [(r["month"], r["planned"], r["completed"]) for r in rows["breakdown"]] == [
        ("2025-01", 6, 6)
    ]


# --- data is never markup ---------------------------------------------------------------------

MARKUP_BODY = (
    "M1,Zhang [/] Wei,13800000011,,vip,2026-01-05,2026-10-20,2026-01-05,[bold]Li,\n"
    "M2,Ann [b]ig,13800000012,,regular,2025-01-05,2025-08-20,2025-01-05,Sam,[red]x[/red]\n"
)


def test_square_brackets_in_names_and_notes_are_shown_as_written(cli, csv_file):
    # Due: M1 (vip) a month after 20 Oct, M2 (regular) 3-monthly from 20 Aug 2025: both 20 Nov.
    cli("import", "customers", str(csv_file(MARKUP_BODY)), "--date", "2026-11-23")
    shown = cli("show", "M1").stdout
    assert shown.splitlines()[0].rstrip() == "Zhang [/] Wei"  # the title was a MarkupError
    assert "[bold]Li" in shown
    assert "Ann [b]ig" in cli("show", "M2").stdout and "[red]x[/red]" in cli("show", "M2").stdout
    today = cli("today", "--date", "2026-11-23").stdout
    assert "Zhang [/] Wei" in today and "Ann [b]ig" in today
    assert "Ann [b]ig" in cli("at-risk", "--date", "2026-11-23").stdout  # silent since August
    note = "[i]call after 6[/i]"
    logged = cli("log", "M2", "reached", "--note", note, "--date", "2026-11-23").stdout
    assert logged.startswith("Logged reached for M2 Ann [b]ig on 2026-11-23")
    assert note in cli("show", "M2").stdout
    assert "Zhang [/] Wei" in cli("upcoming", "--date", "2026-11-20").stdout
    assert "[bold]Li" in cli("report", "--date", "2026-11-23", "--by", "owner").stdout


# --- which database -----------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_a_new_database_from_a_mistyped_db_is_announced_once(cli, tmp_path, isolated_db):
    typo = tmp_path / "shop.bd"
    first = cli("--db", str(typo), "today", "--date", "2026-11-23")
    assert first.stderr == f"followup: created a new, empty database at {typo}\n"
    assert first.stdout == "Nothing due on 2026-11-23.\n"
    again = cli("--db", str(typo), "today", "--date", "2026-11-23")
    assert again.stderr == ""
    assert not isolated_db.exists()  # $FOLLOWUP_DB's file was never touched


@pytest.mark.sqlite_only
def test_an_empty_db_name_is_an_error_not_the_default(cli, isolated_db):
    for args in (("--db", "", "today"), ("today", "--db", ""), ("today", "--db", "  ")):
        err = cli(*args, code=2).stderr
        assert err.count("\n") == 1 and "give a database file name, not an empty one" in err
    assert not isolated_db.exists()


@pytest.mark.sqlite_only
def test_db_may_come_after_the_command(cli, csv_file, tmp_path, isolated_db):
    shop = tmp_path / "shop.db"
    body = "D1,Dora,13800000021,,vip,2026-01-05,2026-10-20,2026-01-05,Li,\n"
    cli("import", "customers", str(csv_file(body)), "--date", "2026-11-23", "--db", str(shop))
    listed = cli("today", "--date", "2026-11-23", "--db", str(shop), "--format", "json").stdout
    assert '"customer_id": "D1"' in listed
    # groups and their subcommands take it too; a note that reads "--db" is still a note
    assert "│ 1 " in cli("imports", "--db", str(shop)).stdout
    assert "D1,Dora" in cli("export", "customers", "--db", str(shop)).stdout
    logged = cli(
        "log", "D1", "reached", "--note", "--db", "--date", "2026-11-23", "--db", str(shop)
    )
    assert logged.stdout.startswith("Logged reached for D1 Dora on 2026-11-23")
    shown = json.loads(cli("show", "D1", "--db", str(shop), "--format", "json").stdout)
    assert [c["note"] for c in shown["history"]] == ["--db"]
    assert not isolated_db.exists()


# --- log: dates and double entries ---------------------------------------------------------------

ONE = "L1,Lena,13800000031,,vip,2024-01-05,2025-03-05,2024-01-05,Sam,\n"  # due 5 Apr 2025


def test_a_contact_after_today_is_refused(cli, csv_file):
    from datetime import date, timedelta

    cli("import", "customers", str(csv_file(ONE)), "--date", "2025-04-01")
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    for day in (tomorrow, "2030-01-01"):
        err = cli("log", "L1", "reached", "--date", day, code=1).stderr
        assert err == (
            f"followup: error: {day} is after today ({date.today().isoformat()}): only what "
            "has happened can be recorded\n"
        )
    assert cli.json("show", "L1")["history"] == []


def test_the_same_outcome_twice_on_one_day_needs_again(cli, csv_file):
    cli("import", "customers", str(csv_file(ONE)), "--date", "2025-04-01")
    cli("log", "L1", "no-answer", "--date", "2025-04-05")
    err = cli("log", "L1", "no-answer", "--date", "2025-04-05", code=1).stderr
    assert err == (
        "followup: error: L1 Lena already has no-answer logged on 2025-04-05: add --again to "
        "log a second one\n"
    )
    assert len(cli.json("show", "L1")["history"]) == 1
    # Another outcome the same day is not a double entry; --again logs the second call.
    cli("log", "L1", "no-answer", "--date", "2025-04-05", "--again")
    cli("log", "L1", "reached", "--date", "2025-04-05")
    assert [h["outcome"] for h in cli.json("show", "L1")["history"]] == [
        "no-answer",
        "no-answer",
        "reached",
    ]


# --- words typed in any case ---------------------------------------------------------------------


def test_outcomes_channels_ids_and_owners_in_any_case(cli, csv_file):
    cli("import", "customers", str(csv_file(ONE)), "--date", "2025-04-01")
    # vip due 5 Apr (a month after the last purchase on 5 Mar)
    assert [
        i["customer_id"] for i in cli.json("today", "--owner", "sam", "--date", "2025-04-05")
    ] == ["L1"]
    done = cli.json("log", "l1", "Reached", "--channel", "WeChat", "--date", "2025-04-05")
    assert (done["customer_id"], done["outcome"], done["next_due"]) == (
        "L1",
        "reached",
        "2025-05-05",
    )
    assert cli.json("show", "L1")["history"][0]["channel"] == "wechat"
    err = cli("today", "--owner", "Sammy", "--date", "2025-04-05", code=1).stderr
    assert err == "followup: error: no customer is followed up by 'Sammy' (owners: Sam)\n"


def test_a_missing_outcome_is_one_line(cli):
    err = cli("log", "C001", code=2).stderr
    assert err.count("\n") == 1 and err.startswith("followup: error: Missing argument 'outcome'.")


# --- lost customers who come back ----------------------------------------------------------------

TWO = (
    "R1,Rui,13800000041,,regular,2024-01-01,2024-12-01,2024-01-01,Li,\n"
    "R2,Ren,13800000042,,regular,2024-01-01,2024-12-15,2024-01-01,Li,\n"
)


def _churn(cli, *period: str) -> tuple[int, int]:
    overall = cli.json("report", *period)["overall"]
    return overall["churned"], overall["active_at_start"]


def test_an_imported_purchase_brings_a_lost_customer_back(cli, csv_file, tmp_path):
    cli("import", "customers", str(csv_file(TWO)), "--date", "2025-01-01")
    cli("log", "R1", "lost", "--date", "2025-02-01")
    february = ("--month", "2025-02", "--date", "2025-02-28")
    assert _churn(cli, *february) == (1, 2)  # R1 lost, of R1 and R2 active on 1 Feb
    sales = tmp_path / "sales.csv"
    sales.write_text("id,date,amount,order\nR1,2025-03-10,50,S-9\n", encoding="utf-8")
    out = cli("import", "purchases", str(sales), "--date", "2025-03-10").stdout
    assert "added 1, updated 1" in out
    rui = cli.json("show", "R1")
    assert (rui["status"], rui["churned_on"], rui["returned_on"]) == (
        "active",
        "2025-02-01",
        "2025-03-10",
    )
    # Planned again: a regular every 3 months from the last successful contact (the call of
    # 1 Feb in which they said they were gone): 1 May.
    assert (rui["last_purchase"], rui["next_due"]) == ("2025-03-10", "2025-05-01")
    cli("log", "R1", "reached", "--date", "2025-03-12")  # log no longer refuses them
    # The figures count the loss in February and the return after it: February keeps its
    # churn, April starts with both active, and the quarter (lost and back within it) none.
    assert _churn(cli, "--month", "2025-02", "--date", "2025-04-30") == (1, 2)
    assert _churn(cli, "--month", "2025-04", "--date", "2025-04-30") == (0, 2)
    assert _churn(cli, "--quarter", "2025Q1", "--date", "2025-04-30") == (0, 2)
    assert cli.json("at-risk", "--date", "2025-04-30") == []


def test_undoing_the_purchases_import_makes_them_lost_again(cli, csv_file, tmp_path):
    cli("import", "customers", str(csv_file(TWO)), "--date", "2025-01-01")
    cli("log", "R1", "lost", "--date", "2025-02-01")
    sales = tmp_path / "sales.csv"
    sales.write_text("id,date,amount,order\nR1,2025-03-10,50,S-9\n", encoding="utf-8")
    done = cli.json("import", "purchases", str(sales), "--date", "2025-03-10")
    cli("imports", "undo", "--yes", str(done["import_id"]), "--date", "2025-03-10")
    rui = cli.json("show", "R1")
    assert (rui["status"], rui["returned_on"], rui["next_due"]) == ("churned", None, None)


def test_a_till_export_with_a_newer_purchase_brings_them_back(cli, csv_file):
    cli("import", "customers", str(csv_file(TWO)), "--date", "2025-01-01")
    cli("log", "R1", "lost", "--date", "2025-02-01")
    newer = TWO.replace("2024-12-01,2024-01-01,Li", "2025-03-05,2024-01-01,Li")
    cli("import", "customers", str(csv_file(newer, name="later.csv")), "--date", "2025-03-06")
    rui = cli.json("show", "R1")
    assert (rui["status"], rui["returned_on"], rui["next_due"]) == (
        "active",
        "2025-03-05",
        "2025-05-01",
    )


def test_reactivate_by_hand(cli, csv_file):
    cli("import", "customers", str(csv_file(TWO)), "--date", "2025-01-01")
    cli("log", "R1", "lost", "--date", "2025-02-01")
    err = cli("log", "R1", "reached", "--date", "2025-02-10", code=1).stderr
    assert err == (
        "followup: error: customer R1 is marked lost (churned): 'followup reactivate R1' brings "
        "them back\n"
    )
    err = cli("reactivate", "R1", "--date", "2025-01-20", code=1).stderr
    assert (
        err
        == "followup: error: R1 was marked lost on 2025-02-01: they cannot be back on 2025-01-20\n"
    )
    out = cli("reactivate", "R1", "--date", "2025-02-10").stdout
    # 3 months after the last successful contact, the call of 1 Feb
    assert out == "R1 Rui is active again from 2025-02-10; next: 2025-05-01 (every 3 months)\n"
    assert cli.json("show", "R1")["returned_on"] == "2025-02-10"
    err = cli("reactivate", "R2", "--date", "2025-02-10", code=1).stderr
    assert err == "followup: error: R2 Ren is not marked lost: nothing to bring back\n"
    cli("log", "R1", "reached", "--date", "2025-02-11")
    # lost again later: the new loss counts, the earlier return is history
    cli("log", "R1", "lost", "--date", "2025-03-01")
    assert cli.json("show", "R1")["returned_on"] is None
    assert _churn(cli, "--month", "2025-03", "--date", "2025-03-31") == (1, 2)


def test_a_lost_prospect_who_buys_is_back_and_converted(cli, csv_file):
    cli(
        "import",
        "customers",
        str(csv_file("P1,Pia,13800000051,,prospect,,,2025-01-01,,\n")),
        "--date",
        "2025-01-01",
    )
    cli("log", "P1", "lost", "--date", "2025-01-10")
    pia = cli.json("log", "P1", "converted", "--date", "2025-02-03")
    # new customer: the 7-day call after the first purchase
    assert (pia["next_due"], pia["next_reason"]) == ("2025-02-10", "7 days after first purchase")
    shown = cli.json("show", "P1")
    assert (shown["status"], shown["tier"], shown["returned_on"]) == ("active", "new", "2025-02-03")


def test_converted_is_only_for_prospects(cli, csv_file):
    cli("import", "customers", str(csv_file(ONE)), "--date", "2025-04-01")
    err = cli("log", "L1", "converted", "--date", "2025-04-05", code=1).stderr
    assert err == (
        "followup: error: L1 is a vip customer, not a prospect: 'converted' is a prospect's "
        "first purchase (bring purchases in with 'followup import purchases')\n"
    )


# --- rules reset ---------------------------------------------------------------------------------


def test_rules_reset_puts_the_shop_options_back_too(cli, csv_file):
    cli("rules", "option", "phone_region", "GB")
    cli("rules", "option", "max_attempts", "4")
    out = cli("rules", "reset", "--yes", "--date", "2025-01-02").stdout
    assert out == (
        "Default rules restored, and the shop options too (max_attempts 4 -> 3, phone_region "
        "GB -> CN); 0 follow-ups re-planned\n"
    )
    options = cli.json("rules")["options"]
    assert (options["phone_region"], options["max_attempts"]) == ("CN", "3")
    # the next import reads phones without +code as Chinese again
    cli("import", "customers", str(csv_file("A1,An,138 0013 8001,,vip,,,2024-12-01,,\n")))
    assert cli.json("show", "A1")["phone"] == "+8613800138001"
    again = cli("rules", "reset", "--yes", "--date", "2025-01-02").stdout
    assert again == "Default rules restored, and the shop options too; 1 follow-ups re-planned\n"


# --- options are honoured or refused --------------------------------------------------------


def test_report_output_takes_its_format_from_the_file_name_or_is_refused(cli, csv_file, tmp_path):
    scenario(cli, csv_file)
    january = ("--month", "2025-01", "--date", "2025-01-31")
    text = tmp_path / "report.txt"
    err = cli("report", *january, "-o", str(text), code=2).stderr
    assert err == (
        f"followup: error: Invalid value for '--output': {text} needs --format csv or json (or a "
        "file name ending .csv or .json) (see 'followup report --help')\n"
    )
    assert not text.exists()
    as_csv = tmp_path / "report.csv"
    assert cli("report", *january, "-o", str(as_csv)).stdout == ""
    assert (
        as_csv.read_text(encoding="utf-8")
        .splitlines()[1]
        .startswith("2025-01-01,2025-01-31,8,6,0.75")
    )
    as_json = tmp_path / "report.json"
    cli("report", *january, "--output", str(as_json))
    assert '"success_rate": 0.75' in as_json.read_text(encoding="utf-8")


def test_an_export_as_a_table_is_refused(cli):
    for what in ("customers", "history"):
        err = cli("export", what, "--format", "table", code=2).stderr
        assert err == (
            "followup: error: Invalid value for '--format': an export is csv or json, not a "
            f"table (see 'followup export {what} --help')\n"
        )


# --- today --limit says how many there are -------------------------------------------------------


def test_a_limited_list_says_how_many_there_are_in_all(cli):
    from pathlib import Path

    example = str(Path(__file__).parents[2] / "examples" / "customers.csv")
    cli("import", "customers", example, "--date", "2026-11-23")
    on = ("--date", "2026-11-23")

    def title(*args: str) -> str:
        return cli("today", *on, *args).stdout.splitlines()[0].rstrip()

    # 23 due (README); the 6th is C015, 39 days over and late.
    assert title("--limit", "5") == "Follow-ups due on 2026-11-23: 5 of 23"
    assert title("--limit", "6") == "Follow-ups due on 2026-11-23: 6 of 23 (1 late)"
    assert title("--limit", "23") == "Follow-ups due on 2026-11-23: 23 (1 late)"
    assert title("--limit", "50") == "Follow-ups due on 2026-11-23: 23 (1 late)"
    # Li has 18 of them, Sam 5
    assert title("--limit", "3", "--owner", "li") == "Follow-ups due on 2026-11-23: 3 of 18"
    assert title("--limit", "5", "--owner", "Sam") == "Follow-ups due on 2026-11-23: 5"


# --- the first import of a neglected list is spread ----------------------------------------------


def _neglected(prefix: str) -> str:
    vips = "".join(
        f"{prefix}V{n},Vip {prefix}{n},1380000{prefix}1{n},,vip,2024-01-10,2025-02-10,"
        "2024-01-10,,\n"
        for n in range(1, 9)
    )
    regulars = "".join(
        f"{prefix}R{n},Reg {prefix}{n},1380000{prefix}2{n},,regular,2024-01-15,2024-12-15,"
        "2024-01-15,,\n"
        for n in range(1, 5)
    )
    return vips + regulars


def test_a_first_import_of_a_neglected_list_is_spread_over_the_coming_days(cli, csv_file):
    cli("rules", "option", "daily_capacity", "5")
    cli("rules", "option", "closed_weekdays", "fri")
    # As of Thursday 20 March 2025: eight VIPs last bought on 10 February, monthly, due on
    # 10 March; four regulars last bought 15 December, three-monthly, due 15 March (none
    # silent long enough to be a win-back).
    # All 12 are overdue, more than a day's capacity of 5: spread, VIPs first, Friday closed:
    # Thu 20th V1-V5, Sat 22nd V6-V8 R1 R2, Sun 23rd R3 R4.
    out = cli("import", "customers", str(csv_file(_neglected("1"))), "--date", "2025-03-20").stdout
    assert out.splitlines()[1] == (
        "First import: the 12 calls due now are spread over 3 open days, until 2025-03-23, at "
        "most 5 a day (option daily_capacity), most important first; 5 are on today's list."
    )

    def listed(day: str) -> list[str]:
        return [i["customer_id"] for i in cli.json("today", "--date", day)]

    assert listed("2025-03-20") == ["1V1", "1V2", "1V3", "1V4", "1V5"]
    assert listed("2025-03-21") == listed("2025-03-20")  # closed: nothing new
    assert listed("2025-03-22") == [f"1V{n}" for n in range(1, 9)] + ["1R1", "1R2"]
    last = cli.json("today", "--date", "2025-03-23")[-1]
    # moved to be called later, still due when it was due: 8 days over on the 23rd
    assert (last["customer_id"], last["due_date"], last["days_overdue"]) == ("1R4", "2025-03-15", 8)
    # a later import is not the first: what it plans stays where the cadence puts it
    again = cli(
        "import",
        "customers",
        str(csv_file(_neglected("2"), name="more.csv")),
        "--date",
        "2025-03-20",
    )
    assert len(again.stdout.splitlines()) == 1
    assert len(listed("2025-03-20")) == 5 + 12


def test_a_first_import_that_fits_in_a_day_stays_as_planned(cli):
    from pathlib import Path

    example = str(Path(__file__).parents[2] / "examples" / "customers.csv")
    # 23 due, 14 of them overdue: a normal day's work for a capacity of 20, not a backlog
    out = cli("import", "customers", example, "--date", "2026-11-23").stdout
    assert len(out.splitlines()) == 1
    assert len(cli.json("today", "--date", "2026-11-23")) == 23


# --- smaller things ------------------------------------------------------------------------------


def test_the_readme_log_example_matches_a_customer(cli):
    import re
    from pathlib import Path

    root = Path(__file__).parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    (phone,) = re.findall(r"followup log (\d{3}-\d{4}-\d{4}) no-answer", readme)
    cli("import", "customers", str(root / "examples" / "customers.csv"), "--date", "2026-11-23")
    assert cli.json("show", phone)["customer_id"] == "C002"


def test_a_negative_option_value_is_a_bad_value_not_an_unknown_option(cli):
    err = cli("rules", "option", "max_attempts", "-1", code=1).stderr
    assert err == "followup: error: max_attempts must be a whole number from 1 to 20\n"


@pytest.mark.sqlite_only
def test_restore_from_a_folder_and_backup_onto_itself_are_refused(cli, tmp_path, isolated_db):
    cli("rules")  # the database exists
    err = cli("restore", str(tmp_path), "--yes", code=1).stderr
    assert err == f"followup: error: {tmp_path} is a folder: give the backup file in it\n"
    for args in ((str(isolated_db),), (str(isolated_db), "--force")):
        err = cli("backup", *args, code=1).stderr
        assert err == (
            f"followup: error: {isolated_db} is the database itself: back up to another file\n"
        )
    assert cli("doctor").exit_code == 0


def test_export_into_a_pipe_closed_early_is_not_a_failure(csv_file, isolated_db):
    import os
    import subprocess
    import sys

    # 3 000 customers: more than a pipe holds, so `head -1` closes it while we still write
    body = "".join(
        f"B{n},Buyer {n},139{n:08d},,regular,2024-01-01,2025-01-01,2024-01-01,,notes {n}\n"
        for n in range(3000)
    )
    env = {**os.environ, "FOLLOWUP_DB": str(isolated_db)}
    run = [sys.executable, "-m", "followup_cli"]
    importing = [*run, "import", "customers", str(csv_file(body)), "--date", "2025-04-01", "-q"]
    subprocess.run(importing, env=env, check=True)
    shell = f"{' '.join(run)} export customers | head -1; exit ${{PIPESTATUS[0]}}"
    done = subprocess.run(["bash", "-c", shell], env=env, capture_output=True, text=True)
    (header,) = done.stdout.splitlines()  # the header line, all that head let through
    assert header.startswith("customer_id,name,phone,email,tier,") and "returned_on" in header
    assert (done.returncode, done.stderr) == (0, "")


def test_imports_leave_out_reimports_that_changed_nothing(cli, csv_file):
    path = str(csv_file("N1,Nia,13800000061,,vip,2024-01-05,2025-03-05,2024-01-05,,\n"))
    for day in ("2025-04-01", "2025-04-02", "2025-04-03"):
        cli("import", "customers", path, "--date", day)
    listed = cli.json("imports")
    assert [(i["id"], i["added"], i["unchanged"]) for i in listed] == [(1, 1, 0)]
    assert [i["id"] for i in cli.json("imports", "--all")] == [3, 2, 1]


def test_today_csv_has_every_field_json_has(cli, csv_file):
    import csv
    import io

    cli("import", "customers", str(csv_file(ONE)), "--date", "2025-04-01")
    as_json = cli.json("today", "--date", "2025-04-10")
    rows = list(
        csv.DictReader(io.StringIO(cli("today", "--date", "2025-04-10", "--format", "csv").stdout))
    )
    assert set(rows[0]) == set(as_json[0])
    # vip due 5 Apr, grace 2 weeks: overdue (not late) until 19 Apr
    assert (rows[0]["status"], rows[0]["late_after"], rows[0]["win_back"]) == (
        "overdue",
        "2025-04-19",
        "no",
    )


def test_one_customers_export_has_no_internal_row_numbers(cli, csv_file):
    cli("import", "customers", str(csv_file(ONE)), "--date", "2025-04-01")
    cli("log", "L1", "reached", "--date", "2025-04-05")
    data = json.loads(cli("export", "customer", "L1").stdout)
    assert data["customer"]["customer_id"] == "L1"
    for table in ("followups", "contacts"):
        assert data[table], table
        for row in data[table]:
            assert not {"id", "customer_id", "followup_id"} & row.keys(), row
