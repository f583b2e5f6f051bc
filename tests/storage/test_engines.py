"""What each engine promises under faults, erasure and odd input (issue 24): `find` folds case
alike, secrets never reach a message, a server that goes away, a read-only file, erasure on
the server, and a big import that lets other branches write."""

from __future__ import annotations

from pathlib import Path

import pg_server
import pytest


def found_ids(found: list[dict]) -> list[str]:
    return [c["customer_id"] for c in found]


# --- find: Unicode case folding, the same on both engines --------------------------------------


@pytest.fixture
def folded_names(cli):
    for name, phone in (
        ("Straße Müller", "+49 151 12345678"),
        ("İstanbul Kız", "+90 532 123 45 67"),
        ("Ana Lima", "+55 11 91234 5678"),
    ):
        cli("add", name, "--phone", phone, "--date", "2026-11-23")


def test_find_folds_sharp_s_and_dotted_capital_i_alike_on_both_engines(cli, folded_names):
    assert found_ids(cli.json("find", "straße")) == ["fu-1"]
    assert found_ids(cli.json("find", "STRASSE")) == ["fu-1"]
    assert found_ids(cli.json("find", "müller")) == ["fu-1"]
    assert found_ids(cli.json("find", "İstanbul")) == ["fu-2"]
    assert found_ids(cli.json("find", "istanbul")) == ["fu-2"]
    assert found_ids(cli.json("find", "KIZ")) == []  # dotless ı is its own letter
    assert found_ids(cli.json("find", "kız")) == ["fu-2"]
    assert found_ids(cli.json("find", "a")) == ["fu-3", "fu-1", "fu-2"]  # by name (code points)
    assert cli.json("find", "a", "--limit", "1")[0]["customer_id"] == "fu-3"


# --- secrets never reach a message ---------------------------------------------------------------

SECRET_URLS = [
    # (URL, the secret that must not appear, a word that must)
    ("postgresql://:Pw1Hidden@127.0.0.1:1/db", ["Pw1Hidden"], "127.0.0.1"),
    ("postgresql://ann:p@ss2Hidden@127.0.0.1:1/db", ["ss2Hidden", "p@ss"], "%40"),
    ("postgresql://ann:my Hidden3@127.0.0.1:1/db", ["Hidden3"], "ann:***@"),
    ("postgresql://ann:Pw4Hidden@[::1/chain", ["Pw4Hidden"], "ann:***@"),
    ("postgresql://ann@127.0.0.1:1/db?sslpassword=Pw5Hidden", ["Pw5Hidden"], "sslpassword=***"),
    ("postgresql://ann@127.0.0.1:1/db?password=Pw6Hidden", ["Pw6Hidden"], "password=***"),
    ("postgresql://ann@/db?host=/nowhere&password=my%20Pw7Hidden&bad=1", ["Pw7Hidden"], "bad"),
]


@pytest.mark.sqlite_only  # the URL is the point: no server of the tests' own is reached
@pytest.mark.parametrize(("url", "secrets", "shown"), SECRET_URLS)
def test_no_message_shows_a_secret_of_the_server_url(cli, monkeypatch, url, secrets, shown):
    monkeypatch.setenv("FOLLOWUP_DB", url)
    for command in (["today"], ["find", "ann"], ["doctor"]):
        result = cli(*command, code=1)
        message = result.stderr
        assert message.startswith("followup: error: ") and message.count("\n") == 1, message
        for secret in secrets:
            assert secret not in message and secret not in result.stdout, message
        assert shown in message, message


# --- forget: gone from the bytes on disk, on both engines ----------------------------------------

EXAMPLE = str(Path(__file__).parents[2] / "examples" / "customers.csv")
ERASED = ("王芳", "13800138001", "wangfang@example.com", "SECRET-NOTE-778", "Buys tea sets")


def _bytes_on_disk(isolated_db: Path | str) -> bytes:
    """Every byte of the database: the SQLite file and its WAL, or, on the server, every
    data file of the cluster after a checkpoint (not its WAL: see the README)."""
    if isinstance(isolated_db, Path):
        files = [Path(f"{isolated_db}{s}") for s in ("", "-wal")]
    else:
        import psycopg

        with psycopg.connect(isolated_db, autocommit=True) as conn:
            conn.execute("CHECKPOINT")
        data = Path(str(pg_server._state["folder"])) / "data"
        files = [p for p in (data / "base").rglob("*") if p.is_file()]
    return b"".join(p.read_bytes() for p in files if p.exists())


