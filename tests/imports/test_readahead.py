"""A big file is read and checked in a second process: the same customers, plans, counts and
messages as reading it here, and a one-line error (nothing written) when that process fails.

The size from which a file is read ahead is lowered to 0 so that small, hand-checked files
take that path; `here` keeps every file in this process for the comparison.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from followup_cli.imports import key_filter, match
from followup_cli.imports import read_ahead as readahead
from followup_cli.imports import run as imports

pytestmark = pytest.mark.skipif(not readahead.can_fork(), reason="no fork on this system")


@pytest.fixture
def ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "READ_AHEAD_BYTES", 0)


def _messy_file(path: Path) -> Path:
    """Rows as a till exports them, with each kind of trouble an import meets."""
    lines = [
        "会员卡号,会员姓名,手机号码,邮箱,会员等级,开卡日期,最近消费时间,备注,所属门店",
        "V001,王芳,138 0013 8001,,金卡,2024-03-05 10:12:00,2025-10-02 18:22:05,,",
        "V002,李伟,13800138002,li@example.com,普通会员,2024/4/5 14:03,2025/9/1 9:00,常来,东门店",
        "V003,张敏,13800138003,,钻石会员,2023-01-09,2025-08-30,,",
        # the same member again, with a later purchase: merged, not a second customer
        "V001,王芳,138 0013 8001,wang@example.com,金卡,2024-03-05,2025-10-20,,",
        # a husband on his wife's phone: a second customer, reported
        ",刘强,13800138003,,普通会员,2024-06-01,2025-07-01,,",
        # no name: named from the phone
        ",,13800138006,,普通会员,2025-01-02,2025-02-03,,",
        # an American number in a Chinese shop: phone left out, the row kept by its e-mail
        "V007,Emma Johnson,(408) 781-2076,emma@example.com,普通会员,2025-02-01,2025-03-01,,",
        # a level nobody mapped: imported as regular, counted
        "V008,陈静,13800138008,,铜牌,2025-03-01,2025-04-01,,",
        # rejected: nothing to reach or match them by
        ",赵磊,,,普通会员,2025-01-01,2025-01-02,,",
        # rejected: a purchase in the future
        "V010,孙悦,13800138010,,普通会员,2025-05-01,2026-05-01,,",
        "V011,周婷,13800138011,,潜在客户,,,,",
        "合计,11,,,,,,,",
    ]
    # enough plain rows for the backlog of a first import to be spread over the coming days
    for n in range(12, 212):
        month = 1 + n % 12
        lines.append(
            f"V{n:03d},客户{n},1390013{n:04d},,{('普通会员', '金卡', '银卡')[n % 3]},"
            f"2023-{month:02d}-{1 + n % 27:02d},2024-{month:02d}-{1 + n % 28:02d},,"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _everything(cli) -> dict:
    """What an owner can see of the shop after the import."""
    return {
        "customers": cli.json("export", "customers"),
        "today": cli.json("today", "--date", "2025-11-01"),
        "due": cli.json("export", "due", "--date", "2025-11-01", "--days", "366"),
    }


def test_a_file_read_ahead_gives_what_reading_it_here_gives(cli, tmp_path, monkeypatch):
    source = _messy_file(tmp_path / "members.csv")
    seen = {}
    for way, size in (("here", 1 << 60), ("ahead", 0)):
        monkeypatch.setattr(imports, "READ_AHEAD_BYTES", size)
        monkeypatch.setenv("FOLLOWUP_DB", str(tmp_path / f"{way}.db"))
        result = cli(
            "import", "customers", str(source), "--date", "2025-11-01", "--format", "json", code=3
        )
        summary = json.loads(result.stdout)
        summary.pop("import_id", None)
        seen[way] = (summary, result.stderr, _everything(cli))
    assert seen["ahead"] == seen["here"]
    summary = seen["ahead"][0]
    # worked out by hand: 211 data rows and the total row; V001 twice; 2 rejected
    assert summary["read"] == 212
    assert summary["skipped_totals"] == 1
    assert summary["rejected"] == 2
    assert summary["added"] == 208
    assert summary["merged"] == 1
    assert summary["shared_phones"] == 1
    assert summary["named_from_contact"] == 1
    assert summary["phones_left_out"] == 1
    assert summary["unknown_levels"] == {"铜牌": 1}
    customers = {c["customer_id"]: c for c in seen["ahead"][2]["customers"]}
    assert customers["V001"]["email"] == "wang@example.com"
    assert customers["V001"]["last_purchase"] == "2025-10-20"
    assert customers["V002"]["added"] == "2024-04-05"  # 2024/4/5 14:03, as Excel saves it
    assert customers["V003"]["tier"] == "vip"
    assert customers["V007"]["phone"] is None
    assert customers["V008"]["tier"] == "regular"


def test_a_file_read_ahead_is_matched_to_the_customers_already_there(
    cli, tmp_path, monkeypatch, ahead
):
    source = _messy_file(tmp_path / "members.csv")
    cli("import", "customers", str(source), "--date", "2025-11-01", code=3)
    again = json.loads(
        cli(
            "import", "customers", str(source), "--date", "2025-11-02", "--format", "json", code=3
        ).stdout
    )
    assert (again["added"], again["merged"], again["rejected"]) == (0, 1, 2)
    # V001's first row takes last_purchase back a little and its second row forward again:
    # together they change nothing
    assert (again["updated"], again["unchanged"]) == (0, 208)
    assert {c["customer_id"]: c for c in cli.json("export", "customers")}["V001"][
        "last_purchase"
    ] == "2025-10-20"


def test_a_date_problem_found_ahead_is_the_usual_one_line_and_nothing_is_written(
    cli, csv_file, monkeypatch
):
    # 25/12 is day-first, 12/25 month-first: the file cannot be read either way
    path = csv_file(
        "1,Ann,+441234567890,,regular,25/12/2024,,,,\n2,Bo,,b@x.org,regular,12/25/2024,,,,\n"
    )
    said = []
    for size in (1 << 60, 0):
        monkeypatch.setattr(imports, "READ_AHEAD_BYTES", size)
        said.append(cli("import", "customers", str(path), "--date", "2025-11-01", code=4).stderr)
    assert said[1] == said[0]
    assert said[1].startswith("followup: error: ") and said[1].count("\n") == 1
    assert cli.json("export", "customers") == []


def test_when_the_reading_process_dies_nothing_is_written(cli, csv_file, monkeypatch, ahead):
    path = csv_file("1,Ann,,a@x.org,regular,2025-01-01,,,,\n2,Bo,,b@x.org,regular,2025-01-02,,,,\n")
    parent = os.getpid()

    def dies(*args, **kwargs):
        if os.getpid() != parent:
            os._exit(9)  # as the kernel's out-of-memory killer would leave it

    monkeypatch.setattr(match, "first_plan_of", dies)
    result = cli("import", "customers", str(path), "--date", "2025-11-01", code=1)
    assert result.stderr == (
        "followup: error: reading the file failed: the process reading it stopped "
        "unexpectedly (out of memory?); nothing was written\n"
    )
    assert cli.json("export", "customers") == []
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # the reading process was waited for: no zombie left


def test_the_reading_process_is_waited_for_after_an_import(cli, csv_file, ahead):
    path = csv_file("1,Ann,,a@x.org,regular,2025-01-01,,,,\n")
    cli("import", "customers", str(path), "--date", "2025-11-01")
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)
    assert [c["name"] for c in cli.json("export", "customers")] == ["Ann"]


def test_rows_matched_past_the_exact_key_set_are_matched_alike(cli, tmp_path, monkeypatch):
    """The keys of a file's rows are held exactly up to a size, then in a Bloom filter: a
    repeated row is found either way."""
    source = _messy_file(tmp_path / "members.csv")
    seen = []
    for way, keys in (("exact", 1 << 40), ("filter", 3)):
        monkeypatch.setattr(key_filter.Keys, "EXACT_KEYS", keys)
        monkeypatch.setenv("FOLLOWUP_DB", str(tmp_path / f"{way}.db"))
        result = cli(
            "import", "customers", str(source), "--date", "2025-11-01", "--format", "json", code=3
        )
        seen.append((json.loads(result.stdout)["merged"], result.stderr, _everything(cli)))
    assert seen[1] == seen[0]
    assert seen[0][0] == 1


@pytest.mark.sqlite_only
def test_a_first_big_import_builds_the_indexes_after_its_rows_and_leaves_them_alike(
    cli, tmp_path, monkeypatch, isolated_db
):
    from followup_cli.storage import imports as stored_imports

    def indexes() -> list[tuple[str, str]]:
        conn = sqlite3.connect(isolated_db)
        found = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
        ).fetchall()
        conn.close()
        return found

    cli("doctor")  # a new, empty shop
    before = indexes()
    monkeypatch.setattr(stored_imports, "INDEX_AFTER_ROWS", 10)
    source = _messy_file(tmp_path / "members.csv")
    summary = json.loads(
        cli(
            "import", "customers", str(source), "--date", "2025-11-01", "--format", "json", code=3
        ).stdout
    )
    assert summary["added"] == 208
    assert indexes() == before
    assert "no problems found" in cli("doctor").stdout
    # the unique index on refs was made again: a second customer with V001's id is refused
    cli("add", "Another", "--id", "V001", "--phone", "13900000001", code=1)


def test_a_row_travels_whole_but_for_its_raw_cells():
    """Every field of a clean row reaches the matching process (a field added to Record
    later travels too); the raw cells stay behind, as only rejected rows show them."""
    from dataclasses import fields, replace
    from datetime import date

    from followup_cli.imports.clean import Record

    values = {
        "line": 7,
        "ref": "V7",
        "name": "王芳",
        "phone": "+8613800138001",
        "email": "w@example.com",
        "tier": "vip",
        "dates": {"added": date(2024, 3, 5), "first_purchase": None},
        "owner": "小李",
        "notes": "常来",
        "extra": {"会员等级": "金卡"},
        "cells": ["V7", "王芳"],
        "named_from": "nickname",
        "warnings": ["column 'x': y: left out"],
        "unknown_level": "铜牌",
        "phone_left_out": True,
        "branch": "东门店",
        "first_plan": ("cadence", "every 1 month", None, "2024-04-05", 1),
    }
    assert set(values) == {f.name for f in fields(Record)}
    record = Record(**values)
    back = imports._tuple_as_record(imports._record_as_tuple(record))
    assert back == replace(record, cells=[])


def _processes_reading(path: Path) -> list[int]:
    """Processes whose command line names `path` (the import and its reading process)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                words = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if str(path).encode() in words:
                found.append(int(entry.name))
    return found


