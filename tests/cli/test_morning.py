"""The morning list's light path (no command tree) prints exactly what the full command does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from followup_cli.commands.morning import plain_today

EXAMPLE = str(Path(__file__).parents[2] / "examples" / "customers.csv")
ON = ("--date", "2026-11-23")


@pytest.mark.parametrize(
    ("argv", "found"),
    [
        (["today"], {}),
        (["--db", "x.db", "today", "--limit", "5"], {"--db": "x.db", "--limit": "5"}),
        (["today", "--date=2026-11-23", "--explain"], {"--date": "2026-11-23", "--explain": True}),
        (
            ["today", "--owner", "Li", "--format", "csv", "--db", "y.db"],
            {"--owner": "Li", "--format": "csv", "--db": "y.db"},
        ),
    ],
)
def test_a_plain_today_is_recognised(argv, found):
    assert plain_today(argv) == found


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["show", "C001"],
        ["today", "--help"],
        ["today", "-h"],
        ["today", "--with-message", "--format", "csv"],
        ["today", "--limit", "0"],
        ["today", "--limit", "many"],
        ["today", "--format", "ics"],
        ["today", "--date"],
        ["today", "--owner", "--explain"],
        ["today", "--db", ""],
        ["--lang", "zh", "today"],
        ["today", "extra"],
    ],
)
def test_anything_else_goes_to_the_full_command_line(argv):
    assert plain_today(argv) is None


def _run(db: Path, *args: str, **more: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FOLLOWUP_DB": str(db), "NO_COLOR": "1", "COLUMNS": "100", **more}
    return subprocess.run(
        [sys.executable, "-m", "followup_cli", *args], env=env, capture_output=True, text=True
    )


@pytest.mark.sqlite_only
def test_the_light_path_prints_what_the_full_command_prints(cli, isolated_db, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    cli("import", "customers", EXAMPLE, *ON)
    for args in (
        (),
        ("--limit", "5"),
        ("--explain",),
        ("--format", "csv"),
        ("--format", "json"),
        ("--owner", "sam", "--limit", "2"),
    ):
        light = _run(isolated_db, "today", *ON, *args)
        assert light.returncode == 0 and light.stderr == ""
        assert light.stdout == cli("today", *ON, *args).stdout, args
    # ... without loading the command tree (cli.py) at all
    imported = _run(isolated_db, "today", *ON, PYTHONPROFILEIMPORTTIME="1").stderr
    assert "followup_cli.commands.morning" in imported and "followup_cli.cli.app" not in imported


def test_mistakes_are_reported_by_the_full_command_line(cli, isolated_db, tmp_path):
    cli("import", "customers", EXAMPLE, *ON)
    bad = _run(isolated_db, "today", "--date", "2026-02-31")
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr == (
        "followup: error: --date '2026-02-31' is not a valid date (use 2026-11-05, 2026/11/05, "
        "2026年11月5日, 11月5日, today, 今天)\n"
    )
    unknown = _run(isolated_db, "today", "--owner", "Nobody", *ON)
    assert unknown.returncode == 1
    assert (
        unknown.stderr
        == "followup: error: no customer is followed up by 'Nobody' (owners: Li, Sam)\n"
    )
    new = _run(isolated_db, "--db", str(tmp_path / "new.db"), "today", *ON)
    assert new.stderr == f"followup: created a new, empty database at {tmp_path / 'new.db'}\n"
    assert new.stdout == "Nothing due on 2026-11-23.\n"


def test_a_limited_list_in_chinese(isolated_db):
    env = {**os.environ, "FOLLOWUP_DB": str(isolated_db), "LANG": "zh_CN.UTF-8"}
    run = [sys.executable, "-m", "followup_cli"]
    subprocess.run([*run, "import", "customers", EXAMPLE, *ON, "-q"], env=env, check=True)
    shown = subprocess.run(
        [*run, "today", *ON, "--limit", "4"], env=env, capture_output=True, text=True
    )
    assert shown.stdout.splitlines()[0].rstrip() == "2026-11-23 到期回访：共 23 个，显示 4 个"
