"""The morning loop end to end through the real CLI: import, today, log, show, export."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import dbtools
import pytest

from followup_cli.storage import SCHEMA_VERSION

EXAMPLE = str(Path(__file__).parents[2] / "examples" / "customers.csv")


def dump(db, skip: tuple[str, ...] = ()) -> list:
    """Every row of every table, to prove a failed command changed nothing."""
    conn = dbtools.connect(db)
    tables = [r[0] for r in [(t,) for t in dbtools.tables(conn)] if r[0] not in skip]
    rows = [(t, conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()) for t in sorted(tables)]
    conn.close()
    return rows


def test_example_file_imports_and_today_lists_vips_first(cli, isolated_db):
    result = cli("import", "customers", EXAMPLE, "--date", "2026-11-23")
    assert result.stdout.strip().endswith("read 36, added 36, updated 0, unchanged 0, rejected 0")
    items = cli.json("today", "--date", "2026-11-23")
    assert len(items) == 23
    first = items[0]
    # Ava Martin, VIP, last bought 15 Oct: monthly cadence due 15 Nov, 8 days late
    assert {
        k: first[k]
        for k in ("customer_id", "name", "tier", "due_date", "days_overdue", "reason", "phone")
    } == {
        "customer_id": "C021",
        "name": "Ava Martin",
        "tier": "vip",
        "due_date": "2026-11-15",
        "days_overdue": 8,
        "reason": "every 1 month",
        "phone": "+33612345621",
    }
    # overdue items (any tier) come before everything due today
    late = [i["days_overdue"] > 0 for i in items]
    assert late == sorted(late, reverse=True)
    due_today = [i["customer_id"] for i in items if i["days_overdue"] == 0]
    assert due_today[0] == "C014"  # a VIP
    # re-importing the same file changes nothing
    before = dump(isolated_db, skip=("imports",))
    again = cli("import", "customers", EXAMPLE, "--date", "2026-11-24")
    assert "added 0, updated 0, unchanged 36, rejected 0" in again.stdout
    assert dump(isolated_db, skip=("imports",)) == before


def test_today_filters_by_owner_and_limit(cli):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23")
    sam = cli.json("today", "--date", "2026-11-23", "--owner", "Sam")
    assert [i["customer_id"] for i in sam] == ["C021", "C009", "C005", "C033", "C012"]
    top = cli.json("today", "--date", "2026-11-23", "--limit", "2")
    assert [i["customer_id"] for i in top] == ["C021", "C001"]
    csv_out = cli("today", "--date", "2026-11-23", "--limit", "1", "--format", "csv").stdout
    assert csv_out.splitlines()[1].startswith("C021,Ava Martin,+33612345621,vip,Sam,2026-11-15,8,")


def test_vip_reached_on_31_january_is_next_due_28_february(cli, csv_file):
    cli(
        "import",
        "customers",
        str(csv_file("V1,Wang,13800000001,,vip,2024-01-05,2024-12-31,,,\n")),
        "--date",
        "2025-01-01",
    )
    assert cli.json("show", "V1")["next_due"] == "2025-01-31"
    out = cli.json("log", "V1", "reached", "--date", "2025-01-31", "--note", "happy")
    assert (out["status"], out["next_due"]) == ("done", "2025-02-28")
    shown = cli.json("show", "V1")
    assert shown["next_due"] == "2025-02-28"
    assert shown["history"] == [
        {
            "date": "2025-01-31",
            "outcome": "reached",
            "channel": None,
            "score": None,
            "nps": None,
            "note": "happy",
            "owner": None,
        }
    ]


def test_no_answer_retries_twice_then_the_follow_up_is_missed(cli, csv_file):
    cli(
        "import",
        "customers",
        str(csv_file("R1,Li,13800000002,,regular,,2024-10-10,,,\n")),
        "--date",
        "2025-01-01",
    )
    assert cli.json("show", "R1")["next_due"] == "2025-01-10"
    assert cli.json("log", "R1", "no-answer", "--date", "2025-01-10")["next_due"] == "2025-01-12"
    assert cli.json("today", "--date", "2025-01-11") == []
    item = cli.json("today", "--date", "2025-01-12")[0]
    assert (item["due_date"], item["days_overdue"], item["attempts"]) == ("2025-01-10", 2, 1)
    assert cli.json("log", "R1", "no-answer", "--date", "2025-01-12")["next_due"] == "2025-01-14"
    out = cli.json("log", "R1", "no-answer", "--date", "2025-01-14")
    # missed; the cadence moves on from the same anchor: 10 Oct + 6 months
    assert (out["status"], out["next_due"]) == ("missed", "2025-04-10")


def test_complaint_plans_a_check_back_that_leads_the_list(cli, csv_file):
    body = "A,Ann,13800000003,,vip,,2024-12-05,,,\nB,Bo,13800000004,,regular,,2024-10-01,,,\n"
    cli("import", "customers", str(csv_file(body)), "--date", "2025-01-01")
    out = cli.json("log", "B", "complaint", "--date", "2025-01-02", "--note", "cracked cup")
    assert (out["status"], out["next_due"], out["next_reason"]) == (
        "done",
        "2025-01-05",
        "check-back after complaint",
    )
    items = cli.json("today", "--date", "2025-01-05")
    assert [(i["customer_id"], i["kind"]) for i in items] == [("B", "check-back"), ("A", "cadence")]
    assert items[0]["last_note"] == "cracked cup"
    assert cli.json("log", "B", "reached", "--date", "2025-01-05")["next_due"] == "2025-04-05"


def test_converted_prospect_becomes_new_and_starts_the_new_customer_steps(cli, csv_file):
    cli(
        "import",
        "customers",
        str(csv_file("P,Pat,13800000005,,潜在客户,,,2025-01-01,,\n")),
        "--date",
        "2025-01-01",
    )
    assert cli.json("show", "P")["next_due"] == "2025-01-15"
    out = cli.json("log", "P", "converted", "--date", "2025-01-15")
    assert (out["next_due"], out["next_reason"]) == ("2025-01-22", "7 days after first purchase")
    shown = cli.json("show", "P")
    assert (shown["tier"], shown["first_purchase"], shown["converted_on"]) == (
        "new",
        "2025-01-15",
        "2025-01-15",
    )


def test_lost_and_opted_out_customers_are_never_listed_again(cli, csv_file):
    body = "A,Ann,13800000003,,vip,,2024-12-05,,,\nB,Bo,13800000004,,vip,,2024-12-05,,,\n"
    cli("import", "customers", str(csv_file(body)), "--date", "2025-01-01")
    cli("log", "A", "lost", "--date", "2025-01-05")
    cli("log", "B", "opt-out", "--date", "2025-01-05")
    assert cli.json("today", "--date", "2025-06-01") == []
    assert cli.json("show", "A")["status"] == "churned"
    assert cli.json("show", "B")["do_not_contact"] is True
    err = cli("log", "B", "reached", "--date", "2025-01-06", code=1).stderr
    assert err == "followup: error: customer B asked not to be contacted\n"
    # the flag survives a re-import of the till's file
    cli("import", "customers", str(csv_file(body)), "--date", "2025-01-07")
    assert cli.json("show", "B")["do_not_contact"] is True


def test_a_name_shared_by_two_customers_is_refused_with_both_listed(cli, csv_file, isolated_db):
    body = "A,Wang Wei,13800000003,,,,,,,\nB,Wang Wei,13800000004,,,,,,,\n"
    cli("import", "customers", str(csv_file(body)), "--date", "2025-01-01")
    before = dump(isolated_db)
    err = cli("log", "Wang Wei", "reached", code=1).stderr
    assert err.startswith("followup: error: 2 customers match 'Wang Wei': A Wang Wei")
    assert err.count("\n") == 1
    assert dump(isolated_db) == before
    # a phone in any layout finds the one customer
    assert cli.json("show", "138-0000-0004")["customer_id"] == "B"


def test_bad_input_is_one_line_nonzero_and_changes_nothing(cli, csv_file, isolated_db):
    cli(
        "import",
        "customers",
        str(csv_file("A,Ann,13800000003,,vip,,2024-12-05,,,\n")),
        "--date",
        "2025-01-01",
    )
    before = dump(isolated_db)
    cases = [
        (("log", "nobody", "reached"), 1, "no customer matches 'nobody'"),
        (("log", "A", "delighted"), 2, "Invalid value for 'outcome'"),
        (("log", "A", "reached", "--date", "2025-02-31"), 2, "'2025-02-31' is not a valid date"),
        (("log", "A", "reached", "--score", "6"), 2, "Invalid value for '--score'"),
        (("today", "--date", "next week"), 2, "'next week' is not a valid date"),
        (("import", "customers", "missing.csv"), 4, "does not exist"),
        (("report", "--from", "2025-02-01", "--to", "2025-01-01"), 1, "is after --to"),
        (("export", "customers", "--output", "/no/such/dir/x.csv"), 1, "does not exist"),
    ]
    for args, code, text in cases:
        result = cli(*args, code=code)
        assert text in result.stderr, (args, result.stderr)
        assert result.stderr.count("\n") == 1, (args, result.stderr)
        assert result.stdout == ""
    assert dump(isolated_db) == before


def test_rejected_rows_are_reported_with_line_numbers_and_the_rest_imported(cli, csv_file):
    body = (
        "A,Ann,13800000003,,vip,,2024-12-05,,,\n"
        ",,13800000009,,,,,,,\n"
        "C,Cy,,,bronze,,,,,\n"
        "D,Di,,,,2025-02-31,,,,\n"
        "E,Ed,,not-an-email,,,,,,\n"
        "A,Ann again,,,,,,,,\n"
    )
    result = cli("import", "customers", str(csv_file(body)), "--date", "2025-03-01", code=3)
    lines = [line.split(": ", 1)[1] for line in result.stderr.splitlines()]
    # only the impossible date rejects its row; the bad e-mail is left out (the row has an
    # id), the nameless row is named from its phone, a second row for A merges into it
    assert lines == [
        "line 5: first_purchase: date '2025-02-31' does not exist",
        "line 6: column 'email': e-mail 'not-an-email' is not an e-mail address: left out",
    ]
    assert (
        "read 6, added 4, updated 0, unchanged 0, rejected 1, merged 1, "
        "named from nickname/phone/e-mail 1" in result.stdout
    )
    assert "1 rows had a level the level table does not know (bronze ×1)" in result.stdout
    stored = {c["customer_id"]: c for c in cli.json("export", "customers")}
    assert sorted(stored) == ["A", "C", "E", "fu-1"]
    assert (stored["A"]["name"], stored["C"]["tier"], stored["E"]["email"]) == (
        "Ann again",
        "regular",
        None,
    )


def test_export_neutralises_formulas_but_keeps_phones(cli, csv_file, tmp_path):
    body = 'X,"=HYPERLINK(""http://x"")",+44 7700 900123,,,,,,,-5 discount\n'
    cli("import", "customers", str(csv_file(body)), "--date", "2025-01-01")
    out = tmp_path / "out.csv"
    cli("export", "customers", "--output", str(out))
    row = out.read_text(encoding="utf-8").splitlines()[1]
    assert row.startswith("""X,"'=HYPERLINK(""http://x"")",+447700900123,""")
    assert row.endswith(",'-5 discount,,")  # notes, then extra and branch (empty)
    data = json.loads(cli("export", "customers", "--format", "json").stdout)
    assert data[0]["name"] == '=HYPERLINK("http://x")'  # JSON keeps the value as it is


@pytest.mark.sqlite_only
def test_database_is_private_and_versioned(cli, isolated_db):
    cli("today")
    assert stat.S_IMODE(isolated_db.stat().st_mode) == 0o600
    conn = dbtools.connect(isolated_db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    err = cli("today", code=1).stderr
    assert "written by a newer followup" in err


@pytest.mark.sqlite_only
def test_db_option_beats_the_environment(cli, tmp_path, isolated_db):
    other = tmp_path / "other.db"
    cli("--db", str(other), "today")
    assert other.exists() and not isolated_db.exists()
    err = cli("--db", str(tmp_path / "missing" / "x.db"), "today", code=1).stderr
    assert "does not exist" in err