@pytest.mark.sqlite_only  # waits for the file's WAL to grow (test_chain.py: the server)
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find processes")
def test_ctrl_c_during_a_big_import_says_so_writes_nothing_and_leaves_no_process(
    cli, isolated_db, tmp_path
):
    import signal
    import time

    from test_safety import big_csv, dump, followup

    cli(
        "import",
        "customers",
        str(_messy_file(tmp_path / "first.csv")),
        "--date",
        "2025-11-01",
        code=3,
    )
    before = dump(isolated_db)
    source = big_csv(tmp_path / "big.csv", 200_000)  # 7 MB: read ahead
    proc = followup("import", "customers", str(source), "--date", "2025-11-01", db=isolated_db)
    deadline = time.monotonic() + 60
    while len(_processes_reading(source)) < 2:  # the reading process has started
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err == (
        "followup: interrupted (what was saved before stays; a change under way was rolled back)\n"
    )
    assert dump(isolated_db) == before
    time.sleep(0.2)
    assert _processes_reading(source) == []


def test_a_pipe_is_refused_in_one_line_before_anything_is_read(cli, tmp_path):
    pipe = tmp_path / "customers.csv"
    os.mkfifo(pipe)  # nobody writes to it: reading it would wait for ever
    new = tmp_path / "new.db"
    result = cli("--db", str(new), "import", "customers", str(pipe), code=4)
    assert result.stderr == (
        f"followup: error: {pipe} is a pipe or a device, not a file: save what it gives to a "
        "file and import that\n"
    )
    assert not new.exists()  # no new, empty database left behind for an import that cannot start


class _Terminal:
    def __init__(self, real, terminal: bool) -> None:
        self.real, self.terminal = real, terminal

    def isatty(self) -> bool:
        return self.terminal

    def __getattr__(self, name: str):
        return getattr(self.real, name)


@pytest.mark.parametrize(
    ("stdout_terminal", "quiet", "shown"),
    [(True, False, True), (False, False, False), (True, True, False)],
)
def test_the_progress_bar_is_only_for_a_person_watching(monkeypatch, stdout_terminal, quiet, shown):
    """Output to a file or a pipe, or --quiet: no bar (README: never in cron or a file)."""
    import sys

    from followup_cli.output import terminal

    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(sys, "stderr", _Terminal(sys.stderr, True))
    monkeypatch.setattr(sys, "stdout", _Terminal(sys.stdout, stdout_terminal))
    with terminal.progress("Importing a.csv", "Writing a.csv", quiet=quiet) as start:
        assert (start is not None) == shown
