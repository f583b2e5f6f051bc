"""Nothing lost, nobody let in, round two: each promise tried the way it was broken.

Real processes where the bug needs them: a writer loop during restore, a full disk, planted
symlinks, a FIFO, a reader holding a transaction during forget.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dbtools
import pytest
from test_loop import EXAMPLE
from test_safety import big_csv, count

from followup_cli.storage import SCHEMA_VERSION


def run(*args: str, db: Path, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "FOLLOWUP_DB": str(db), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "followup_cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )


def notes(db: Path) -> set[str]:
    conn = dbtools.connect(db)
    try:
        return {r[0] for r in conn.execute("SELECT note FROM contacts WHERE note LIKE 'loop-%'")}
    finally:
        conn.close()


# A process that logs as fast as it can, each log a whole command on a fresh connection, and
# prints the note of every log that reported success.
WRITER_LOOP = textwrap.dedent(
    """
    import sys, time
    from followup_cli.cli.app import app
    stop = time.monotonic() + float(sys.argv[1])
    i = 0
    while time.monotonic() < stop:
        i += 1
        note = f"loop-{i}"
        try:
            app(["log", "C002", "reached", "--date", "2026-11-23", "--note", note, "--again"],
                prog_name="followup", standalone_mode=False)
        except BaseException as exc:
            print("failed", note, exc, file=sys.stderr, flush=True)
            continue
        print("logged", note, file=sys.stderr, flush=True)
    """
)


@pytest.mark.sqlite_only  # the file itself (test_chain.py: the server)
def test_logs_written_during_a_restore_are_kept_in_one_file_or_the_other(
    cli, isolated_db, tmp_path
):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    cli("import", "customers", str(big_csv(tmp_path / "big.csv", 20_000)), "--date", "2026-11-23")
    copy = tmp_path / "backup.db"
    cli("backup", str(copy))
    env = {**os.environ, "FOLLOWUP_DB": str(isolated_db)}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER_LOOP, "6"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)
    for _ in range(3):
        done = run("restore", str(copy), "--yes", db=isolated_db)
        assert done.returncode == 0, done.stderr
        time.sleep(0.3)
    _, err = writer.communicate(timeout=60)
    logged = {line.split()[1] for line in err.splitlines() if line.startswith("logged")}
    assert len(logged) > 20  # the loop really ran beside the restores
    asides = sorted(tmp_path.glob("followup.db.before-restore-*"))
    assert len(asides) == 3
    kept = notes(isolated_db).union(*(notes(a) for a in asides))
    assert logged - kept == set()  # every "Logged" is in the restored file or a kept copy


def small_disk(limit: int):
    """A process that can write files of at most `limit` bytes, as on a nearly full disk."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.sqlite_only  # the file itself (test_chain.py: the server)
def test_backup_force_on_a_full_disk_keeps_the_previous_backup(cli, isolated_db, tmp_path):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    cli("import", "customers", str(big_csv(tmp_path / "big.csv", 5_000)), "--date", "2026-11-23")
    folder = tmp_path / "backups"
    folder.mkdir()
    previous = folder / "shop.db"
    cli("backup", str(previous))
    before = previous.read_bytes()
    assert len(before) > 400_000  # bigger than the disk has room for below
    cli("log", "C001", "reached", "--date", "2026-11-23")
    done = run("backup", str(previous), "--force", db=isolated_db, preexec_fn=small_disk(200_000))
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("followup: error:") and done.stderr.count("\n") == 1
    assert previous.read_bytes() == before  # the old backup is whole
    assert sorted(p.name for p in folder.iterdir()) == ["shop.db"]  # no partial file, no journal
    done = run("backup", str(previous), "--force", db=isolated_db)
    assert done.returncode == 0, done.stderr
    assert count(previous, "contacts") == 1
    assert stat.S_IMODE(previous.stat().st_mode) == 0o600


