"""Customers by hand: find, add, edit, merge, and `show` as a timeline, through the real CLI."""

from __future__ import annotations

from pathlib import Path

import dbtools
import pytest

EXAMPLE = str(Path(__file__).parents[2] / "examples" / "customers.csv")


def dump(db) -> list:
    """Every row of every table (customers without their update time stamp)."""
    conn = dbtools.connect(db)
    tables = dbtools.tables(conn)
    rows = []
    for table in tables:
        columns = [f'"{c}"' for c in dbtools.columns(conn, table) if c != "updated_at"]
        rows.append((table, conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()))
    conn.close()
    return rows


@pytest.fixture
def example(cli):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")


# --- find ---------------------------------------------------------------------------------------


def ids(found: list[dict]) -> list[tuple[str, str]]:
    return [(c["customer_id"], c["matched"]) for c in found]


def test_find_by_part_of_a_name_any_case_and_chinese(cli, example):
    assert ids(cli.json("find", "martin")) == [("C021", "name")]
    assert ids(cli.json("find", "MARTIN")) == [("C021", "name")]
    assert ids(cli.json("find", "王")) == [("C001", "name")]
    assert ids(cli.json("find", "陈静")) == [("C007", "name")]
    # "li" is in two names (Liam Wilson, Oliver Smith), then in three e-mails only
    # (zhulin@, linxin@, liangchen@): names first, each group by name
    assert ids(cli.json("find", "li")) == [
        ("C016", "name"),
        ("C003", "name"),
        ("C019", "email"),
        ("C026", "email"),
        ("C028", "email"),
    ]


def test_find_by_id_exact_first_then_ids_containing_it(cli, example):
    assert ids(cli.json("find", "c021")) == [("C021", "id")]
    found = cli.json("find", "C00", "--limit", "3")
    # nine ids contain C00; by name: Emma Johnson (C005), James Brown (C009), Oliver Smith (C003)
    assert ids(found) == [("C005", "id"), ("C009", "id"), ("C003", "id")]
    table = cli("find", "C00", "--limit", "3").stdout
    assert table.splitlines()[0].strip() == "3 of 9 customers matching 'C00'"


def test_find_by_the_last_digits_of_a_phone_or_the_whole_number(cli, example):
    assert ids(cli.json("find", "9002")) == [("C002", "phone")]
    # the number as people write it, separators and all
    assert ids(cli.json("find", "139-0013-9002")) == [("C002", "phone")]
    assert ids(cli.json("find", "+44 7700 900456")) == [("C009", "phone")]
    # three digits are too few to be a phone: only ids containing "002" match
    assert ids(cli.json("find", "002")) == [("C002", "id")]


def test_find_by_e_mail_and_its_csv_and_nothing_found(cli, example):
    assert ids(cli.json("find", "EXAMPLE.FR")) == [("C021", "email")]
    out = cli("find", "ava", "--format", "csv").stdout
    assert out.splitlines() == [
        "customer_id,name,phone,email,tier,owner,status,next_due,matched,branch",
        "C021,Ava Martin,+33612345621,ava.martin@example.fr,vip,Sam,active,2026-11-15,name,",
    ]
    assert cli("find", "nobody").stdout == "No customer matches 'nobody'.\n"
    assert cli.json("find", "nobody") == []
    err = cli("find", "   ", code=1).stderr
    assert err == (
        "followup: error: Give part of a name, an id, or the last 4 digits of a phone.\n"
    )


# --- add ----------------------------------------------------------------------------------------


