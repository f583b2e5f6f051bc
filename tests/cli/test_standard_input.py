"""`followup import customers -` and `import purchases -`: a cron pipe is a file too."""

from __future__ import annotations

from followup_cli.cli.app import app


def test_customers_and_purchases_come_in_through_a_pipe(cli):
    members = "id,name,phone\nA1,王芳,13800138001\nA2,李娜,13900139002\n"
    result = cli.runner.invoke(
        app,
        ["import", "customers", "-", "--date", "2025-12-01"],
        input=members.encode("utf-8"),
        prog_name="followup",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        "- (UTF-8): read 2, added 2, updated 0, unchanged 0, rejected 0"
    )
    sales = "customer id,date,amount\nA1,2025-11-20,99\n"
    result = cli.runner.invoke(
        app,
        ["import", "purchases", "-", "--date", "2025-12-01"],
        input=sales.encode("utf-8"),
        prog_name="followup",
    )
    assert result.exit_code == 0, result.stderr
    assert [(i["file"], i["kind"]) for i in cli.json("imports")] == [
        ("-", "purchases"),
        ("-", "customers"),
    ]
    assert cli.json("export", "customers")[0]["spend"] == 99.0


def test_an_empty_pipe_is_refused_in_one_line(cli):
    result = cli("import", "customers", "-", "--date", "2025-12-01", code=4)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
