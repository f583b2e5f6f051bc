"""Rules the owner controls, events, attempts, snooze, opt-out, closed days, backlog, calendar."""

from __future__ import annotations

from datetime import date, timedelta

import dbtools
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_loop import EXAMPLE, dump

from followup_cli.core.models import DEFAULT_RULES, CustomerState, Settings
from followup_cli.core.schedule import (
    closed_day_checker,
    plan_next,
    spread_backlog,
)

RULES = {r.tier: r for r in DEFAULT_RULES}


def one(cli, csv_file, row: str, on: str = "2025-01-01") -> None:
    cli("import", "customers", str(csv_file(row + "\n")), "--date", on)


def test_rules_table_and_json_show_the_defaults(cli):
    data = cli.json("rules")
    assert [
        (r["tier"], r["steps"], r["every"], r["anchor"], r["then"], r["grace"])
        for r in data["rules"]
    ] == [
        ("vip", "", "1m", "last_contact", "", "2w"),
        ("new", "7d,1m,3m", "", "first_purchase", "regular", "1w"),
        ("regular", "", "3m", "last_contact", "", "1m"),
        ("prospect", "", "2w", "last_contact", "", "1w"),
    ]
    assert data["options"]["min_gap"] == "3d"
    assert data["options"]["closed_weekdays"] == ""


def test_a_new_tier_can_be_imported_and_changing_a_rule_replans(cli, csv_file):
    cli("rules", "set", "wholesale", "--every", "6 weeks", "--grace", "2w")
    one(cli, csv_file, "W1,Wu,13800000001,,wholesale,,2024-12-20,,,")
    assert cli.json("show", "W1")["next_due"] == "2025-01-31"  # 20 Dec + 6 weeks
    out = cli("rules", "set", "wholesale", "--every", "2m", "--date", "2025-01-02").stdout
    assert out == "wholesale: every 2 months (late after 2w); 1 follow-ups re-planned\n"
    assert cli.json("show", "W1")["next_due"] == "2025-02-20"


def test_new_customer_steps_can_be_changed(cli, csv_file):
    cli("rules", "set", "new", "--steps", "3d,2w")
    one(cli, csv_file, "N1,Ni,13800000002,,new,2025-01-01,2025-01-01,,,")
    assert cli.json("show", "N1")["next_due"] == "2025-01-04"
    assert cli.json("log", "N1", "reached", "--date", "2025-01-04")["next_due"] == "2025-01-15"
    # after the last step: the regular cadence from the last contact
    assert cli.json("log", "N1", "reached", "--date", "2025-01-15")["next_due"] == "2025-04-15"


def test_bad_rules_are_refused_and_change_nothing(cli, isolated_db):
    cli("rules")
    before = dump(isolated_db)
    cases = [
        (("rules", "set", "vip", "--every", "3x"), "duration '3x' is not understood"),
        (("rules", "set", "loop", "--steps", "7d", "--then", "loop"), "would run out"),
        (("rules", "set", "gold", "--grace", "1w"), "needs --every or --then"),
        (("rules", "set", "new", "--then", "platinum"), "unknown tier 'platinum'"),
        (("rules", "set", "vip", "--anchor", "birthday"), "anchor 'birthday' is not one of"),
        (("rules", "option", "max_attempts", "0"), "from 1 to 20"),
        (("rules", "option", "closed_weekdays", "funday"), "unknown weekday"),
        (("rules", "option", "closed_weekdays", "mon,tue,wed,thu,fri,sat,sun"), "must stay open"),
        (("rules", "option", "holidays", "XX"), "no holiday calendar"),
        (("rules", "option", "colour", "blue"), "unknown option 'colour'"),
    ]
    for args, text in cases:
        result = cli(*args, code=1)
        assert text in result.stderr, (args, result.stderr)
        assert result.stderr.count("\n") == 1
    assert dump(isolated_db) == before