def test_one_stray_latin1_byte_never_turns_chinese_names_into_mojibake(cli, csv_file, tmp_path):
    good = csv_file(
        "W1,王芳,13800138001\nW2,李娜,13800138002\nW3,张伟,13800138003\n",
        "good.csv",
        header="id,name,phone\n",
    )
    assert "good.csv (UTF-8): read 3, added 3" in cli("import", "customers", str(good)).stdout
    stray = tmp_path / "stray.csv"
    stray.write_bytes(
        "id,name,phone\nW1,王芳,13800138001\nW2,李娜,13800138002\n".encode()
        + b"W4,Ren\xe9e,13800138004\nW3,\xe5\xbc\xa0\xe4\xbc\x9f,13800138003\n"
    )
    result = cli("import", "customers", str(stray), code=3)  # that row out, the rest in
    assert result.stderr == (
        f"{stray}: line 4: byte 0xe9 here is not UTF-8, as the rest of the file is: re-type "
        "this row, or name the file's encoding with --encoding\n"
    )
    names = [c["name"] for c in json.loads(cli("export", "customers", "--format", "json").stdout)]
    assert names == ["王芳", "李娜", "张伟"]  # nothing "updated" to 鐜嬭姵, no Ren\ufffde
    assert [(i["read"], i["rejected"]) for i in cli.json("imports")] == [(4, 1), (3, 0)]
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("id,name,phone\nW1,王芳,13800138001\n".encode("gbk"))
    assert "gbk.csv (GBK/GB18030): read 1, added 0, updated 0, unchanged 1" in (
        cli("import", "customers", str(gbk)).stdout
    )


def secrets_in(db: Path, secrets: tuple[str, ...]) -> list[str]:
    raw = b"".join(Path(f"{db}{s}").read_bytes() for s in ("", "-wal") if Path(f"{db}{s}").exists())
    return [s for s in secrets if s.encode() in raw]


@pytest.mark.sqlite_only  # the file itself (test_chain.py: the server)
def test_forget_with_a_reader_holding_old_pages_says_so_and_scrubs_at_the_next_open(
    cli, isolated_db, monkeypatch
):
    from followup_cli import storage

    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    cli("log", "C001", "reached", "--date", "2026-11-23", "--note", "SECRET-NOTE-4417")
    secrets = ("王芳", "13800138001", "wangfang@example.com", "SECRET-NOTE-4417")
    monkeypatch.setattr(storage.files, "SCRUB_WAIT_MS", 200)  # the real wait is 3 s
    reader = sqlite3.connect(isolated_db, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 36
    try:
        result = cli("forget", "C001", "--yes", code=1)
        assert result.stdout == ""  # no "Erased": the promise is not kept yet
        assert result.stderr.startswith(
            "followup: error: C001 王芳 is erased from the customer list, but another program is "
            "reading the database"
        )
        assert secrets_in(isolated_db, secrets) == list(secrets)  # the reader keeps them there
        cli("show", "C001", code=1)
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert len(cli.json("today", "--date", "2026-11-23")) == 22  # any command: scrubbed first
    assert secrets_in(isolated_db, secrets) == []
    conn = dbtools.connect(isolated_db)
    assert (
        conn.execute("SELECT COUNT(*) FROM settings WHERE key = 'scrub_pending'").fetchone()[0] == 0
    )
    conn.close()


@pytest.mark.sqlite_only  # the file itself (test_chain.py: the server)
def test_forget_reaches_the_copies_restore_kept_and_names_the_backups(cli, isolated_db, tmp_path):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    cli("log", "C001", "reached", "--date", "2026-11-23", "--note", "SECRET-NOTE-5521")
    copy = tmp_path / "monday.db"
    cli("backup", str(copy))
    restored = cli("restore", str(copy), "--yes").stdout
    aside = Path(restored.split("kept at ")[1].strip())
    secrets = ("王芳", "13800138001", "wangfang@example.com", "SECRET-NOTE-5521")
    assert secrets_in(aside, secrets) == list(secrets)
    result = cli("forget", "C001", "--yes")
    assert result.stdout == (
        "Erased C001 王芳 and all their history.\n"
        f"Also erased from the copy kept by restore: {aside}\n"
    )
    assert result.stderr == (
        f"The backup {copy} may still hold them: erase there with "
        f"'followup --db {copy} forget C001 --yes', or delete it\n"
    )
    assert secrets_in(aside, secrets) == []
    assert secrets_in(isolated_db, secrets) == []
    assert count(aside) == 35 and count(copy) == 36  # the others kept; the backup untouched


def test_the_access_export_includes_earlier_values_kept_in_import_history(cli, csv_file):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    moved = csv_file("C001,王芳芳,13900139001,fang@example.org\n", header="id,name,phone,email\n")
    cli("import", "customers", str(moved), "--date", "2026-11-24")
    data = json.loads(cli("export", "customer", "C001").stdout)
    assert data["customer"]["name"] == "王芳芳"
    history = data["import_history"]
    assert [(h["import_id"], h["action"]) for h in history] == [(1, "added"), (2, "updated")]
    assert history[1]["before"] == {
        "email": "wangfang@example.com",
        "name": "王芳",
        "phone": "+8613800138001",
    }
    assert history[1]["file"] == str(moved)


def leftovers(folder: Path, *expected: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in expected)


@pytest.mark.sqlite_only  # the file itself (test_chain.py: the server)
def test_planted_links_and_files_at_the_temporary_names_are_never_written_through(
    cli, isolated_db, tmp_path
):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    # The names the exports used to write through: {output}.tmp-{pid}, for this process.
    for name in ("customers.csv", "report.html", "rejects.csv"):
        (out / f"{name}.tmp-{os.getpid()}").symlink_to(victim)
    planted = out / f"history.csv.tmp-{os.getpid()}"
    planted.write_text("")
    planted.chmod(0o666)
    cli("export", "customers", "-o", str(out / "customers.csv"))
    cli("export", "history", "-o", str(out / "history.csv"))
    cli("report", "--date", "2026-11-23", "--html", str(out / "report.html"))
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,phone\n,Nobody,\n", encoding="utf-8")
    cli("import", "customers", str(bad), "--rejects", str(out / "rejects.csv"), code=4)
    assert victim.read_text() == "precious\n"
    assert victim.stat().st_nlink == 1
    for name in ("customers.csv", "history.csv", "report.html", "rejects.csv"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600, name
    assert "王芳" in (out / "customers.csv").read_text(encoding="utf-8")
    # A planted link at the restore's copy-aside name for the next seconds is not followed.
    stamps = {time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() + s)) for s in range(5)}
    for stamp in stamps:
        (tmp_path / f"followup.db.before-restore-{stamp}").symlink_to(victim)
    copy = tmp_path / "copy.db"
    cli("backup", str(copy))
    kept = Path(cli("restore", str(copy), "--yes").stdout.split("kept at ")[1].strip())
    assert not kept.is_symlink() and count(kept) == 36
    assert victim.read_text() == "precious\n"


