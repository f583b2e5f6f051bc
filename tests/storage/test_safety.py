"""Nothing lost, nobody let in: each guarantee exercised for real (processes, signals, bytes)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import dbtools
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_loop import EXAMPLE, dump

from followup_cli.storage import SCHEMA_VERSION

FIXTURES = Path(__file__).parents[1] / "fixtures"


def followup(*args: str, db: Path, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "FOLLOWUP_DB": str(db), "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "followup_cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def big_csv(path: Path, rows: int) -> Path:
    lines = ["id,name,phone,tier,last_purchase"]
    lines += [f"B{i},Bulk {i},177{i:08d},regular,2024-{1 + i % 12:02d}-15" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def count(db: Path, table: str = "customers") -> int:
    conn = dbtools.connect(db)
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def wait_for_wal(db: Path, proc: subprocess.Popen, size: int = 1 << 20) -> None:
    """Until the writer has put at least `size` bytes of its transaction into the WAL."""
    wal = Path(f"{db}-wal")
    deadline = time.monotonic() + 120
    while not (wal.exists() and wal.stat().st_size > size):
        assert proc.poll() is None, "the import finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.01)


@pytest.mark.sqlite_only  # the file itself (test_chain.py: the server)
def test_kill_9_in_the_middle_of_an_import_leaves_the_database_as_it_was(
    cli, isolated_db, tmp_path
):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23")
    before = dump(isolated_db)
    source = big_csv(tmp_path / "big.csv", 200_000)
    proc = followup("import", "customers", str(source), "--date", "2026-11-23", db=isolated_db)
    wait_for_wal(isolated_db, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    conn = dbtools.connect(isolated_db)
    assert dbtools.integrity(conn) == "ok"
    conn.close()
    assert dump(isolated_db) == before
    rerun = followup(
        "import", "customers", str(source), "--date", "2026-11-23", "-q", db=isolated_db
    )
    assert rerun.wait(timeout=300) == 0, rerun.stderr.read()
    assert count(isolated_db) == 36 + 200_000


@pytest.mark.sqlite_only  # the file itself (test_chain.py: the server)
def test_readers_do_not_wait_for_a_writer_and_writers_wait_for_each_other(cli, isolated_db):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23")
    holder = sqlite3.connect(isolated_db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE customers SET notes = 'being edited' WHERE ref = 'C003'")
    try:
        reader = followup("today", "--date", "2026-11-23", "--format", "json", db=isolated_db)
        out, err = reader.communicate(timeout=20)
        assert reader.returncode == 0, err
        assert len(json.loads(out)) == 23
        writers = [
            followup("log", ref, "reached", "--date", "2026-11-23", db=isolated_db)
            for ref in ("C021", "C034")
        ]
        with pytest.raises(subprocess.TimeoutExpired):
            writers[0].wait(timeout=1.5)  # still waiting for the lock, not failed
    finally:
        holder.execute("COMMIT")
        holder.close()
    for writer in writers:
        _, err = writer.communicate(timeout=30)
        assert writer.returncode == 0, err
    assert count(isolated_db, "contacts") == 2


def test_files_are_private_whatever_the_umask(tmp_path, monkeypatch):
    monkeypatch.delenv("FOLLOWUP_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path))
    old = os.umask(0)
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sqlite3, sys\n"
                "from followup_cli.storage import open_db, resolve_db_path\n"
                "path, default = resolve_db_path(None)\n"
                "conn = open_db(path, create_folder=default)\n"
                "conn.execute(\"INSERT INTO settings VALUES ('probe', 'x')\")\n"
                "print(path)\n"
                "import os; os.kill(os.getpid(), 9)\n",
            ],  # die with -wal and -shm still there
            capture_output=True,
            text=True,
            env={**os.environ},
        )
    finally:
        os.umask(old)
    db = Path(proc.stdout.strip())
    assert db == tmp_path / "data" / "followup" / "followup.db"
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    for suffix in ("", "-wal", "-shm"):
        assert stat.S_IMODE(Path(f"{db}{suffix}").stat().st_mode) == 0o600, suffix


@pytest.mark.sqlite_only  # the file itself (test_chain.py: the server)
def test_forget_erases_the_customer_from_the_files_bytes(cli, isolated_db, tmp_path):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23")
    cli("log", "C001", "complaint", "--date", "2026-11-20", "--note", "SECRET-NOTE-7781")
    cli("log", "C001", "reached", "--date", "2026-11-23", "--note", "SECRET-NOTE-7782")
    assert "no" in cli("forget", "C001", code=1).stderr  # not on a terminal: needs --yes
    assert cli("show", "C001").exit_code == 0
    out = cli("forget", "C001", "--yes").stdout
    assert out == "Erased C001 王芳 and all their history.\n"
    cli("show", "C001", code=1)
    raw = b"".join(
        Path(f"{isolated_db}{s}").read_bytes()
        for s in ("", "-wal")
        if Path(f"{isolated_db}{s}").exists()
    )
    for secret in (
        "王芳",
        "13800138001",
        "wangfang@example.com",
        "SECRET-NOTE-778",
        "Buys tea sets",
    ):
        assert secret.encode() not in raw, secret
    assert "李娜".encode() in Path(isolated_db).read_bytes() + raw  # the others are still there


def test_export_one_customer_for_an_access_request(cli):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23")
    cli("log", "C001", "reached", "--date", "2026-11-23", "--score", "5", "--channel", "wechat")
    data = json.loads(cli("export", "customer", "C001").stdout)
    assert data["customer"]["name"] == "王芳"
    assert data["customer"]["email"] == "wangfang@example.com"
    assert [(c["date"], c["outcome"], c["channel"], c["score"]) for c in data["contacts"]] == [
        ("2026-11-23", "reached", "wechat", 5)
    ]
    assert [(f["due_date"], f["status"]) for f in data["followups"]] == [
        ("2026-11-20", "done"),
        ("2026-12-23", "open"),
    ]


@pytest.mark.sqlite_only  # the file itself (test_chain.py: the server)
def test_backup_restore_round_trip_keeps_the_old_file_aside(cli, isolated_db, tmp_path):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23")
    copy = tmp_path / "backup.db"
    assert cli("backup", str(copy)).stdout == f"Backed up to {copy}\n"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert "exists: use --force" in cli("backup", str(copy), code=1).stderr
    cli("forget", "C001", "--yes")
    assert "add --yes" in cli("restore", str(copy), code=1).stderr
    out = cli("restore", str(copy), "--yes").stdout
    assert cli.json("show", "C001")["name"] == "王芳"
    aside = Path(out.split("kept at ")[1].strip())
    assert aside.exists() and count(aside) == 35
    assert cli("doctor").exit_code == 0


@pytest.mark.sqlite_only  # the file itself (test_chain.py: the server)
def test_restore_refuses_files_that_are_not_compatible_followup_databases(cli, tmp_path):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    assert "not a followup database" in cli("restore", str(junk), "--yes", code=1).stderr
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    assert "not a followup database" in cli("restore", str(other), "--yes", code=1).stderr
    newer = tmp_path / "newer.db"
    cli("backup", str(newer))
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    assert "written by a newer followup" in cli("restore", str(newer), "--yes", code=1).stderr
    assert "does not exist" in cli("restore", str(tmp_path / "nope.db"), "--yes", code=1).stderr
    assert cli.json("show", "C001")["name"] == "王芳"


@pytest.mark.sqlite_only  # the file itself (test_chain.py: the server)
def test_doctor_finds_what_is_inconsistent(cli, isolated_db):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23")
    healthy = json.loads(cli("doctor", "--format", "json").stdout)
    assert (healthy["schema_version"], healthy["integrity"], healthy["problems"]) == (
        SCHEMA_VERSION,
        "ok",
        [],
    )
    assert healthy["counts"]["customers"] == 36
    conn = dbtools.connect(isolated_db)
    conn.execute(
        "DELETE FROM followups WHERE customer_id = (SELECT id FROM customers WHERE ref = 'C005')"
    )
    conn.execute(
        "INSERT INTO followups (customer_id, kind, due_date, show_date, status, "
        "attempts) VALUES (999, 'cadence', '2026-01-01', '2026-01-01', 'open', 0)"
    )
    conn.commit()
    conn.close()
    result = cli("doctor", code=1)
    assert "problem: 1 follow-ups belong to no customer" in result.stdout
    assert "problem: active customers with nothing planned: C005" in result.stdout


@pytest.mark.sqlite_only  # the file itself (test_chain.py: the server)
def test_an_old_schema_file_upgrades_in_place_with_its_data(cli, isolated_db):
    conn = dbtools.connect(isolated_db)
    conn.executescript((FIXTURES / "schema_v1.sql").read_text(encoding="utf-8"))
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    shown = cli.json("show", "C001")
    assert (shown["name"], shown["next_due"]) == ("王芳", "2025-02-28")
    assert shown["history"][0]["note"] == "happy"
    assert dbtools.connect(isolated_db).execute("PRAGMA user_version").fetchone()[0] == (
        SCHEMA_VERSION
    )
    assert cli.json("imports") == []


@pytest.mark.sqlite_only  # the file itself (test_chain.py: the server)
def test_a_full_disk_fails_in_one_line_and_writes_nothing(cli, isolated_db, monkeypatch, tmp_path):
    from followup_cli import storage

    cli("import", "customers", EXAMPLE, "--date", "2026-11-23")
    before = dump(isolated_db)
    real_connect = storage.connect

    def tiny_disk(path):
        conn = real_connect(path)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        return conn

    monkeypatch.setattr(storage.database, "connect", tiny_disk)
    source = big_csv(tmp_path / "more.csv", 5_000)
    result = cli("import", "customers", str(source), code=1)
    assert result.stderr.startswith("followup: error: database problem: database or disk is full")
    assert result.stderr.count("\n") == 1
    monkeypatch.setattr(storage.database, "connect", real_connect)
    assert dump(isolated_db) == before


@pytest.mark.sqlite_only  # the file itself (test_chain.py: the server)
def test_a_read_only_database_gives_one_line_and_stays_as_it_was(
    cli, isolated_db, tmp_path, monkeypatch
):
    from followup_cli import storage

    cli("import", "customers", EXAMPLE, "--date", "2026-11-23")
    db = tmp_path / "shop.db"
    cli("backup", str(db))
    before = dump(db)
    db.chmod(0o444)
    if os.geteuid() == 0:  # root writes through file modes: open read-only as a user would

        def read_only(path):
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
            conn.row_factory = sqlite3.Row
            return conn

        monkeypatch.setattr(storage.database, "connect", read_only)
    result = cli("--db", str(db), "log", "C001", "reached", code=1)
    assert result.stderr.startswith("followup: error:") and result.stderr.count("\n") == 1
    assert "readonly" in result.stderr, result.stderr
    assert dump(db) == before


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(max_size=600))
def test_random_bytes_never_crash_the_importer(cli, isolated_db, tmp_path, data):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    before = dump(isolated_db, skip=("imports", "import_changes", "customers", "followups"))
    path = tmp_path / "random.csv"
    path.write_bytes(data)
    result = cli.runner.invoke(
        __import__("followup_cli.cli.app").cli.app.app, ["import", "customers", str(path), "-q"]
    )
    assert result.exit_code in (0, 3, 4), (result.exit_code, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    assert dump(isolated_db, skip=("imports", "import_changes", "customers", "followups")) == before
    conn = dbtools.connect(isolated_db)
    assert dbtools.integrity(conn) == "ok"
    assert conn.execute("SELECT name FROM customers WHERE ref = 'C001'").fetchone()[0] == "王芳"
    conn.close()


cell = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=30
)


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(st.lists(cell, min_size=0, max_size=12), min_size=1, max_size=8))
def test_random_csv_structures_never_crash_and_never_touch_stored_customers(
    cli, isolated_db, tmp_path, rows
):
    import csv

    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    path = tmp_path / "random.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "phone", "email", "tier", "last_purchase"])
        writer.writerows(rows)
    result = cli.runner.invoke(
        __import__("followup_cli.cli.app").cli.app.app, ["import", "customers", str(path), "-q"]
    )
    assert result.exit_code in (0, 3, 4), (result.exit_code, result.stderr, result.exception)
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    conn = dbtools.connect(isolated_db)
    assert conn.execute("SELECT name FROM customers WHERE ref = 'C001'").fetchone()[0] == "王芳"
    conn.close()


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=cell)
def test_random_text_in_every_option_never_crashes(cli, isolated_db, text):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    attempts = [
        ["log", "C002", "reached", "--date", "2026-11-23", "--note", text],
        ["log", text or "x", "reached"],
        ["show", text or "x"],
        ["today", "--owner", text, "--date", "2026-11-23"],
        ["today", "--date", text or "x"],
        ["import", "customers", EXAMPLE, "--map", text or "x", "-q"],
        ["report", "--from", text or "x"],
    ]
    for args in attempts:
        result = cli.runner.invoke(__import__("followup_cli.cli.app").cli.app.app, args)
        assert result.exit_code in (0, 1, 2, 4), (args, result.exit_code, result.exception)
        assert "unexpected" not in result.stderr, (args, result.stderr)
    conn = dbtools.connect(isolated_db)
    assert dbtools.integrity(conn) == "ok"
    assert conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 36
    conn.close()


def test_sql_in_a_name_round_trips_unchanged(cli, csv_file):
    name = "Robert'); DROP TABLE customers;--"
    cli("import", "customers", str(csv_file(f'R1,"{name}",13800000001,,,,,,,"a\'b"\n')))
    assert cli.json("show", "R1")["name"] == name
    assert cli.json("show", name)["customer_id"] == "R1"
    cli("log", name, "reached", "--note", "'; DELETE FROM contacts; --")
    assert cli.json("show", "R1")["history"][0]["note"] == "'; DELETE FROM contacts; --"
