"""Logs and their undo when several people work at once: a contact number is never given
twice, an undo never takes back a colleague's call, one outcome is logged once a day however
many shells press the key together, and review goes on when a customer leaves from elsewhere."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import dbtools
import pytest

from followup_cli.commands.review_session import ReviewSession
from followup_cli.errors import FollowupError
from followup_cli.tui.review_app import ReviewApp, screen_lines

DAY = "2025-03-08"
# Imported on 8 March 2025, everyone due that day; today's order: V1, N1, N2 (see test_review).
SHOP = (
    "V1,Ava Stone,13800000004,,vip,2024-01-01,2025-02-08,2024-01-01,Mei,\n"
    "N1,Tom Baker,13800000001,,new,2025-03-01,2025-03-01,2025-03-01,Mei,\n"
    "N2,张伟,13800000002,,new,2025-02-08,2025-02-08,2025-02-08,Jun,\n"
)


@pytest.fixture
def shop(cli, csv_file, isolated_db):
    cli("import", "customers", str(csv_file(SHOP)), "--date", DAY, "-q")
    return isolated_db


def contacts(db) -> list[tuple]:
    conn = dbtools.connect(db)
    found = conn.execute(
        "SELECT k.id, c.ref, k.outcome FROM contacts k JOIN customers c ON c.id = k.customer_id "
        "ORDER BY k.id"
    ).fetchall()
    conn.close()
    return [tuple(row) for row in found]


# --- 1. contact numbers never reused; an undo checks it is still its contact --------------


def test_a_contact_number_is_never_given_twice_not_even_after_an_undo(cli, shop):
    assert cli.json("log", "V1", "reached", "--date", DAY)["contact_id"] == 1
    cli("undo", "--date", DAY)
    # the next log takes a new number: "largest + 1" would have handed out 1 again
    assert cli.json("log", "N1", "reached", "--date", DAY)["contact_id"] == 2
    refused = cli("undo", "--contact", "1", "--date", DAY, code=1)
    assert refused.stderr == ("followup: error: No contact 1 (see the ids in 'followup show').\n")
    assert contacts(shop) == [(2, "N1", "reached")]


def test_nor_after_the_customer_is_forgotten(cli, shop):
    cli("log", "N2", "reached", "--date", DAY)
    cli("log", "V1", "reached", "--date", DAY)
    cli("forget", "V1", "--yes")
    assert cli.json("log", "N1", "reached", "--date", DAY)["contact_id"] == 3


def test_reviews_undo_never_takes_back_a_colleagues_call(cli, shop):
    """The issue's steps: review logs V1 (contact 1); a shell undoes it and logs N1; `u` in
    review must not remove N1's call."""
    conn = dbtools.open_db(shop)
    session = ReviewSession(conn, date.fromisoformat(DAY))
    first = session.items()[0]
    assert (first.customer_id, session.log(first, "reached").contact_id) == ("V1", 1)
    cli("undo", "--date", DAY)
    assert cli.json("log", "N1", "reached", "--date", DAY)["contact_id"] == 2
    with pytest.raises(FollowupError) as refused:
        session.undo()
    assert refused.value.format_message() == "No contact 1 (see the ids in 'followup show')."
    conn.close()
    assert contacts(shop) == [(2, "N1", "reached")]


def test_reviews_undo_refuses_a_number_that_now_holds_another_contact(cli, shop):
    """A database put back from a copy can hold another contact under the remembered number:
    the customer, outcome and time are checked, not the number alone."""
    conn = dbtools.open_db(shop)
    session = ReviewSession(conn, date.fromisoformat(DAY))
    session.log(session.items()[0], "reached")  # V1, contact 1
    raw = dbtools.connect(shop)
    raw.execute("UPDATE contacts SET logged_at = '2025-03-08T09:00:00+00:00' WHERE id = 1")
    raw.commit()
    raw.close()
    with pytest.raises(FollowupError) as refused:
        session.undo()
    assert refused.value.format_message() == (
        "Not undone: contact 1 is no longer the reached logged for V1 (it was undone or erased "
        "elsewhere)."
    )
    conn.close()
    assert contacts(shop) == [(1, "V1", "reached")]


