"""The morning list's table drawn two ways in one process, for 50 and 5 000 rows at 80
columns: our own line writer (`draw`) and Rich (`rich.table.Table`), both from the same
layout. Best of a few runs; prints milliseconds.

    python bench/drawing.py
"""

from __future__ import annotations

import contextlib
import io
import time

from followup_cli.output import table
from followup_cli.output.drawing import rich_table
from followup_cli.views.morning import _today_columns

NAMES = ("王芳", "小美❤️", "Ava Martin", "👨\u200d👩\u200d👧 一家", "[VIP] 李娜")


def rows(count: int) -> list[dict]:
    return [
        {
            "customer_id": f"C{i:07d}",
            "name": NAMES[i % len(NAMES)],
            "phone": f"+86138{i:08d}",
            "tier": ("vip", "regular", "new")[i % 3],
            "due_date": "2026-11-23",
            "days_overdue": str(i % 30),
            "status": ("due", "overdue", "late")[i % 3],
            "reason": "每 1 个月" if i % 2 else "挽回（每 1 个月）",
        }
        for i in range(count)
    ]


def best(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            run()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def ours(placed: list, count: int) -> None:
    print("\n".join(table.draw(placed, count, None, 80)))


def rich(placed: list, count: int) -> None:
    widths = [spot.width for spot in placed]
    body = ([table.cell_lines(spot, i) for spot in placed] for i in range(count))
    rich_table(widths, table.heading_lines(placed), body, None, [], 80)


def main() -> None:
    for count in (50, 5000):
        placed = table.layout(rows(count), _today_columns(), table.cell_text, 80)
        repeat = 7 if count == 50 else 3
        writer = best(lambda p=placed, c=count: ours(p, c), repeat)
        drawn = best(lambda p=placed, c=count: rich(p, c), repeat)
        print(f"{count:>5} rows: line writer {writer:8.1f} ms, Rich {drawn:8.1f} ms")


if __name__ == "__main__":
    main()