@pytest.mark.sqlite_only  # the file itself (test_chain.py: the server)
def test_failures_leave_no_temporary_file_behind(cli, isolated_db, tmp_path):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    cli("import", "customers", str(big_csv(tmp_path / "big.csv", 5_000)), "--date", "2026-11-23")
    out = tmp_path / "out"
    out.mkdir()
    done = run(
        "export",
        "customers",
        "-o",
        str(out / "all.csv"),
        db=isolated_db,
        preexec_fn=small_disk(100_000),
    )
    assert done.returncode == 1 and done.stderr.startswith("followup: error:"), done.stderr
    assert leftovers(out) == []  # no half-written export full of customers
    # Restoring from a file in WAL mode leaves no -wal/-shm beside it.
    backups = tmp_path / "backups"
    backups.mkdir()
    wal_copy = backups / "wal.db"
    cli("backup", str(wal_copy))
    conn = sqlite3.connect(wal_copy)
    assert conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
    conn.close()
    cli("restore", str(wal_copy), "--yes")
    assert leftovers(backups) == ["wal.db"]
    assert leftovers(tmp_path, "followup.db", "followup.db-wal", "followup.db-shm") == [
        "backups",
        "big.csv",
        next(p.name for p in tmp_path.glob("*before-restore*")),
        "out",
    ]