def test_add_checks_like_an_import_and_plans_the_first_follow_up(cli, example):
    result = cli(
        "add", "陈静", "--phone", "139 1234 5678", "--tier", "VIP客户", "--owner", "Sam",
        "--date", "2026-11-23",
    )  # fmt: skip
    # a VIP with no contact and no purchase: monthly from the day added, 23 Dec
    assert result.stdout == "Added fu-1 陈静 (vip). Next: 2026-12-23 (every 1 month).\n"
    assert result.stderr == (
        "Note: C007 has the same name; if they are one person, 'followup merge C007 fu-1' "
        "joins them.\n"
    )
    shown = cli.json("show", "fu-1")
    assert (shown["phone"], shown["tier"], shown["owner"], shown["added"]) == (
        "+8613912345678",
        "vip",
        "Sam",
        "2026-11-23",
    )
    # a new customer by the shop's id, first purchase in the import's date forms:
    # added defaults to the first purchase, first call 7 days after it (27 Nov)
    done = cli.json(
        "add", "Zoe Hall", "--id", "C100", "--email", "Zoe@Example.com", "--tier", "new",
        "--first-purchase", "2026/11/20", "--date", "2026-11-23",
    )  # fmt: skip
    assert (done["email"], done["added"], done["first_purchase"], done["same_name"]) == (
        "zoe@example.com",
        "2026-11-20",
        "2026-11-20",
        [],
    )
    assert (done["next_due"], done["next_reason"]) == ("2026-11-27", "7 days after first purchase")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("Wang", "--phone", "138-0013-8001"),
            "phone +8613800138001 already belongs to C001 王芳: see 'followup show C001', "
            "or change that customer with 'followup edit C001'.",
        ),
        (
            ("Wang", "--id", "C001"),
            "id C001 already belongs to C001 王芳: see 'followup show C001', or change that "
            "customer with 'followup edit C001'.",
        ),
        (
            ("Wang", "--email", "WangFang@Example.com"),
            "e-mail wangfang@example.com already belongs to C001 王芳: see 'followup show C001', "
            "or change that customer with 'followup edit C001'.",
        ),
        (("Wang",), "needs an id, a phone or an e-mail"),
        (("Wang", "--email", "wang-at-home"), "e-mail 'wang-at-home' is not an e-mail address"),
        (("Wang", "--phone", "12"), "phone '12' is not a valid number for CN"),
        (
            ("Wang", "--phone", "13912340000", "--tier", "wholesale"),
            "unknown tier 'wholesale' (known: new, prospect, regular, vip)",
        ),
        (
            ("Wang", "--phone", "13912340000", "--first-purchase", "2027-01-01"),
            "first_purchase 2027-01-01 is in the future",
        ),
        (("  ", "--phone", "13912340000"), "name is empty"),
    ],
)
def test_add_refuses_what_an_import_refuses(cli, example, isolated_db, args, message):
    before = dump(isolated_db)
    err = cli("add", *args, "--date", "2026-11-23", code=1).stderr
    assert err == f"followup: error: {message}\n"
    assert dump(isolated_db) == before


# --- edit ---------------------------------------------------------------------------------------

SHOP = "R1,Li Lei,13800000002,,regular,,2024-10-10,,,\n"


def test_edit_tier_re_plans_and_the_change_is_kept(cli, csv_file):
    cli("import", "customers", str(csv_file(SHOP)), "--date", "2025-01-01")
    # regular every 3 months from the last purchase (10 Oct): due 10 Jan
    assert cli.json("show", "R1")["next_due"] == "2025-01-10"
    cli("rules", "set", "wholesale", "--every", "6w", "--date", "2025-01-01")
    out = cli("edit", "R1", "--tier", "wholesale", "--date", "2025-01-01").stdout
    # every 6 weeks from 10 Oct: 21 Nov, 2 Jan, 13 Feb; nearest to 1 Jan: 2 Jan
    assert out == (
        "Changed R1 Li Lei: tier: regular -> wholesale. Next: 2025-01-02 (every 6 weeks).\n"
    )
    timeline = cli.json("show", "R1")["timeline"]
    assert timeline[1] == {
        "date": "2025-01-01",
        "kind": "change",
        "field": "tier",
        "from": "regular",
        "to": "wholesale",
        "source": "edit",
    }
    # the same value again changes nothing and records nothing
    assert cli("edit", "R1", "--tier", "wholesale").stdout == "R1 Li Lei: nothing changed.\n"
    assert len(cli.json("show", "R1")["timeline"]) == len(timeline)


def test_edit_keeps_a_follow_up_under_way(cli, csv_file, isolated_db):
    cli("import", "customers", str(csv_file(SHOP)), "--date", "2025-01-01")
    cli("log", "R1", "no-answer", "--date", "2025-01-10")  # retry shows 12 Jan, attempt 1
    cli("edit", "R1", "--tier", "vip", "--date", "2025-01-11")
    conn = dbtools.connect(isolated_db)
    row = conn.execute(
        "SELECT due_date, show_date, attempts, rank FROM followups WHERE status = 'open'"
    ).fetchone()
    assert row == ("2025-01-10", "2025-01-12", 1, 10)  # rank 10: VIPs lead the list now


