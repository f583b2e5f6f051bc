"""The README keeps its promises: its shown output is real and every option is documented."""

from __future__ import annotations

import re
from pathlib import Path

from typer.main import get_command

from followup_cli.cli.app import app

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_today_output_is_the_real_output(cli, monkeypatch):
    shown = re.search(r"<!-- today-output -->\n```text\n(.*?)\n```", README, re.S).group(1)
    monkeypatch.setenv("COLUMNS", "120")
    cli("import", "customers", str(ROOT / "examples" / "customers.csv"), "--date", "2026-11-23")
    actual = cli("today", "--date", "2026-11-23").stdout.rstrip("\n")
    assert [line.rstrip() for line in actual.splitlines()] == [
        line.rstrip() for line in shown.splitlines()
    ]


def _commands(group, prefix=""):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def test_every_command_and_option_is_in_the_command_reference():
    reference = README.split("## Command reference", 1)[1]
    for name, command in _commands(get_command(app)):
        assert f"`followup {name}" in reference, name
        for param in command.params:
            for option in param.opts:
                if option.startswith("--") and option != "--help":
                    assert option in reference, (name, option)


def test_ci_runs_exactly_the_readme_test_command():
    command = re.search(r"\*\*Run the tests:\*\*\n\n```sh\n(.*?)\n```", README, re.S).group(1)
    assert command in (ROOT / ".ci" / "run").read_text()