def test_outputs_that_are_not_regular_files(cli, isolated_db, tmp_path):
    import threading

    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    folder = tmp_path / "exports"
    folder.mkdir()
    result = cli("export", "customers", "-o", str(folder), code=1)
    assert result.stderr == f"followup: error: {folder} is a folder: give a file name\n"
    assert leftovers(tmp_path, "followup.db", "followup.db-wal", "followup.db-shm") == ["exports"]
    assert leftovers(folder) == []
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    cli("export", "customers", "-o", str(fifo), "--format", "json")
    reader.join(timeout=10)
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a FIFO, not replaced by a file
    assert len(json.loads(received[0])) == 36
    dash = cli("export", "due", "--date", "2026-11-23", "-o", "-", "--format", "json")
    assert len(json.loads(dash.stdout)) > 0
    piped = run("export", "customers", "-o", "/dev/stdout", db=isolated_db)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.count("\n") == 37  # header and 36 customers, through the pipe
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    cli("export", "history", "-o", "/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    # A rejects target that cannot work is refused before the import runs.
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,phone\nX1,Xu,13800000001\nX2,,13800000002\n", encoding="utf-8")
    result = cli("import", "customers", str(bad), "--rejects", str(folder), code=1)
    assert result.stderr == f"followup: error: {folder} is a folder: give a file name\n"
    assert len(cli.json("imports")) == 1  # only the first import: nothing was written


def test_a_rejects_file_that_cannot_be_written_does_not_hide_a_finished_import(
    cli, tmp_path, monkeypatch
):
    from followup_cli.output import files

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "to_text_file", full_disk)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,phone\nX1,Xu,13800000001\n,Nobody,\n", encoding="utf-8")
    result = cli("import", "customers", str(bad), "--rejects", str(tmp_path / "r.csv"), code=1)
    assert result.stdout == f"{bad} (UTF-8): read 2, added 1, updated 0, unchanged 0, rejected 1\n"
    assert result.stderr.endswith(
        "followup: error: the import is done as summarised above, but the rejected rows could "
        f"not be written to {tmp_path / 'r.csv'} (No space left on device)\n"
    )
    assert [i["added"] for i in cli.json("imports")] == [1]


@pytest.mark.sqlite_only  # the file itself (test_chain.py: the server)
def test_files_that_are_not_ours_are_refused_untouched(cli, isolated_db, tmp_path):
    other = tmp_path / "other-app.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('not yours')")
    conn.commit()
    conn.close()
    tagged = tmp_path / "tagged.db"
    conn = sqlite3.connect(tagged)
    conn.execute("PRAGMA application_id = 1234")
    conn.execute("CREATE TABLE customers (x)")
    conn.commit()
    conn.close()
    for path in (other, tagged):
        before = path.read_bytes()
        result = cli("--db", str(path), "today", code=1)
        assert result.stderr == (
            f"followup: error: {path} is another application's database, not a followup one: "
            "nothing was changed (give followup a file of its own with --db)\n"
        )
        assert path.read_bytes() == before  # no tables added, still not in WAL mode
        assert leftovers(tmp_path, "other-app.db", "tagged.db", "followup.db") == []
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    newer = tmp_path / "newer.db"
    cli("backup", str(newer))
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = newer.read_bytes()
    assert "written by a newer followup" in cli("--db", str(newer), "today", code=1).stderr
    assert newer.read_bytes() == before  # its journal mode was not flipped to WAL first
    empty = tmp_path / "empty.db"
    empty.touch(mode=0o644)
    empty.chmod(0o644)
    assert cli("--db", str(empty), "today", "--date", "2026-11-23").stdout == (
        "Nothing due on 2026-11-23.\n"
    )
    assert stat.S_IMODE(empty.stat().st_mode) == 0o600
    conn = sqlite3.connect(empty)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x466F5570
    conn.close()


def test_the_default_folders_are_private_under_umask_000(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("FOLLOWUP_DB", "XDG_DATA_HOME")}
    env["HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-m", "followup_cli", "today", "--date", "2026-11-23"],
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=lambda: os.umask(0),
    )
    assert done.returncode == 0, done.stderr
    for folder in (".local", ".local/share", ".local/share/followup"):
        assert stat.S_IMODE((home / folder).stat().st_mode) == 0o700, folder
    assert stat.S_IMODE((home / ".local/share/followup/followup.db").stat().st_mode) == 0o600


EVIL = "Evil\x1b]0;PWNED\x07\x1b[2J"


def no_controls(text: str) -> bool:
    return not any(ch in text for ch in "\x1b\x07\x9b")


