"""A chain of shops on PostgreSQL: what the server must guarantee that a file gets from
SQLite (one writer at a time, nothing lost, one open follow-up per customer), and moving a
shop onto the server and back with nothing lost.

Each test here runs once, against a schema of the throwaway server (tests/pg_server.py);
every other test file runs on both engines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import dbtools
import pg_server
import pytest

EXAMPLE = str(Path(__file__).parents[2] / "examples" / "customers.csv")
DAY = "2026-11-23"


@pytest.fixture(autouse=True)
def server_only(engine: str) -> None:
    if engine != "postgresql":
        pytest.skip("about the PostgreSQL server (the file's own tests are in test_safety*)")


def followup(db: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "followup_cli", "--db", db, *args]


def shop_state(cli, db: str) -> dict:
    """What an owner sees of a shop: today's list, the report, the customers and history."""
    return {
        "today": cli.json("--db", db, "today", "--date", DAY),
        "report": cli.json("--db", db, "report", "--date", DAY, "--by", "tier"),
        "customers": cli("--db", db, "export", "customers", "--format", "csv").stdout,
        "history": cli("--db", db, "export", "history", "--format", "csv").stdout,
    }


def test_a_shop_moves_onto_the_server_and_back_with_nothing_lost(cli, isolated_db, tmp_path):
    shop = str(tmp_path / "shop.db")
    cli("--db", shop, "import", "customers", EXAMPLE, "--date", DAY, "-q")
    cli("--db", shop, "log", "C001", "reached", "--date", DAY, "--score", "5", "--note", "好")
    cli("--db", shop, "log", "C021", "no-answer", "--date", DAY)
    cli("--db", shop, "log", "C011", "converted", "--date", DAY)
    before = shop_state(cli, shop)

    moved = cli.json("--db", shop, "transfer", "--to", isolated_db, "--date", DAY)
    counts = {row["table"]: (row["source"], row["target"]) for row in moved["tables"]}
    # 36 customers in the example, 3 contacts logged; every table the same on both sides
    assert counts["customers"] == (36, 36)
    assert counts["contacts"] == (3, 3)
    assert all(source == target for source, target in counts.values())
    assert moved["report_identical"] is True
    assert shop_state(cli, isolated_db) == before

    # ... and back into a new file: the chain's offline backup
    back = str(tmp_path / "back.db")
    cli.json("--db", back, "transfer", "--from", isolated_db, "--date", DAY)
    assert shop_state(cli, back) == before

    # the server goes on numbering where the file left off: a new contact is number 4
    cli("--db", isolated_db, "log", "C005", "reached", "--date", DAY)
    undone = cli.json("--db", isolated_db, "undo", "--date", DAY)
    assert (undone["contact_id"], undone["customer_id"]) == (4, "C005")


def test_transfer_never_copies_into_a_shop(cli, isolated_db, tmp_path):
    shop = str(tmp_path / "shop.db")
    cli("--db", shop, "import", "customers", EXAMPLE, "--date", DAY, "-q")
    cli("import", "customers", EXAMPLE, "--date", DAY, "-q")  # the server holds a shop too
    err = cli("--db", shop, "transfer", "--to", isolated_db, code=1).stderr
    assert err.startswith("followup: error: ") and "already holds a shop" in err
    assert err.count("\n") == 1
    assert cli.json("doctor")["counts"]["customers"] == 36
    err = cli("--db", shop, "transfer", code=2).stderr
    assert "give exactly one of --to and --from" in err and err.count("\n") == 1
    err = cli("transfer", "--from", isolated_db, code=1).stderr
    assert "is this database itself: give another one" in err


def test_file_commands_say_what_to_use_on_a_server(cli, isolated_db, tmp_path):
    err = cli("backup", str(tmp_path / "copy.db"), code=1).stderr
    assert err == (
        "followup: error: 'backup' works on a database file; on a PostgreSQL server keep a "
        "copy with 'followup --db FILE transfer --from URL' or the server's pg_dump\n"
    )
    assert not (tmp_path / "copy.db").exists()
    report = cli.json("doctor")
    assert (report["integrity"], report["file_mode"], report["problems"]) == ("ok", "server", [])


