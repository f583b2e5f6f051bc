"""`followup undo`: a logged contact taken back, the database exactly as it was before it."""

from __future__ import annotations

import dbtools
import pytest

SHOP = (
    "V1,Wang Fang,13800000001,,vip,2024-01-05,2024-12-10,,,\n"
    "R1,Li Lei,13800000002,,regular,,2024-10-10,,,\n"
    "P1,Pat,13800000005,,潜在客户,,,2025-01-01,,\n"
)


def state(db) -> dict[str, list]:
    """Customers (without the update time stamp), follow-ups, contacts and undo records."""
    conn = dbtools.connect(db)
    customer_columns = [c for c in dbtools.columns(conn, "customers") if c != "updated_at"]
    found = {
        "customers": conn.execute(
            f"SELECT {', '.join(customer_columns)} FROM customers ORDER BY id"
        ).fetchall(),
        "followups": conn.execute("SELECT * FROM followups ORDER BY id").fetchall(),
        "contacts": conn.execute("SELECT * FROM contacts ORDER BY id").fetchall(),
        "log_undo": conn.execute("SELECT contact_id FROM log_undo ORDER BY 1").fetchall(),
    }
    conn.close()
    return found


def open_followups(db) -> list[tuple]:
    conn = dbtools.connect(db)
    rows = conn.execute(
        "SELECT c.ref, f.due_date, f.show_date, f.kind, f.attempts FROM followups f "
        "JOIN customers c ON c.id = f.customer_id WHERE f.status = 'open' ORDER BY c.ref"
    ).fetchall()
    conn.close()
    return rows


@pytest.fixture
def shop(cli, csv_file):
    cli("import", "customers", str(csv_file(SHOP)), "--date", "2025-01-01")


@pytest.mark.parametrize(
    ("key", "outcome", "day"),
    [
        ("V1", "reached", "2025-01-10"),  # closes the due follow-up, plans the next month
        ("R1", "no-answer", "2025-01-10"),  # a retry: attempts 1, shows again 2 days later
        ("R1", "complaint", "2025-01-10"),  # closes it, plans a check-back
        ("P1", "converted", "2025-01-15"),  # prospect -> new, new-customer steps planned
        ("V1", "lost", "2025-01-10"),  # churned, nothing planned
        ("V1", "opt-out", "2025-01-03"),  # before it was due: the follow-up is cancelled
        ("V1", "reached", "2025-01-03"),  # before due: the open follow-up re-planned from it
    ],
)
def test_undo_puts_every_row_back_as_it_was(cli, shop, isolated_db, key, outcome, day):
    before = state(isolated_db)
    logged = cli.json("log", key, outcome, "--date", day)
    assert state(isolated_db) != before
    done = cli.json("undo", "--date", day)
    assert (done["contact_id"], done["customer_id"], done["outcome"], done["date"]) == (
        logged["contact_id"],
        key,
        outcome,
        day,
    )
    assert state(isolated_db) == before


def test_undo_of_a_reached_vip_reopens_the_due_call_and_removes_next_month(cli, shop, isolated_db):
    # V1: VIP, last bought 10 Dec -> monthly call due 10 Jan 2025
    assert open_followups(isolated_db)[2] == ("V1", "2025-01-10", "2025-01-10", "cadence", 0)
    logged = cli.json("log", "V1", "reached", "--date", "2025-01-10")
    assert (logged["contact_id"], logged["next_due"]) == (1, "2025-02-10")
    out = cli("undo", "--date", "2025-01-10").stdout
    assert out == (
        "Undid contact 1: reached for V1 Wang Fang on 2025-01-10. No longer planned: 2025-02-10. "
        "Next: 2025-01-10 (every 1 month).\n"
    )
    assert open_followups(isolated_db)[2] == ("V1", "2025-01-10", "2025-01-10", "cadence", 0)
    shown = cli.json("show", "V1")
    assert (shown["last_contact"], shown["last_outcome"], shown["history"]) == (None, None, [])
    assert [i["customer_id"] for i in cli.json("today", "--date", "2025-01-10")] == ["V1", "R1"]


def test_undo_of_a_retry_restores_the_attempt_count_and_day(cli, shop, isolated_db):
    # R1: regular, last bought 10 Oct -> due 10 Jan; no answer -> shows 12 Jan, attempt 1
    cli("log", "R1", "no-answer", "--date", "2025-01-10")
    assert open_followups(isolated_db)[1] == ("R1", "2025-01-10", "2025-01-12", "cadence", 1)
    done = cli.json("undo", "--date", "2025-01-10")
    assert (done["removed"], done["reopened"], done["next_due"]) == (
        "2025-01-12",
        "2025-01-10",
        "2025-01-10",
    )
    assert open_followups(isolated_db)[1] == ("R1", "2025-01-10", "2025-01-10", "cadence", 0)


def test_undo_of_a_conversion_makes_the_customer_a_prospect_again(cli, shop):
    cli("log", "P1", "converted", "--date", "2025-01-15")
    cli("undo", "--date", "2025-01-15")
    shown = cli.json("show", "P1")
    assert (shown["tier"], shown["first_purchase"], shown["converted_on"]) == (
        "prospect",
        None,
        None,
    )
    # prospects every 2 weeks from 1 Jan: 15 Jan is back on the list
    assert (shown["next_due"], shown["next_reason"]) == ("2025-01-15", "every 2 weeks")


