"""The file for power users: views that name things as the README and the JSON do, read by
the tools they already have (the sqlite3 module, the sqlite-utils command line)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SALES = "customer id,date,amount,order\nP1,2026-01-05,88.5,A1\nP1,2026-02-05,20,A2\n"


def _shop(cli, csv_file, tmp_path) -> None:
    cli("import", "customers", str(csv_file("P1,王芳,13800138001,,vip,,,2025-12-01,Li,\n")))
    (tmp_path / "sales.csv").write_text(SALES, encoding="utf-8")
    cli("import", "purchases", str(tmp_path / "sales.csv"), "--date", "2026-02-10")
    cli("log", "P1", "reached", "--date", "2026-02-10", "--note", "要报价")


def _sqlite_utils(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "sqlite_utils", *args], capture_output=True, text=True, check=True
    )
    return result.stdout


@pytest.mark.sqlite_only
def test_sqlite_utils_lists_the_views_and_reads_them(cli, csv_file, tmp_path, isolated_db):
    _shop(cli, csv_file, tmp_path)
    views = json.loads(_sqlite_utils("views", str(isolated_db)))
    assert {v["view"] for v in views} == {
        "customer_list", "call_plan", "contact_log", "purchase_log",
    }  # fmt: skip
    rows = json.loads(
        _sqlite_utils(
            "query", str(isolated_db), "SELECT customer_id, name, tier FROM customer_list"
        )
    )
    assert rows == [{"customer_id": "P1", "name": "王芳", "tier": "vip"}]
    logged = json.loads(_sqlite_utils("rows", str(isolated_db), "contact_log"))
    assert [(r["customer_id"], r["date"], r["outcome"], r["note"]) for r in logged] == [
        ("P1", "2026-02-10", "reached", "要报价")
    ]
    bought = json.loads(
        _sqlite_utils("query", str(isolated_db), "SELECT SUM(amount) AS spend FROM purchase_log")
    )
    assert bought == [{"spend": 108.5}]


def test_the_views_are_there_on_both_engines(cli, csv_file, tmp_path, isolated_db):
    _shop(cli, csv_file, tmp_path)
    import dbtools

    conn = dbtools.connect(isolated_db)
    try:
        plan = conn.execute(
            "SELECT customer_id, due_date FROM call_plan WHERE status = 'open'"
        ).fetchall()
        logged = conn.execute("SELECT customer_id, outcome, note FROM contact_log").fetchall()
    finally:
        conn.close()
    # the open call is the one `export due` lists, under the same customer id
    due = cli.json("export", "due", "--date", "2026-02-10", "--days", "366")
    assert [tuple(row) for row in plan] == [(d["customer_id"], d["due_date"]) for d in due]
    assert [tuple(row) for row in logged] == [("P1", "reached", "要报价")]
