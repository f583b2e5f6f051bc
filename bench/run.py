"""Benchmark: followup's commands timed as whole processes beside the references they are
judged against (the sqlite3 shell, sqlite-utils, and the bare framework import).

    python bench/run.py                 # the full run: 10k, 100k and 1M customers (a few minutes)
    python bench/run.py --quick         # 10k and 100k only
    python bench/run.py --repeat 7      # more runs per figure (medians are reported)
    python bench/run.py --only 100k     # the 100k shop only, with its million purchases

Prints a table of medians and ratios and writes the same as JSON to bench/results.json.
Timings live here, never in a pass/fail test.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "out"
AS_OF = "2025-11-01"
FOLLOWUP = [sys.executable, "-m", "followup_cli"]
FLOOR = [sys.executable, "-c", "import typer, rich.console"]
# The floor with Rich's table too: what drawing the morning list with Rich would cost at most.
TABLE_FLOOR = [sys.executable, "-c", "import typer, rich.table, rich.console"]
ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
TIERS = ("vip", "regular", "regular", "regular", "new", "prospect", "老客户", "VIP客户", "新客户")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "芳娜伟洋静磊敏婷强军丽杰悦超琳鹏雪峰欣斌晨佳楠颖梅涛"


def make_shop(path: Path, customers: int, seed: int = 7) -> Path:
    """A till export as shops have them: mixed tiers (some Chinese), phones with spaces."""
    if path.exists():
        return path
    rng = random.Random(seed)
    start = date(2019, 1, 1)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(
            [
                "id",
                "name",
                "phone",
                "email",
                "tier",
                "first_purchase",
                "last_purchase",
                "added",
                "owner",
                "notes",
            ]
        )
        for i in range(customers):
            first = start + timedelta(days=rng.randrange(2000))
            last = first + timedelta(days=rng.randrange(max(1, (date(2025, 10, 31) - first).days)))
            tier = TIERS[rng.randrange(len(TIERS))]
            prospect = tier == "prospect"
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if i % 3 else "")
            phone = f"1{rng.choice('3578')}{i:09d}"
            out.writerow(
                [
                    f"C{i:07d}",
                    name,
                    f"{phone[:3]} {phone[3:7]} {phone[7:]}",
                    f"c{i}@example.com" if i % 4 == 0 else "",
                    tier,
                    "" if prospect else first.isoformat(),
                    "" if prospect else last.isoformat(),
                    first.isoformat(),
                    ("Li", "Sam", "Mei")[i % 3],
                    "",
                ]
            )
    return path


def add_history(db: Path, per_customer: int) -> int:
    """Logged follow-ups with their contacts, written straight into the file."""
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO followups (customer_id, kind, reason, anchor, due_date, show_date, "
            "status, attempts, outcome, closed_on) "
            "SELECT c.id, 'cadence', 'every 1 month', NULL, "
            "date(?, printf('-%d days', n.i * 30 + c.id % 29)), "
            "date(?, printf('-%d days', n.i * 30 + c.id % 29)), "
            "CASE WHEN (c.id + n.i) % 6 = 0 THEN 'missed' ELSE 'done' END, 0, "
            "CASE WHEN (c.id + n.i) % 6 = 0 THEN 'no-answer' WHEN (c.id + n.i) % 11 = 0 "
            "THEN 'complaint' ELSE 'reached' END, "
            "date(?, printf('-%d days', n.i * 30 + c.id % 29 - 1)) FROM customers c, n",
            (per_customer, AS_OF, AS_OF, AS_OF),
        )
        conn.execute(
            "INSERT INTO contacts (customer_id, followup_id, date, outcome, channel, score, nps, "
            "note, owner, logged_at) SELECT f.customer_id, f.id, f.closed_on, f.outcome, "
            "CASE f.id % 3 WHEN 0 THEN 'phone' WHEN 1 THEN 'wechat' ELSE 'visit' END, "
            "CASE WHEN f.id % 4 = 0 THEN 1 + f.id % 5 END, "
            "CASE WHEN f.id % 5 = 0 THEN f.id % 11 END, NULL, 'Li', f.closed_on "
            "FROM followups f WHERE f.status != 'open'"
        )
    count = conn.execute("SELECT COUNT(*) FROM followups WHERE status != 'open'").fetchone()[0]
    conn.close()
    return count


def make_purchases(path: Path, customers: int, per_customer: int, seed: int = 11) -> Path:
    """A till's sales export: each customer buys about every 1-12 weeks, before AS_OF."""
    if path.exists():
        return path
    rng = random.Random(seed)
    end = date.fromisoformat(AS_OF)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["customer id", "date", "amount", "order"])
        for i in range(customers):
            gap = rng.randrange(7, 84)
            last = end - timedelta(days=rng.randrange(1, 400))
            for n in range(per_customer):
                day = last - timedelta(days=gap * n + rng.randrange(3))
                amount = f"{rng.randrange(10, 3000)}.00"
                out.writerow([f"C{i:07d}", day.isoformat(), amount, f"S{i:07d}-{n}"])
    return path