def test_another_applications_schema_and_a_newer_one_are_refused_untouched(cli, isolated_db):
    conn = dbtools.connect(isolated_db)
    conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)")
    conn.close()
    err = cli("today", code=1).stderr
    assert "another application's database, not a followup one: nothing was changed" in err
    conn = dbtools.connect(isolated_db)
    assert dbtools.tables(conn) == ["orders"]
    conn.execute("DROP TABLE orders")
    conn.close()

    cli("today", "--date", DAY)  # an empty schema becomes a shop
    conn = dbtools.connect(isolated_db)
    conn.execute("UPDATE followup_schema SET version = version + 1")
    conn.close()
    err = cli("today", code=1).stderr
    assert "written by a newer followup" in err and err.count("\n") == 1


def test_a_wait_for_another_writer_that_runs_out_says_what_to_do(cli, isolated_db, monkeypatch):
    from followup_cli import storage

    cli("import", "customers", EXAMPLE, "--date", DAY, "-q")
    monkeypatch.setattr(storage.database, "BUSY_TIMEOUT_MS", 300)
    holder = dbtools.connect(isolated_db)
    holder.execute("BEGIN IMMEDIATE")  # another command is writing
    try:
        err = cli("log", "C001", "reached", "--date", DAY, code=1).stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert err == (
        "followup: error: the database is busy: another followup command (the nightly "
        "import?) is writing; try again in a minute\n"
    )
    assert cli.json("show", "C001")["last_outcome"] is None


# Each logger logs its own customers in turn, as fast as it can, each log a whole command on a
# fresh connection; it prints the note of every log that reported success.
LOGGER = """
import subprocess, sys, time
db, first, until = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
n = 0
while time.time() < until:
    ref = f"K{first + n % 10:03d}"
    note = f"loop-{first}-{n}"
    done = subprocess.run(
        [sys.executable, "-m", "followup_cli", "--db", db, "log", ref, "reached", "--again",
         "--date", "2026-11-23", "--note", note],
        capture_output=True, text=True,
    )
    if done.returncode == 0:
        print(note, flush=True)
    else:
        print("FAILED", done.stderr.strip(), file=sys.stderr, flush=True)
    n += 1
"""

IMPORTER = """
import subprocess, sys, time
db, path, until = sys.argv[1], sys.argv[2], float(sys.argv[3])
rounds = 0
while time.time() < until:
    done = subprocess.run(
        [sys.executable, "-m", "followup_cli", "--db", db, "import", "customers", path,
         "--date", "2026-11-23", "-q"],
        capture_output=True, text=True,
    )
    if done.returncode != 0:
        print("FAILED", done.stderr.strip(), file=sys.stderr, flush=True)
    rounds += 1
print(rounds)
"""