def test_two_undos_take_back_two_contacts_of_one_customer_in_turn(cli, shop, isolated_db):
    before = state(isolated_db)
    cli("log", "R1", "no-answer", "--date", "2025-01-10")
    after_first = state(isolated_db)
    cli("log", "R1", "reached", "--date", "2025-01-12")
    assert cli.json("undo", "--date", "2025-01-12")["outcome"] == "reached"
    assert state(isolated_db) == after_first
    assert cli.json("undo", "--date", "2025-01-12")["outcome"] == "no-answer"
    assert state(isolated_db) == before


def test_undo_contact_takes_back_an_older_contact_of_another_customer(cli, shop, isolated_db):
    first = cli.json("log", "V1", "reached", "--date", "2025-01-10")["contact_id"]
    cli("log", "R1", "reached", "--date", "2025-01-10")
    done = cli.json("undo", "--contact", str(first), "--date", "2025-01-10")
    assert (done["customer_id"], done["next_due"]) == ("V1", "2025-01-10")
    # R1's contact stays: reached on 10 Jan, next call 3 months later
    assert cli.json("show", "R1")["next_due"] == "2025-04-10"
    assert cli.json("show", "V1")["history"] == []


def test_undo_is_refused_once_something_later_depends_on_it(cli, shop, isolated_db):
    first = cli.json("log", "R1", "no-answer", "--date", "2025-01-10")["contact_id"]
    second = cli.json("log", "R1", "no-answer", "--date", "2025-01-12")["contact_id"]
    unchanged = state(isolated_db)
    err = cli("undo", "--contact", str(first), code=1).stderr
    assert err == (
        f"followup: error: Cannot undo contact {first}: R1 has a later entry (no-answer on "
        f"2025-01-12, contact {second}); undo that one first.\n"
    )
    # a snooze after the contact counts as a later entry too
    cli("snooze", "R1", "--until", "2025-01-20", "--date", "2025-01-13")
    snoozed = (
        f"followup: error: Cannot undo contact {second}: R1's follow-up was snoozed after it "
        "(on 2025-01-13).\n"
    )
    assert cli("undo", "--contact", str(second), code=1).stderr == snoozed
    # the snooze itself is not a logged contact
    err = cli("undo", "--contact", "3", code=1).stderr
    assert err == (
        "followup: error: Contact 3 is a snooze, not a logged contact: snooze R1 again to move "
        "the follow-up.\n"
    )
    # without --contact: the last *logged* contact (not the snooze), still refused
    assert cli("undo", code=1).stderr == snoozed
    assert state(isolated_db)["contacts"][:2] == unchanged["contacts"]


def test_undo_is_refused_when_the_planned_follow_up_was_re_planned(cli, shop, isolated_db):
    cli("log", "V1", "reached", "--date", "2025-01-10")  # next: 10 Feb, every month
    cli("rules", "set", "vip", "--every", "6w", "--date", "2025-01-11")  # now 21 Feb
    before = state(isolated_db)
    err = cli("undo", "--date", "2025-01-11", code=1).stderr
    assert err == (
        "followup: error: Cannot undo contact 1: V1's follow-up of 2025-02-10 has been snoozed, "
        "re-planned or logged since.\n"
    )
    assert state(isolated_db) == before


def test_undo_with_nothing_to_take_back_says_why(cli, shop, isolated_db):
    before = state(isolated_db)
    assert cli("undo", code=1).stderr == (
        "followup: error: Nothing has been logged yet: there is nothing to undo.\n"
    )
    assert cli("undo", "--contact", "7", code=1).stderr == (
        "followup: error: No contact 7 (see the ids in 'followup show').\n"
    )
    assert "Invalid value for '--contact'" in cli("undo", "--contact", "0", code=2).stderr
    assert state(isolated_db) == before


def test_forget_removes_what_undo_kept(cli, shop, isolated_db):
    cli("log", "V1", "reached", "--date", "2025-01-10", "--note", "secret")
    cli("forget", "V1", "--yes")
    conn = dbtools.connect(isolated_db)
    assert conn.execute("SELECT COUNT(*) FROM log_undo").fetchone()[0] == 0


def test_undo_after_a_merge_says_why_it_cannot(cli, shop, isolated_db):
    logged = cli.json("log", "R1", "reached", "--date", "2025-01-10")["contact_id"]
    cli("merge", "V1", "R1", "--yes", "--date", "2025-01-11")
    before = state(isolated_db)
    assert cli("undo", "--contact", str(logged), code=1).stderr == (
        f"followup: error: Contact {logged} cannot be undone: it was logged by an older version "
        "of followup, which kept no record of what it changed, or its customer was merged into "
        "another since.\n"
    )
    assert state(isolated_db) == before


def test_undo_of_a_contact_from_before_undo_existed_is_refused(cli, shop, isolated_db):
    logged = cli.json("log", "V1", "reached", "--date", "2025-01-10")["contact_id"]
    conn = dbtools.connect(isolated_db)
    conn.execute("DELETE FROM log_undo")  # as a database upgraded from schema 6 has it
    conn.commit()
    conn.close()
    err = cli("undo", code=1).stderr
    assert err.startswith(f"followup: error: Contact {logged} cannot be undone: it was logged")