def test_terminal_escapes_in_names_never_reach_the_terminal(cli, isolated_db, csv_file):
    path = csv_file(f'E1,"{EVIL}",13800000009,,vip,,,2026-01-01,,"note\x1b[31m red"\n')
    cli("import", "customers", str(path), "--date", "2026-11-23")
    stored = cli.json("show", "E1")
    assert (stored["name"], stored["notes"]) == ("Evil]0;PWNED[2J", "note[31m red")
    # A name already stored with escapes (from before this release) is cleaned when printed.
    conn = dbtools.connect(isolated_db)
    conn.execute("UPDATE customers SET name = ? WHERE ref = 'E1'", (EVIL,))
    conn.commit()
    conn.close()
    outputs = [
        cli("log", "E1", "no-answer", "--date", "2026-11-23", "--note", "hi\x1b[2J"),
        cli("today", "--date", "2026-12-01"),
        cli("show", "E1"),
        cli("show", EVIL + "x", code=1),
        cli("export", "customers"),
    ]
    for result in outputs:
        assert no_controls(result.stdout) and no_controls(result.stderr), result.stdout
    assert outputs[0].stdout.startswith("Logged no-answer for E1 Evil]0;PWNED[2J on 2026-11-23")
    assert "Evil]0;PWNED[2J" in outputs[1].stdout and "Evil]0;PWNED[2J" in outputs[2].stdout
    assert cli.json("show", "E1")["history"][0]["note"] == "hi[2J"


def test_csv_exports_neutralise_every_formula_form(cli, tmp_path):
    import csv

    source = tmp_path / "tricky.csv"
    source.write_text(
        "id,name,phone,notes,=cmd|' /C calc'!A0\n"
        "T1,-1-1,13800000001,-(1)-(2),x\n"
        'T2,"＝HYPERLINK(""http://x"")",13800000002,＋1,x\n'
        "T3,@SUM(A1),13800000003,-12.50,x\n"
        ",Nobody,,,x\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    cli(
        "import",
        "customers",
        str(source),
        "--date",
        "2026-11-23",
        "--rejects",
        str(rejects),
        code=3,
    )
    rows = list(csv.reader(cli("export", "customers").stdout.splitlines()))
    by_id = {row[0]: row for row in rows[1:]}
    names = rows[0].index("name")
    notes = rows[0].index("notes")
    phones = rows[0].index("phone")
    assert [by_id[t][names] for t in ("T1", "T2", "T3")] == [
        "'-1-1",
        '\'＝HYPERLINK("http://x")',
        "'@SUM(A1)",
    ]
    assert [by_id[t][notes] for t in ("T1", "T2", "T3")] == ["'-(1)-(2)", "'＋1", "-12.50"]
    assert by_id["T1"][phones] == "+8613800000001"  # a phone number stays a phone number
    header = next(csv.reader(rejects.read_text(encoding="utf-8-sig").splitlines()))
    assert header == ["id", "name", "phone", "notes", "'=cmd|' /C calc'!A0", "reason"]


@pytest.mark.sqlite_only  # the file itself (test_chain.py: the server)
def test_imports_undo_is_linear_and_finds_customers_by_index(cli, isolated_db, tmp_path):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    conn = dbtools.connect(isolated_db)
    plan = " ".join(
        row[3]
        for row in conn.execute(
            "EXPLAIN QUERY PLAN DELETE FROM import_changes WHERE customer_id = 1"
        )
    )
    conn.close()
    assert "USING INDEX idx_import_changes_customer" in plan  # was a full scan per customer
    small = big_csv(tmp_path / "small.csv", 2_000)
    large = big_csv(tmp_path / "large.csv", 20_000)
    timings = []
    for number, source in ((2, small), (4, large)):
        cli("import", "customers", str(source), "--date", "2026-11-23", "-q")
        started = time.perf_counter()
        done = cli("imports", "undo", "--yes", str(number), "--date", "2026-11-23").stdout
        timings.append(time.perf_counter() - started)
        assert done.startswith(f"Import {number} undone: ")
        cli("import", "customers", str(source), "--date", "2026-11-23", "-q")  # back, for next
    assert count(isolated_db) == 36 + 20_000
    # Ten times the rows: a linear undo takes about ten times as long; the quadratic one took
    # a hundred times (1.0 s at 5k rows, 40 s at 40k). Generous for a loaded machine.
    assert timings[1] < 30 * timings[0] + 1.0, timings


