"""What goes to a terminal: a table drawn by Rich from our own layout, cut at a screenful with a
footer saying how many rows are left and how to see them; long messages broken at the
terminal's width by the Chinese line-breaking rule. Off a terminal: every row, one line."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from followup_cli.output.table import Col, table_lines, write_table
from followup_cli.text import for_stream

EXAMPLE = str(Path(__file__).parents[2] / "examples" / "customers.csv")
ON = ("--date", "2026-11-23")


def _on_a_terminal(db, *args: str, columns: int, lines: int, colour: bool = False) -> str:
    """`followup ARGS` with stdout and stderr on a pseudo-terminal of that size: what it shows."""
    leader, follower = os.openpty()
    env = {**os.environ, "FOLLOWUP_DB": str(db), "LANG": "zh_CN.UTF-8"}
    env.update(COLUMNS=str(columns), LINES=str(lines))
    if colour:
        env.pop("NO_COLOR", None)
        env["TERM"] = "xterm-256color"
    proc = subprocess.Popen(
        [sys.executable, "-m", "followup_cli", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the program ended and the terminal closed
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(timeout=120)
    os.close(leader)
    return seen.decode().replace("\r\n", "\n")


@pytest.fixture
def shop(cli):
    cli("import", "customers", EXAMPLE, *ON)


TOP = [
    "2026-11-23 到期回访：23 个（严重逾期 1 个）" + " " * 37,
    "┏━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓",
    "┃ 编号 ┃ 姓名        ┃ 手机           ┃ 等级    ┃ 状态     ┃ 回访原因          ┃",
    "┡━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩",
    "│ C021 │ Ava Martin  │ +33612345621   │ VIP客户 │ 逾期     │ 每 1 个月         │",
    "│ C001 │ 王芳        │ +8613800138001 │ VIP客户 │ 逾期     │ 每 1 个月         │",
    "│ C034 │ 韩梅        │ +8618100181034 │ VIP客户 │ 逾期     │ 挽回（每 1 个月） │",
    "│ C027 │ 罗斌        │ +8618600186027 │ VIP客户 │ 逾期     │ 每 1 个月         │",
    "│ C026 │ 林欣        │ +8615900159026 │ 新客户  │ 逾期     │ 首次购买后 7 天   │",
    "└──────┴─────────────┴────────────────┴─────────┴──────────┴───────────────────┘",
]


@pytest.mark.sqlite_only
def test_today_on_a_terminal_stops_at_a_screenful_and_says_how_to_see_the_rest(shop, isolated_db):
    # 12 lines: title, 3 borders, 1 heading line, the footer and the prompt leave 5 rows
    seen = _on_a_terminal(isolated_db, "today", *ON, columns=80, lines=12)
    assert seen.splitlines() == [
        *TOP,
        "还有 18 行未显示：加上 --all 全部显示，或用 '| less' 翻页查看整个列表。",
    ]
    # --all: every row on the terminal too, no footer
    every = _on_a_terminal(isolated_db, "today", *ON, "--all", columns=80, lines=12)
    # (laid out for all 23 rows, whose longer names and reasons fold at 80 columns)
    assert every.splitlines()[0].startswith("2026-11-23 到期回访：23 个（严重逾期 1 个）")
    assert every.splitlines()[-1].startswith("└") and "未显示" not in every
    assert sum(line.startswith("│ C0") for line in every.splitlines()) == 23


@pytest.mark.sqlite_only
def test_at_60_columns_two_line_rows_count_and_the_footer_breaks_by_the_rule(shop, isolated_db):
    seen = _on_a_terminal(isolated_db, "today", *ON, columns=60, lines=14).splitlines()
    # 14 lines: title, 3 borders, 1 heading, 2 footer lines and the prompt leave 3 rows of 2
    assert seen[4:10] == [
        "│ C021 │ Ava Martin        │ +33612345621   │ 逾期     │",
        "│      │ 每 1 个月         │                │          │",
        "│ C001 │ 王芳              │ +8613800138001 │ 逾期     │",
        "│      │ 每 1 个月         │                │          │",
        "│ C034 │ 韩梅              │ +8618100181034 │ 逾期     │",
        "│      │ 挽回（每 1 个月） │                │          │",
    ]
    assert seen[11:] == [
        "还有 20 行未显示：加上 --all 全部显示，或用 '| less' 翻页查",
        "看整个列表。",
    ]
    assert len(seen) == 13


@pytest.mark.sqlite_only
def test_at_120_columns_the_whole_reason_and_the_at_risk_footer(shop, isolated_db):
    seen = _on_a_terminal(isolated_db, "today", *ON, columns=120, lines=10).splitlines()
    assert len(seen) == 9 and all(len(line) <= 120 for line in seen)
    assert seen[-1] == "还有 20 行未显示：加上 --all 全部显示，或用 '| less' 翻页查看整个列表。"


def test_off_a_terminal_nothing_is_cut(cli, shop, monkeypatch):
    monkeypatch.setenv("LINES", "12")
    monkeypatch.setenv("COLUMNS", "80")
    out = cli("today", *ON).stdout.splitlines()
    assert out[0].startswith("Follow-ups due on 2026-11-23: 23 (1 late)")
    assert out[-1].startswith("└") and sum(line.startswith("│ C0") for line in out) == 23
    assert len(cli("today", *ON, "--format", "csv").stdout.splitlines()) == 24


@pytest.mark.sqlite_only
def test_colour_only_on_a_terminal_and_never_with_no_color(shop, isolated_db):
    coloured = _on_a_terminal(isolated_db, "today", *ON, columns=80, lines=12, colour=True)
    assert "\x1b[" in coloured
    plain = _on_a_terminal(isolated_db, "today", *ON, columns=80, lines=12)
    assert "\x1b[" not in plain


NAMES = ["[VIP] 王芳", "小美❤️", "👨\u200d👩\u200d👧 一家", "[bold]Li[/bold]", "Ava Marie-Christine"]


@pytest.mark.parametrize("width", [60, 80, 120])
def test_rich_draws_the_lines_our_layout_gives_and_no_cell_is_markup(width, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", str(width))
    columns = (
        Col("customer_id", "ID", whole=True),
        Col("name", "Name", shorten="end"),
        Col("phone", "Phone", keep=1, whole=True),
        Col("reason", "Why", keep=2, fold_into="name", free=True),
        Col("note", "Last note", keep=3, free=True),
    )
    rows = [
        {
            "customer_id": f"K{i}",
            "name": name,
            "phone": f"+861380013800{i}",
            "reason": "每 3 个月（自上次购买起），请确认满意度？好的！" * (1 + i % 2),
            "note": "说要再来（下周）" if i % 2 else "",
        }
        for i, name in enumerate(NAMES)
    ]
    write_table(rows, columns, title="今天要回访的客户：[5] 位")
    drawn = capsys.readouterr().out
    assert drawn == "\n".join(table_lines(rows, columns, str, "今天要回访的客户：[5] 位")) + "\n"
    assert "[VIP] 王芳" in drawn and "[bold]Li[/bold]" in drawn and "小美❤️" in drawn
    assert "👨\u200d👩\u200d👧" in drawn


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_message_breaks_at_the_terminal_width_by_the_chinese_rule(monkeypatch):
    monkeypatch.setenv("COLUMNS", "20")
    said = "followup: 错误：找不到客户（K9），请先导入。好吗？"
    assert for_stream(said, _Terminal()).splitlines() == [
        "followup: 错误：找不",
        "到客户（K9），请先导",
        "入。好吗？",
    ]
    monkeypatch.setenv("COLUMNS", "10")
    # no line starts with closing punctuation, none ends with an opening one
    assert for_stream("一二三四五。六", _Terminal()).splitlines() == ["一二三四", "五。六"]
    assert for_stream("一二三四（五）", _Terminal()).splitlines() == ["一二三四", "（五）"]
    assert for_stream("  一二三四五六", _Terminal()).splitlines() == ["  一二三四", "  五六"]
    assert for_stream(said, io.StringIO()) == said  # off a terminal: one line, for grep


@pytest.mark.sqlite_only
def test_an_error_on_a_terminal_is_broken_at_its_width(shop, isolated_db):
    seen = _on_a_terminal(isolated_db, "show", "没有这个人", columns=30, lines=24)
    assert all(len(line.encode("gbk", "replace")) <= 30 for line in seen.splitlines())
    assert len(seen.splitlines()) > 1
    assert not any(line[:1] in "，。？！）」：" for line in seen.splitlines())
