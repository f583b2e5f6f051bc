"""A long nightly import and the owner logging calls at the same time, as real processes."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import dbtools
import pytest

from followup_cli import storage

ROWS = 80_000


def big_file(path: Path, rows: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["id", "name", "phone", "tier", "last_purchase"])
        for i in range(rows):
            out.writerow([f"B{i:07d}", f"客户{i}", f"139{i:08d}", "regular", "2025-03-01"])
    return path


def followup(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "followup_cli", "--db", str(db), *args]


def test_log_succeeds_while_a_large_import_is_running(cli, tmp_path, isolated_db):
    small = tmp_path / "one.csv"
    small.write_text("id,name,phone\nL1,Lin,13800000001\n", encoding="utf-8")
    cli("import", "customers", str(small), "--date", "2025-06-01")
    source = big_file(tmp_path / "nightly.csv", ROWS)
    importing = subprocess.Popen(
        followup(isolated_db, "import", "customers", str(source), "--date", "2025-06-01", "-q"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.0)  # the import is now reading and matching its 80 000 rows
    logged = subprocess.run(
        followup(isolated_db, "log", "L1", "reached", "--date", "2025-06-01"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    still_importing = importing.poll() is None
    _out, err = importing.communicate(timeout=600)
    assert logged.returncode == 0, logged.stderr
    # the log did not wait for the import to finish: the import was still at work after it
    assert still_importing, "the import finished before the log: make the file larger"
    assert importing.returncode == 0, err
    conn = dbtools.connect(isolated_db)
    assert conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == ROWS + 1
    assert conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 1
    # every new customer has its first follow-up, L1 its next one after the call
    assert conn.execute("SELECT COUNT(*) FROM followups WHERE status = 'open'").fetchone()[0] == (
        ROWS + 1
    )
    conn.close()


@pytest.mark.sqlite_only  # the server's lock: test_chain.py
def test_a_wait_that_runs_out_says_what_to_do(cli, isolated_db, monkeypatch):
    cli("today")
    monkeypatch.setattr(storage.connection, "BUSY_TIMEOUT_MS", 200)
    writer = sqlite3.connect(isolated_db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another command holds the write lock
    try:
        err = cli("optout", "nobody", code=1).stderr
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert err == (
        "followup: error: the database is busy: another followup command (the nightly "
        "import?) is writing; try again in a minute\n"
    )


def test_a_plan_made_stale_by_another_command_is_made_again(
    cli, tmp_path, isolated_db, monkeypatch, engine
):
    """The import's plan is checked inside the write transaction: a customer it was about to
    update, changed by someone else meanwhile, is planned again, never overwritten blind. On
    a chain's server the import writes in short batches and keeps a field someone changed
    meanwhile as they left it, so one plan is enough there."""
    path = tmp_path / "shop.csv"
    path.write_text("id,name,phone,tier\nS1,Sam,13800000011,vip\n", encoding="utf-8")
    cli("import", "customers", str(path), "--date", "2025-06-01")
    path.write_text("id,name,phone,tier\nS1,Sam Li,13800000011,vip\n", encoding="utf-8")
    from followup_cli.imports import match

    calls = []
    real_finish = match.Merger.finish

    def finish_while_someone_assigns(self):
        if not calls:  # while the plan is made, the owner assigns Sam to Mei
            other = dbtools.connect(isolated_db)
            other.execute("UPDATE customers SET owner = 'Mei' WHERE ref = 'S1'")
            other.close()
        calls.append(1)
        return real_finish(self)

    monkeypatch.setattr(match.Merger, "finish", finish_while_someone_assigns)
    out = cli.json("import", "customers", str(path), "--date", "2025-06-02")
    # the file: first plan refused (Sam changed), second plan made and written
    assert (len(calls), out["updated"]) == ((2 if engine == "sqlite" else 1), 1)
    shown = cli.json("show", "S1")
    assert (shown["name"], shown["owner"]) == ("Sam Li", "Mei")
