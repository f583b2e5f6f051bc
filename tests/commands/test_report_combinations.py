"""Every combination of `--by` works, in every format, and its rows add up to the overall."""

from __future__ import annotations

import csv
import io
import itertools

import pytest
from test_report import JANUARY, scenario

DIMENSIONS = ("tier", "owner", "channel", "month")
COMBINATIONS = [
    combo
    for size in range(1, len(DIMENSIONS) + 1)
    for combo in itertools.combinations(DIMENSIONS, size)
] + [("owner", "tier"), ("month", "channel", "owner", "tier")]


def _by(combo: tuple[str, ...]) -> list[str]:
    return [arg for dim in combo for arg in ("--by", dim)]


@pytest.mark.parametrize("combo", COMBINATIONS, ids="+".join)
def test_every_breakdown_works_and_adds_up_to_the_overall(cli, csv_file, tmp_path, combo):
    scenario(cli, csv_file)
    report = cli.json("report", *JANUARY, *_by(combo))
    rows = report["breakdown"]
    assert report["by"] == list(combo)
    assert rows and all(set(combo) <= row.keys() for row in rows)
    # The rows split January's follow-ups, scores and overdue items without loss or overlap:
    # 8 planned, 6 completed, 2 CSAT scores, 2 recommend scores, 1 overdue (R3's 20 Jan call).
    totals = {k: sum(row[k] for row in rows) for k in ("planned", "completed", "overdue")}
    assert totals == {"planned": 8, "completed": 6, "overdue": 1}
    assert sum(row["csat_responses"] for row in rows) == 2
    assert sum(row["nps_responses"] for row in rows) == 2
    table = cli("report", *JANUARY, *_by(combo)).stdout
    assert f"By {' and '.join(combo)}" in table
    out = cli("report", *JANUARY, *_by(combo), "--format", "csv").stdout
    lines = list(csv.DictReader(io.StringIO(out)))
    assert len(lines) == 1 + len(rows)  # the overall row, marked "all", then one per group
    assert all(lines[0][dim] == "all" for dim in combo)
    page = tmp_path / "report.html"
    cli("report", *JANUARY, *_by(combo), "--html", str(page))
    assert "<table" in page.read_text(encoding="utf-8")


def test_owner_and_tier_rows_are_the_hand_worked_ones(cli, csv_file):
    scenario(cli, csv_file)
    rows = cli.json("report", *JANUARY, "--by", "owner", "--by", "tier")["breakdown"]
    fields = ("planned", "completed", "active_at_start", "prospects")
    got = {(r["owner"], r["tier"]): tuple(r[f] for f in fields) for r in rows}
    # Customers: Li's V1 and V2 were active on 1 Jan, Sam's R1, R2, R3; the prospects P1 and P2
    # are Li's (P1, converted, is counted with the prospects).
    assert got == {
        ("Li", "new"): (2, 2, 0, 0),
        ("Li", "prospect"): (1, 1, 0, 2),
        ("Li", "vip"): (2, 1, 2, 0),
        ("Sam", "regular"): (3, 2, 3, 0),
    }
