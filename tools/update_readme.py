"""Rewrite the README's generated parts: the example `followup today` output (what the example
really prints), the `review` screen (also in README.zh-CN.md), the templates and the send list
on the same shop, and the speed table
(from bench/results.json, written by bench/run.py).

Run after a change that alters the morning list or after a benchmark run:
python tools/update_readme.py (tests/cli/test_docs.py fails until README and real output agree).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def real_output() -> str:
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "FOLLOWUP_DB": str(Path(folder) / "example.db"),
            "COLUMNS": "120",
            "NO_COLOR": "1",
        }
        run = [sys.executable, "-m", "followup_cli"]
        subprocess.run(
            [
                *run,
                "import",
                "customers",
                str(ROOT / "examples" / "customers.csv"),
                "--date",
                "2026-11-23",
                "-q",
            ],
            env=env,
            check=True,
        )
        shown = subprocess.run(
            [*run, "today", "--date", "2026-11-23"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    return "\n".join(line.rstrip() for line in shown.stdout.rstrip("\n").splitlines())


def bench_table() -> str:
    data = json.loads((ROOT / "bench" / "results.json").read_text(encoding="utf-8"))
    machine = data["machine"]
    lines = [
        f"Measured {data['when']} with `python bench/run.py` ({machine['cores']} cores, "
        f"Python {machine['python']}, SQLite {machine['sqlite']}; medians of "
        f"{data['repeat']} runs of the whole process).",
        "",
        "| measure | time | reference | ratio | goal |",
        "|---|---:|---|---:|---|",
    ]
    for row in data["results"]:
        goal = ""
        if row["goal"] is not None:
            goal = f"≤ {row['goal']}x " + ("met" if row["met"] else "**missed**")
        lines.append(
            f"| {row['measure']} | {row['seconds']:.3f} s | {row['reference']} "
            f"({row['reference_seconds']:.3f} s) | {row['ratio']:.2f}x | {goal} |"
        )
    memory = data.get("peak_memory_kb_import") or {}
    if memory:
        parts = ", ".join(f"{int(k):,} rows: {v // 1024} MB" for k, v in memory.items() if v)
        again = data.get("peak_memory_kb_reimport_1m")
        if again:
            parts += f"; the 1,000,000-row file again into that shop: {again // 1024} MB"
        lines += ["", f"Peak memory of `import customers` (a new shop): {parts}."]
    measured = data.get("import_measured")
    if measured:
        lines += [
            "",
            f"Import figures measured {measured['when']} with the machine's load average at "
            f"{measured['load']} (2 cores).",
        ]
    return "\n".join(lines)


def _example_db(folder: str) -> dict[str, str]:
    """An environment whose database holds the example shop, imported on 2026-11-23."""
    env = {**os.environ, "FOLLOWUP_DB": str(Path(folder) / "example.db"), "NO_COLOR": "1"}
    example = str(ROOT / "examples" / "customers.csv")
    command = ["import", "customers", example, "--date", "2026-11-23", "-q"]
    subprocess.run([sys.executable, "-m", "followup_cli", *command], env=env, check=True)
    return env


def send_list() -> str:
    """`today --with-message` on the example shop, named Tea Corner."""
    with tempfile.TemporaryDirectory() as folder:
        env = _example_db(folder)
        run = [sys.executable, "-m", "followup_cli"]
        shop = [*run, "rules", "option", "shop", "Tea Corner"]
        subprocess.run(shop, env=env, check=True, capture_output=True)
        options = ["--limit", "3", "--with-message", "--format", "csv", "--signature"]
        shown = subprocess.run(
            [*run, "today", "--date", "2026-11-23", *options, "Tea Corner", "--opt-out-line"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    return shown.stdout.replace("\r\n", "\n").rstrip("\n")


def templates_table() -> str:
    """`followup templates` at 80 columns on a shop with its name set: the default wording."""
    with tempfile.TemporaryDirectory() as folder:
        env = {**_example_db(folder), "COLUMNS": "80"}
        run = [sys.executable, "-m", "followup_cli"]
        shop = [*run, "rules", "option", "shop", "Tea Corner"]
        subprocess.run(shop, env=env, check=True, capture_output=True)
        shown = subprocess.run(
            [*run, "templates"], env=env, check=True, capture_output=True, text=True
        )
    return "\n".join(line.rstrip() for line in shown.stdout.rstrip("\n").splitlines())


def review_screen(lang: str = "en") -> str:
    """The `review` screen at 80x24 on the example shop, the second customer selected."""
    import asyncio
    from datetime import date

    from followup_cli import i18n, storage
    from followup_cli.commands.review_session import ReviewSession
    from followup_cli.tui.review_app import ReviewApp, screen_lines

    async def capture(app: ReviewApp) -> list[str]:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("down")
            await pilot.pause()
            return screen_lines(app)

    with tempfile.TemporaryDirectory() as folder:
        env = _example_db(folder)
        conn = storage.open_db(Path(env["FOLLOWUP_DB"]))
        i18n.set_language(lang)
        try:
            lines = asyncio.run(capture(ReviewApp(ReviewSession(conn, date(2026, 11, 23)))))
        finally:
            i18n.set_language("en")
        conn.close()
    return "\n".join(lines)


def replace(text: str, name: str, block: str) -> str:
    pattern = rf"<!-- {name} -->.*?<!-- /{name} -->"
    new = f"<!-- {name} -->\n{block}\n<!-- /{name} -->"
    return re.sub(pattern, lambda _: new, text, flags=re.S)


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    text = replace(text, "today-output", f"```text\n{real_output()}\n```")
    text = replace(text, "review-screen", f"```text\n{review_screen()}\n```")
    text = replace(text, "send-list", f"```text\n{send_list()}\n```")
    text = replace(text, "templates-output", f"```text\n{templates_table()}\n```")
    if (ROOT / "bench" / "results.json").exists():
        text = replace(text, "bench-results", bench_table())
    readme.write_text(text, encoding="utf-8")
    chinese = ROOT / "README.zh-CN.md"
    text = chinese.read_text(encoding="utf-8")
    text = replace(text, "zh-review-screen", f"```text\n{review_screen('zh_CN')}\n```")
    chinese.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
