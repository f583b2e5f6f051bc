"""Defects found in daily use: a snooze's history survives every re-plan."""

from __future__ import annotations

import os
import subprocess
import sys

import dbtools
import pytest
from test_loop import EXAMPLE
from test_review import Terminal, needs_pty

# S1 and S2 are VIPs (every 1 month) who last bought on 2024-12-05: both due 2025-01-05.
# S1 is snoozed on 2025-01-02 (before it is due) until 2025-01-08; S2 is left alone.
TWO_VIPS = "S1,Su Mei,13800000005,,vip,,2024-12-05,,,\nS2,Sam Ode,13800000006,,vip,,2024-12-05,,,\n"


def snooze_state(db) -> dict:
    """The snoozed customer's follow-ups and contacts, and any broken link in the file."""
    conn = dbtools.connect(db)
    try:
        followups = conn.execute(
            "SELECT f.id, f.due_date, f.show_date, f.status FROM followups f "
            "JOIN customers c ON c.id = f.customer_id WHERE c.ref = ? ORDER BY f.id",
            ("S1",),
        ).fetchall()
        contacts = conn.execute(
            "SELECT k.followup_id, k.date, k.outcome FROM contacts k "
            "JOIN customers c ON c.id = k.customer_id WHERE c.ref = ? ORDER BY k.id",
            ("S1",),
        ).fetchall()
        broken = dbtools.broken_links(conn)
    finally:
        conn.close()
    return {"followups": followups, "contacts": contacts, "broken": broken}


@pytest.fixture
def snoozed(cli, csv_file, isolated_db):
    cli("import", "customers", str(csv_file(TWO_VIPS)), "--date", "2025-01-01")
    out = cli("snooze", "S1", "--until", "2025-01-08", "--date", "2025-01-02").stdout
    assert out == "Snoozed S1 Su Mei until 2025-01-08\n"
    state = snooze_state(isolated_db)
    ((followup_id, *_),) = state["followups"]
    assert state == {
        "followups": [(followup_id, "2025-01-05", "2025-01-08", "open")],
        "contacts": [(followup_id, "2025-01-02", "snoozed")],
        "broken": [],
    }
    return state


def test_changing_a_rule_after_a_snooze_keeps_the_snooze_on_the_example_shop(cli, isolated_db):
    # The reported case: examples/customers.csv, a due regular customer snoozed, then the
    # regular rule changed. Before the fix the re-plan deleted the snoozed follow-up under its
    # snooze row and the command failed with "FOREIGN KEY constraint failed".
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23")
    conn = dbtools.connect(isolated_db)
    regulars = conn.execute(
        "SELECT COUNT(*) FROM followups f JOIN customers c ON c.id = f.customer_id "
        "WHERE c.tier IN ('regular', 'new') AND f.status = 'open'"
    ).fetchone()[0]
    conn.close()
    # C015 is a regular customer due 2026-10-15 (every 3 months from 2026-07-15).
    cli("snooze", "C015", "--until", "2026-11-30", "--date", "2026-11-23")
    out = cli("rules", "set", "regular", "--every", "2m", "--date", "2026-11-23").stdout
    # Every open follow-up of regular and of new (which ends as regular) is re-planned,
    # except the snoozed one.
    assert out == f"regular: every 2 months (late after 1m); {regulars - 1} follow-ups re-planned\n"
    conn = dbtools.connect(isolated_db)
    rows = conn.execute(
        "SELECT f.due_date, f.show_date, f.status, k.outcome, k.date FROM contacts k "
        "JOIN followups f ON f.id = k.followup_id JOIN customers c ON c.id = k.customer_id "
        "WHERE c.ref = 'C015'"
    ).fetchall()
    broken = dbtools.broken_links(conn)
    conn.close()
    assert rows == [("2026-10-15", "2026-11-30", "open", "snoozed", "2026-11-23")]
    assert broken == []
    assert cli.json("today", "--date", "2026-11-29")[0]["customer_id"] != "C015"
    assert "C015" in [i["customer_id"] for i in cli.json("today", "--date", "2026-11-30")]


@pytest.mark.parametrize(
    "replan",
    [
        ["rules", "reset", "--yes", "--date", "2025-01-03"],
        ["rules", "option", "closed_weekdays", "sat", "--date", "2025-01-03"],
        ["rules", "set", "vip", "--every", "2m", "--date", "2025-01-03"],
    ],
)
def test_every_rule_re_plan_keeps_a_snoozed_follow_up_and_its_history(
    cli, isolated_db, snoozed, replan
):
    cli(*replan)
    assert snooze_state(isolated_db) == snoozed
    # S2 was re-planned and is still planned exactly once.
    assert (
        len([i for i in cli.json("today", "--date", "2025-03-31") if i["customer_id"] == "S2"]) == 1
    )


def test_re_import_and_its_undo_keep_a_snoozed_follow_up(cli, csv_file, isolated_db, snoozed):
    # A newer purchase for S1 would re-plan an untouched follow-up; a snoozed one stays put.
    newer = TWO_VIPS.replace("2024-12-05,,,\nS2", "2024-12-20,,,\nS2")
    out = cli("import", "customers", str(csv_file(newer, "newer.csv")), "--date", "2025-01-03")
    assert out.stdout.strip().endswith("read 2, added 0, updated 1, unchanged 1, rejected 0")
    assert snooze_state(isolated_db) == snoozed
    import_id = cli.json("imports")[0]["id"]
    cli("imports", "undo", "--yes", str(import_id), "--date", "2025-01-03")
    assert snooze_state(isolated_db) == snoozed