def test_forget_leaves_nothing_of_the_customer_in_the_data_files(cli, isolated_db):
    if not isinstance(isolated_db, Path) and "folder" not in pg_server._state:
        pytest.skip("a server of your own (FOLLOWUP_TEST_PG=URL): its files are not here")
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23")
    cli("log", "C001", "complaint", "--date", "2026-11-20", "--note", "SECRET-NOTE-7781")
    cli("log", "C001", "reached", "--date", "2026-11-23", "--note", "SECRET-NOTE-7782")
    cli("edit", "C001", "--tier", "regular", "--date", "2026-11-24")
    before = _bytes_on_disk(isolated_db)
    assert all(secret.encode() in before for secret in ERASED)  # the search can see them
    out = cli("forget", "C001", "--yes").stdout
    told = (
        "Rewriting the server's tables that held them, so their details are gone from its "
        "data files too; other commands at every branch wait until this is done.\n"
    )
    erased = "Erased C001 王芳 and all their history.\n"
    assert out == (erased if isinstance(isolated_db, Path) else told + erased)
    raw = _bytes_on_disk(isolated_db)
    for secret in ERASED:
        assert secret.encode() not in raw, secret
    assert "李娜".encode() in raw  # the others are still there
    assert cli.json("find", "李娜")[0]["customer_id"] == "C002"


def test_forget_leaves_nothing_in_the_planners_statistics_either(cli, isolated_db):
    """A server samples column values for its planner (autovacuum does, `transfer` does): after
    `forget`, neither the statistics a query sees nor the data files hold the customer."""
    if isinstance(isolated_db, Path) or "folder" not in pg_server._state:
        pytest.skip("the server's own statistics, in the files of a server started here")
    import psycopg

    cli("import", "customers", EXAMPLE, "--date", "2026-11-23")

    def name_samples() -> str:
        with psycopg.connect(isolated_db, autocommit=True) as conn:
            row = conn.execute(
                "SELECT histogram_bounds::text, most_common_vals::text FROM pg_stats "
                "WHERE tablename = 'customers' AND attname = 'name'"
            ).fetchone()
        return " ".join(text or "" for text in row or ())

    with psycopg.connect(isolated_db, autocommit=True) as conn:
        conn.execute("ANALYZE customers")
    assert "王芳" in name_samples()  # 36 names, each one a bound of the name histogram
    cli("forget", "C001", "--yes")
    assert "王芳" not in name_samples() and "李娜" in name_samples()
    assert "王芳".encode() not in _bytes_on_disk(isolated_db)


# --- a big import on a chain's server: short transactions; the server going away -----------------

SHOP_HEADER = "id,name,phone,email,tier,first_purchase,last_purchase,added,owner,notes\n"


def _shop_file(tmp_path: Path, name: str, count: int, note: str) -> Path:
    """`count` regular customers, as a till exports them; every row's note says `note`."""
    rows = [
        f"K{i:04d},Kunde {i},139{i:08d},,regular,2025-01-05,2026-10-01,2025-01-05,Ann,{note} {i}"
        for i in range(1, count + 1)
    ]
    path = tmp_path / name
    path.write_text(SHOP_HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _on_server_only(engine: str) -> None:
    if engine != "postgresql":
        pytest.skip("about a chain's server")


def test_a_big_import_lets_a_write_at_another_branch_through_between_batches(
    cli, engine, isolated_db, tmp_path, monkeypatch
):
    import threading
    import time

    from followup_cli import storage
    from followup_cli.imports import write
    from followup_cli.storage.dialect import ServerConnection

    _on_server_only(engine)
    cli("import", "customers", str(_shop_file(tmp_path, "a.csv", 1000, "old")), "-q")
    updates_when_let_in: list[int] = []
    updates = [0]

    def another_branch_writes() -> None:
        conn = ServerConnection(str(isolated_db), 15_000)
        with storage.transaction(conn):
            updates_when_let_in.append(updates[0])
            conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('probe', '1')")
        conn.close()

    other = threading.Thread(target=another_branch_writes)
    real_update = storage.update_customer

    def counting_update(*args, **kwargs):
        updates[0] += 1
        if updates[0] == 1:  # the import holds the write lock: the other branch queues for it
            other.start()
            time.sleep(0.5)
        return real_update(*args, **kwargs)

    monkeypatch.setattr(storage, "update_customer", counting_update)
    cli("import", "customers", str(_shop_file(tmp_path, "b.csv", 1000, "new")), "-q")
    other.join(30)
    assert updates_when_let_in == [write.SERVER_WRITE_BATCH]  # after the first batch
    listed = cli.json("imports")
    assert [(i["updated"], i["status"]) for i in listed] == [(1000, "done"), (0, "done")]
    assert cli.json("show", "K1000")["notes"] == "new 1000"


def test_a_server_stopped_mid_import_says_what_was_kept_and_it_can_be_undone(
    cli, engine, tmp_path, monkeypatch
):
    import subprocess

    import pg_server

    from followup_cli import storage

    _on_server_only(engine)
    own = pg_server.private_server()
    if own is None:
        pytest.skip("needs a server the tests start themselves")
    url, pg_ctl, folder = own
    monkeypatch.setenv("FOLLOWUP_DB", url)
    try:
        cli("import", "customers", str(_shop_file(tmp_path, "a.csv", 500, "old")), "-q")
        updates = [0]
        real_update = storage.update_customer

        def stop_the_server_part_way(*args, **kwargs):
            updates[0] += 1
            if updates[0] == 250:  # in the second batch
                subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], check=True)
            return real_update(*args, **kwargs)

        monkeypatch.setattr(storage, "update_customer", stop_the_server_part_way)
        new = str(_shop_file(tmp_path, "b.csv", 500, "new"))
        err = cli("import", "customers", new, "-q", code=1).stderr
        assert err.startswith("followup: error: the database server went away (")
        assert err.endswith(
            "); import 2 stopped part way: its new customers and 200 updated customers were "
            "kept; 'followup imports undo 2' takes them back, or import the file again to "
            "finish\n"
        )
        assert err.count("\n") == 1
        monkeypatch.setattr(storage, "update_customer", real_update)
        log = str(Path(folder) / "log")  # the server's output: not a pipe it would hold open
        subprocess.run([*pg_ctl, "-l", log, "-w", "restart"], check=True, stdout=subprocess.DEVNULL)
        listed = cli.json("imports")
        assert [(i["id"], i["status"]) for i in listed] == [(2, "partial"), (1, "done")]
        assert [cli.json("show", ref)["notes"] for ref in ("K0200", "K0201")] == [
            "new 200",
            "old 201",
        ]
        out = cli("imports", "undo", "--yes", "2").stdout
        assert out == "Import 2 undone: 0 customers removed, 200 restored.\n"
        assert cli.json("show", "K0200")["notes"] == "old 200"
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True, check=False)
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


