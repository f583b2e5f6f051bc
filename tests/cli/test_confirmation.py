"""`imports undo` and `rules reset` take back work: on a terminal they ask first, and a script
must say --yes (as `forget`, `merge` and `restore` do). Driven through the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROW = "C1,Ann Lee,13800138001,,vip,2025-01-01,2025-01-01,2025-01-01,,\n"


def on_a_terminal(db, *args: str, answer: str) -> subprocess.CompletedProcess[str]:
    """`followup ARGS` with its standard input on a terminal (a pty), answering `answer`."""
    leader, follower = os.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "followup_cli", *args],
            stdin=follower,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "FOLLOWUP_DB": str(db), "NO_COLOR": "1"},
        )
        os.write(leader, f"{answer}\n".encode())
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(follower)
        os.close(leader)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def ids(cli) -> list[str]:
    rows = json.loads(cli("export", "customers", "--format", "json").stdout)
    return [row["customer_id"] for row in rows]


@pytest.fixture
def imported(cli, csv_file) -> str:
    done = cli.json("import", "customers", str(csv_file(ROW)), "--date", "2025-02-01")
    return str(done["import_id"])


def test_imports_undo_in_a_script_needs_yes(cli, imported):
    err = cli("imports", "undo", imported, code=1).stderr
    assert err.startswith("followup: error: not on a terminal to ask 'Undo import ")
    assert err.rstrip().endswith("add --yes to go ahead")
    assert ids(cli) == ["C1"]  # nothing undone
    out = cli("imports", "undo", imported, "--yes").stdout
    assert out.startswith(f"Import {imported} undone: 1 customers removed")
    assert ids(cli) == []


def test_imports_undo_asks_on_a_terminal(cli, imported, isolated_db):
    kept = on_a_terminal(isolated_db, "imports", "undo", imported, answer="n")
    assert kept.returncode == 1, kept.stderr
    assert f"Undo import {imported}: remove the customers it added" in kept.stdout
    assert kept.stderr == "followup: error: nothing done\n"
    assert ids(cli) == ["C1"]
    undone = on_a_terminal(isolated_db, "imports", "undo", imported, answer="y")
    assert undone.returncode == 0, undone.stderr
    assert f"Import {imported} undone: 1 customers removed" in undone.stdout
    assert ids(cli) == []


def test_rules_reset_in_a_script_needs_yes(cli):
    cli("rules", "set", "vip", "--every", "2w")
    before = cli("rules").stdout
    err = cli("rules", "reset", code=1).stderr
    assert err.startswith("followup: error: not on a terminal to ask 'Go back to the default ")
    assert cli("rules").stdout == before  # nothing reset
    assert "Default rules restored" in cli("rules", "reset", "--yes").stdout
    assert cli("rules").stdout != before


def test_rules_reset_asks_on_a_terminal(cli, isolated_db):
    cli("rules", "set", "vip", "--every", "2w")
    before = cli("rules").stdout
    kept = on_a_terminal(isolated_db, "rules", "reset", answer="")  # just Enter is a no
    assert (kept.returncode, kept.stderr) == (1, "followup: error: nothing done\n")
    assert "Go back to the default rules and shop options" in kept.stdout
    assert cli("rules").stdout == before
    reset = on_a_terminal(isolated_db, "rules", "reset", answer="yes")
    assert reset.returncode == 0, reset.stderr
    assert "Default rules restored" in reset.stdout
