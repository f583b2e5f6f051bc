"""Rewrite the README's example `followup today` output with what the example really prints.

Run after a change that alters the morning list: python tools/update_readme.py
(tests/test_docs.py fails until the README and the real output agree).
"""

from __future__ import annotations

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


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    block = f"<!-- today-output -->\n```text\n{real_output()}\n```\n<!-- /today-output -->"
    text = re.sub(
        r"<!-- today-output -->.*?<!-- /today-output -->", lambda _: block, text, flags=re.S
    )
    readme.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