def test_eight_staff_logging_and_two_imports_at_once_lose_nothing(cli, isolated_db, tmp_path):
    """8 processes log outcomes for their own 10 customers while 2 others import the till's
    export again and again, for a fixed time: every log that said it was done is there, no
    customer has two open follow-ups, and doctor finds nothing wrong."""
    lines = ["id,name,phone,tier,first_purchase"]
    lines += [f"K{i:03d},顾客{i},138{i:08d},regular,2026-01-05" for i in range(80)]
    shop = tmp_path / "shop.csv"
    shop.write_text("\n".join(lines) + "\n", encoding="utf-8")
    night = tmp_path / "night.csv"  # the nightly export: the same people and 40 new ones
    more = [f"N{i:03d},新客{i},139{i:08d},new,2026-11-20" for i in range(40)]
    night.write_text("\n".join([*lines, *more]) + "\n", encoding="utf-8")
    cli("import", "customers", str(shop), "--date", DAY, "-q")

    until = str(time.time() + 12)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}

    def start(script: str, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", script, isolated_db, *args, until],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    loggers = [start(LOGGER, str(first)) for first in range(0, 80, 10)]
    importers = [start(IMPORTER, str(night)) for _ in range(2)]
    reported: list[str] = []
    for proc in loggers:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0 and "FAILED" not in err, err
        reported += out.split()
    for proc in importers:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0 and "FAILED" not in err, err
        assert int(out) >= 1

    conn = dbtools.connect(isolated_db)
    stored = [r[0] for r in conn.execute("SELECT note FROM contacts WHERE note LIKE 'loop-%'")]
    most_open = conn.execute(
        "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM followups WHERE status = 'open' "
        "GROUP BY customer_id) AS per_customer"
    ).fetchone()[0]
    customers = conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
    conn.close()
    assert len(reported) >= 8  # every logger got its turn at least once
    assert sorted(stored) == sorted(reported)  # zero lost writes, nothing logged twice
    assert most_open == 1
    assert customers == 120
    health = json.loads(
        subprocess.run(
            followup(isolated_db, "doctor", "--format", "json"),
            capture_output=True,
            text=True,
            env=env,
            check=False,
        ).stdout
    )
    assert health["problems"] == []


def test_the_test_server_is_really_postgresql(isolated_db):
    conn = dbtools.connect(isolated_db)
    version = conn.execute("SHOW server_version").fetchone()[0]
    conn.close()
    assert int(version.split(".")[0]) >= 13
    assert pg_server.base_url() is not None


def test_an_older_server_schema_is_upgraded_in_place_with_its_data(cli, isolated_db):
    from followup_cli.storage import dialect, schema

    conn = dialect.ServerConnection(isolated_db, 15_000)
    dialect.prepare_server(conn)
    older = schema.SCHEMA_VERSION - 1
    with schema.transaction(conn):
        for number in range(1, older + 1):  # the schema as the previous followup left it
            schema.MIGRATIONS[number - 1](conn)
            dialect.write_version(conn, number)
        conn.execute(
            "INSERT INTO customers (ref, name, tier, added, status, do_not_contact) "
            "VALUES ('OLD1', '老顾客', 'vip', '2026-10-01', 'active', 0)"
        )
    conn.close()
    shown = cli.json("show", "OLD1")
    assert (shown["customer_id"], shown["name"], shown["tier"]) == ("OLD1", "老顾客", "vip")
    conn = dbtools.connect(isolated_db)
    assert conn.execute("SELECT version FROM followup_schema").fetchone()[0] == (
        schema.SCHEMA_VERSION
    )
    conn.close()


def test_the_shops_language_option_speaks_for_every_branch_machine(cli, isolated_db):
    cli("import", "customers", EXAMPLE, "--date", DAY, "-q")
    cli("rules", "option", "language", "zh")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    shown = subprocess.run(
        followup(isolated_db, "today", "--date", DAY, "--limit", "1"),
        capture_output=True,
        text=True,
        env={**env, "LANG": "C.UTF-8", "COLUMNS": "80"},
        check=True,
    )
    # 23 follow-ups are due on 23 November in the example shop (see test_loop)
    assert shown.stdout.startswith("2026-11-23 到期回访：共 23 个，显示 1 个")


def test_mistakes_with_a_server_name_are_one_line_and_leave_nothing_behind(
    cli, isolated_db, tmp_path
):
    base, _schema = isolated_db.split("&options=", 1)
    nowhere = base.replace("/followup_test?", "/no_such_db?") + "&password=secret"
    err = cli("--db", nowhere, "today", code=1).stderr
    assert err.startswith("followup: error: cannot use database ") and err.count("\n") == 1
    assert "password=***" in err and "secret" not in err
    err = cli("--db", "postgresq://followup@/chain", "today", code=1).stderr
    assert err == (
        "followup: error: postgresq://followup@/chain is not a database followup can use: "
        "give a file name or a postgresql:// URL\n"
    )
    copy = tmp_path / "copy.db"
    err = cli("--db", str(copy), "transfer", "--from", nowhere, code=1).stderr
    assert err.count("\n") == 1 and not copy.exists()  # no empty shop left behind
    err = cli("restore", str(copy), "--yes", code=1).stderr
    assert "transfer --to URL' into an empty database" in err


def test_a_new_server_shop_from_db_is_announced_once(cli, isolated_db):
    first = cli("--db", isolated_db, "today", "--date", DAY)
    assert first.stderr.startswith("followup: made postgresql://") and first.stderr.endswith(
        " a new, empty followup shop\n"
    )
    assert cli("--db", isolated_db, "today", "--date", DAY).stderr == ""