def test_reset_refuses_while_customers_use_a_custom_tier(cli, csv_file):
    cli("rules", "set", "wholesale", "--every", "6w")
    one(cli, csv_file, "W1,Wu,13800000001,,wholesale,,2024-12-20,,,")
    assert "wholesale (1)" in cli("rules", "reset", "--yes", code=1).stderr
    cli("rules", "set", "vip", "--every", "2w")
    cli(
        "import",
        "customers",
        str(csv_file("W1,Wu,13800000001,,regular,,2024-12-20,,,\n")),
        "--date",
        "2025-01-02",
    )
    assert "Default rules restored" in cli("rules", "reset", "--yes").stdout
    assert cli.json("rules")["rules"][0]["every"] == "1m"


def test_attempts_and_retry_gap_are_options(cli, csv_file):
    cli("rules", "option", "max_attempts", "2")
    cli("rules", "option", "retry_after", "1d")
    one(cli, csv_file, "R1,Rui,13800000003,,regular,,2024-10-10,,,")
    assert cli.json("log", "R1", "no-answer", "--date", "2025-01-10")["next_due"] == "2025-01-11"
    out = cli.json("log", "R1", "no-answer", "--date", "2025-01-11")
    assert (out["status"], out["next_due"]) == ("missed", "2025-04-10")


def test_check_back_offset_is_an_option_too(cli, csv_file):
    cli("rules", "option", "check_back", "1w")
    one(cli, csv_file, "C1,Cy,13800000004,,vip,,2024-12-05,,,")
    assert cli.json("log", "C1", "complaint", "--date", "2025-01-05")["next_due"] == "2025-01-12"


def test_snooze_keeps_the_due_date_and_is_not_a_miss(cli, csv_file):
    one(cli, csv_file, "S1,Su,13800000005,,vip,,2024-12-05,,,")
    out = cli("snooze", "S1", "--until", "+3d", "--date", "2025-01-05").stdout
    assert out == "Snoozed S1 Su until 2025-01-08\n"
    assert cli.json("today", "--date", "2025-01-07") == []
    item = cli.json("today", "--date", "2025-01-08")[0]
    assert (item["due_date"], item["days_overdue"]) == ("2025-01-05", 3)
    assert cli.json("show", "S1")["history"][0]["outcome"] == "snoozed"
    err = cli("snooze", "S1", "--until", "2025-01-01", "--date", "2025-01-05", code=1).stderr
    assert "is not after 2025-01-05" in err
    report = cli.json(
        "report", "--from", "2025-01-01", "--to", "2025-01-31", "--date", "2025-01-31"
    )
    assert (report["overall"]["planned"], report["overall"]["completed"]) == (1, 0)


def test_assign_and_optout_and_its_undo(cli, csv_file):
    one(cli, csv_file, "A1,Al,13800000006,,vip,,2024-12-05,,,")
    assert cli("assign", "A1", "--owner", "Mei").stdout == "A1 Al is now followed up by Mei\n"
    assert cli.json("today", "--owner", "Mei", "--date", "2025-01-05")[0]["customer_id"] == "A1"
    cli("optout", "A1", "--date", "2025-01-05")
    assert cli.json("today", "--date", "2025-02-01") == []
    out = cli("optout", "A1", "--undo", "--date", "2025-02-01").stdout
    assert out == "A1 Al may be contacted again; next: 2025-02-05\n"


def test_closed_sundays_and_public_holidays_move_due_dates(cli, csv_file):
    cli("rules", "option", "closed_weekdays", "sun")
    cli("rules", "option", "holidays", "CN")
    # VIP last bought 28 Dec 2024: due Tue 28 Jan 2025, Chinese New Year's Eve; 29-31 Jan are
    # the Spring Festival, so the first open day is Saturday 1 Feb
    one(cli, csv_file, "H1,Hu,13800000007,,vip,,2024-12-28,,,")
    shown = cli.json("show", "H1")
    assert shown["next_due"] == "2025-02-01"
    assert shown["next_reason"] == "every 1 month (moved: shop closed)"
    # a check-back 3 days after Thu 6 Feb would be Sun 9 Feb: Monday instead
    cli("log", "H1", "complaint", "--date", "2025-02-06")
    assert cli.json("show", "H1")["next_due"] == "2025-02-10"


