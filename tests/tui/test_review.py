"""`followup review` driven headless: keys pressed, rows written, the screen at 80 columns."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import dbtools
import pytest
from rich.cells import cell_len

from followup_cli import i18n
from followup_cli.commands import contacts as service
from followup_cli.commands import snooze as planning
from followup_cli.commands.review_session import ReviewSession
from followup_cli.errors import FollowupError
from followup_cli.tui.review_app import ReviewApp, screen_lines

ROOT = Path(__file__).parents[2]
DAY = date(2025, 3, 8)
# Imported on 2025-03-08, everyone due that day. Today's order: the VIP first, then the new
# customers by name (Latin letters sort before Chinese ones), then the prospect.
#   V1 vip, last purchase 8 Feb: every month          N1 new, bought 1 Mar: 7-day step
#   N2 new, bought 8 Feb: 1-month step                P1 prospect, added 22 Feb: every 2 weeks
SHOP = (
    "V1,Ava Stone,13800000004,,vip,2024-01-01,2025-02-08,2024-01-01,Mei,\n"
    "N1,Tom Baker,13800000001,,new,2025-03-01,2025-03-01,2025-03-01,Mei,\n"
    "N2,张伟,13800000002,,new,2025-02-08,2025-02-08,2025-02-08,,\n"
    "P1,李娜,13800000003,,prospect,,,2025-02-22,Mei,\n"
)


@pytest.fixture
def shop(cli, csv_file, isolated_db):
    cli("import", "customers", str(csv_file(SHOP)), "--date", "2025-03-08", "-q")
    return isolated_db


def run(db: Path, keys: list[str], day: date = DAY, **filters) -> tuple[ReviewApp, list[str]]:
    """Press the keys in a headless 80x24 session; returns the app and the last screen."""

    async def scenario() -> list[str]:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            for key in keys:
                await pilot.press(key)
            await pilot.pause()
            return screen_lines(app)

    conn = dbtools.open_db(db)
    app = ReviewApp(ReviewSession(conn, day, **filters))
    return app, asyncio.run(scenario())


def rows(db: Path) -> tuple[list[tuple], list[tuple]]:
    conn = dbtools.connect(db)
    contacts = conn.execute(
        "SELECT c.ref, k.date, k.outcome, k.score, k.note, k.followup_id IS NOT NULL "
        "FROM contacts k JOIN customers c ON c.id = k.customer_id ORDER BY k.id"
    ).fetchall()
    followups = conn.execute(
        "SELECT c.ref, f.kind, f.due_date, f.show_date, f.status, f.attempts, f.outcome "
        "FROM followups f JOIN customers c ON c.id = f.customer_id ORDER BY c.ref, f.id"
    ).fetchall()
    conn.close()
    return contacts, followups


def test_one_key_per_outcome_writes_at_once_through_the_log_and_snooze_code(shop):
    keys = [*"e", *"wants tea", "enter", "5", "r", "n", "s", "enter", "c"]
    app, screen = run(shop, keys)
    contacts, followups = rows(shop)
    assert contacts == [
        ("V1", "2025-03-08", "reached", 5, "wants tea", 1),
        ("N1", "2025-03-08", "no-answer", None, None, 1),
        ("N2", "2025-03-08", "snoozed", None, "until 2025-03-11", 1),  # +3d
        ("P1", "2025-03-08", "complaint", None, None, 1),
    ]
    assert followups == [
        # no answer: shown again after the 2-day retry gap, same due date, one attempt
        ("N1", "step", "2025-03-08", "2025-03-10", "open", 1, "no-answer"),
        ("N2", "step", "2025-03-08", "2025-03-11", "open", 0, None),
        ("P1", "cadence", "2025-03-08", "2025-03-08", "done", 0, "complaint"),
        ("P1", "check-back", "2025-03-11", "2025-03-11", "open", 0, None),  # 3 days after
        ("V1", "cadence", "2025-03-08", "2025-03-08", "done", 0, "reached"),
        ("V1", "cadence", "2025-04-08", "2025-04-08", "open", 0, None),  # a month after
    ]
    # everyone was dealt with: nobody is left on today's list
    assert screen[0] == " Review 2025-03-08: 0 to go, 4 done this session"
    assert "Nothing due on 2025-03-08. Press q to quit." in screen[1]
    assert app.session.summary() == "This session: 1 reached, 1 no answer, 1 complaint, 1 snoozed."


def test_undo_takes_back_the_last_actions_of_the_session_exactly(shop, cli):
    contacts_before, followups_before = rows(shop)
    app, screen = run(shop, ["r", "s", "enter", "u", "u", "u"])
    assert rows(shop) == (contacts_before, followups_before)
    assert screen[21] == " Nothing to undo in this session."
    assert app.session.summary() == "Nothing logged in this session."
    # the undone customer is selected again, back on the list in their place
    assert screen[0] == " Review 2025-03-08: 4 to go, 0 done this session"
    assert screen[2].startswith(" ›  V1  Ava Stone     due ")
    assert [line[4:8] for line in screen[2:6]] == ["V1  ", "N1  ", "N2  ", "P1  "]


def test_a_snooze_to_a_date_and_a_converted_prospect(shop):
    keys = ["down", "down", "down", "v", "s", *["backspace"] * 3, *"2025-03-20", "enter", "q"]
    app, _ = run(shop, keys)
    contacts, followups = rows(shop)
    assert contacts == [
        ("P1", "2025-03-08", "converted", None, None, 1),
        ("N2", "2025-03-08", "snoozed", None, "until 2025-03-20", 1),
    ]
    conn = dbtools.connect(shop)
    assert conn.execute(
        "SELECT tier, first_purchase, converted_on FROM customers WHERE ref = 'P1'"
    ).fetchone() == ("new", "2025-03-08", "2025-03-08")
    # the new customer's first step: 7 days after the purchase logged today
    assert ("P1", "step", "2025-03-15", "2025-03-15", "open", 0, None) in followups
    assert ("N2", "step", "2025-03-08", "2025-03-20", "open", 0, None) in followups
    assert app.return_value == "This session: 1 converted, 1 snoozed."


def test_refusals_are_shown_and_write_nothing(shop):
    before = rows(shop)
    # a snooze to today is refused by the snooze code, and said on the status line
    app, screen = run(shop, ["s", *["backspace"] * 3, *"2025-03-08", "enter"])
    assert screen[21] == (
        " Not done: --until 2025-03-08 is not after 2025-03-08: snooze to a later day"
    )
    assert rows(shop) == before
    assert app.session.done == []


def test_owner_and_limit_filter_the_list_as_today_does(shop):
    app, screen = run(shop, [], owner="Mei", limit=2)
    assert [i.customer_id for i in app.items] == ["V1", "N1"]
    assert screen[0] == " Review 2025-03-08: 2 to go, 0 done this session"


def test_copy_and_print_give_the_filled_message(shop):
    app, _ = run(shop, ["down", "y", "p", "q"])
    expected = (
        "Hi Tom Baker, this is Mei from our shop. It has been a week since your purchase on "
        "1 March 2025 - is everything going well? Any questions, just reply."
    )
    assert app.clipboard == expected
    assert app.session.printed == [f"N1 Tom Baker +8613800000001\n{expected}"]


def test_screen_at_80_columns_keeps_chinese_names_aligned(cli, isolated_db):
    cli("import", "customers", str(ROOT / "examples" / "customers.csv"), "--date", "2026-11-23")
    _, screen = run(isolated_db, ["down"], day=date(2026, 11, 23))
    assert len(screen) == 24
    assert all(cell_len(line) <= 80 for line in screen)
    listed = [line for line in screen[2:21] if re.match(r" [ ›]  C\d{3} ", line)]
    assert len(listed) == 19  # the list fills the body: 19 customers under the heading
    # the Status column starts in the same terminal column whether the name is 王芳 or Ava Martin
    starts = {cell_len(line[: line.index(status)]) for line in listed for status in _status(line)}
    assert starts == {24}
    assert screen[1].endswith("Status     王芳  C001 · vip · +8613800138001")
    assert screen[2].endswith("overdue    Due 2026-11-20 (overdue, 3 days over)")
    assert screen[3] == " ›  C001  王芳          overdue    Why: every 1 month"
    assert screen[22:] == [
        " r reached  n no answer  c complaint  v converted  l lost  o opt-out  s snooze",
        " e note  1-5 score  u undo  y copy message  p print on quit  ? help  q quit",
    ]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- review-screen -->\n```text\n(.*?)\n```", readme, re.S).group(1)
    assert shown.splitlines() == screen


def _status(line: str) -> list[str]:
    return [s for s in ("overdue", "late", "due") if f" {s} " in line or line.endswith(s)][:1]


def test_undo_of_a_snooze_is_refused_once_the_follow_up_was_logged(shop):
    conn = dbtools.open_db(shop)
    snoozed = planning.snooze(conn, "N2", date(2025, 3, 12), DAY, None)
    service.log_outcome(conn, "N2", "reached", date(2025, 3, 12))
    with pytest.raises(FollowupError, match="logged, moved or re-planned since"):
        planning.undo_snooze(conn, snoozed["contact_id"])
    with pytest.raises(FollowupError, match="No snooze 999"):
        planning.undo_snooze(conn, 999)


def test_review_needs_a_terminal(cli, shop):
    err = cli("review", "--date", "2025-03-08", code=1).stderr
    assert err == (
        "followup: error: review needs a terminal; in a script use 'followup today' and "
        "'followup log'\n"
    )


def test_other_commands_never_load_textual(shop):
    script = (
        "import sys\n"
        "from followup_cli import launch\n"
        "sys.argv = ['followup', 'today', '--date', '2025-03-08']\n"
        "try:\n    launch.main()\nexcept SystemExit:\n    pass\n"
        "print('textual' in sys.modules, 'followup_cli.tui.review_app' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[-1] == "False False"


class Terminal:
    """`followup review` on a real pseudo-terminal of 80x24, as the owner would run it."""

    def __init__(self, *args: str) -> None:
        import fcntl
        import pty
        import struct
        import termios

        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: becomes followup on the terminal, or ends at once
            try:
                os.environ["TERM"] = "xterm-256color"
                os.execv(str(Path(sys.executable).parent / "followup"), ["followup", *args])
            finally:
                os._exit(127)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.seen = b""

    def wait_for(self, text: str, timeout: float = 30) -> None:
        import select

        end = time.monotonic() + timeout
        while text.encode() not in self.seen:
            assert time.monotonic() < end, f"{text!r} never appeared"
            if select.select([self.fd], [], [], 0.1)[0]:
                try:
                    self.seen += os.read(self.fd, 65536)
                except OSError:  # the program ended
                    break
        assert text.encode() in self.seen, f"{text!r} never appeared"

    def press(self, keys: str) -> None:
        os.write(self.fd, keys.encode())


needs_pty = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a POSIX terminal")


@needs_pty
def test_on_a_real_terminal_the_summary_is_printed_on_quit(shop):
    term = Terminal("review", "--date", "2025-03-08", "--channel", "phone")
    term.wait_for("4 to go")
    term.press("r")
    term.wait_for("1 done this session")
    term.press("q")
    term.wait_for("This session: 1 reached.")
    _, status = os.waitpid(term.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert rows(shop)[0] == [("V1", "2025-03-08", "reached", None, None, 1)]
    conn = dbtools.connect(shop)
    assert conn.execute("SELECT channel FROM contacts").fetchall() == [("phone",)]


@needs_pty
def test_a_killed_terminal_loses_nothing_already_done(shop):
    term = Terminal("review", "--date", "2025-03-08")
    term.wait_for("4 to go")
    term.press("n")
    term.wait_for("1 done this session")
    os.kill(term.pid, signal.SIGKILL)
    os.waitpid(term.pid, 0)
    contacts, followups = rows(shop)
    assert contacts == [("V1", "2025-03-08", "no-answer", None, None, 1)]
    assert ("V1", "cadence", "2025-03-08", "2025-03-10", "open", 1, "no-answer") in followups


def test_the_card_shows_last_contact_purchase_spend_and_what_a_no_answer_does(shop, cli, tmp_path):
    sales = tmp_path / "sales.csv"
    sales.write_text("id,date,amount,order\nV1,2025-02-08,1280.00,A1\nV1,2024-12-01,200.5,A0\n")
    cli("import", "purchases", str(sales), "--date", "2025-03-08", "-q")
    cli("log", "V1", "no-answer", "--date", "2025-03-08", "--note", "line busy")
    cli("log", "V1", "no-answer", "--date", "2025-03-10")
    # two failed tries; on 12 Mar (2 days on) the third and last one is due
    _, screen = run(shop, ["e", *"call after 6", "enter", "4"], day=date(2025, 3, 12))
    card = [_card_part(line) for line in screen[1:15]]
    assert card == [
        "Ava Stone  V1 · vip · +8613800000004",
        "Due 2025-03-08 (overdue, 4 days over)",
        "Why: every 1 month (attempt 3)",
        'Last: no-answer on 2025-03-10 · "line busy"',
        "Last purchase: 2025-02-08 · spend 1,480.50",  # 1280.00 + 200.50
        "Rule: every 1 month",
        "No answer: last try, the follow-up is missed",
        "",
        "Message (vip):",
        "Dear Ava Stone, Mei from our shop here.",
        "Thank you for being one of our best",
        "customers. Your last visit was on 8 February",
        "2025. Is there anything we can set aside for",
        "you?",
    ]
    assert [_card_part(line) for line in screen[16:18]] == [
        "Note to log: call after 6",
        "Satisfaction to log: 4",
    ]


def _card_part(line: str) -> str:
    """What a screen row shows right of the list (34 terminal cells wide, wide characters too)."""
    width = 0
    for index, char in enumerate(line):
        if width >= 34:
            return line[index:].strip()
        width += cell_len(char)
    return ""


def test_snooze_suggests_three_days_and_typing_replaces_it(shop):
    # "+1w" typed over the suggested "+3d": a week from 8 March
    run(shop, ["s", *"+1w", "enter"])
    contacts, followups = rows(shop)
    assert contacts == [("V1", "2025-03-08", "snoozed", None, "until 2025-03-15", 1)]
    assert ("V1", "cadence", "2025-03-08", "2025-03-15", "open", 0, None) in followups


def test_help_lists_every_key_and_any_key_goes_back(shop):
    _, screen = run(shop, ["question_mark"])
    text = "\n".join(screen)
    for line in ("r  reached:", "s  snooze:", "u  undo the last action", "y  copy the message"):
        assert line in text
    run(shop, ["question_mark", "x", "r"])
    assert rows(shop)[0] == [("V1", "2025-03-08", "reached", None, None, 1)]  # back, and working


def test_an_unexpected_failure_is_one_line_without_local_variables(shop, monkeypatch):
    # Textual's own report is a traceback with local variables: customer data on the screen
    def broken(self, item):
        raise RuntimeError("card failed")

    monkeypatch.setattr(ReviewSession, "card", broken)
    app = ReviewApp(ReviewSession(dbtools.open_db(shop), DAY))

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()

    with pytest.raises(RuntimeError):  # the test harness re-raises; the terminal does not
        asyncio.run(scenario())
    assert app.failure == (
        "unexpected RuntimeError: card failed (run with FOLLOWUP_DEBUG=1 and report it)"
    )
    assert app._exit_renderables == []


def test_in_chinese_the_whole_screen_speaks_chinese_and_stays_aligned(cli, isolated_db):
    cli("import", "customers", str(ROOT / "examples" / "customers.csv"), "--date", "2026-11-23")
    i18n.set_language("zh_CN")
    try:
        _, screen = run(isolated_db, ["down"], day=date(2026, 11, 23))
    finally:
        i18n.set_language("en")
    assert screen[0] == " 回访 2026-11-23：还剩 23 位，本次已完成 0 位"
    assert screen[1] == "    编号  姓名          状态       王芳  C001 · VIP客户 · +8613800138001"
    assert screen[2] == "    C021  Ava Martin    逾期       应回访 2026-11-20（逾期 3 天）"
    assert (
        screen[7]
        == "    C015  徐强          严重逾期   未接通：2026-11-25 再试（第 1 次，共 3 次）"
    )
    # the card starts in the same terminal column on every row, whatever the names and words
    assert {cell_len(line) - cell_len(_card_part(line)) for line in screen[1:8]} == {35}
    assert screen[22:] == [
        " r 已联系  n 未接通  c 投诉  v 成交  l 流失  o 拒绝回访  s 推迟",
        " e 备注  1-5 满意度  u 撤销  y 复制消息  p 退出时打印  ? 帮助  q 退出",
    ]
    readme = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- zh-review-screen -->\n```text\n(.*?)\n```", readme, re.S).group(1)
    assert shown.splitlines() == screen