def test_edit_id_phone_name_and_clearing_an_optional_field(cli, example):
    out = cli(
        "edit", "C002", "--id", "C102", "--name", "李 娜", "--phone", "139 0013 9099",
        "--notes", "", "--date", "2026-11-24",
    ).stdout  # fmt: skip
    assert out == (
        "Changed C102 李 娜: id: C002 -> C102; name: 李娜 -> 李 娜; phone: +8613900139002 -> "
        "+8613900139099; notes: Prefers WeChat -> -. Next: 2026-11-30 (every 1 month).\n"
    )
    shown = cli.json("show", "C102")
    assert (shown["phone"], shown["notes"]) == ("+8613900139099", None)
    changes = [(e["field"], e["from"], e["to"]) for e in shown["timeline"] if e["kind"] == "change"]
    assert changes == [
        ("id", "C002", "C102"),
        ("name", "李娜", "李 娜"),
        ("phone", "+8613900139002", "+8613900139099"),
        ("notes", "Prefers WeChat", None),
    ]
    cli("show", "C002", code=1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("C002", "--phone", "138 0013 8001"),
            "phone +8613800138001 already belongs to C001 王芳: if they are one person, use "
            "'followup merge'.",
        ),
        (("C002", "--name", ""), "--name cannot be empty."),
        (("C002", "--tier", ""), "--tier cannot be empty."),
        (("C002",), "Nothing to change: give at least one option, e.g. --tier vip."),
        (
            ("C002", "--last-purchase", "2020-01-01"),
            "last_purchase 2020-01-01 is before first_purchase 2024-02-01",
        ),
        (("nobody", "--tier", "vip"), "no customer matches 'nobody'"),
    ],
)
def test_edit_refuses_bad_values_and_changes_nothing(cli, example, isolated_db, args, message):
    before = dump(isolated_db)
    err = cli("edit", *args, "--date", "2026-11-24", code=1).stderr
    assert err.startswith(f"followup: error: {message}")
    assert dump(isolated_db) == before


def test_an_impossible_date_in_edit_is_a_usage_error_and_changes_nothing(cli, example, isolated_db):
    before = dump(isolated_db)
    err = cli("edit", "C002", "--added", "2026-02-30", "--date", "2026-11-24", code=2).stderr
    assert err == (
        "followup: error: --added '2026-02-30' is not a valid date (use 2026-11-05, 2026/11/05, "
        "2026年11月5日, 11月5日, today, 今天)\n"
    )
    assert dump(isolated_db) == before


def test_assign_is_on_the_timeline(cli, example):
    cli("assign", "C001", "--owner", "Sam", "--date", "2026-11-24")
    changes = [e for e in cli.json("show", "C001")["timeline"] if e["kind"] == "change"]
    assert changes == [
        {
            "date": "2026-11-24",
            "kind": "change",
            "field": "owner",
            "from": "Li",
            "to": "Sam",
            "source": "assign",
        }
    ]


# --- show as a timeline -------------------------------------------------------------------------


def test_show_tells_the_story_in_date_order_with_spend_as_money(cli, csv_file, tmp_path):
    cli(
        "import",
        "customers",
        str(csv_file("P1,Pat Green,13800000005,,prospect,,,2025-01-01,Li,\n")),
    )
    sales = tmp_path / "sales.csv"
    sales.write_text("id,date,amount,order\nP1,2025-01-20,1280,A-17\nP1,2025-02-03,99.5,A-31\n")
    cli("log", "P1", "reached", "--date", "2025-01-15", "--channel", "wechat", "--note", "keen")
    cli("import", "purchases", str(sales), "--date", "2025-02-05")
    cli("assign", "P1", "--owner", "Sam", "--date", "2025-02-06")
    cli("edit", "P1", "--tier", "vip", "--date", "2025-02-07")
    record = cli.json("show", "P1")
    assert record["spend"] == 1379.5
    assert record["timeline"] == [
        {"date": "2025-01-01", "kind": "added"},
        {
            "date": "2025-01-15",
            "kind": "contact",
            "contact_id": 1,
            "outcome": "reached",
            "channel": "wechat",
            "note": "keen",
            "owner": "Li",
            "score": None,
            "nps": None,
        },
        {"date": "2025-01-20", "kind": "purchase", "amount": 1280.0, "order": "A-17"},
        {"date": "2025-02-03", "kind": "purchase", "amount": 99.5, "order": "A-31"},
        {
            "date": "2025-02-06",
            "kind": "change",
            "field": "owner",
            "from": "Li",
            "to": "Sam",
            "source": "assign",
        },
        {
            "date": "2025-02-07",
            "kind": "change",
            "field": "tier",
            "from": "new",
            "to": "vip",
            "source": "edit",
        },
        # VIP every month from the last successful contact (15 Jan): 15 Feb
        {"date": "2025-02-15", "kind": "planned", "reason": "every 1 month"},
    ]
    text = cli("show", "P1").stdout
    assert "│ spend          │ 1,379.50" in text
    lines = [
        " ".join(line.strip("│ ").split()) for line in text.splitlines() if line.startswith("│ 20")
    ]
    assert lines == [
        "2025-01-01 │ added",
        "2025-01-15 │ reached │ wechat; keen; contact 1",
        "2025-01-20 │ purchase │ 1,280.00 order A-17",
        "2025-02-03 │ purchase │ 99.50 order A-31",
        "2025-02-06 │ owner changed │ Li -> Sam",
        "2025-02-07 │ tier changed │ new -> vip",
        "2025-02-15 │ next follow-up │ every 1 month",
    ]