def test_today_marks_overdue_and_late_and_explains(cli, csv_file):
    body = "V1,Vi,13800000011,,vip,,2024-11-01,,,\nR1,Ru,13800000012,,regular,,2024-10-20,,,\n"
    cli("import", "customers", str(csv_file(body)), "--date", "2024-12-02")
    items = {i["customer_id"]: i for i in cli.json("today", "--date", "2025-01-10")}
    # VIP due 1 Dec, late after 2 weeks (15 Dec): late on 10 Jan
    assert (items["V1"]["due_date"], items["V1"]["status"], items["V1"]["late_after"]) == (
        "2024-12-01",
        "late",
        "2024-12-15",
    )
    # regular due 20 Jan: not yet listed; on 25 Jan overdue within its month of grace
    items = {i["customer_id"]: i for i in cli.json("today", "--date", "2025-01-25")}
    assert (items["R1"]["status"], items["R1"]["anchor"], items["R1"]["rule"]) == (
        "overdue",
        "2024-10-20",
        "every 3 months",
    )
    out = cli("today", "--date", "2025-01-25", "--explain").stdout
    assert "Counted from" in out and "Late after" in out and "2025-02-20" in out


def test_win_back_is_flagged_and_at_risk_lists_the_silent(cli, csv_file):
    # regular last bought 1 Mar 2024: silent beyond 2 x 3 months by 2 Sep 2024
    body = "Q1,Qi,13800000013,,regular,,2024-03-01,,,\nQ2,Qo,13800000014,,regular,,2024-11-01,,,\n"
    cli("import", "customers", str(csv_file(body)), "--date", "2024-12-01")
    risk = cli.json("at-risk", "--date", "2024-12-01")
    assert [(r["customer_id"], r["last_activity"], r["silent_days"]) for r in risk] == [
        ("Q1", "2024-03-01", 275)
    ]
    item = cli.json("today", "--date", "2024-12-01")[0]
    assert item["win_back"] is True
    assert item["reason"] == "win-back: silent since 2024-03-01 (every 3 months)"


def test_spread_moves_the_backlog_by_priority_within_capacity(cli):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23")
    out = cli("plan", "--spread", "7d", "--capacity", "5", "--date", "2026-11-23").stdout
    assert out == "Backlog of 23: 5 stay today, 18 moved (at most 5 a day), 0 did not fit\n"
    today = cli.json("today", "--date", "2026-11-23")
    assert [i["customer_id"] for i in today] == ["C021", "C001", "C034", "C027", "C026"]
    days = cli.json("upcoming", "--date", "2026-11-24", "--days", "4")
    assert [(d["date"], d["count"]) for d in days] == [
        ("2026-11-24", 5),
        ("2026-11-25", 5),
        ("2026-11-26", 5),
        ("2026-11-27", 5),
    ]
    assert cli("doctor").exit_code == 0


def test_export_due_as_csv_json_and_icalendar(cli, tmp_path):
    from icalendar import Calendar

    cli("import", "customers", EXAMPLE, "--date", "2026-11-23")
    rows = cli.json("export", "due", "--days", "1", "--date", "2026-11-23")
    assert len(rows) == 23 and rows[0]["show_date"] == "2026-10-15"
    path = tmp_path / "calls.ics"
    cli(
        "export",
        "due",
        "--format",
        "ics",
        "--days",
        "3",
        "--date",
        "2026-11-23",
        "--output",
        str(path),
    )
    calendar = Calendar.from_ical(path.read_bytes())
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 26
    first = events[0]
    assert str(first["summary"]) == "Call 徐强 (regular)"
    assert first.decoded("dtstart") == date(2026, 11, 23)  # overdue calls land on today


def test_listing_is_read_only(cli, isolated_db):
    cli("import", "customers", EXAMPLE, "--date", "2026-11-23")
    before = dump(isolated_db)
    for args in (["today"], ["upcoming"], ["at-risk"], ["rules"], ["report"], ["export", "due"]):
        cli(*args, "--date", "2026-11-23") if args[0] not in ("rules",) else cli(*args)
    assert dump(isolated_db) == before


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    tier=st.sampled_from(sorted(RULES)),
    added=days,
    gap=st.integers(0, 900),
    closed=st.sets(st.integers(0, 6), max_size=6),
    opted_out=st.booleans(),
)
def test_never_due_on_a_closed_day_and_never_when_opted_out(tier, added, gap, closed, opted_out):
    shop = Settings(closed_weekdays=tuple(sorted(closed)))
    is_closed = closed_day_checker(shop)
    contact = added + timedelta(days=gap)
    state = CustomerState(
        tier=tier, added=added, last_contact=contact, last_success=contact, do_not_contact=opted_out
    )
    plan = plan_next(state, RULES, shop, contact, is_closed)
    if opted_out:
        assert plan is None
    else:
        assert plan.due_date.weekday() not in closed
        assert plan.due_date > contact