def damage_an_index_page(db: Path) -> None:
    """Flip the cell count of the name index's page: `log` never reads that page."""
    conn = dbtools.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'idx_customers_name'"
    ).fetchone()[0]
    conn.close()
    with db.open("r+b") as handle:
        handle.seek((root - 1) * size + 3)
        handle.write(b"\x00\x60")


@pytest.mark.sqlite_only  # the file itself (test_chain.py: the server)
def test_commands_that_write_refuse_a_damaged_file(cli, isolated_db, monkeypatch):
    from datetime import date

    from followup_cli import storage

    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    damage_an_index_page(isolated_db)
    before = isolated_db.read_bytes()
    result = cli("log", "C002", "reached", "--date", "2026-11-23", code=1)
    assert result.stderr.startswith("followup: error: the database file is damaged (On tree page ")
    assert result.stderr.endswith(
        "nothing was written. See 'followup doctor', then restore a backup with "
        "'followup restore FILE'\n"
    )
    assert isolated_db.read_bytes() == before
    assert not Path(f"{isolated_db}-wal").exists() or Path(f"{isolated_db}-wal").stat().st_size == 0
    cli("doctor", code=1)
    # Big files are checked at the first write of the day, and the day is recorded.
    healthy = Path(str(isolated_db) + ".2")
    cli("--db", str(healthy), "import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    monkeypatch.setattr(storage.connection, "QUICK_CHECK_MAX_BYTES", 0)
    cli("--db", str(healthy), "log", "C002", "reached", "--date", "2026-11-23")
    conn = sqlite3.connect(healthy)
    checked = conn.execute("SELECT value FROM settings WHERE key = 'last_quick_check'")
    assert checked.fetchone()[0] == date.today().isoformat()
    conn.close()


def test_a_header_only_file_imports_nothing_and_says_so(cli, csv_file):
    path = csv_file("", "empty-body.csv")
    result = cli("import", "customers", str(path), code=4)
    assert result.stderr == f"followup: error: file {path} has a header line but no rows\n"
    assert cli.json("imports") == []  # no empty import recorded


@pytest.mark.parametrize(
    "args",
    [
        ["import", "customers", EXAMPLE, "--date", "9999-12-31"],
        ["export", "due", "--date", "9999-12-31"],
        ["upcoming", "--date", "9999-12-31"],
        ["plan", "--spread", "14d", "--date", "9999-12-31"],
        ["snooze", "C001", "--until", "+3d", "--date", "9999-12-31"],
        ["report", "--last", "30d", "--date", "0001-01-10"],
        ["today", "--date", "1899-12-31"],
    ],
)
def test_absurd_dates_get_a_clear_error(cli, args):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    result = cli(*args, code=2)  # a day out of range is a usage error, as any bad date
    day = args[args.index("--date") + 1]
    assert result.stderr == (
        f"followup: error: --date {day} is out of range: use a day from 1900-01-01 to 2999-12-31\n"
    )


def test_a_period_past_the_calendar_is_refused_with_the_bound(cli):
    # 999999 days back once overflowed the calendar; durations now stop at ten years
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    result = cli("report", "--last", "999999d", "--date", "2026-11-23", code=1)
    assert result.stderr == (
        "followup: error: duration '999999d' is too long: at most 10y (120m, 520w, 3650d)\n"
    )


PEAK = textwrap.dedent(
    """
    import resource, sys
    from followup_cli.cli.app import app
    try:
        app(sys.argv[1:], prog_name="followup")
    except SystemExit as done:
        code = done.code
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, code, file=sys.stderr)
    """
)


def peak_kb(db: Path, *args: str) -> int:
    """The peak memory of one whole command, in a process of its own."""
    env = {**os.environ, "FOLLOWUP_DB": str(db)}
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *args], env=env, capture_output=True, text=True, timeout=300
    )
    peak, code = done.stderr.split()[-2:]
    assert code in ("0", "None"), done.stderr
    return int(peak)