# --- 5. one outcome a day, checked under the write lock --------------------------------------

RACER = """
import sys, time
from followup_cli.cli.app import app
db, start = sys.argv[1], float(sys.argv[2])
while time.time() < start:
    time.sleep(0.001)
app(["--db", db, "log", "N1", "reached", "--date", "2025-03-08"], prog_name="followup")
"""


def test_six_shells_logging_the_same_call_at_once_store_it_once(shop):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    start = str(time.time() + 3)  # every process has imported followup by then
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(shop), start],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(6)
    ]
    results = [(proc.wait(timeout=120), proc.stderr.read()) for proc in racers]
    for proc in racers:
        proc.stdout.close()
        proc.stderr.close()
    assert sorted(code for code, _ in results) == [0, 1, 1, 1, 1, 1]
    refusals = {err for code, err in results if code == 1}
    assert refusals == {
        "followup: error: N1 Tom Baker already has reached logged on 2025-03-08: add --again "
        "to log a second one\n"
    }
    assert contacts(shop) == [(1, "N1", "reached")]


def test_two_review_sessions_log_one_customer_once(shop):
    conn_a, conn_b = dbtools.open_db(shop), dbtools.open_db(shop)
    morning_a = ReviewSession(conn_a, date.fromisoformat(DAY))
    morning_b = ReviewSession(conn_b, date.fromisoformat(DAY))
    item_a, item_b = morning_a.items()[1], morning_b.items()[1]  # both show N1
    morning_a.log(item_a, "reached")
    with pytest.raises(FollowupError) as refused:
        morning_b.log(item_b, "reached")
    assert refused.value.format_message() == (
        "N1 Tom Baker already has reached logged on 2025-03-08: add --again to log a second one"
    )
    assert morning_b.summary() == "Nothing logged in this session."
    conn_a.close()
    conn_b.close()
    assert contacts(shop) == [(1, "N1", "reached")]


def test_log_again_still_logs_a_second_one(cli, shop):
    cli("log", "N1", "reached", "--date", DAY)
    cli("log", "N1", "reached", "--date", DAY, "--again")
    assert contacts(shop) == [(1, "N1", "reached"), (2, "N1", "reached")]


# --- 8. a bare undo on a chain takes back nobody else's call ----------------------------------


@pytest.fixture
def chain(cli, csv_file, isolated_db):
    cli(
        "import",
        "customers",
        str(
            csv_file(
                "K3,Kim,13900000003,,regular,2025-01-08,2025-02-08,,Ann,\n"
                "K4,Kai,13900000004,,regular,2025-01-08,2025-02-08,,Bo,\n"
            )
        ),
        "--date",
        DAY,
        "-q",
    )
    cli("staff", "set", "Ann", "--branch", "North")
    cli("staff", "set", "Bo", "--branch", "South")
    cli("log", "K3", "reached", "--date", DAY)  # contact 1, at North
    cli("log", "K4", "reached", "--date", DAY)  # contact 2, at South
    return isolated_db


def test_a_bare_undo_on_a_chain_says_whose_the_last_log_is_and_takes_nothing(cli, chain):
    refused = cli("undo", "--date", DAY, code=1)
    assert refused.stderr == (
        "followup: error: On a chain, say whose log to take back: the last one is contact 2, "
        "reached for K4 Kai (owner Bo, branch South); add --branch, --owner or --contact 2.\n"
    )
    assert contacts(chain) == [(1, "K3", "reached"), (2, "K4", "reached")]