@settings(max_examples=200, derandomize=True)
@given(
    n=st.integers(0, 60),
    capacity=st.integers(1, 10),
    days=st.integers(1, 20),
    existing=st.lists(st.integers(0, 12), min_size=20, max_size=20),
)
def test_spread_never_exceeds_capacity_and_keeps_priority_order(n, capacity, days, existing):
    start = date(2025, 1, 6)
    load = {start + timedelta(days=i): existing[i] for i in range(days)}
    items = [(i, start) for i in range(n)]
    moved = spread_backlog(items, load, start, days, capacity)
    per_day: dict[date, int] = {}
    for day in moved.values():
        per_day[day] = per_day.get(day, 0) + 1
    for day, added in per_day.items():
        assert added + load[day] <= capacity
    ordered = [moved[i] for i in range(n) if i in moved]
    assert ordered == sorted(ordered)
    assert list(moved) == list(range(len(moved)))  # the most important are placed first


@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["C001", "C011", "C029", "C007"]),
            st.sampled_from(
                ["reached", "no-answer", "complaint", "converted", "lost", "opt-out", "snooze"]
            ),
            st.integers(0, 20),
        ),
        max_size=12,
    )
)
def test_any_sequence_of_actions_keeps_one_open_follow_up_at_most(
    cli, isolated_db, tmp_path, steps
):
    import re
    from pathlib import Path

    # The example shop two years back, so that every step is a day that has already come
    # (a contact dated after today is refused).
    earlier = tmp_path / "earlier.csv"
    text = Path(EXAMPLE).read_text(encoding="utf-8")
    earlier.write_text(re.sub(r"\b(20\d\d)-", lambda m: f"{int(m[1]) - 2}-", text), "utf-8")
    cli("import", "customers", str(earlier), "--date", "2024-11-23", "-q")
    day = date(2024, 11, 23)
    from followup_cli.cli.app import app

    for ref, action, gap in steps:
        day += timedelta(days=gap)
        if action == "snooze":
            args = ["snooze", ref, "--until", "+2d", "--date", day.isoformat()]
        else:
            args = ["log", ref, action, "--date", day.isoformat()]
        result = cli.runner.invoke(app, args)
        assert result.exit_code in (0, 1), result.stderr
        assert "unexpected" not in result.stderr
    conn = dbtools.connect(isolated_db)
    worst = conn.execute(
        "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM followups WHERE status = 'open' "
        "GROUP BY customer_id) AS per_customer"
    ).fetchone()[0]
    opted = conn.execute(
        "SELECT COUNT(*) FROM followups f JOIN customers c ON c.id = f.customer_id "
        "WHERE f.status = 'open' AND (c.do_not_contact = 1 OR c.status = 'churned')"
    ).fetchone()[0]
    conn.close()
    assert worst is None or worst <= 1
    assert opted == 0


@pytest.mark.sqlite_only
def test_today_reads_its_index_and_never_scans_every_customer(cli, isolated_db):

    from followup_cli.storage import DUE_QUERIES

    cli("import", "customers", EXAMPLE, "--date", "2026-11-23")
    conn = dbtools.connect(isolated_db)
    params = {"on": "2026-11-23", "owner": None, "limit": 20}
    for query in DUE_QUERIES:
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + query, params)]
        customers = [step for step in plan if step.split()[1:2] == ["c"]]
        followups = [step for step in plan if step.split()[1:2] == ["f"]]
        assert customers == ["SEARCH c USING INTEGER PRIMARY KEY (rowid=?)"], plan
        assert len(followups) == 1 and "USING INDEX idx_followups_" in followups[0], plan
    conn.close()
