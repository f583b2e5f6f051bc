"""Benchmark: `followup forecast` on a real purchase history (CDNOW), beside a reference.

    python bench/forecast_cdnow.py                    # the standard split, with the reference
    python bench/forecast_cdnow.py --cut 1997-12-31 --holdout 181
    python bench/forecast_cdnow.py --no-reference     # followup only

It also scores the report's churn over the holdout and the first 20 on the morning list at
the cut (the shop as it stood then) against what those customers then did.

CDNOW is 23 570 customers of an online music shop who first bought in early 1997, with every
purchase to June 1998 (public and anonymous; it ships inside the `lifetimes` wheel on PyPI,
which this script downloads into bench/out/; the repository does not carry it). The standard
split (Fader, Hardie & Lee 2005) fits on purchases to 1997-09-30 and holds out 39 weeks.

followup's side goes through the real CLI: the customers and purchases are imported into a
fresh database and `followup forecast --date CUT --horizon HOLDOUT --format json` is scored
here against what the customers did after the cut. The reference is the `lifetimes` library
(BG/NBD and Pareto/NBD) in a virtualenv of its own (it needs pandas < 2), on the same split.
Prints a table and writes bench/out/forecast_cdnow.json. Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import time
import zipfile
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "out" / "cdnow"
FOLLOWUP = [sys.executable, "-m", "followup_cli"]
REFERENCE_PACKAGES = ["lifetimes==0.11.3", "pandas<2", "numpy<2", "scipy<1.13"]

REFERENCE_SCRIPT = """
import json, sys, time
import pandas as pd
from lifetimes import BetaGeoFitter, ParetoNBDFitter
from lifetimes.utils import calibration_and_holdout_data
master, cut, end, holdout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
df = pd.read_csv(master, sep=r"\\s+", header=None, names=["id", "date", "n", "v"],
                 dtype={"id": str, "date": str}, skiprows=1)
df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
s = calibration_and_holdout_data(df, "id", "date", calibration_period_end=cut,
                                 observation_period_end=end, freq="D")
out = {"ids": list(s.index)}
for name, model in (("bgnbd", BetaGeoFitter()), ("pnbd", ParetoNBDFitter())):
    start = time.perf_counter()
    x, t_x, age = (s[c].to_numpy() for c in ("frequency_cal", "recency_cal", "T_cal"))
    model.fit(x, t_x, age)
    seconds = time.perf_counter() - start
    expected = model.conditional_expected_number_of_purchases_up_to_time(holdout, x, t_x, age)
    out[name] = {"seconds": seconds, "expected": [float(v) for v in expected]}