def timed(cmd: list[str], repeat: int, before=None) -> float:
    """Median wall time of `repeat` runs of a whole process (one warm-up run first)."""
    times = []
    for run in range(repeat + 1):
        if before:
            before(run)
        started = time.perf_counter()
        result = subprocess.run(
            cmd(run) if callable(cmd) else cmd,
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        elapsed = time.perf_counter() - started
        if result.returncode not in (0, 3):
            raise SystemExit(f"failed: {cmd} -> {result.returncode}: {result.stderr[-500:]!r}")
        if run:
            times.append(elapsed)
    return statistics.median(times)


def peak_memory_kb(cmd: list[str]) -> int | None:
    gnu_time = shutil.which("time") or "/usr/bin/time"
    if not Path(gnu_time).exists():
        return None
    result = subprocess.run([gnu_time, "-f", "%M", *cmd], env=ENV, capture_output=True, text=True)
    try:
        return int(result.stderr.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def fresh(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def server_figures(args, record, floor: float) -> None:
    """The 100k shop (1M follow-ups, 1M purchases) moved onto PostgreSQL with `transfer`, and
    the morning commands timed there beside the same commands on the file."""
    sys.path.insert(0, str(HERE.parent / "tests"))
    import pg_server

    url = args.server
    if url == "auto":
        if pg_server.base_url() is None:
            raise SystemExit(f"no PostgreSQL: {pg_server.missing_reason()}")
        url = pg_server.new_schema("bench")
    try:
        shop = WORK / "shop-100000.db"
        started = time.perf_counter()
        subprocess.run(
            [*FOLLOWUP, "--db", str(shop), "transfer", "--to", url, "--date", AS_OF],
            env=ENV,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"moved the 100k shop onto PostgreSQL in {time.perf_counter() - started:.1f} s")
        on_file, on_server = [*FOLLOWUP, "--db", str(shop)], [*FOLLOWUP, "--db", url]
        measures = (
            ("today --limit 50", lambda run: ["today", "--date", AS_OF, "--limit", "50"]),
            (
                "log",
                lambda run: ["log", f"C{500 + run:07d}", "reached", "--date", AS_OF],
            ),
            (
                "report --last 1y",
                lambda run: ["report", "--last", "1y", "--date", AS_OF, "--format", "json"],
            ),
        )
        for name, words in measures:
            file_seconds = timed(lambda run, w=words: [*on_file, *w(run)], args.repeat)
            record(
                f"{name} (100k, PostgreSQL)",
                lambda w=words: timed(lambda run: [*on_server, *w(run + 50)], args.repeat),
                "the same on the SQLite file",
                file_seconds,
                None,
            )
    finally:
        pg_server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 1M-customer shop")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="only the measures whose name contains this (repeatable), e.g. --only today",
    )
    parser.add_argument(
        "--only-import",
        action="store_true",
        help="only the import figures (merged into the last results.json)",
    )
    parser.add_argument(
        "--server",
        help="also time the 100k shop on PostgreSQL: a postgresql:// URL of an empty database "
        "you may fill, or 'auto' for a throwaway server (initdb/pg_ctl, as tests do)",
    )
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    sizes = [10_000, 100_000] + ([] if args.quick else [1_000_000])
    if "100k" in args.only:  # the 100k shop only, with its million purchases
        sizes = [100_000]
    results: list[dict] = []

    def wanted(name: str) -> bool:
        return not args.only or any(word in name for word in args.only)

    def record(name: str, seconds, reference: str, ref_seconds: float, goal: float | None):
        """`seconds` may be a function that measures them: called only for a wanted measure."""
        if not wanted(name) and "floor" not in name:
            return
        if callable(seconds):
            seconds = seconds()
        ratio = seconds / ref_seconds
        results.append(
            {
                "measure": name,
                "seconds": round(seconds, 4),
                "reference": reference,
                "reference_seconds": round(ref_seconds, 4),
                "ratio": round(ratio, 2),
                "goal": goal,
                "met": None if goal is None else ratio <= goal,
            }
        )
        met = "" if goal is None else ("  ok" if ratio <= goal else "  MISSED")
        print(
            f"{name:<44} {seconds:8.3f}s  {ratio:6.2f}x {reference}"
            + (f" (goal {goal}x){met}" if goal else ""),
            flush=True,
        )

    print(
        f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} cores; medians of {args.repeat} runs",
        flush=True,
    )
    # Bytecode as an installed package has it (pip compiles on install); with
    # PYTHONDONTWRITEBYTECODE set, every run would otherwise compile followup from source.
    compileall.compile_dir(str(HERE.parent / "followup_cli"), quiet=1)
    files = {n: make_shop(WORK / f"shop-{n}.csv", n) for n in sizes}
    if not args.only_import:
        floor = timed(FLOOR, max(15, 3 * args.repeat))  # the yardstick: measured more often
        record("framework floor: import typer, rich.console", floor, "itself", floor, None)
        table_floor = timed(TABLE_FLOOR, max(15, 3 * args.repeat))
        record(
            "table floor: import typer, rich.table, rich.console",
            table_floor,
            "itself",
            table_floor,
            None,
        )

    # --- import of the 100k file, beside the sqlite3 shell and sqlite-utils ----------------
    memory: dict[int, int | None] = {}
    reimport = None
    if not args.only or wanted("import customers"):
        source = files[100_000]
        target = WORK / "import.db"

        def import_into(db: Path) -> list[str]:
            command = ["import", "customers", str(source), "--date", AS_OF, "-q"]
            return [*FOLLOWUP, "--db", str(db), *command]

        ours = timed(lambda _: import_into(target), 3, before=lambda _: fresh(target))
        sqlite3_shell = shutil.which("sqlite3")
        if sqlite3_shell:
            shell = timed(
                [sqlite3_shell, str(WORK / "shell.db"), f".import --csv {source} t"],
                3,
                before=lambda _: fresh(WORK / "shell.db"),
            )
            record("import customers 100k (full validation)", ours, "sqlite3 .import", shell, 10.0)
            # The nightly case: the same file again, into the shop its first import made.
            imported = WORK / "imported.db"
            fresh(imported)
            shutil.copyfile(target, imported)  # the last timed run's shop, closed and whole
            again = WORK / "again.db"
            nightly = timed(
                lambda _: import_into(again),
                3,
                before=lambda _: (fresh(again), shutil.copyfile(imported, again)),
            )
            record(
                "import customers 100k again (nightly, unchanged)",
                nightly,
                "sqlite3 .import",
                shell,
                None,
            )
        # The write floor: the same rows into the same tables and indexes, nothing checked.
        blank = WORK / "blank.db"
        fresh(blank)  # a new, empty shop of this version's schema
        subprocess.run([*FOLLOWUP, "--db", str(blank), "doctor"], env=ENV, capture_output=True)
        bare = WORK / "bare.db"
        floor_import = timed(
            [sys.executable, str(HERE / "floor_import.py"), str(source), str(bare)],
            3,
            before=lambda _: (fresh(bare), shutil.copyfile(blank, bare)),
        )
        record(
            "import customers 100k (full validation)",
            ours,
            "bare csv+sqlite3, same tables, no checks",
            floor_import,
            None,
        )
        utils = shutil.which("sqlite-utils", path=str(Path(sys.executable).parent))
        if utils:
            su = timed(
                [utils, "insert", str(WORK / "su.db"), "t", str(source), "--csv"],
                3,
                before=lambda _: fresh(WORK / "su.db"),
            )
            record(
                "import customers 100k (full validation)",
                ours,
                "sqlite-utils insert --csv",
                su,
                1.0,
            )
        fresh(target)
        load = os.getloadavg()[0]
        # Peak memory of each shop's first import (a new database), then the nightly case at
        # its largest: the same 1M-row file again into the 1M-customer shop it made.
        memory = {}
        for n in sizes:
            db = WORK / f"mem-{n}.db"
            fresh(db)
            memory[n] = peak_memory_kb(
                [
                    *FOLLOWUP,
                    "--db",
                    str(db),
                    "import",
                    "customers",
                    str(files[n]),
                    "--date",
                    AS_OF,
                    "-q",
                ]
            )
        reimport = None
        if 1_000_000 in sizes:
            reimport = peak_memory_kb(
                [
                    *FOLLOWUP,
                    "--db",
                    str(WORK / "mem-1000000.db"),
                    "import",
                    "customers",
                    str(files[1_000_000]),
                    "--date",
                    AS_OF,
                    "-q",
                ]
            )
        for n in sizes:
            fresh(WORK / f"mem-{n}.db")
        if args.only_import:
            previous = json.loads((HERE / "results.json").read_text(encoding="utf-8"))
            kept = [
                r for r in previous["results"] if not r["measure"].startswith("import customers")
            ]
            previous["results"] = kept[:1] + results + kept[1:]
            previous["peak_memory_kb_import"] = {str(k): v for k, v in memory.items()}
            previous["peak_memory_kb_reimport_1m"] = reimport
            previous["import_measured"] = {
                "when": time.strftime("%Y-%m-%d"),
                "load": round(load, 1),
            }
            (HERE / "results.json").write_text(
                json.dumps(previous, indent=2) + "\n", encoding="utf-8"
            )
            print(f"peak memory of import: {memory} kB; 1M re-import: {reimport} kB", flush=True)
            return

    # --- the morning commands on each shop --------------------------------------------------
    for n in sizes:
        db = WORK / f"shop-{n}.db"
        if not db.exists():
            print(f"building the {n:,}-customer shop ...", flush=True)
            # The highest daily cap the option takes: the first import would otherwise spread
            # the backlog over the coming days at 20 a day, and the morning list is measured
            # here at its longest (10 000 lines on the 100k and 1M shops).
            subprocess.run(
                [*FOLLOWUP, "--db", str(db), "rules", "option", "daily_capacity", "10000"],
                env=ENV,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            subprocess.run(
                [
                    *FOLLOWUP,
                    "--db",
                    str(db),
                    "import",
                    "customers",
                    str(files[n]),
                    "--date",
                    AS_OF,
                    "-q",
                ],
                env=ENV,
                check=False,
            )
            if n == 100_000:
                logged = add_history(db, 10)
                print(f"added {logged:,} logged follow-ups to the 100k shop", flush=True)
                sales = make_purchases(WORK / "sales-100k.csv", n, 10)
                started = time.perf_counter()
                subprocess.run(
                    [
                        *FOLLOWUP,
                        "--db",
                        str(db),
                        "import",
                        "purchases",
                        str(sales),
                        "--date",
                        AS_OF,
                        "-q",
                    ],
                    env=ENV,
                    check=False,
                )
                print(
                    f"imported 1,000,000 purchases into the 100k shop in "
                    f"{time.perf_counter() - started:.1f} s",
                    flush=True,
                )
        base = [*FOLLOWUP, "--db", str(db)]
        label = f"{n // 1000}k" if n < 1_000_000 else "1M"
        goal = 1.3 if n <= 100_000 else 1.5
        record(
            f"today --limit 50 ({label})",
            lambda base=base: timed(
                [*base, "today", "--date", AS_OF, "--limit", "50"], args.repeat
            ),
            "floor",
            floor,
            goal,
        )
        record(  # start-up with a screenful: within 1.8x of importing what draws a table
            f"today --limit 50 ({label}) vs table floor",
            lambda base=base: timed(
                [*base, "today", "--date", AS_OF, "--limit", "50"], args.repeat
            ),
            "table floor",
            table_floor,
            1.8,
        )
        if n == 100_000:  # a long list on a screen: the first 5 000 lines of the table
            record(
                f"today --limit 5000 ({label}, table)",
                lambda base=base: timed(
                    [*base, "today", "--date", AS_OF, "--limit", "5000"], args.repeat
                ),
                "1 second",
                1.0,
                1.0,
            )
        if n <= 100_000:  # the whole 1M list (half a million lines) is no morning screen
            record(
                f"today --format json ({label}, whole list)",
                lambda base=base: timed(
                    [*base, "today", "--date", AS_OF, "--format", "json"], args.repeat
                ),
                "floor",
                floor,
                None,
            )
        record(
            f"show ({label})",
            lambda base=base: timed([*base, "show", "C0000042"], args.repeat),
            "floor",
            floor,
            1.3,
        )
        record(
            f"log ({label})",
            lambda base=base: timed(
                lambda run, base=base: [
                    *base,
                    "log",
                    f"C{100 + run:07d}",
                    "reached",
                    "--date",
                    AS_OF,
                    "--note",
                    "bench",
                ],
                args.repeat,
            ),
            "floor",
            floor,
            1.3,
        )
        if n == 100_000:  # the shop with 1M purchases: segments and the rhythm-driven list
            record(
                "segments (100k, 1M purchases)",
                timed([*base, "segments", "--format", "json"], args.repeat),
                "floor",
                floor,
                3.0,
            )
            record(
                "today --limit 50 (100k, 1M purchases)",
                timed([*base, "today", "--date", AS_OF, "--limit", "50"], args.repeat),
                "floor",
                floor,
                1.5,
            )
        record(
            f"report --last 1y ({label})",
            lambda base=base: timed(
                [*base, "report", "--last", "1y", "--date", AS_OF, "--format", "json"], args.repeat
            ),
            "floor",
            floor,
            3.0 if n == 100_000 else None,
        )
    if args.server:
        server_figures(args, record, floor)
    if args.only:
        print("a partial run (--only): bench/results.json is left as it was")
        return
    output = {
        "when": time.strftime("%Y-%m-%d"),
        "machine": {
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "cores": os.cpu_count(),
            "platform": platform.platform(),
        },
        "repeat": args.repeat,
        "peak_memory_kb_import": {str(k): v for k, v in memory.items()},
        "peak_memory_kb_reimport_1m": reimport,
        "import_measured": {"when": time.strftime("%Y-%m-%d"), "load": round(load, 1)},
        "results": results,
    }
    written = HERE / "results.json"
    written.write_text(json.dumps(output, indent=2) + "\n", encoding="utf-8")
    print(f"peak memory of import: {memory} kB", flush=True)
    print(f"wrote {written}")


if __name__ == "__main__":
    main()
