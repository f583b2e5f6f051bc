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

from test_loop import EXAMPLE
from test_safety import big_csv, count


def run(*args: str, db: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "FOLLOWUP_DB": str(db), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "followup_cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def notes(db: Path) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        return {r[0] for r in conn.execute("SELECT note FROM contacts WHERE note LIKE 'loop-%'")}
    finally:
        conn.close()


# A process that logs as fast as it can, each log a whole command on a fresh connection, and
# prints the note of every log that reported success.
WRITER_LOOP = textwrap.dedent(
    """
    import sys, time
    from followup_cli.cli import app
    stop = time.monotonic() + float(sys.argv[1])
    i = 0
    while time.monotonic() < stop:
        i += 1
        note = f"loop-{i}"
        try:
            app(["log", "C002", "reached", "--date", "2026-11-23", "--note", note],
                prog_name="followup", standalone_mode=False)
        except BaseException as exc:
            print("failed", note, exc, file=sys.stderr, flush=True)
            continue
        print("logged", note, file=sys.stderr, flush=True)
    """
)


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
    result = cli("import", "customers", str(stray), code=4)
    assert result.stderr == (
        "followup: error: file is UTF-8 except for 1 stray byte(s), on line(s) 4 (byte 0xe9): "
        "fix those lines (re-type the names there), or name the file's encoding with --encoding\n"
    )
    names = [c["name"] for c in json.loads(cli("export", "customers", "--format", "json").stdout)]
    assert names == ["王芳", "李娜", "张伟"]  # nothing "updated" to 鐜嬭姵
    assert [i["read"] for i in cli.json("imports")] == [3]  # the refused file left no trace
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("id,name,phone\nW1,王芳,13800138001\n".encode("gbk"))
    assert "gbk.csv (GBK/GB18030): read 1, added 0, updated 0, unchanged 1" in (
        cli("import", "customers", str(gbk)).stdout
    )


def secrets_in(db: Path, secrets: tuple[str, ...]) -> list[str]:
    raw = b"".join(Path(f"{db}{s}").read_bytes() for s in ("", "-wal") if Path(f"{db}{s}").exists())
    return [s for s in secrets if s.encode() in raw]


def test_forget_with_a_reader_holding_old_pages_says_so_and_scrubs_at_the_next_open(
    cli, isolated_db, monkeypatch
):
    from followup_cli import storage

    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    cli("log", "C001", "reached", "--date", "2026-11-23", "--note", "SECRET-NOTE-4417")
    secrets = ("王芳", "13800138001", "wangfang@example.com", "SECRET-NOTE-4417")
    monkeypatch.setattr(storage, "SCRUB_WAIT_MS", 200, raising=False)  # the real wait is 3 s
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
    conn = sqlite3.connect(isolated_db)
    assert (
        conn.execute("SELECT COUNT(*) FROM settings WHERE key = 'scrub_pending'").fetchone()[0] == 0
    )
    conn.close()


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