# --- merge --------------------------------------------------------------------------------------

TWO_RECORDS = (
    "W1,Wang Fang,13800000001,,vip,2024-01-05,2024-12-10,,Li,likes oolong\n"
    "W2,王芳,,wang@example.com,regular,2023-06-01,2024-11-02,,Sam,office orders\n"
)


def test_merge_keeps_both_histories_and_one_open_follow_up(cli, csv_file, tmp_path, isolated_db):
    cli("import", "customers", str(csv_file(TWO_RECORDS)), "--date", "2025-01-01")
    sales = tmp_path / "sales.csv"
    sales.write_text(
        "email,date,amount,order\nwang@example.com,2024-11-02,300,B-1\n"
        "wang@example.com,2024-11-20,50,B-2\n"
    )
    cli("import", "purchases", str(sales), "--date", "2025-01-01")
    # the same sale once more, filed under the other record (by phone): one sale after merging
    again = tmp_path / "again.csv"
    again.write_text("phone,date,amount,order\n13800000001,2024-11-02,300,B-1\n")
    cli("import", "purchases", str(again), "--date", "2025-01-01")
    assert cli.json("show", "W1")["spend"] == 300.0
    cli("log", "W2", "no-answer", "--date", "2025-01-02", "--note", "busy")
    out = cli("merge", "W1", "W2", "--yes", "--date", "2025-01-03").stdout
    # W1 is a VIP: monthly from its last purchase (10 Dec), nearest to 3 Jan: 10 Jan
    assert out == "Merged W2 into W1 Wang Fang. Next: 2025-01-10 (every 1 month).\n"
    shown = cli.json("show", "W1")
    assert {k: shown[k] for k in ("phone", "email", "tier", "owner", "first_purchase")} == {
        "phone": "+8613800000001",
        "email": "wang@example.com",
        "tier": "vip",
        "owner": "Li",
        "first_purchase": "2023-06-01",  # the earlier of the two
    }
    assert (shown["notes"], shown["spend"]) == ("likes oolong\noffice orders", 350.0)
    kinds = [(e["date"], e["kind"], e.get("field")) for e in shown["timeline"]]
    assert kinds == [
        ("2023-06-01", "added", None),  # the earlier of the two
        ("2024-11-02", "purchase", None),
        ("2024-11-20", "purchase", None),
        ("2025-01-02", "contact", None),
        ("2025-01-03", "change", "merged"),
        ("2025-01-03", "change", "email"),  # W1 had none
        ("2025-01-03", "change", "notes"),  # both kept
        ("2025-01-03", "change", "first_purchase"),
        ("2025-01-03", "change", "added"),
        ("2025-01-10", "planned", None),
    ]
    merged = shown["timeline"][4]
    assert (merged["field"], merged["from"]) == ("merged", "W2 王芳 wang@example.com")
    cli("show", "W2", code=1)
    conn = dbtools.connect(isolated_db)
    assert conn.execute("SELECT COUNT(*) FROM followups WHERE status = 'open'").fetchone() == (1,)
    assert conn.execute("SELECT COUNT(*) FROM customers").fetchone() == (1,)
    # the purchase facts behind rhythm and segments cover the joined history: 2 days, 350
    assert conn.execute("SELECT days, spend FROM purchase_stats").fetchall() == [(2, 350.0)]
    assert cli("doctor").stdout.endswith("no problems found\n")