def test_undo_at_a_branch_takes_back_that_branchs_last_log_and_says_whose(cli, chain):
    done = cli("undo", "--branch", "north", "--date", DAY).stdout
    assert done.startswith("Undid contact 1 (Ann's, at North): reached for K3 Kim on 2025-03-08.")
    assert contacts(chain) == [(2, "K4", "reached")]
    by_owner = cli.json("undo", "--owner", "bo", "--date", DAY)
    assert (by_owner["contact_id"], by_owner["owner"], by_owner["branch"]) == (2, "Bo", "South")
    assert contacts(chain) == []
    nothing = cli("undo", "--owner", "Bo", "--date", DAY, code=1)
    assert nothing.stderr == "followup: error: Nothing logged for Bo: there is nothing to undo.\n"


def test_undo_of_an_unknown_owner_or_with_contact_and_branch_is_refused(cli, chain):
    unknown = cli("undo", "--owner", "Nobody", "--date", DAY, code=1)
    assert unknown.stderr == (
        "followup: error: no customer is followed up by 'Nobody' (owners: Ann, Bo)\n"
    )
    both = cli("undo", "--contact", "1", "--branch", "North", code=1)
    assert both.stderr == (
        "followup: error: --contact names one contact: leave out --owner and --branch\n"
    )
    assert len(contacts(chain)) == 2


def test_a_single_shops_bare_undo_takes_the_last_log_and_names_its_owner(cli, shop):
    cli("log", "N2", "reached", "--date", DAY)
    done = cli("undo", "--date", DAY).stdout
    assert done.startswith("Undid contact 1 (Jun's): reached for N2 张伟 on 2025-03-08.")


# --- 15. review goes on when a listed customer is forgotten or merged elsewhere --------------


def review_with(db: Path, meanwhile, keys: list[str]) -> tuple[ReviewApp, list[str]]:
    """Start review, let another shell do `meanwhile`, then press the keys. The app remembers
    the customer under the cursor as it was on the last screen (`app.last_selected`)."""

    async def scenario() -> list[str]:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            meanwhile()
            for key in keys:
                await pilot.press(key)
            await pilot.pause()
            item = app.selected()
            app.last_selected = item.customer_id if item else None
            return screen_lines(app)

    conn = dbtools.open_db(db)
    app = ReviewApp(ReviewSession(conn, date.fromisoformat(DAY)))
    screen = asyncio.run(scenario())
    conn.close()
    return app, screen


def test_review_leaves_out_a_customer_forgotten_from_another_shell(cli, shop):
    app, _screen = review_with(shop, lambda: cli("forget", "N1", "--yes"), ["down", "r"])
    assert app.failure is None
    assert app.session.summary() == "This session: 1 reached."
    assert contacts(shop) == [(1, "N2", "reached")]
    assert [item.customer_id for item in app.items] == ["V1"]


def test_review_leaves_out_a_customer_merged_away_and_goes_on(cli, shop):
    app, screen = review_with(shop, lambda: cli("merge", "V1", "N1", "--yes"), ["down"])
    assert app.failure is None
    assert " Tom Baker (N1) is no longer in the shop (forgotten or merged): left out." in screen
    assert [item.customer_id for item in app.items] == ["V1", "N2"]
    assert app.last_selected == "N2"


# --- 17. log shows the number undo takes; today's unknown owner on every path ----------------


def test_log_shows_the_contact_number_undo_takes(cli, shop):
    out = cli("log", "N1", "reached", "--date", DAY).stdout
    assert out.startswith("Logged reached for N1 Tom Baker on 2025-03-08 (contact 1); next: ")
    assert cli.json("log", "N2", "reached", "--date", DAY)["contact_id"] == 2


def test_today_with_a_segment_names_an_unknown_owner_as_the_other_paths_do(cli, shop):
    expected = "followup: error: no customer is followed up by 'Nobody' (owners: Jun, Mei)\n"
    plain = cli("today", "--owner", "Nobody", "--date", DAY, code=1)
    segment = cli(
        "today", "--owner", "Nobody", "--segment", "important-value", "--date", DAY, code=1
    )
    assert plain.stderr == segment.stderr == expected