def test_new_purchases_keep_a_snoozed_follow_up(cli, tmp_path, isolated_db, snoozed):
    # A purchase re-plans an untouched follow-up from the new rhythm; a snoozed one stays put.
    sales = tmp_path / "sales.csv"
    sales.write_text("id,date,amount,order\nS1,2024-12-20,80.00,A1\nS2,2024-12-20,60.00,A2\n")
    cli("import", "purchases", str(sales), "--date", "2025-01-03", "-q")
    assert snooze_state(isolated_db) == snoozed


def test_a_contact_before_the_snoozed_day_keeps_the_snooze(cli, isolated_db, snoozed):
    # Reached on 2025-01-03, before the follow-up is due (2025-01-05): an extra touch, which
    # used to drop the not-yet-due follow-up from under its snooze row.
    cli("log", "S1", "reached", "--date", "2025-01-03")
    state = snooze_state(isolated_db)
    followup_id = snoozed["followups"][0][0]
    assert state["followups"] == snoozed["followups"]
    assert state["contacts"] == [
        (followup_id, "2025-01-02", "snoozed"),
        (None, "2025-01-03", "reached"),
    ]
    assert state["broken"] == []


def test_opting_out_after_a_snooze_keeps_the_snooze_linked(cli, isolated_db, snoozed):
    followup_id = snoozed["followups"][0][0]
    cli("optout", "S1", "--date", "2025-01-03")
    state = snooze_state(isolated_db)
    assert state["followups"] == [(followup_id, "2025-01-05", "2025-01-08", "cancelled")]
    assert state["contacts"] == snoozed["contacts"]
    assert state["broken"] == []
    # Back in: a new follow-up, due 2025-01-05 again (one month after 2024-12-05).
    cli("optout", "S1", "--undo", "--date", "2025-01-03")
    state = snooze_state(isolated_db)
    assert state["followups"][0] == (followup_id, "2025-01-05", "2025-01-08", "cancelled")
    assert [row[1:] for row in state["followups"][1:]] == [("2025-01-05", "2025-01-05", "open")]
    assert state["contacts"] == snoozed["contacts"]
    assert state["broken"] == []


def run_into_closed_pipe(*args: str, db) -> subprocess.CompletedProcess:
    """The real program writing to a pipe whose reader is already gone (`| head` done)."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        return subprocess.run(
            [sys.executable, "-m", "followup_cli", *args],
            stdout=writer,
            stderr=subprocess.PIPE,
            env={**os.environ, "FOLLOWUP_DB": str(db), "LANG": "C.UTF-8", "LC_ALL": ""},
            text=True,
            timeout=60,
        )
    finally:
        os.close(writer)


@pytest.mark.parametrize(
    "args",
    [
        (),  # the help printed when no command is given: this one used to end in a traceback
        ("--help",),
        ("rules",),
        ("today", "--date", "2026-11-23", "--format", "csv"),
    ],
)
def test_output_into_a_closed_pipe_ends_quietly_with_exit_code_0(cli, isolated_db, args):
    # The reader got what it wanted (`export customers | head -1`): not a failure (issue 11).
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23")
    done = run_into_closed_pipe(*args, db=isolated_db)
    assert (done.returncode, done.stderr) == (0, "")


def customer_refs(db) -> list[str]:
    conn = dbtools.connect(db)
    try:
        return [row[0] for row in conn.execute("SELECT ref FROM customers ORDER BY ref")]
    finally:
        conn.close()


def answer_on_a_terminal(*args: str, question: str, answer: str) -> tuple[str, int]:
    """Run the program on a pseudo-terminal, wait for its question, type the answer."""
    term = Terminal(*args)
    term.wait_for(question)
    term.press(answer + "\r")
    while True:  # everything it printed, until the terminal closes with the program
        try:
            chunk = os.read(term.fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        term.seen += chunk
    _, status = os.waitpid(term.pid, 0)
    return term.seen.decode(), os.waitstatus_to_exitcode(status)


@needs_pty
def test_the_confirmation_is_asked_wholly_in_chinese(cli, csv_file, isolated_db, monkeypatch):
    cli("import", "customers", str(csv_file(TWO_VIPS)), "--date", "2025-01-01")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    question = "确定删除 S1 Su Mei 及其全部记录吗？（输入 y 确定，直接回车取消）："
    seen, code = answer_on_a_terminal("forget", "S1", question=question, answer="")
    assert "[y/N]" not in seen
    assert "followup：错误：未做任何改动" in seen.replace(": ", "：")
    assert (code, customer_refs(isolated_db)) == (1, ["S1", "S2"])
    seen, code = answer_on_a_terminal("forget", "S1", question=question, answer="是")
    assert "已删除 S1 Su Mei 及其全部记录。" in seen
    assert (code, customer_refs(isolated_db)) == (0, ["S2"])


@needs_pty
def test_the_english_confirmation_still_says_y_n(cli, csv_file, isolated_db, monkeypatch):
    cli("import", "customers", str(csv_file(TWO_VIPS)), "--date", "2025-01-01")
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    question = "Erase S2 Sam Ode and all their history? [y/N]: "
    _, code = answer_on_a_terminal("forget", "S2", question=question, answer="no")
    assert (code, customer_refs(isolated_db)) == (1, ["S1", "S2"])
    _, code = answer_on_a_terminal("forget", "S2", question=question, answer="y")
    assert (code, customer_refs(isolated_db)) == (0, ["S1"])