print(json.dumps(out))
"""


def fetch_cdnow() -> Path:
    """The CDNOW master file, from the lifetimes wheel (downloaded once)."""
    master = WORK / "CDNOW_master.txt"
    if master.exists():
        return master
    WORK.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "-d",
            str(WORK),
            "lifetimes==0.11.3",
        ],
        check=True,
    )
    wheel = next(WORK.glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        master.write_bytes(archive.read("lifetimes/datasets/CDNOW_master.txt"))
    return master


def read_master(master: Path) -> dict[str, dict[date, float]]:
    """Spend per customer per day (several orders on one day are one purchase day)."""
    spend: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for line in master.read_text().splitlines():
        parts = line.split()
        if len(parts) != 4 or not parts[1].isdigit():
            continue
        ident, day, _cds, amount = parts
        spend[ident][date(int(day[:4]), int(day[4:6]), int(day[6:]))] += float(amount)
    return spend


def import_into_followup(spend: dict[str, dict[date, float]], db: Path, end: date) -> dict:
    """The customers and every purchase, as files a shop would import, through the CLI."""
    customers, purchases = WORK / "customers.csv", WORK / "purchases.csv"
    with customers.open("w", newline="") as c, purchases.open("w", newline="") as p:
        cw, pw = csv.writer(c), csv.writer(p)
        cw.writerow(["id", "name", "tier"])
        pw.writerow(["customer id", "date", "amount", "order no"])
        order = 0
        for ident, days in spend.items():
            cw.writerow([f"CD{ident}", f"Customer {ident}", "regular"])
            for day, amount in sorted(days.items()):
                order += 1
                pw.writerow([f"CD{ident}", day.isoformat(), f"{amount:.2f}", f"O{order}"])
    db.unlink(missing_ok=True)
    timings = {}
    for kind, path in (("customers", customers), ("purchases", purchases)):
        start = time.perf_counter()
        subprocess.run(
            [
                *FOLLOWUP,
                "--db",
                str(db),
                "import",
                kind,
                str(path),
                "--date",
                end.isoformat(),
                "--quiet",
            ],
            check=True,
            stderr=subprocess.DEVNULL,
        )
        timings[f"import_{kind}_s"] = round(time.perf_counter() - start, 2)
    return timings


def followup_forecast(db: Path, cut: date, holdout: int) -> tuple[dict[str, dict], float]:
    start = time.perf_counter()
    out = subprocess.run(
        [
            *FOLLOWUP,
            "--db",
            str(db),
            "forecast",
            "--date",
            cut.isoformat(),
            "--horizon",
            f"{holdout}d",
            "--format",
            "json",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    seconds = time.perf_counter() - start
    return {row["customer_id"][2:]: row for row in json.loads(out)}, seconds


def reference_forecast(master: Path, cut: date, end: date, holdout: int) -> dict | None:
    venv = HERE / "out" / "reference-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *REFERENCE_PACKAGES], check=True)
    out = subprocess.run(
        [
            str(python),
            "-c",
            REFERENCE_SCRIPT,
            str(master),
            cut.isoformat(),
            end.isoformat(),
            str(holdout),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def auc(scores: list[float], labels: list[bool]) -> float:
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    positives = sum(labels)
    rank_sum, i = 0.0, 0
    while i < len(order):
        j = i
        while j < len(order) and scores[order[j]] == scores[order[i]]:
            j += 1
        rank_sum += (i + 1 + j) / 2 * sum(1 for k in order[i:j] if labels[k])
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * (len(labels) - positives))


def lift(scores: list[float], labels: list[bool]) -> float:
    top = sorted(range(len(scores)), key=lambda i: -scores[i])[: len(scores) // 10]
    return (sum(labels[i] for i in top) / len(top)) / (sum(labels) / len(labels))


def measures(expected: list[float], actual: list[int]) -> dict:
    bought = [n > 0 for n in actual]
    return {
        "auc": round(auc(expected, bought), 4),
        "top_decile_lift": round(lift(expected, bought), 3),
        "expected_purchases": round(sum(expected), 1),
        "vs_real": round(sum(expected) / sum(actual) - 1, 4),
        "top20_bought": sum(
            bought[i] for i in sorted(range(len(expected)), key=lambda i: -expected[i])[:20]
        ),
    }


def morning_list(spend: dict[str, dict[date, float]], cut: date, end: date) -> dict:
    """The shop as it stood at the cut (only the purchases up to it, imported that day):
    of the first 20 on `today`'s list, on the cut day and a week later, how many bought
    again by the end of the holdout."""
    known = {i: {d: a for d, a in days.items() if d <= cut} for i, days in spend.items()}
    db = WORK / "at_cut.db"
    import_into_followup({i: d for i, d in known.items() if d}, db, cut)
    result = {}
    for day in (cut, cut + timedelta(days=7)):
        out = subprocess.run(
            [
                *FOLLOWUP,
                "--db",
                str(db),
                "today",
                "--date",
                day.isoformat(),
                "--limit",
                "20",
                "--format",
                "json",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        listed = [row["customer_id"][2:] for row in json.loads(out)]
        bought = sum(1 for i in listed if any(day < d <= end for d in spend[i]))
        result[f"first20_on_{day.isoformat()}_bought"] = f"{bought} of {len(listed)}"
    return result


def report_churn(db: Path, spend: dict[str, dict[date, float]], cut: date, end: date) -> dict:
    """`report` over the holdout (the whole history imported), beside the share of the same
    customers (active at its start, by the model's stored days) who really never came back."""
    import sqlite3

    first = cut + timedelta(days=1)
    out = subprocess.run(
        [
            *FOLLOWUP,
            "--db",
            str(db),
            "report",
            "--from",
            first.isoformat(),
            "--to",
            end.isoformat(),
            "--date",
            end.isoformat(),
            "--format",
            "json",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    report = json.loads(out)
    conn = sqlite3.connect(db)
    active = [
        ref[2:]
        for (ref,) in conn.execute(
            "SELECT c.ref FROM customers c LEFT JOIN purchase_scores ps ON ps.customer_id = c.id "
            "WHERE c.first_purchase < ? AND (ps.gone_on IS NULL OR ps.gone_on >= ?)",
            (first.isoformat(), first.isoformat()),
        )
    ]
    conn.close()
    never = sum(1 for i in active if not any(cut < d <= end for d in spend[i]))
    return {
        "churn_by": report["churn_by"],
        "report_churn_rate": report["overall"]["churn_rate"],
        "report_active_at_start": report["overall"]["active_at_start"],
        "active_never_came_back": round(never / len(active), 4) if active else None,
        "all_never_came_back": round(
            sum(1 for days in spend.values() if not any(cut < d <= end for d in days)) / len(spend),
            4,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cut", default="1997-09-30", help="the last day the model sees")
    parser.add_argument("--holdout", type=int, default=273, help="days held out (39 weeks)")
    parser.add_argument("--no-reference", action="store_true", help="followup only")
    args = parser.parse_args()
    cut = date.fromisoformat(args.cut)
    end = cut + timedelta(days=args.holdout)
    master = fetch_cdnow()
    spend = read_master(master)
    db = WORK / "cdnow.db"
    timings = import_into_followup(spend, db, end)
    ours, seconds = followup_forecast(db, cut, args.holdout)
    ids = sorted(i for i in spend if min(spend[i]) <= cut)
    after = {i: sorted(d for d in spend[i] if cut < d <= end) for i in ids}
    actual = [len(after[i]) for i in ids]
    result = {
        "cut": cut.isoformat(),
        "holdout_days": args.holdout,
        "customers": len(ids),
        "bought_again": sum(1 for n in actual if n),
        "purchases": sum(actual),
        **timings,
        "followup_forecast_s": round(seconds, 2),
    }
    result["followup"] = measures([ours[i]["expected_purchases"] for i in ids], actual)
    errors = [
        (
            abs((date.fromisoformat(ours[i]["next_purchase"]) - after[i][0]).days),
            ours[i]["purchase_days"],
        )
        for i in ids
        if after[i]
    ]
    result["followup"]["median_date_error_days"] = statistics.median(e for e, _ in errors)
    result["followup"]["median_date_error_days_3plus"] = statistics.median(
        e for e, n in errors if n >= 3
    )
    result["followup"]["none_dated_on_or_before_cut"] = sum(
        1 for i in ids if ours[i]["next_purchase"] <= cut.isoformat()
    )
    result["followup"]["share_buying"] = round(sum(ours[i]["p_buy"] for i in ids) / len(ids), 4)
    result["real_share_buying"] = round(result["bought_again"] / len(ids), 4)
    result["report"] = report_churn(db, spend, cut, end)
    result["morning_list"] = morning_list(spend, cut, end)
    if not args.no_reference:
        reference = reference_forecast(master, cut, end, args.holdout)
        order = {ident: k for k, ident in enumerate(reference["ids"])}
        for name in ("bgnbd", "pnbd"):
            values = [reference[name]["expected"][order[i]] for i in ids]
            result[f"lifetimes_{name}"] = {
                **measures(values, actual),
                "fit_s": round(reference[name]["seconds"], 2),
            }
    (HERE / "out" / "forecast_cdnow.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
