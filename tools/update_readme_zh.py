"""Rewrite the example session in README.zh-CN.md with what the real tool prints in Chinese.

Run after a change to any Chinese output: python tools/update_readme_zh.py
(tests/locales/test_i18n.py fails until the README and the real output agree).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.zh-CN.md"
SESSION = (
    ("import", "customers", "examples/customers-zh.csv", "--date", "2026-03-02"),
    ("today", "--date", "2026-03-02"),
    ("log", "K001", "已联系", "--channel", "微信", "--score", "5", "--date", "2026-03-02"),
    ("log", "K003", "投诉", "--note", "杯子有裂纹", "--date", "2026-03-02"),
    ("log", "K002", "未接通", "--date", "2026-03-02"),
    ("report", "--from", "2026-03-01", "--to", "2026-03-31", "--date", "2026-03-02"),
)


def session() -> str:
    """The commands and what they print, as a Chinese owner sees them (LANG=zh_CN.UTF-8)."""
    shown = []
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "FOLLOWUP_DB": str(Path(folder) / "shop.db"),
            "LANG": "zh_CN.UTF-8",
            "LC_ALL": "",
            "LC_MESSAGES": "",
            "COLUMNS": "100",
            "NO_COLOR": "1",
        }
        for args in SESSION:
            run = subprocess.run(
                [sys.executable, "-m", "followup_cli", *args],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            )
            shown.append("$ followup " + " ".join(args))
            shown += [line.rstrip() for line in run.stdout.rstrip("\n").splitlines()]
    return "\n".join(shown)


def main() -> None:
    text = README.read_text(encoding="utf-8")
    block = f"<!-- zh-session -->\n```text\n{session()}\n```\n<!-- /zh-session -->"
    text = re.sub(r"<!-- zh-session -->.*?<!-- /zh-session -->", lambda _m: block, text, flags=re.S)
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
