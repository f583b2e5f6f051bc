"""A large import plans its new customers' first calls in bulk: customers with the same tier
and anchor days share one plan, and a neglected list is spread in batches. The dates must be
exactly those each customer gets when imported alone."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pg_server
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followup_cli.core.schedule import fill_days, spread_backlog

TODAY = "2025-03-01"
_numbers = itertools.count(1)


@pytest.fixture
def new_db(engine: str, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """More databases, empty, on the engine under test: a file, or a schema of the server."""
    made: list[str] = []

    def make(name: str) -> str:
        if engine != "postgresql":
            return str(tmp_path / f"{name}.db")
        schema = f"batch{next(_numbers)}"
        made.append(schema)
        return pg_server.new_schema(schema)

    yield make
    for schema in made:
        pg_server.drop_schema(schema)


# tier, first purchase, last purchase; blank dates for the prospect.
ROWS = [
    "V1,Vera,13800000001,,vip,2024-06-01,2025-02-10,,,",
    "V2,王芳,13800000002,,vip,2023-01-09,2025-02-10,,,",
    "R1,李娜,13800000003,,regular,2024-05-02,2024-11-20,,,",
    "R2,Rob,13800000004,,regular,2024-11-20,2024-11-20,,,",
    "N1,张伟,13800000005,,new,2025-02-25,2025-02-25,,,",
    "N2,Nia,13800000006,,new,2025-02-25,2025-02-27,,,",
    "P1,陈静,13800000007,,prospect,,,,,",
    "R3,Rex,13800000008,,regular,2024-05-02,2024-11-20,,,",
    # a second row for R3: they bought again, so their first call is planned from this one
    "R3,Rex,13800000008,,regular,2024-05-02,2025-01-15,,,",
]


def _first_calls(cli, db: str, refs: list[str]) -> dict[str, tuple[str, str]]:
    shown = {}
    for ref in refs:
        one = cli.json("--db", db, "show", ref)
        shown[ref] = (one["next_due"], one["next_reason"])
    return shown


def test_new_customers_imported_together_get_the_dates_they_get_one_by_one(cli, csv_file, new_db):
    together = new_db("together")
    out = cli.json(
        "--db", together, "import", "customers", str(csv_file("\n".join(ROWS) + "\n")),
        "--date", TODAY,
    )  # fmt: skip
    assert (out["read"], out["added"], out["merged"], out["rejected"]) == (9, 8, 1, 0)

    alone = new_db("alone")
    for number, row in enumerate(ROWS):
        path = csv_file(row + "\n", name=f"row{number}.csv")
        cli("--db", alone, "import", "customers", str(path), "--date", TODAY, "-q")

    refs = ["V1", "V2", "R1", "R2", "N1", "N2", "P1", "R3"]
    calls = _first_calls(cli, together, refs)
    assert calls == _first_calls(cli, alone, refs)
    # By hand, as of Saturday 1 March 2025:
    # VIPs monthly from the last purchase, 10 Feb: 10 Mar (the first purchase plays no part).
    assert calls["V1"] == calls["V2"] == ("2025-03-10", "every 1 month")
    # Regulars three-monthly from 20 Nov: 20 Feb is nearer today than 20 May (overdue).
    assert calls["R1"] == calls["R2"] == ("2025-02-20", "every 3 months")
    # New: 7 days after the first purchase of 25 Feb = 4 Mar, whatever the last purchase.
    assert calls["N1"] == calls["N2"] == ("2025-03-04", "7 days after first purchase")
    # A prospect with no dates was added today: two weeks on, 15 Mar.
    assert calls["P1"] == ("2025-03-15", "every 2 weeks")
    # R3's second row moved the last purchase to 15 Jan: 15 Apr, not 20 Feb.
    assert calls["R3"] == ("2025-04-15", "every 3 months")


def test_anniversary_calls_tell_apart_customers_who_share_a_last_purchase(cli, csv_file):
    cli("rules", "option", "anniversary_before", "3d")
    path = csv_file(
        "A1,Ann,13800000011,,vip,2024-03-05,2025-02-20,,,\n"
        "A2,Abe,13800000012,,vip,2024-08-10,2025-02-20,,,\n"
    )
    cli("import", "customers", str(path), "--date", TODAY, "-q")
    # Both are monthly from 20 Feb: 20 Mar. Ann's first anniversary is 5 Mar, called 3 days
    # before (2 Mar), more than a week before the monthly call: the anniversary comes first.
    # Abe's is 10 Aug, after the monthly call: his plan stays 20 Mar.
    assert cli.json("show", "A1")["next_due"] == "2025-03-02"
    assert cli.json("show", "A2")["next_due"] == "2025-03-20"


@settings(max_examples=200, derandomize=True)
@given(
    n=st.integers(0, 60),
    capacity=st.integers(1, 10),
    days=st.integers(1, 20),
    existing=st.lists(st.integers(0, 12), min_size=20, max_size=20),
    closed=st.sets(st.integers(0, 6), max_size=3),
)
def test_days_filled_in_order_are_those_the_backlog_spread_gives(
    n, capacity, days, existing, closed
):
    start = date(2025, 1, 6)
    load = {start + timedelta(days=i): existing[i] for i in range(days)}
    items = [(i, start) for i in range(n)]

    def is_closed(day: date) -> bool:
        return day.weekday() in closed

    moved = spread_backlog(items, load, start, days, capacity, is_closed)
    open_days = [d for d in (start + timedelta(days=i) for i in range(days)) if not is_closed(d)]
    filled = dict(zip(range(n), fill_days(open_days, load, capacity), strict=False))
    assert filled == moved


def test_rows_over_several_lines_after_plain_ones_keep_their_line_numbers(cli, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_bytes(
        b"id,name,phone,notes\n"
        b"1,Ann,13800000001,tea\n"  # line 2
        b'2,Bob,13800000002,"two\nlines"\n'  # lines 3-4: a real two-line note
        b"3,Cy,13800000003,\n"  # line 5
        b'4,Di,13800000004,"Started on Monday\n'  # line 6: a quote never closed
        b"5,Ed,13800000005,likes tea\n"  # line 7
        b"6,Fay,12,\n"  # line 8: no phone there is; the id keeps the row
    )
    result = cli("import", "customers", str(path), "--date", "2025-01-01", code=3)
    assert result.stderr.splitlines() == [
        f"{path}: line 6: a quote opened on this line is never closed; the lines after it "
        "were read as rows",
        f"{path}: line 8: column 'phone': phone '12' is not a valid number for CN: left out",
    ]
    assert "read 6, added 5, updated 0, unchanged 0, rejected 1" in result.stdout
    stored = {c["customer_id"]: c for c in cli.json("export", "customers")}
    assert sorted(stored) == ["1", "2", "3", "5", "6"]
    assert stored["2"]["notes"] == "two\nlines"
    assert stored["6"]["phone"] is None


def _neglected_list(birthday_column: bool) -> str:
    """Eight monthly VIPs who last bought on 10 Feb (due 10 Mar) and four three-monthly
    regulars who last bought on 15 Dec (due 15 Mar): all overdue on 20 Mar 2025."""
    header = "id,name,phone,tier,last_purchase" + (",birthday" if birthday_column else "")
    tail = "," if birthday_column else ""
    rows = [f"V{n},Vip {n},1380000001{n},vip,2025-02-10{tail}" for n in range(1, 9)]
    rows += [f"R{n},Reg {n},1380000002{n},regular,2024-12-15{tail}" for n in range(1, 5)]
    return "\n".join([header, *rows]) + "\n"


def test_a_neglected_first_import_is_spread_alike_with_or_without_a_birthday_column(
    cli, tmp_path, new_db
):
    """Without birthdays the backlog is spread before it is written; with a birthday column
    the customers are planned again once written, and spread then. Same days either way."""
    listings = []
    for birthday_column in (False, True):
        db = new_db(f"shop-{birthday_column}")
        path = tmp_path / f"list-{birthday_column}.csv"
        path.write_text(_neglected_list(birthday_column), encoding="utf-8")
        cli("--db", db, "rules", "option", "daily_capacity", "5")
        cli("--db", db, "rules", "option", "closed_weekdays", "fri")
        out = cli.json("--db", db, "import", "customers", str(path), "--date", "2025-03-20")
        # 12 overdue, 5 a day, Friday 21st closed: Thu 20th 5, Sat 22nd 5, Sun 23rd 2.
        assert out["spread"] == {
            "backlog": 12,
            "kept_today": 5,
            "moved": 7,
            "open_days": 3,
            "last_day": "2025-03-23",
            "capacity": 5,
        }
        days = ("2025-03-20", "2025-03-21", "2025-03-22", "2025-03-23")
        listings.append(
            [[i["customer_id"] for i in cli.json("--db", db, "today", "--date", d)] for d in days]
        )
    vips = [f"V{n}" for n in range(1, 9)]
    # VIPs first (rank), then regulars; what is not called stays on the list the next day.
    assert listings[0] == [
        vips[:5],
        vips[:5],
        [*vips, "R1", "R2"],
        [*vips, "R1", "R2", "R3", "R4"],
    ]
    assert listings[1] == listings[0]