# --- a read-only file: commands that read work, commands that write say why not -----------------


@pytest.fixture
def read_only_folder(tmp_path: Path):
    """A folder followup can only read: a read-only bind mount as root (root ignores file
    permissions, not a read-only mount), else a folder and file without write permission."""
    import os
    import subprocess

    writable, shown = tmp_path / "writable", tmp_path / "shown"
    writable.mkdir()
    shown.mkdir()
    yield writable, shown
    if os.geteuid() == 0:
        subprocess.run(["umount", "--lazy", str(shown)], check=False, capture_output=True)
    else:
        shown.chmod(0o700)


@pytest.mark.sqlite_only  # the file itself
def test_a_read_only_file_serves_every_command_that_only_reads(cli, read_only_folder, monkeypatch):
    import os
    import subprocess

    writable, shown = read_only_folder
    monkeypatch.setenv("FOLLOWUP_DB", str(writable / "shop.db"))
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    if os.geteuid() == 0:
        try:
            subprocess.run(["mount", "--bind", str(writable), str(shown)], check=True)
            subprocess.run(["mount", "-o", "remount,ro,bind", str(shown)], check=True)
        except (OSError, subprocess.CalledProcessError):
            pytest.skip("running as root where a read-only bind mount cannot be made")
        reason = "Read-only file system"
    else:
        shown.rmdir()
        writable.rename(shown)
        (shown / "shop.db").chmod(0o400)
        shown.chmod(0o500)
        reason = "Permission denied"
    monkeypatch.setenv("FOLLOWUP_DB", str(shown / "shop.db"))
    before = sorted(p.name for p in shown.iterdir())
    assert len(cli.json("today", "--date", "2026-11-23")) == 23
    assert cli.json("show", "C001")["name"] == "王芳"
    assert found_ids(cli.json("find", "李娜")) == ["C002"]
    cli("report", "--date", "2026-11-23")
    assert cli("export", "customers").stdout.count("\n") == 37  # header and 36 customers
    backup = read_only_folder[0].parent / "copy.db"
    assert cli("backup", str(backup)).stdout == f"Backed up to {backup}\n"
    refused = (
        f"followup: error: the database file cannot be written ({reason}): this command "
        "changes it. Commands that only read (today, show, find, report, export, backup) "
        "work; copy the file somewhere writable to change it\n"
    )
    assert cli("log", "C001", "reached", "--date", "2026-11-23", code=1).stderr == refused
    assert cli("add", "Bob", "--phone", "13900000000", code=1).stderr == refused
    # nothing made beside the file (the import's own -wal and -shm may go when it closes)
    assert set(p.name for p in shown.iterdir()) <= set(before)
    monkeypatch.setenv("FOLLOWUP_DB", str(backup))
    assert cli.json("show", "C001")["name"] == "王芳"  # the backup is whole