def test_merge_carries_a_do_not_contact_and_refuses_nonsense(cli, csv_file, isolated_db):
    cli("import", "customers", str(csv_file(TWO_RECORDS)), "--date", "2025-01-01")
    cli("optout", "W2", "--date", "2025-01-02")
    before = dump(isolated_db)
    assert cli("merge", "W1", "W1", "--yes", code=1).stderr == (
        "followup: error: W1 and W1 are the same customer (W1).\n"
    )
    assert cli("merge", "W1", "nobody", "--yes", code=1).stderr.startswith(
        "followup: error: no customer matches 'nobody'"
    )
    assert cli("merge", "W1", "W2", code=1).stderr == (
        "followup: error: not on a terminal to ask 'Merge W2 王芳 into W1 Wang Fang, and remove "
        "W2 王芳?': add --yes to go ahead\n"
    )
    assert dump(isolated_db) == before
    cli("merge", "W1", "W2", "--yes", "--date", "2025-01-03")
    shown = cli.json("show", "W1")
    assert (shown["do_not_contact"], shown["next_due"]) == (True, None)
    assert cli.json("today", "--date", "2025-02-01") == []


def test_tier_and_owner_changed_by_an_import_are_on_the_timeline_until_it_is_undone(cli, csv_file):
    cli("import", "customers", str(csv_file(SHOP)), "--date", "2025-01-01")
    changed = csv_file("R1,Li Lei,13800000002,,VIP客户,,2024-10-10,,Sam,\n", name="again.csv")
    cli("import", "customers", str(changed), "--date", "2025-01-05")
    changes = [
        (e["date"], e["field"], e["from"], e["to"], e["source"])
        for e in cli.json("show", "R1")["timeline"]
        if e["kind"] == "change"
    ]
    assert changes == [
        ("2025-01-05", "tier", "regular", "vip", "import"),
        ("2025-01-05", "owner", None, "Sam", "import"),
    ]
    second = cli.json("imports")[0]["id"]
    cli("imports", "undo", "--yes", str(second), "--date", "2025-01-05")
    shown = cli.json("show", "R1")
    assert (shown["tier"], shown["owner"]) == ("regular", None)
    assert [e for e in shown["timeline"] if e["kind"] == "change"] == []


def test_add_maps_a_member_level_as_an_import_does(cli, example):
    # "gold" is in the level table (金卡/gold -> vip): a hand-typed level reads the same way
    done = cli.json(
        "add", "Kim", "--phone", "13912340000", "--tier", "Gold", "--date", "2026-11-23"
    )
    assert done["tier"] == "vip"
    err = cli("edit", "C001", "--email", "not-an-address", code=1).stderr
    assert err == "followup: error: e-mail 'not-an-address' is not an e-mail address\n"


def test_find_and_timeline_fit_a_60_column_window(cli, example, monkeypatch):
    cli("log", "C001", "complaint", "--note", "茶具有裂纹，要求换货并且希望下次提前通知",
        "--channel", "wechat", "--date", "2026-11-23")  # fmt: skip
    monkeypatch.setenv("COLUMNS", "60")
    from followup_cli.text import text_width

    for args in (("find", "li"), ("show", "C001"), ("find", "王")):
        out = cli(*args).stdout
        assert max(text_width(line) for line in out.splitlines()) <= 60, args
    found = cli("find", "li").stdout
    assert "│ C019 │ 朱琳 " in found and "│ +8615300153019 │" in found  # whole, never broken


def test_an_access_request_export_includes_the_recorded_changes(cli, example):
    import json

    cli("edit", "C001", "--tier", "regular", "--date", "2026-11-24")
    data = json.loads(cli("export", "customer", "C001").stdout)
    assert [(c["date"], c["field"], c["old"], c["new"], c["source"]) for c in data["changes"]] == [
        ("2026-11-24", "tier", "vip", "regular", "edit")
    ]


def test_find_folds_accented_letters_and_takes_wildcards_literally(cli, example):
    cli("add", "Élodie Durand", "--phone", "+33 6 11 22 33 44", "--date", "2026-11-23")
    assert ids(cli.json("find", "élodie")) == [("fu-1", "name")]
    assert ids(cli.json("find", "ÉLODIE")) == [("fu-1", "name")]
    assert ids(cli.json("find", "lodie d")) == [("fu-1", "name")]
    # % and _ are characters here, not SQL wildcards: nobody has them
    assert cli.json("find", "%") == []
    assert cli.json("find", "_") == []


def test_tiers_applied_from_suggestions_are_on_the_timeline(cli, csv_file, tmp_path):
    from test_purchases_drive import _value_shop

    _value_shop(cli, csv_file, tmp_path)  # K01 scores 555 as a regular: suggested vip
    cli("tiers", "suggest", "--apply", "--date", "2026-06-10")
    changes = [e for e in cli.json("show", "K01")["timeline"] if e["kind"] == "change"]
    assert changes == [
        {
            "date": "2026-06-10",
            "kind": "change",
            "field": "tier",
            "from": "regular",
            "to": "vip",
            "source": "suggest",
        }
    ]
