"""A chain of shops: branches imported from a till's member list, staff per branch, the morning
list and the report per branch, and a single shop that never sees the word.

The chain (invented people): 浦东店 (小李), 徐汇店 (阿芳) and Riverside (Sam), from a 银豹 member
list re-saved by Excel as GBK, imported on 2026-01-05. A freshly imported customer is called on
the cadence date nearest the import day:
  M01 陈静 vip, card 2025-12-10 -> monthly: 2026-01-10       浦东店, 小李
  M02 王磊 regular, 2025-10-20 -> every 3 months: 2026-01-20 浦东店, 小李
  M03 Olivia Park vip, 2025-12-12 -> 2026-01-12              Riverside, Sam
  M04 周梅 regular, 2025-10-20 -> 2026-01-20                 徐汇店, 阿芳
  M05 Noah Reed regular, 2025-10-22 -> 2026-01-22            Riverside, Sam
  M06 孙悦 regular, 2025-10-25 -> 2026-01-25                 no branch of her own, 阿芳
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
from test_known_layouts import write_csv

EXAMPLE = str(Path(__file__).parents[2] / "examples" / "customers.csv")

MEMBERS = [
    ["会员号", "会员姓名", "手机号码", "会员等级", "积分", "开卡日期", "所属门店", "负责人"],
    ["M01", "陈静", "13500135001", "金卡会员", "120", "2025/12/10", "浦东店", "小李"],
    ["M02", "王磊", "13500135002", "普通会员", "0", "2025/10/20", "浦东店", "小李"],
    ["M03", "Olivia Park", "13500135003", "金卡会员", "80", "2025/12/12", "Riverside", "Sam"],
    ["M04", "周梅", "13500135004", "普通会员", "10", "2025/10/20", "徐汇店", "阿芳"],
    ["M05", "Noah Reed", "13500135005", "普通会员", "0", "2025/10/22", "Riverside", "Sam"],
    ["M06", "孙悦", "13500135006", "普通会员", "5", "2025/10/25", "", "阿芳"],
    ["合计", "", "", "", "215", "", "", ""],
]


@pytest.fixture
def chain(cli, tmp_path):
    path = write_csv(tmp_path / "会员列表.csv", MEMBERS, encoding="gbk")
    summary = cli.json("import", "customers", path, "--date", "2026-01-05")
    assert (summary["layout"], summary["added"], summary["skipped_totals"]) == (
        "银豹 members",
        6,
        1,
    )
    return cli


def ids(rows):
    return [(row["customer_id"], row["branch"]) for row in rows]


def test_the_members_branch_comes_from_the_所属门店_column(chain):
    people = {row["customer_id"]: row for row in chain.json("export", "customers")}
    assert {ref: row["branch"] for ref, row in people.items()} == {
        "M01": "浦东店",
        "M02": "浦东店",
        "M03": "Riverside",
        "M04": "徐汇店",
        "M05": "Riverside",
        "M06": None,
    }
    assert "所属门店" not in people["M01"]["extra"]  # a field now, not an extra column


def test_today_for_one_branch_in_any_case_with_owner_and_formats(chain):
    # 2026-01-20: M01 (due 01-10) and M03 (01-12) are overdue VIPs, 10 and 8 days; M02 and
    # M04 are due today (regulars, 周 before 王 in name order).
    whole = chain.json("today", "--date", "2026-01-20")
    assert ids(whole) == [
        ("M01", "浦东店"),
        ("M03", "Riverside"),
        ("M04", "徐汇店"),
        ("M02", "浦东店"),
    ]
    pudong = chain.json("today", "--date", "2026-01-20", "--branch", "浦东店")
    assert [(r["customer_id"], r["due_date"], r["days_overdue"], r["status"]) for r in pudong] == [
        ("M01", "2026-01-10", 10, "overdue"),
        ("M02", "2026-01-20", 0, "due"),
    ]
    # any case, spaces trimmed; M05 (due 01-22) is not on the list yet
    assert ids(chain.json("today", "--date", "2026-01-20", "--branch", " RIVERSIDE ")) == [
        ("M03", "Riverside")
    ]
    both = chain.json("today", "--date", "2026-01-20", "--branch", "浦东店", "--owner", "小李")
    assert len(both) == 2
    assert chain.json("today", "--date", "2026-01-20", "--branch", "浦东店", "--owner", "Sam") == []
    text = chain("today", "--date", "2026-01-20", "--branch", "徐汇店", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["customer_id"], r["owner"], r["branch"], r["status"]) for r in rows] == [
        ("M04", "阿芳", "徐汇店", "due")
    ]
    sends = chain(
        "today", "--date", "2026-01-20", "--branch", "浦东店", "--with-message", "--format", "csv"
    ).stdout.splitlines()
    assert [line.split(",")[:2] for line in sends[1:]] == [["M01", "陈静"], ["M02", "王磊"]]
    # "2 of 4" counts the branch's list, not the whole shop's
    limited = chain("today", "--date", "2026-01-20", "--branch", "浦东店", "--limit", "1").stdout
    assert limited.splitlines()[0].strip() == "Follow-ups due on 2026-01-20 at 浦东店: 1 of 2"
    # the whole list names each customer's branch; one branch's list does not repeat it
    table = chain("today", "--date", "2026-01-20").stdout
    assert "┃ Branch " in table and "│ Riverside │" in table
    assert "Branch" not in chain("today", "--date", "2026-01-20", "--branch", "浦东店").stdout


def test_an_unknown_branch_names_the_known_ones(chain):
    err = chain("today", "--branch", "静安店", code=1).stderr
    assert err == (
        "followup: error: no branch is called '静安店' (branches: Riverside, 徐汇店, 浦东店)\n"
    )
    err = chain("export", "customers", "--branch", "Downtown", code=1).stderr
    assert err.startswith("followup: error: no branch is called 'Downtown'")


def test_staff_put_in_a_branch_take_their_unbranched_customers_with_them(chain):
    staff = chain.json("staff", "--date", "2026-01-20")
    # 2026-01-20: 小李 has M01, M02 on the list; 阿芳 has M04 (M06 is due 01-25); Sam M03.
    assert staff == [
        {"branch": None, "customers": 2, "due": 1, "name": "Sam", "open": 2},
        {"branch": None, "customers": 2, "due": 2, "name": "小李", "open": 2},
        {"branch": None, "customers": 2, "due": 1, "name": "阿芳", "open": 2},
    ]
    assert chain("staff", "set", "阿芳", "--branch", "徐汇店").stdout == "阿芳 works at 徐汇店.\n"
    # M06 孙悦 has no branch of her own: she is now counted with 阿芳's 徐汇店
    on_25th = chain.json("today", "--date", "2026-01-25", "--branch", "徐汇店")
    assert [(r["customer_id"], r["days_overdue"], r["branch"]) for r in on_25th] == [
        ("M04", 5, "徐汇店"),
        ("M06", 0, "徐汇店"),
    ]
    assert chain.json("show", "M06")["branch"] == "徐汇店"
    staff = {row["name"]: row for row in chain.json("staff", "--date", "2026-01-20")}
    assert staff["阿芳"]["branch"] == "徐汇店"
    table = chain("staff", "--date", "2026-01-20").stdout
    assert "Branch" in table and "徐汇店" in table
    # a new hire with no customers yet; a branch typed in another case keeps its spelling
    out = chain("staff", "set", "Mia", "--branch", "riverside").stdout
    assert out == "Mia works at Riverside. (No customer names Mia as owner yet.)\n"
    out = chain("staff", "set", "mia", "--branch", "").stdout
    assert out == "Mia is in no branch. (No customer names Mia as owner yet.)\n"
    # text is text: a terminal escape in a name or branch is not stored
    chain("staff", "set", "Jo\x1b]0;x\x07e", "--branch", "North\x1b[2J  Side")
    jo = next(row for row in chain.json("staff") if row["name"].startswith("Jo"))
    assert (jo["name"], jo["branch"]) == ("Jo]0;xe", "North[2J Side")


def test_report_by_branch_with_rates_worked_out_by_hand(chain):
    chain("staff", "set", "阿芳", "--branch", "徐汇店")
    chain("log", "M01", "reached", "--date", "2026-01-20")
    chain("log", "M02", "no-answer", "--date", "2026-01-20")  # retried: still open
    chain("log", "M03", "reached", "--date", "2026-01-21")
    chain("log", "M04", "reached", "--date", "2026-01-21", "--score", "4")
    chain("log", "M06", "reached", "--date", "2026-01-26")
    # January: six follow-ups due (one each); contact made with M01, M03, M04, M06 (4 of 6).
    # Still open on 31 Jan and past due: M02 (due 01-20) and M05 (01-22) = 2 overdue.
    # Per branch: 浦东店 M01 yes, M02 no = 1/2; Riverside M03 yes, M05 no = 1/2;
    # 徐汇店 M04 yes, M06 yes (阿芳's customer) = 2/2, with the one score (4).
    # All six bought before 1 Jan (added in 2025) and none churned: 0 of 2 per branch.
    report = chain.json("report", "--month", "2026-01", "--date", "2026-01-31", "--by", "branch")
    overall = report["overall"]
    assert (overall["planned"], overall["completed"], overall["overdue"]) == (6, 4, 2)
    assert overall["success_rate"] == pytest.approx(4 / 6)
    rows = {
        row["branch"]: (
            row["planned"],
            row["completed"],
            row["success_rate"],
            row["overdue"],
            row["active_at_start"],
            row["churn_rate"],
            row["csat_mean"],
        )
        for row in report["breakdown"]
    }
    assert rows == {
        "浦东店": (2, 1, 0.5, 1, 2, 0.0, None),
        "Riverside": (2, 1, 0.5, 1, 2, 0.0, None),
        "徐汇店": (2, 2, 1.0, 0, 2, 0.0, 4.0),
    }
    text = chain("report", "--month", "2026-01", "--date", "2026-01-31", "--by", "branch").stdout
    assert "By branch" in text
    assert "│ 徐汇店    │ 100.0% (2/2) │" in text
    month = ("report", "--month", "2026-01", "--date", "2026-01-31")
    lines = chain(*month, "--by", "branch", "--by", "owner", "--format", "csv").stdout
    lines = lines.splitlines()
    assert lines[0].startswith("from,to,branch,owner,planned,completed,success_rate,")
    assert [line.split(",")[2:6] for line in lines[1:]] == [
        ["all", "all", "6", "4"],
        ["Riverside", "Sam", "2", "1"],
        ["徐汇店", "阿芳", "2", "2"],
        ["浦东店", "小李", "2", "1"],
    ]
    # by branch and tier: 徐汇店's two are regulars, Riverside's M03 a VIP (1 of 1)
    tiers = chain.json(
        "report", "--month", "2026-01", "--date", "2026-01-31", "--by", "tier", "--by", "门店"
    )
    got = {(r["branch"], r["tier"]): (r["planned"], r["completed"]) for r in tiers["breakdown"]}
    assert got == {
        ("Riverside", "vip"): (1, 1),
        ("Riverside", "regular"): (1, 0),
        ("徐汇店", "regular"): (2, 2),
        ("浦东店", "vip"): (1, 1),
        ("浦东店", "regular"): (1, 0),
    }
    history = chain("export", "history", "--branch", "徐汇店").stdout.splitlines()
    assert history[0].endswith(",logged_at,branch")
    assert [line.split(",")[:4] for line in history[1:]] == [
        ["M04", "周梅", "2026-01-21", "reached"],
        ["M06", "孙悦", "2026-01-26", "reached"],
    ]


def test_edit_branch_is_kept_in_the_customers_history(chain):
    out = chain("edit", "M05", "--branch", "浦东店", "--date", "2026-01-21").stdout
    assert out == (
        "Changed M05 Noah Reed: branch: Riverside -> 浦东店. Next: 2026-01-22 (every 3 months).\n"
    )
    shown = chain.json("show", "M05")
    assert shown["branch"] == "浦东店"
    changes = [e for e in shown["timeline"] if e["kind"] == "change"]
    assert changes == [
        {
            "date": "2026-01-21",
            "field": "branch",
            "from": "Riverside",
            "kind": "change",
            "source": "edit",
            "to": "浦东店",
        }
    ]
    assert "branch changed" in chain("show", "M05").stdout
    # cleared: Sam works at no branch, so Noah Reed is in none
    chain("edit", "M05", "--branch", "", "--date", "2026-01-22")
    assert chain.json("show", "M05")["branch"] is None
    assert ids(chain.json("find", "Noah")) == [("M05", None)]
    added = chain.json("add", "林欣", "--phone", "13900139026", "--branch", "riverside")
    assert added["branch"] == "Riverside"  # the stored spelling of the branch
    riverside = chain.json("export", "customers", "--branch", "Riverside")
    assert [r["customer_id"] for r in riverside] == ["M03", added["customer_id"]]


def test_a_reimport_that_moves_a_member_is_on_their_timeline(chain, tmp_path):
    moved = [MEMBERS[0], [*MEMBERS[5][:6], "浦东店", "Sam"]]
    path = write_csv(tmp_path / "again.csv", moved, encoding="gbk")
    assert chain.json("import", "customers", path, "--date", "2026-01-06")["updated"] == 1
    changes = [e for e in chain.json("show", "M05")["timeline"] if e["kind"] == "change"]
    assert [(e["field"], e["from"], e["to"], e["source"]) for e in changes] == [
        ("branch", "Riverside", "浦东店", "import")
    ]
    assert ids(chain.json("today", "--date", "2026-01-22", "--branch", "Riverside")) == [
        ("M03", "Riverside")
    ]
    second = chain.json("imports")[0]["id"]
    chain("imports", "undo", "--yes", str(second), "--date", "2026-01-06")
    assert chain.json("show", "M05")["branch"] == "Riverside"


def test_a_single_shop_never_sees_the_word(cli, monkeypatch):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23", "-q")
    monkeypatch.setenv("COLUMNS", "80")
    for command in (
        ("today", "--date", "2026-11-23"),
        ("find", "C00"),
        ("show", "C001"),
        ("staff",),
        ("report", "--date", "2026-11-23", "--by", "owner"),
        ("at-risk", "--date", "2026-11-23"),
        ("today", "--help"),
        ("report", "--help"),
        ("add", "--help"),
        ("export", "customers", "--help"),
        ("export", "history", "--help"),
        ("export", "due", "--help"),
        ("edit", "--help"),
        ("review", "--help"),
        ("upcoming", "--help"),
        ("--help",),
    ):
        out = cli(*command).stdout
        assert "branch" not in out.lower() and "Branch" not in out, command
    err = cli("today", "--branch", "浦东店", code=1).stderr
    assert err == (
        "followup: error: no branch is called '浦东店': this shop has no branches yet "
        "(set one with 'followup edit CUSTOMER --branch NAME')\n"
    )
    # the way in stays visible: `staff set` needs its --branch
    assert "--branch" in cli("staff", "set", "--help").stdout
    # JSON and CSV carry the field always (null / empty), so scripts see one shape
    assert {row["branch"] for row in cli.json("today", "--date", "2026-11-23")} == {None}
    header = cli("today", "--date", "2026-11-23", "--format", "csv").stdout.splitlines()[0]
    # after the columns scripts knew before it; the purchase model's columns came later
    assert ",last_purchase,branch,expected_purchases,expected_spend" in header


def test_a_chains_help_shows_the_branch_options_in_chinese_too(chain, monkeypatch):
    from followup_cli import i18n
    from followup_cli.text import text_width

    assert "--branch" in chain("today", "--help").stdout
    assert "followup today --branch 浦东店 --owner 小李" in chain("today", "--help").stdout
    assert "tier, owner, branch, channel" in " ".join(chain("report", "--help").stdout.split())
    from followup_cli.cli.app import app

    i18n.set_language("zh_CN")  # as the launcher does before the command line loads
    try:
        pages = {
            name: chain.runner.invoke(
                app, [*name.split(), "--help"], prog_name="followup", terminal_width=60
            ).stdout
            for name in ("today", "report", "add", "edit", "export customers", "staff set")
        }
        zh_staff = chain("staff", "--date", "2026-01-20").stdout
    finally:
        i18n.set_language("en")
    assert "只看这家门店的客户（连锁店）。" in " ".join(pages["today"].split())
    assert "门店" in pages["report"] and "把员工归入一家门店" in pages["staff set"]
    for name, page in pages.items():
        assert max(map(text_width, page.splitlines())) <= 60, name
        options = page.split("示例：")[0]  # the examples are command lines, in English words
        assert "branch" not in options.replace("--branch", ""), name
    assert "员工：3 位" in zh_staff and "截至 2026-01-20 待回访" in zh_staff


def test_every_chain_example_is_a_valid_command_line():
    import shlex

    from typer.main import get_command

    from followup_cli.cli.app import app
    from followup_cli.help_examples import CHAIN_EXAMPLES

    root = get_command(app)
    for name, examples in CHAIN_EXAMPLES.items():
        for example in examples:
            words = shlex.split(example)
            ctx = root.make_context("followup", words[1:], resilient_parsing=False)
            command, args = root, [*ctx._protected_args, *ctx.args]
            while hasattr(command, "commands") and args and args[0] in command.commands:
                parent, command = ctx, command.commands[args[0]]
                ctx = command.make_context(args[0], args[1:], parent=parent)
                args = [*ctx._protected_args, *ctx.args]
            assert args == [], example
            assert ctx.command_path == f"followup {name}", example


def test_the_review_session_walks_one_branchs_list(chain, isolated_db):
    from datetime import date

    import dbtools

    from followup_cli.commands.review_session import ReviewSession

    conn = dbtools.open_db(isolated_db)
    session = ReviewSession(conn, date(2026, 1, 20), branches=["Riverside"])
    assert [item.customer_id for item in session.items()] == ["M03"]
    session.log(session.items()[0], "reached")
    assert session.items() == []  # M05 (due 01-22) is not on the list yet


def test_at_risk_names_each_customers_branch(chain):
    # 2026-09-20, nobody called: silent since the card was opened (regulars 2025-10-20 -> 335
    # days, 2025-10-22 -> 333, 2025-10-25 -> 330; VIPs 2025-12-10 -> 284, 2025-12-12 -> 282),
    # all over twice their interval (6 months, 2 months).
    lines = chain("at-risk", "--date", "2026-09-20", "--format", "csv").stdout.splitlines()
    assert lines[0].endswith(",silent_days,interval,branch,slipping_on")
    assert [
        (line.split(",")[0], line.split(",")[6], line.split(",")[-2]) for line in lines[1:]
    ] == [
        ("M02", "335", "浦东店"),
        ("M04", "335", "徐汇店"),
        ("M05", "333", "Riverside"),
        ("M06", "330", ""),
        ("M01", "284", "浦东店"),
        ("M03", "282", "Riverside"),
    ]
    assert "┃ Branch " in chain("at-risk", "--date", "2026-09-20").stdout


def test_the_readme_chain_is_what_the_tool_prints(chain, monkeypatch):
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    monkeypatch.setenv("COLUMNS", "80")
    for name, branch in (("小李", "浦东店"), ("Sam", "Riverside"), ("阿芳", "徐汇店")):
        chain("staff", "set", name, "--branch", branch)

    def shown(*args: str) -> str:
        return "\n".join(line.rstrip() for line in chain(*args).stdout.rstrip("\n").split("\n"))

    outputs = [shown("staff", "--date", "2026-01-20"), shown("today", "--date", "2026-01-20")]
    csv_lines = shown("today", "--date", "2026-01-20", "--branch", "浦东店", "--format", "csv")
    outputs.append("\n".join(",".join(line.split(",")[:8]) for line in csv_lines.split("\n")))
    for ref, outcome, day, *more in (
        ("M01", "reached", "2026-01-20"),
        ("M02", "no-answer", "2026-01-20"),
        ("M03", "reached", "2026-01-21"),
        ("M04", "reached", "2026-01-21", "--score", "4"),
        ("M06", "reached", "2026-01-26"),
    ):
        chain("log", ref, outcome, "--date", day, *more)
    report = shown("report", "--month", "2026-01", "--date", "2026-01-31", "--by", "branch")
    outputs.append("\n".join(report.split("\n")[-7:]))
    for output in outputs:
        assert f"```text\n{output}\n```" in readme


def test_the_light_morning_path_lists_one_branch_as_the_full_command_does(chain, isolated_db):
    """`followup today --branch B` is drawn without the command tree, like a plain today."""
    import os
    import subprocess

    env = {**os.environ, "FOLLOWUP_DB": str(isolated_db), "COLUMNS": "100"}

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "from followup_cli.launch import main; main()", *args],
            capture_output=True,
            text=True,
            env={**env, **extra},
            check=False,
        )

    for args in (("--branch", "浦东店"), ("--branch", "riverside", "--format", "csv")):
        light = run("today", "--date", "2026-01-20", *args)
        assert (light.returncode, light.stderr) == (0, "")
        assert light.stdout == chain("today", "--date", "2026-01-20", *args).stdout
    imported = run("today", "--branch", "浦东店", PYTHONPROFILEIMPORTTIME="1").stderr
    assert "followup_cli.cli.app" not in imported
    unknown = run("today", "--branch", "静安店")
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr.startswith("followup: error: no branch is called '静安店'")


def test_merging_fills_a_missing_branch_from_the_second_record(chain):
    chain("add", "孙悦", "--id", "X1", "--phone", "13900139066", "--branch", "浦东店")
    done = chain.json("merge", "M06", "X1", "--yes", "--date", "2026-01-21")
    assert done["changed"]["branch"] == {"from": None, "to": "浦东店"}
    assert chain.json("show", "M06")["branch"] == "浦东店"
    title = chain("today", "--date", "2026-01-25", "--branch", "徐汇店").stdout.splitlines()[0]
    assert title.strip() == "Follow-ups due on 2026-01-25 at 徐汇店: 1"  # M04 only
    assert chain("today", "--date", "2026-01-05", "--branch", "徐汇店").stdout == (
        "Nothing due on 2026-01-05 at 徐汇店.\n"
    )


def test_the_shell_completes_branch_names(chain):
    from test_help import complete

    assert complete(chain, "followup today --branch ") == ["Riverside", "徐汇店", "浦东店"]
    assert complete(chain, "followup edit M01 --branch R") == ["Riverside"]
    assert complete(chain, "followup staff set 小李 --branch 浦") == ["浦东店"]


def test_the_coming_days_and_the_calendar_of_one_branch(chain):
    # From 2026-01-20, 7 days ahead: of Riverside's calls only M05's (01-22) falls in them;
    # M03 has been showing since 01-12 (overdue: today's list, not the coming days).
    days = chain.json("upcoming", "--date", "2026-01-20", "--branch", "Riverside")
    assert [(d["date"], [i["customer_id"] for i in d["items"]]) for d in days] == [
        ("2026-01-22", ["M05"])
    ]
    # the calendar export includes what is overdue: 浦东店's M01 (01-10) and M02 (01-20)
    lines = chain("export", "due", "--date", "2026-01-20", "--branch", "浦东店").stdout
    lines = lines.splitlines()
    assert lines[0].endswith(",last_note,branch")
    assert [line.split(",")[2] for line in lines[1:]] == ["M01", "M02"]


BRANCH_COMBINATIONS = [
    ("branch",),
    ("branch", "tier"),
    ("owner", "branch"),
    ("branch", "channel"),
    ("month", "branch"),
    ("branch", "month", "channel", "owner", "tier"),
]


@pytest.mark.parametrize("combo", BRANCH_COMBINATIONS, ids="+".join)
def test_every_breakdown_with_branch_adds_up_to_the_overall(cli, csv_file, tmp_path, combo):
    from test_report import JANUARY, scenario

    scenario(cli, csv_file)  # the report tests' January: 8 planned, 6 completed, 1 overdue
    for ref, branch in (("V1", "北店"), ("V2", "北店"), ("R1", "South"), ("P1", "South")):
        cli("edit", ref, "--branch", branch, "--date", "2025-01-31")
    by = [arg for dim in combo for arg in ("--by", dim)]
    report = cli.json("report", *JANUARY, *by)
    rows = report["breakdown"]
    assert rows and all(set(combo) <= row.keys() for row in rows)
    totals = {k: sum(row[k] for row in rows) for k in ("planned", "completed", "overdue")}
    assert totals == {"planned": 8, "completed": 6, "overdue": 1}
    assert sum(row["csat_responses"] for row in rows) == 2
    assert {row["branch"] for row in rows} <= {"北店", "South", "(none)"}
    if combo == ("branch",):
        # 北店: V1 5th reached, V2 20th missed -> 1/2; South: R1 10th and its check-back 13th,
        # P1 8th and 15th, all contact made -> 4/4; none: P2 11th (lost: contact) and R3 20th
        # (open, the overdue one) -> 1/2. Active on 1 Jan: 北店 V1 V2; South R1 (P1 only
        # from 8 Jan); none R2 (lost 15 Jan: churned) and R3.
        got = {
            r["branch"]: (r["planned"], r["completed"], r["active_at_start"], r["churned"])
            for r in rows
        }
        assert got == {"北店": (2, 1, 2, 0), "South": (4, 4, 1, 0), "(none)": (2, 1, 2, 1)}
    out = cli("report", *JANUARY, *by, "--format", "csv").stdout
    lines = list(csv.DictReader(io.StringIO(out)))
    assert len(lines) == 1 + len(rows) and all(lines[0][d] == "all" for d in combo)
    page = tmp_path / "report.html"
    cli("report", *JANUARY, *by, "--html", str(page))
    assert "<table" in page.read_text(encoding="utf-8")
    assert "By " in cli("report", *JANUARY, *by).stdout


def test_every_help_page_of_a_chain_is_in_chinese_and_fits_a_narrow_window(chain):
    """The --branch options and branch examples a chain's help shows are translated too."""
    import re

    from test_i18n import FILE_FORMATS, HELP_VALUES, english_words
    from typer.main import get_command

    from followup_cli import i18n
    from followup_cli.cli.app import app
    from followup_cli.text import text_width

    def commands(group, prefix=()):
        yield prefix
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                yield from commands(command, (*prefix, name))
            else:
                yield (*prefix, name)

    left, shown = {}, 0
    try:
        for command in commands(get_command(app)):
            i18n.set_language("zh_CN")
            page = chain.runner.invoke(
                app, [*command, "--help"], prog_name="followup", terminal_width=60
            ).stdout
            assert max(map(text_width, page.splitlines())) <= 60, command
            shown += "--branch" in page
            words = set(english_words(re.sub(r"-\n\s*", "-", page))) - FILE_FORMATS - HELP_VALUES
            if words:
                left[" ".join(command)] = sorted(words)
    finally:
        i18n.set_language("en")
    # today, review, undo, add, edit, upcoming, staff set, export customers/history/due
    assert shown == 10
    assert left == {}
