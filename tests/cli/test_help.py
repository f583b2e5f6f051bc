"""Help that ends in real examples, and shell completion of commands, customer ids and tiers."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from typer.main import get_command

from followup_cli.cli.app import app
from followup_cli.help_examples import EXAMPLES, add_examples

EXAMPLE = str(Path(__file__).parents[2] / "examples" / "customers.csv")


def _every_command(group, prefix=""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if hasattr(command, "commands"):
            yield from _every_command(command, f"{prefix}{name} ")


def test_every_command_help_ends_with_examples(cli):
    root = get_command(app)
    names = [name for name, _ in _every_command(root)]
    assert sorted(names) == sorted(EXAMPLES)  # no command without examples, no stale entry
    for name in names:
        out = cli(*name.split(), "--help").stdout
        tail = out.rstrip("\n").split("\n\n")[-1].splitlines()
        assert tail[0] == "  Examples:", name
        assert [line.strip() for line in tail[1:]] == list(EXAMPLES[name]), name


def _rest(ctx) -> list[str]:
    """Words a group left for its subcommand (click keeps the command name apart)."""
    return [*ctx._protected_args, *ctx.args]


def test_every_example_is_a_valid_command_line():
    root = get_command(app)
    add_examples(root)
    for name, examples in EXAMPLES.items():
        for example in examples:
            words = shlex.split(example)
            assert words[0] == "followup", example
            ctx = root.make_context("followup", list(words[1:]), resilient_parsing=False)
            command, args = root, _rest(ctx)
            while hasattr(command, "commands") and args and args[0] in command.commands:
                parent = ctx
                command = command.commands[args[0]]
                ctx = command.make_context(args[0], args[1:], parent=parent)
                args = _rest(ctx)
            assert args == [], example  # nothing left over: every word was understood
            # an example belongs to the command (or group) whose help shows it
            assert ctx.command_path.removeprefix("followup ").startswith(name.split()[0]), example


def complete(cli, words: str) -> list[str]:
    """What bash completion offers for the last word of `words` (as the shell would ask)."""
    parts = words.split(" ")
    result = cli.runner.invoke(
        app,
        [],
        prog_name="followup",
        env={
            "_FOLLOWUP_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(parts) - 1),
        },
    )
    assert result.exit_code == 0, result.output
    return result.stdout.split()


def test_completion_of_commands_customer_ids_and_tiers(cli):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    assert complete(cli, "followup me") == ["merge"]
    assert complete(cli, "followup show C00") == [f"C00{i}" for i in range(1, 10)]
    assert complete(cli, "followup merge C001 C03") == [f"C03{i}" for i in range(7)]
    assert complete(cli, "followup edit C001 --tier ") == ["vip", "new", "regular", "prospect"]
    assert complete(cli, "followup add Zoe --tier p") == ["prospect"]
    # a tier of the shop's own is offered too
    cli("rules", "set", "wholesale", "--every", "6w", "--rank", "5")
    assert complete(cli, "followup edit C001 --tier w") == ["wholesale"]


@pytest.mark.sqlite_only
def test_completion_without_a_database_offers_default_tiers_and_creates_nothing(cli, isolated_db):
    assert complete(cli, "followup show C") == []
    assert complete(cli, "followup add Zoe --tier ") == ["vip", "new", "regular", "prospect"]
    assert not isolated_db.exists()


def test_show_completion_prints_a_script_for_the_shell(cli, monkeypatch):
    # Typer's --show-completion is a flag (the "bash" after it is not read): the shell is found
    # by walking up to 10 parent processes, which depends on how pytest was started (an xdist
    # worker sits one level deeper). Name the shell, so the test does not depend on that.
    monkeypatch.setattr("shellingham.detect_shell", lambda *args, **kwargs: ("bash", "/bin/bash"))
    out = cli("--show-completion", "bash").stdout
    assert "_FOLLOWUP_COMPLETE=complete_bash" in out
    assert "complete -o default -F _followup_completion followup" in out


def test_examples_are_attached_only_when_help_may_be_printed():
    from followup_cli.help_examples import wants_help

    assert not wants_help(["today", "--limit", "50"])
    assert not wants_help(["log", "C001", "reached"])
    assert wants_help(["today", "--help"])
    assert wants_help(["rules", "levels", "-h"])
    assert wants_help(["import"])  # a group alone prints its help
    assert wants_help([])