@pytest.mark.sqlite_only  # the file itself (test_chain.py: the server)
def test_exports_stream_in_bounded_memory(cli, isolated_db, tmp_path):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    out = tmp_path / "out.json"
    small = peak_kb(isolated_db, "export", "history", "--format", "json", "-o", str(out))
    conn = dbtools.connect(isolated_db)
    # 60 000 contacts with 300-character notes: about 25 MB of history.
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000) "
        "INSERT INTO contacts (customer_id, date, outcome, note, logged_at) "
        "SELECT 1 + i % 36, '2026-01-01', 'reached', printf('%.300c', 'x'), '2026-01-01' FROM n"
    )
    # 150 customers with 10 000 extra columns each.
    wide = json.dumps({f"column {i}": f"value {i}" for i in range(10_000)})
    conn.executemany(
        "INSERT INTO customers (ref, name, tier, added, status, do_not_contact, extra) "
        "VALUES (?, ?, 'regular', '2026-01-01', 'active', 0, ?)",
        [(f"W{i}", f"Wide {i}", wide) for i in range(150)],
    )
    conn.commit()
    conn.close()
    for fmt in ("json", "csv"):
        history = peak_kb(isolated_db, "export", "history", "--format", fmt, "-o", str(out))
        assert history - small < 25_000, (fmt, small, history)  # was the whole history: 100+ MB
    rows = sum(1 for _ in out.open(encoding="utf-8")) - 1
    assert rows == 60_000
    customers = peak_kb(isolated_db, "export", "customers", "--format", "json", "-o", str(out))
    assert customers - small < 25_000, (small, customers)
    assert len(json.loads(out.read_text(encoding="utf-8"))) == 186


def rewrite_zip(source: Path, target: Path, change) -> None:
    """Copy a workbook part by part, letting `change(name, data)` alter any part."""
    import zipfile

    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item.filename, change(item.filename, old.read(item.filename)))


def test_workbooks_that_would_take_minutes_and_gigabytes_are_refused_in_one_line(
    cli, isolated_db, tmp_path
):
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["id", "name", "phone"])
    book.active.append(["K1", "孔丽", "13800000001"])
    honest = tmp_path / "honest.xlsx"
    book.save(honest)
    claims = tmp_path / "claims.xlsx"
    rewrite_zip(
        honest,
        claims,
        lambda name, data: (
            data.replace(b'ref="A1:C2"', b'ref="A1:XFD1048576"')
            if name.endswith("sheet1.xml")
            else data
        ),
    )
    done = run(
        "import", "customers", str(claims), "--date", "2026-11-23", db=isolated_db, timeout=30
    )  # the claim is not trusted: the sheet's one row imports, at once
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert "read 1, added 1" in done.stdout
    corner = Workbook()
    corner.active.append(["id", "name", "phone"])
    corner.active.append(["K2", "孔雪", "13800000002"])
    corner.active["XFD1048576"] = "x"  # one real cell in the far corner: a 16384 x 1M grid
    sparse = tmp_path / "sparse.xlsx"
    corner.save(sparse)
    done = run(
        "import", "customers", str(sparse), "--date", "2026-11-23", db=isolated_db, timeout=30
    )  # refused before the reader lays out 512 GB of grid
    assert done.returncode == 4, done.stderr
    assert done.stderr == (
        f"followup: error: {sparse} is not imported: its sheet spans 17179869184 cells (an "
        "absurd workbook, or a zip bomb)\n"
    )
    bomb = tmp_path / "bomb.xlsx"
    rewrite_zip(honest, bomb, lambda name, data: data)
    with (
        zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/padding.bin", "w") as part,
    ):
        for _ in range(60):
            part.write(bytes(1 << 20))
    assert bomb.stat().st_size < 1 << 20
    result = cli("import", "customers", str(bomb), "--date", "2026-11-23", code=4)
    assert result.stderr.startswith(f"followup: error: {bomb} is not imported: xl/media/padding")
    assert "unpacks to 60 MB from " in result.stderr
    cli("import", "customers", str(honest), "--date", "2026-11-23")
    assert cli.json("show", "K1")["name"] == "孔丽"  # an honest workbook still imports
