"""Benchmark: a chain's re-import of 40 000 changed customers on PostgreSQL while another
branch logs calls, one `followup log` process after another (issue 24, item 9).

    python bench/import_under_load.py [--rows 40000] [--code PATH]

Starts a throwaway PostgreSQL server (tests/pg_server.py), imports the customers, then
re-imports them all with a changed note while logging. Prints the import's time, the logs
done meanwhile (logs/s) and the slowest log beside the slowest one with no import running.
--code runs another checkout's followup_cli (to compare with an older version).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
import pg_server  # noqa: E402

HEADER = "id,name,phone,email,tier,first_purchase,last_purchase,added,owner,branch,notes\n"


def shop(path: Path, rows: int, note: str) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(1, rows + 1):
            branch = ("North", "South")[i % 2]
            out.write(
                f"K{i:06d},Kunde {i},139{i:08d},,regular,2025-01-05,2026-10-01,"
                f"2025-01-05,Ann,{branch},{note} {i}\n"
            )
    return path


def run(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--code", help="a checkout whose followup_cli to run")
    args = parser.parse_args()
    url = pg_server.base_url()
    if url is None:
        sys.exit(f"no PostgreSQL: {pg_server.missing_reason()}")
    try:
        db = pg_server.new_schema("bench_load")
        env = {**os.environ, "FOLLOWUP_DB": db, "NO_COLOR": "1"}
        followup = [sys.executable, "-m", "followup_cli"]
        if args.code:  # that checkout's package, not the one this venv has installed
            followup = [
                sys.executable,
                "-c",
                "import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in "
                f"repr(f)]; sys.path.insert(0, {args.code!r}); from followup_cli.launch import "
                "main; sys.argv[0] = 'followup'; main()",
            ]
        work = HERE / "out"
        work.mkdir(exist_ok=True)
        first = shop(work / "load-first.csv", args.rows, "old")
        changed = shop(work / "load-changed.csv", args.rows, "new")
        run([*followup, "import", "customers", str(first), "-q"], env)
        calls = iter(range(1, args.rows + 1))

        def log() -> list[str]:  # a different customer each time (one log a day each)
            return [*followup, "log", f"K{next(calls):06d}", "reached", "--note", "bench"]

        quiet = [run(log(), env) for _ in range(5)]
        importing = subprocess.Popen(
            [*followup, "import", "customers", str(changed), "-q"], env=env
        )
        started = time.perf_counter()
        during: list[float] = []
        while importing.poll() is None:
            during.append(run(log(), env))
        took = time.perf_counter() - started
        result = {
            "rows": args.rows,
            "code": args.code or "this checkout",
            "import_s": round(took, 1),
            "import_exit": importing.returncode,
            "logs_during_import": len(during),
            "logs_per_s": round(len(during) / took, 2),
            "log_s_quiet_median": round(statistics.median(quiet), 2),
            "log_s_quiet_worst": round(max(quiet), 2),
            "log_s_during_median": round(statistics.median(during), 2) if during else None,
            "log_s_during_worst": round(max(during), 2) if during else None,
        }
        print(json.dumps(result, indent=2))
    finally:
        pg_server.stop()


if __name__ == "__main__":
    main()
